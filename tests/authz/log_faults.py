"""A real way to make the access log's commit fail: a trigger in the database that refuses
every new entry (on PostgreSQL a deferred constraint trigger, so it is COMMIT itself that
fails). Dropped again on exit: the PostgreSQL test databases outlive one test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine

_SQLITE = (
    ["CREATE TRIGGER refuse_log BEFORE INSERT ON access_log BEGIN SELECT RAISE(ABORT, 'no'); END"],
    ["DROP TRIGGER refuse_log"],
)
_POSTGRES = (
    [
        "CREATE FUNCTION refuse_log() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN RAISE EXCEPTION 'no'; END $$",
        "CREATE CONSTRAINT TRIGGER refuse_log AFTER INSERT ON access_log "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_log()",
    ],
    ["DROP TRIGGER refuse_log ON access_log", "DROP FUNCTION refuse_log()"],
)


@asynccontextmanager
async def refusing_log_commits(engine: AsyncEngine) -> AsyncIterator[None]:
    create, drop = _POSTGRES if engine.dialect.name == "postgresql" else _SQLITE
    async with engine.begin() as conn:
        for statement in create:
            await conn.exec_driver_sql(statement)
    try:
        yield
    finally:
        async with engine.begin() as conn:
            for statement in drop:
                await conn.exec_driver_sql(statement)
