"""One forged row at the head (its entry_hash equal to an existing entry's prev_hash, so the
next append would collide on the unique prev_hash) is named by `tact audit verify`, which
reports before it tries to write, and exits 1 without a traceback."""

from __future__ import annotations

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
