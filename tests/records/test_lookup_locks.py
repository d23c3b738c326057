"""The locks on blind indexes (records/lookup_locks.py) are taken in one order whatever order
the details were given in, each once, so two transactions naming overlapping details cannot
each hold one the other waits for; on PostgreSQL a second transaction holding the same
detail waits for the first."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from authz.access_log import APPEND_LOCK
from records.database import Database
from records.lookup_locks import LOOKUP_LOCK, hold_lookups, hold_register, lookup_lock_keys
from tests.scenarios.world import until_waiting

EMAIL, PHONE, REF = b"\x80" + bytes(15), b"\x01" + bytes(15), b"\x7f" * 16


def test_the_keys_come_in_one_order_each_once() -> None:
    keys = lookup_lock_keys([EMAIL, PHONE, REF])
    assert keys == sorted(keys) and len(keys) == 3
    assert lookup_lock_keys([REF, None, PHONE, EMAIL, PHONE]) == keys
    assert lookup_lock_keys([None]) == []


async def test_a_second_transaction_naming_a_held_detail_waits(database: Database) -> None:
    engine = database.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes one writer at a time; nothing is locked there")
    async with database.sessions() as first, first.begin():
        await hold_lookups(first, [PHONE, EMAIL])

        async def second() -> None:
            async with database.sessions() as session, session.begin():
                await hold_lookups(session, [EMAIL, REF])

        waiting = asyncio.create_task(second())
        await until_waiting(engine, 1)
        assert not waiting.done()
        # Held as (tag, key); the access log's lock, a key of the one-key form, is not.
        async with engine.connect() as other:
            held = lookup_lock_keys([EMAIL])[0]
            tried = {"tag": LOOKUP_LOCK, "key": held, "log": APPEND_LOCK}
            row = await other.execute(
                text(
                    "SELECT pg_try_advisory_xact_lock(:tag, :key), pg_try_advisory_xact_lock(:log)"
                ),
                tried,
            )
            assert tuple(row.one()) == (False, True)
            await other.rollback()
    await waiting


async def test_an_import_holding_the_register_waits_for_a_step_and_steps_do_not_wait_for_each_other(
    database: Database,
) -> None:
    """`hold_lookups` takes the register's lock shared, `hold_register` (a bulk import) takes it
    alone: two steps naming different details go on at once; an import waits for them."""
    engine = database.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes one writer at a time; nothing is locked there")
    async with database.sessions() as first, first.begin():
        await hold_lookups(first, [EMAIL])
        async with database.sessions() as second, second.begin():
            await hold_lookups(second, [PHONE])  # returns: the register is only shared

        async def importing() -> None:
            async with engine.connect() as connection, connection.begin():
                await hold_register(connection)

        waiting = asyncio.create_task(importing())
        await until_waiting(engine, 1)
        assert not waiting.done()
    await waiting
