"""The portal lookup finds customers through the blind-index indexes, never by scanning.

Asserted on the query plan, so the test says why lookups stay flat as customers grow
(bench/lookup_scale.py prints the latency figures). On PostgreSQL the plan follows the
tables' statistics, and the test database's are whatever the tests before left (autovacuum
analyses tables that tests fill and empty), so the tables are given a few dozen customers
with cases and analysed first: the plan is then the one a register gets, not a guess about
empty tables."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from records.cases import status_query
from records.database import Database
from records.lookup import LookupKind
from records.vault import Vault
from tests.retention.world import add_case, build_world

DIGEST = b"\x01" * 16
TODAY = dt.date(2026, 11, 26)
CUSTOMERS = 40


def _compiled(session: AsyncSession, kind: LookupKind) -> str:
    query = status_query(kind).params(digest=DIGEST, service="housing", today=TODAY)
    dialect = (
        postgresql.dialect() if session.bind.dialect.name == "postgresql" else sqlite.dialect()
    )
    return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


async def _analysed(database: Database, vault: Vault) -> None:
    """PostgreSQL: a few dozen customers with a case and an arrangement each, then ANALYZE,
    so the planner weighs the tables as a register's, whatever earlier tests left."""
    if database.engine.dialect.name != "postgresql":
        return
    world = await build_world(database, dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC))
    for _ in range(CUSTOMERS):
        await add_case(database, vault, world, ends_on=[dt.date(2027, 1, 1)])
    async with database.engine.begin() as connection:
        await connection.execute(text("ANALYZE"))


async def _plan(session: AsyncSession, sql: str) -> str:
    if session.bind.dialect.name == "postgresql":
        # Tiny test tables make a sequential scan cheapest; forbid it to prove an index serves.
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        rows = await session.execute(text("EXPLAIN " + sql))
    else:
        rows = await session.execute(text("EXPLAIN QUERY PLAN " + sql))
    return "\n".join(" ".join(str(c) for c in row) for row in rows)


async def test_email_lookup_uses_the_contact_digest_index(database: Database, vault: Vault) -> None:
    await _analysed(database, vault)
    async with database.sessions() as session:
        plan = await _plan(session, _compiled(session, LookupKind.EMAIL))
    assert "ix_contact_details_digest" in plan
    assert "SCAN contact_details" not in plan and "Seq Scan on contact_details" not in plan


async def test_reference_lookup_uses_the_reference_digest_index(
    database: Database, vault: Vault
) -> None:
    await _analysed(database, vault)
    async with database.sessions() as session:
        plan = await _plan(session, _compiled(session, LookupKind.CUSTOMER_REF))
    assert "ix_customers_reference_digest" in plan
    assert "SCAN customers" not in plan and "Seq Scan on customers" not in plan
