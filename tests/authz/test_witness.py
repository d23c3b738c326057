"""A cut tail is caught: every signed checkpoint is also kept by a witness outside the case
database, and `tact audit verify` (run as the README tells IG officers) holds the log against
it. Each cut is made the way someone with write access to the database would make it."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, func, select
from sqlalchemy.exc import DBAPIError

from authz.access_log import append
from authz.audit_signing import CheckpointSigner
from authz.gate import Target
from authz.operations import Operation
from authz.witness import FolderWitness, WitnessedCheckpoint
from records.database import Database
from records.models import AccessLogCheckpoint, AccessLogEntry
from tests.authz.log_faults import refusing_log_commits
from tests.authz.test_access_log import record
from tests.authz.test_cli_audit import cli_env, on_database, tact
from tests.authz.world import Clock, add_services, make_gate, portal_actor

__all__ = ["cli_env"]  # the fixture, shared with test_cli_audit.py

ENTRIES = 1003
EVERY = 100


@pytest.fixture
def witness_env(cli_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {
        **cli_env,
        "TACT_ACCESS_LOG_CHECKPOINT_EVERY": str(EVERY),
        "TACT_AUDIT_WITNESS_PATH": str(tmp_path / "witness"),
    }


def signer_of(env: dict[str, str]) -> CheckpointSigner:
    return CheckpointSigner.load(
        Path(env["TACT_AUDIT_SIGNING_KEY_FILE"]),
        FolderWitness(Path(env["TACT_AUDIT_WITNESS_PATH"])),
    )


def fill(env: dict[str, str], count: int) -> None:
    """`count` entries in batches, as a busy server's gate writes them, witnessed."""
    signer = signer_of(env)

    async def work(db: Database) -> None:
        for start in range(1, count + 1, 250):
            batch = [record(n) for n in range(start, min(start + 250, count + 1))]
            async with db.sessions() as session:
                await append(session, batch, signer=signer, checkpoint_every=EVERY)
                await session.commit()

    on_database(env, work)


def cut(env: dict[str, str], *, entries_after: int | None, checkpoints_after: int | None) -> None:
    async def work(db: Database) -> None:
        async with db.sessions() as session:
            if entries_after is not None:
                await session.execute(
                    delete(AccessLogEntry).where(AccessLogEntry.seq > entries_after)
                )
            if checkpoints_after is not None:
                await session.execute(
                    delete(AccessLogCheckpoint).where(AccessLogCheckpoint.seq > checkpoints_after)
                )
            await session.commit()

    on_database(env, work)


def head_seq(env: dict[str, str]) -> int:
    seen: list[int] = []

    async def work(db: Database) -> None:
        async with db.sessions() as session:
            seen.append(await session.scalar(select(func.max(AccessLogEntry.seq))) or 0)

    on_database(env, work)
    return seen[0]


def test_verify_pins_the_head_it_saw_in_the_witness(witness_env: dict[str, str]) -> None:
    fill(witness_env, ENTRIES)
    code, output = tact(witness_env, "audit", "verify")
    assert code == 0, output
    witnessed = FolderWitness(Path(witness_env["TACT_AUDIT_WITNESS_PATH"])).checkpoints()
    assert [c.seq for c in witnessed] == [*range(EVERY, ENTRIES + 1, EVERY), ENTRIES + 1]
    # One read-only file per checkpoint, and nothing else (no temporary file left behind)
    files = list(Path(witness_env["TACT_AUDIT_WITNESS_PATH"]).iterdir())
    assert len(files) == len(witnessed)
    assert {stat.S_IMODE(f.stat().st_mode) for f in files} == {0o444}


# (what is cut: entries after seq, checkpoints after seq (None: none), first bad seq named)
# The head is seq 1004 once verify has logged itself; the witness holds 100, ..., 1000, 1004.
CUTS = {
    "the last entry": (ENTRIES, None, ENTRIES + 1),
    "the last 900 entries and their checkpoints": (ENTRIES + 1 - 900, ENTRIES + 1 - 900, 105),
    "everything after a checkpoint, with the checkpoints after it": (500, 500, 501),
    "everything": (0, 0, 1),
    "the checkpoints alone": (None, 0, EVERY),
}


