"""Alembic environment for the case database. Run through `records.migrate`, which passes the
URL in the config's attributes; nothing here reads the environment."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from records.database import make_engine
from records.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
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
