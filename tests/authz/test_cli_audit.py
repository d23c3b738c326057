"""`tact audit verify`, `checkpoint` and `show` through click, on a real database."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from api.cli import main
from authz.access_log import append
from authz.audit_signing import CheckpointSigner
from records.database import Database
from records.models import AccessLogCheckpoint, AccessLogEntry
from tests.authz.test_access_log import record
from tests.cli import tact_env


@pytest.fixture
def cli_env(database: Database, database_urls: tuple[str, str], key_file: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Environment for `tact` against this test's database (the `database` fixture empties
    PostgreSQL afterwards)."""
    signing_key = tmp_path / "audit-signing.key"
    CheckpointSigner.create_file(signing_key)
    return tact_env(
        database_urls,
        key_file,
        tmp_path,
        TACT_AUDIT_SIGNING_KEY_FILE=str(signing_key),
        TACT_ACCESS_LOG_CHECKPOINT_EVERY="5",
    )


def on_database(env: dict[str, str], work: Callable[[Database], Awaitable[None]]) -> None:
    async def run() -> None:
        db = Database.open(env["TACT_DATABASE_URL"], env["TACT_KEYSTORE_URL"])
        try:
            await work(db)
        finally:
            await db.dispose()

    asyncio.run(run())


def fill(env: dict[str, str], count: int) -> None:
    signer = CheckpointSigner.load(Path(env["TACT_AUDIT_SIGNING_KEY_FILE"]))

    async def work(db: Database) -> None:
        for n in range(1, count + 1):
            async with db.sessions() as session:
                await append(session, [record(n)], signer=signer, checkpoint_every=5)
                await session.commit()

    on_database(env, work)


def tact(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


def test_verify_passes_on_an_untouched_log_and_is_itself_logged(cli_env: dict[str, str]) -> None:
    fill(cli_env, 12)
    code, output = tact(cli_env, "audit", "verify")
    assert code == 0, output
    assert output.startswith("OK: 12 entries")

    seen: list[tuple[str, str]] = []

    async def last_entry(db: Database) -> None:
        async with db.sessions() as session:
            row = (
                await session.execute(
                    select(AccessLogEntry.operation, AccessLogEntry.actor)
                    .order_by(AccessLogEntry.seq.desc())
                    .limit(1)
                )
            ).one()
            seen.append((row.operation, row.actor))

    on_database(cli_env, last_entry)
    assert seen == [("verify_access_log", "system:cli-audit")]
    # ...and the log, with that entry on it, still verifies.
    assert tact(cli_env, "audit", "verify")[0] == 0


def test_verify_fails_naming_the_first_changed_entry(cli_env: dict[str, str]) -> None:
    fill(cli_env, 12)

    async def tamper(db: Database) -> None:
        async with db.sessions() as session:
            await session.execute(
                update(AccessLogEntry).where(AccessLogEntry.seq == 7).values(outcome="denied")
            )
            await session.commit()

    on_database(cli_env, tamper)
    code, output = tact(cli_env, "audit", "verify")
    assert code != 0
    assert "FAILED at entry seq 7" in output


def test_verify_fails_when_the_tail_after_a_checkpoint_is_cut(cli_env: dict[str, str]) -> None:
    fill(cli_env, 12)

    async def cut(db: Database) -> None:
        async with db.sessions() as session:
            await session.execute(AccessLogEntry.__table__.delete().where(AccessLogEntry.seq > 8))
            await session.commit()

    on_database(cli_env, cut)
    code, output = tact(cli_env, "audit", "verify")
    assert code != 0
    assert "FAILED at entry seq 9" in output


def test_checkpoint_signs_the_head(cli_env: dict[str, str]) -> None:
    fill(cli_env, 3)
    code, output = tact(cli_env, "audit", "checkpoint")
    assert code == 0
    assert "seq 3" in output
    counts: list[int] = []

    async def count(db: Database) -> None:
        async with db.sessions() as session:
            counts.append(
                await session.scalar(select(func.count()).where(AccessLogCheckpoint.seq == 3)) or 0
            )

    on_database(cli_env, count)
    assert counts == [1]


def test_show_lists_entries_and_is_logged(cli_env: dict[str, str]) -> None:
    fill(cli_env, 3)
    code, output = tact(cli_env, "audit", "show", "--actor", "staff:officer-1")
    assert code == 0
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("1  ")
    at = dt.datetime.fromisoformat(lines[0].split("  ")[1])
    assert at.utcoffset() == dt.timedelta(0)  # printed with its offset, as UTC
    code, output = tact(cli_env, "audit", "show", "--operation", "read_access_log")
    assert output.strip().splitlines()[0].split("  ")[4] == "read_access_log"
