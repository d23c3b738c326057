"""The portal lookup finds customers through the blind-index indexes, never by scanning.

Asserted on the query plan, so the test says why lookups stay flat as customers grow
(bench/lookup_scale.py prints the latency figures)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from records.cases import status_query
from records.database import Database
from records.lookup import LookupKind

DIGEST = b"\x01" * 16
TODAY = dt.date(2026, 11, 26)


def _compiled(session: AsyncSession, kind: LookupKind) -> str:
    query = status_query(kind).params(digest=DIGEST, service="housing", today=TODAY)
    dialect = (
        postgresql.dialect() if session.bind.dialect.name == "postgresql" else sqlite.dialect()
    )
    return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


async def _plan(session: AsyncSession, sql: str) -> str:
    if session.bind.dialect.name == "postgresql":
        # Tiny test tables make a sequential scan cheapest; forbid it to prove an index serves.
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        rows = await session.execute(text("EXPLAIN " + sql))
    else:
        rows = await session.execute(text("EXPLAIN QUERY PLAN " + sql))
    return "\n".join(" ".join(str(c) for c in row) for row in rows)


async def test_email_lookup_uses_the_contact_digest_index(database: Database) -> None:
    async with database.sessions() as session:
        plan = await _plan(session, _compiled(session, LookupKind.EMAIL))
    assert "ix_contact_details_digest" in plan
    assert "SCAN contact_details" not in plan and "Seq Scan on contact_details" not in plan


async def test_reference_lookup_uses_the_reference_digest_index(database: Database) -> None:
    async with database.sessions() as session:
        plan = await _plan(session, _compiled(session, LookupKind.CUSTOMER_REF))
    assert "ix_customers_reference_digest" in plan
    assert "SCAN customers" not in plan and "Seq Scan on customers" not in plan
