"""Alembic environment for the case database. Run through `records.migrate`, which passes the
URL in the config's attributes; nothing here reads the environment.

The whole upgrade is one transaction, begun before the current revision is read: on SQLite
BEGIN IMMEDIATE (records/database.py) takes the write lock, on PostgreSQL an advisory lock is
taken first. So two processes starting on the same fresh database (two job runs, workers)
take turns: the second waits, then finds nothing to do. Left to itself, Alembic commits
each migration apart on SQLite, and the second process ran a migration the first had
already applied. And an upgrade stopped half-way leaves the schema as it was.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from records.database import make_engine
from records.tables import metadata

config = context.config


# pg_advisory_xact_lock key: "tact-mig" as a big-endian integer, so it is recognisable.
MIGRATION_LOCK = int.from_bytes(b"tact-mig", "big")


def _run(connection: Connection) -> None:
    if not connection.in_transaction():
        connection.begin()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_async(config.attributes["url"]))