@pytest.mark.parametrize("what", CUTS)
def test_tact_audit_verify_catches_the_cut(witness_env: dict[str, str], what: str) -> None:
    entries_after, checkpoints_after, first_bad = CUTS[what]
    fill(witness_env, ENTRIES)
    assert tact(witness_env, "audit", "verify")[0] == 0
    cut(witness_env, entries_after=entries_after, checkpoints_after=checkpoints_after)

    code, output = tact(witness_env, "audit", "verify")
    assert code == 1, output
    assert output.startswith(f"FAILED at entry seq {first_bad}:"), output
    assert "missing" in output
    # Verify reported before it wrote, and its own entry, chained onto the cut head, does
    # not make the cut log verify: a second run still fails.
    code, again = tact(witness_env, "audit", "verify")
    assert code == 1 and again.startswith("FAILED"), again


def test_an_empty_log_fails_when_the_witness_has_checkpoints(witness_env: dict[str, str]) -> None:
    fill(witness_env, 2 * EVERY)
    cut(witness_env, entries_after=0, checkpoints_after=0)
    code, output = tact(witness_env, "audit", "verify")
    assert code == 1
    assert "OK: 0 entries" not in output
    assert output.startswith("FAILED at entry seq 1:")


def test_a_failed_verify_signs_nothing(witness_env: dict[str, str]) -> None:
    fill(witness_env, ENTRIES)
    cut(witness_env, entries_after=950, checkpoints_after=None)
    before = FolderWitness(Path(witness_env["TACT_AUDIT_WITNESS_PATH"])).checkpoints()
    assert tact(witness_env, "audit", "verify")[0] == 1
    assert FolderWitness(Path(witness_env["TACT_AUDIT_WITNESS_PATH"])).checkpoints() == before
    assert head_seq(witness_env) == 951  # its own entry is logged, after the report


def test_a_forged_witness_file_is_reported(witness_env: dict[str, str]) -> None:
    fill(witness_env, 2 * EVERY)
    folder = Path(witness_env["TACT_AUDIT_WITNESS_PATH"])
    (folder / "00000000000000000150-forged.json").write_text(
        '{"seq": 150, "entry_hash": "' + "00" * 32 + '", "signed_at": '
        '"2026-03-02T09:30:00.000000Z", "signature": "' + "00" * 64 + '", "key_id": "x"}'
    )
    code, output = tact(witness_env, "audit", "verify")
    assert code == 1
    assert "FAILED at entry seq 150" in output


class ThreadNoting(FolderWitness):
    """A folder witness that notes which thread wrote each checkpoint."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.threads: list[int] = []

    def record(self, checkpoint: WitnessedCheckpoint) -> None:
        self.threads.append(threading.get_ident())
        super().record(checkpoint)


async def test_a_checkpoint_committed_through_a_session_is_witnessed_off_the_event_loop(
    database: Database, tmp_path: Path
) -> None:
    # Given a gate that writes its entries in the caller's session, as every mutation's is
    # written, with a checkpoint every two entries
    await add_services(database, "housing")
    witness = ThreadNoting(tmp_path / "witness")
    gate = make_gate(
        Clock(), signer=CheckpointSigner(Ed25519PrivateKey.generate(), witness), checkpoint_every=2
    )
    portal, housing = portal_actor("housing"), Target(service="housing")

    async def one(n: int) -> None:
        async with (
            database.sessions() as session,
            gate.access(session, portal, Operation.RESTRICTION_STATUS, housing, request_id=f"{n}"),
        ):
            pass

    # When four entries are committed, then two whose commit fails
    for n in range(4):
        await one(n)
    async with refusing_log_commits(database.engine):
        for n in range(4, 6):
            with pytest.raises(DBAPIError):
                await one(n)

    # Then the committed checkpoints, and only those, reached the witness, each written by
    # a thread other than the event loop's
    assert [c.seq for c in witness.checkpoints()] == [2, 4]
    assert len(witness.threads) == 2 and threading.get_ident() not in witness.threads
