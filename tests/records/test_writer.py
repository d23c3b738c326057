"""The log writer's transactions (records/writer.py): all or nothing, rows stored as a session
stores them, and on PostgreSQL a connection ended before COMMIT is written again, once."""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
from typing import Any

import pytest
from sqlalchemy import bindparam, insert, select

from records.database import Database
from records.models import AccessLogCheckpoint
from records.writer import APPLICATION_NAME, Writer

_TABLE = AccessLogCheckpoint.metadata.tables[AccessLogCheckpoint.__tablename__]
AT = dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)


def statements(writer: Writer) -> tuple[Any, Any]:
    newest = writer.prepare(
        "test.newest", lambda: select(_TABLE.c.seq).order_by(_TABLE.c.seq.desc()).limit(1)
    )
    columns = ("seq", "entry_hash", "signed_at", "signature", "key_id")
    add = writer.prepare(
        "test.add", lambda: insert(_TABLE).values({c: bindparam(c) for c in columns})
    )
    return newest, add


def row(seq: int) -> dict[str, Any]:
    return {
        "seq": seq,
        "entry_hash": bytes([seq]) * 32,
        "signed_at": AT,
        "signature": b"s" * 64,
        "key_id": f"key-{seq}",
    }


async def stored(database: Database) -> list[AccessLogCheckpoint]:
    async with database.sessions() as session:
        found = await session.scalars(select(AccessLogCheckpoint).order_by(AccessLogCheckpoint.seq))
        return list(found)


async def test_a_transaction_reads_then_writes_what_it_computed_stored_as_a_session_would(
    database: Database,
) -> None:
    writer = database.writer
    newest, add = statements(writer)

    def then(rows: list[tuple[Any, ...]]) -> tuple[Any, int]:
        after = rows[0][0] if rows else 0
        return [(add, [row(after + 1), row(after + 2)])], after + 2

    assert await writer.transaction(newest, then, serialise=1) == 2
    assert await writer.transaction(newest, then, serialise=1) == 4

    kept = await stored(database)
    assert [c.seq for c in kept] == [1, 2, 3, 4]
    # Read back through the ORM: the time (zone included), bytes and text as written.
    assert kept[0].signed_at.replace(tzinfo=dt.UTC) == AT
    assert bytes(kept[2].entry_hash) == bytes([3]) * 32 and kept[3].key_id == "key-4"


async def test_a_failure_after_the_read_writes_nothing_and_the_writer_goes_on(
    database: Database,
) -> None:
    writer = database.writer
    newest, add = statements(writer)

    def computes_nothing(rows: list[tuple[Any, ...]]) -> tuple[Any, None]:
        raise ValueError("computed nothing")

    # A statement that fails part way (a NOT NULL column empty in the second row): the
    # first row is rolled back with it.
    def second_row_fails(rows: list[tuple[Any, ...]]) -> tuple[Any, None]:
        return [(add, [row(1), {**row(2), "key_id": None}])], None

    def fine(rows: list[tuple[Any, ...]]) -> tuple[Any, None]:
        return [(add, [row(1)])], None

    with pytest.raises(ValueError):
        await writer.transaction(newest, computes_nothing, serialise=1)
    with pytest.raises(Exception, match=r"(?i)null"):
        await writer.transaction(newest, second_row_fails, serialise=1)
    assert await stored(database) == []

    await writer.transaction(newest, fine, serialise=1)
    assert [c.seq for c in await stored(database)] == [1]


@pytest.mark.postgres
async def test_a_connection_ended_before_commit_is_written_again_once(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """The server ends the writer's connection (a real pg_terminate_backend, from psql) after
    the transaction read: nothing was written, so it runs again on a fresh connection, and
    its rows are there once."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("terminating a backend is a PostgreSQL fault")
    writer = database.writer
    newest, add = statements(writer)
    url = database.engine.url.set(drivername="postgresql").render_as_string(False)
    calls = 0

    def end_own_connection_once(rows: list[tuple[Any, ...]]) -> tuple[Any, int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            statement = (
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                f"WHERE application_name = '{APPLICATION_NAME}' AND datname = current_database()"
            )
            ended = subprocess.run(
                ["psql", url, "-qAtc", statement], check=True, capture_output=True, text=True
            )
            assert int(ended.stdout) == 1
        return [(add, [row(1)])], calls

    with caplog.at_level(logging.WARNING, logger="tact.writer"):
        assert await writer.transaction(newest, end_own_connection_once, serialise=1) == 2

    assert [c.seq for c in await stored(database)] == [1]
    assert [r.__dict__.get("event") for r in caplog.records if r.name == "tact.writer"] == [
        "db_retry"
    ]
