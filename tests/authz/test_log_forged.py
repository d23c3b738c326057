"""One forged row at the head (its entry_hash equal to an existing entry's prev_hash, so the
next append would collide on the unique prev_hash) is named by `tact audit verify`, which
reports before it tries to write, and exits 1 without a traceback."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import insert, select

from records.database import Database
from records.models import AccessLogEntry
from tests.authz.test_cli_audit import cli_env, fill, on_database, tact

__all__ = ["cli_env"]  # the fixture, shared with test_cli_audit.py


async def forge_head(db: Database) -> int:
    """Insert a row after the head whose hash is an existing entry's prev_hash."""
    columns = AccessLogEntry.__table__.columns
    async with db.sessions() as session:
        rows = (await session.execute(select(*columns).order_by(AccessLogEntry.seq))).all()
        head, victim = rows[-1], rows[len(rows) // 2]
        forged = {
            **head._asdict(),
            "seq": head.seq + 1,
            "prev_hash": head.entry_hash,
            "entry_hash": victim.prev_hash,
        }
        await session.execute(insert(AccessLogEntry).values(**forged))
        await session.commit()
        return int(head.seq) + 1


def test_verify_names_a_forged_row_instead_of_crashing(cli_env: dict[str, str]) -> None:
    fill(cli_env, 12)
    seqs: list[int] = []

    async def work(db: Database) -> None:
        seqs.append(await forge_head(db))

    on_database(cli_env, work)
    code, output = tact(cli_env, "audit", "verify")  # raises on a traceback
    assert code == 1
    lines = output.splitlines()
    assert lines[0].startswith(f"FAILED at entry seq {seqs[0]}:"), output
    assert "could not be written to the access log" in lines[1]
    assert "IntegrityError" not in output


def test_verify_says_what_to_do_next_about_a_forged_head(
    cli_env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """It told the IG officer to "run `tact audit verify`", the command they had just run
    (and the server's log said only that): it now says what to do about the entry it named,
    and to verify again once that is done."""
    fill(cli_env, 12)
    seqs: list[int] = []

    async def work(db: Database) -> None:
        seqs.append(await forge_head(db))

    on_database(cli_env, work)
    with caplog.at_level(logging.ERROR, logger="tact.audit"):
        code, output = tact(cli_env, "audit", "verify")
    assert code == 1
    advice = output.splitlines()[2]
    assert advice.startswith("Treat it as a security incident")
    assert f"restore entry seq {seqs[0]} and any after it from a backup" in advice
    assert "delete it if it was added rather than changed" in advice
    assert advice.endswith("gated requests are served once the log's head verifies.")
    # The log line every process writes on finding the head broken gives the same next step
    (logged,) = [r for r in caplog.records if getattr(r, "event", "") == "access_log_head_broken"]
    assert logged.getMessage().endswith(advice)
    assert f"broken at entry seq {seqs[0]}" in logged.getMessage()
