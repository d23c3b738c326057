"""Locks on what finds a customer: `hold_lookups` serialises transactions that look up, or
give a customer, the same customer reference, email or phone number, so that two of them
cannot both find no one and each add it, to a new customer or to two different ones
(docs/workflow.md, "One case in progress per customer and service" and "A customer's
emails and phone numbers").

PostgreSQL (READ COMMITTED) would let both read before either writes; the lock is
transaction-scoped, so it is released at commit or rollback and the second reads what the
first wrote. SQLite needs nothing: it takes one writer at a time (`BEGIN IMMEDIATE`,
records/database.py), so a second transaction already sees the first's writes.

A bulk import gives details to many customers at once, too many to lock one by one (a
transaction holds a few thousand locks at most). It holds the register instead
(`hold_register`): one lock that every `hold_lookups` takes shared before its own, so while an
import runs a step giving out a detail waits for it, and then finds whom the import gave it
to; steps only reading (the portal's lookups) take no lock and do not wait
(docs/workflow.md, "An import and the steps at the same moment").
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

# pg_advisory_xact_lock's two-key form, (tag, part of a blind index). PostgreSQL keeps the
# two-key and one-key forms apart (the key spaces do not overlap), so no digest can give
# the one-key locks of the access log, the key store or the migrations ("tact-log", ...).
# The tag, "tbix" (Tact blind index) as a big-endian integer, makes them recognisable.
LOOKUP_LOCK = int.from_bytes(b"tbix", "big")
# The register's lock: the same two-key form under its own tag ("tbir"), so no blind index's
# key is it.
REGISTER_LOCK = (int.from_bytes(b"tbir", "big"), 0)
_LOCK = text("SELECT pg_advisory_xact_lock(:tag, :key)")
_SHARED = text("SELECT pg_advisory_xact_lock_shared(:tag, :key)")


def lookup_lock_keys(digests: Iterable[bytes | None]) -> list[int]:
    """The second keys for these blind indexes, each once, in the order they are taken: two
    transactions naming overlapping details in different orders then take them in one order,
    so neither holds one the other waits for while it waits for one the other holds. Two
    details sharing a key (one chance in four billion) only wait for each other."""
    return sorted({int.from_bytes(d[:4], "big", signed=True) for d in digests if d})


async def hold_lookups(session: AsyncSession, digests: Iterable[bytes | None]) -> None:
    """Hold these blind indexes' locks until `session`'s transaction ends (PostgreSQL);
    take them before reading who has them."""
    keys = lookup_lock_keys(digests)
    if not keys or session.get_bind().dialect.name != "postgresql":
        return
    tag, key = REGISTER_LOCK
    await session.execute(_SHARED, {"tag": tag, "key": key})
    for key in keys:
        await session.execute(_LOCK, {"tag": LOOKUP_LOCK, "key": key})


async def hold_register(connection: AsyncConnection) -> None:
    """Hold every blind index's lock at once until `connection`'s transaction ends
    (PostgreSQL): a bulk import's, taken before it looks for who has the details it gives."""
    if connection.dialect.name != "postgresql":
        return
    tag, key = REGISTER_LOCK
    await connection.execute(_LOCK, {"tag": tag, "key": key})
