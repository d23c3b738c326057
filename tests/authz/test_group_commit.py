"""Group commit of access-log entries (authz/group_commit.py): concurrent callers share
commits, each is released only by the commit that holds its entries, a failed commit fails
every caller in it and writes nothing, and two processes appending at once keep one chain."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from authz.access_log import LogRecord
from authz.audit_signing import CheckpointSigner
from authz.group_commit import AccessLogUnavailable, GroupCommit
from authz.log_verify import verify
from authz.operations import Operation, Outcome
from authz.witness import FolderWitness
from records.database import Database
from records.models import AccessLogEntry
from tests.authz.log_faults import refusing_log_commits
from tests.authz.world import START, Clock

ROOT = Path(__file__).resolve().parents[2]


def record(n: int) -> LogRecord:
    return LogRecord(
        at=START,
        actor="portal:testprefix",
        operation=Operation.RESTRICTION_STATUS,
        outcome=Outcome.ALLOWED,
        service="housing",
        request_id=f"r-{n}",
    )


async def stored(database: Database) -> dict[str, int]:
    async with database.sessions() as session:
        rows = await session.execute(select(AccessLogEntry.request_id, AccessLogEntry.seq))
        return {r.request_id: r.seq for r in rows}


async def test_concurrent_callers_share_commits_and_each_gets_its_own_entries(
    database: Database,
) -> None:
    batches: list[tuple[int, bool]] = []
    signer = CheckpointSigner.generate()
    writer = GroupCommit(
        database.writer,
        signer=signer,
        checkpoint_every=10,
        clock=Clock(),
        observe=lambda size, ok: batches.append((size, ok)),
    )

    seqs = await asyncio.gather(*(writer.append([record(n)]) for n in range(40)))

    assert sum(size for size, _ in batches) == 40 and all(ok for _, ok in batches)
    assert len(batches) < 40  # shared: 40 callers did not need 40 commits
    in_log = await stored(database)
    # Each caller was told the seq its own entry holds, once committed.
    assert {f"r-{n}": s for n, (s,) in enumerate(seqs)} == in_log
    async with database.sessions() as session:
        report = await verify(session, signer)
    assert report.ok and report.checkpoints == 4


async def test_a_failed_commit_fails_every_caller_in_it_and_writes_nothing(
    database: Database,
) -> None:
    batches: list[tuple[int, bool]] = []
    writer = GroupCommit(
        database.writer,
        signer=CheckpointSigner.generate(),
        checkpoint_every=0,
        clock=Clock(),
        observe=lambda size, ok: batches.append((size, ok)),
    )
    async with refusing_log_commits(database.engine):
        results = await asyncio.gather(
            *(writer.append([record(n)]) for n in range(5)), return_exceptions=True
        )
    assert all(isinstance(r, AccessLogUnavailable) for r in results)
    assert await stored(database) == {}
    assert batches and not any(ok for _, ok in batches)
    # The writer is not stuck: once the database accepts entries again, so does it.
    assert await writer.append([record(99)]) == [1]


async def test_a_groups_checkpoints_reach_the_witness_once_committed(
    database: Database, tmp_path: Path
) -> None:
    witness = FolderWitness(tmp_path / "witness")
    signer = CheckpointSigner(Ed25519PrivateKey.generate(), witness)
    writer = GroupCommit(database.writer, signer=signer, checkpoint_every=10, clock=Clock())

    await asyncio.gather(*(writer.append([record(n)]) for n in range(25)))
    async with refusing_log_commits(database.engine):
        failed = await asyncio.gather(
            *(writer.append([record(n)]) for n in range(25, 40)), return_exceptions=True
        )

    assert all(isinstance(r, AccessLogUnavailable) for r in failed)
    # The two checkpoints of the committed batches, and none of the batch that failed.
    assert [c.seq for c in witness.checkpoints()] == [10, 20]
    async with database.sessions() as session:
        report = await verify(session, signer)
    assert report.ok and report.checkpoints == 2, report.describe()


@pytest.mark.slow
async def test_two_processes_appending_at_once_keep_one_chain(
    database: Database, database_urls: tuple[str, str], tmp_path: Path
) -> None:
    key = tmp_path / "audit-signing.key"
    CheckpointSigner.create_file(key)
    each = 150
    command = [sys.executable, "-m", "tests.authz.append_process", *database_urls, str(key)]
    processes = [
        await asyncio.create_subprocess_exec(
            *command, name, str(each), cwd=ROOT, stdout=asyncio.subprocess.PIPE
        )
        for name in ("one", "two")
    ]
    outputs = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in processes)), 120)

    assert [p.returncode for p in processes] == [0, 0]
    assert [out.decode().strip() for out, _ in outputs] == [f"done {each}", f"done {each}"]
    async with database.sessions() as session:
        report = await verify(session, CheckpointSigner.load(key))
        count = await session.scalar(select(func.count()).select_from(AccessLogEntry))
    assert report.ok, report.describe()
    assert count == 2 * each
    assert report.checkpoints == 2 * each // 50
