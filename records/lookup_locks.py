"""Locks on what finds a customer: `hold_lookups` serialises transactions that look up, or
give a customer, the same customer reference, email or phone number, so that two of them
cannot both find no one and each add it, to a new customer or to two different ones
(docs/workflow.md, "One case in progress per customer and service" and "A customer's
emails and phone numbers").

PostgreSQL (READ COMMITTED) would let both read before either writes; the lock is
transaction-scoped, so it is released at commit or rollback and the second reads what the
first wrote. SQLite needs nothing: it takes one writer at a time (`BEGIN IMMEDIATE`,
records/database.py), so a second transaction already sees the first's writes.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# pg_advisory_xact_lock's two-key form, (tag, part of a blind index). PostgreSQL keeps the
# two-key and one-key forms apart (the key spaces do not overlap), so no digest can give
# the one-key locks of the access log, the key store or the migrations ("tact-log", ...).
# The tag, "tbix" (Tact blind index) as a big-endian integer, makes them recognisable.
LOOKUP_LOCK = int.from_bytes(b"tbix", "big")
_LOCK = text("SELECT pg_advisory_xact_lock(:tag, :key)")


def lookup_lock_keys(digests: Iterable[bytes | None]) -> list[int]:
    """The second keys for these blind indexes, each once, in the order they are taken: two
    transactions naming overlapping details in different orders then take them in one order,
    so neither holds one the other waits for while it waits for one the other holds. Two
    details sharing a key (one chance in four billion) only wait for each other."""
    return sorted({int.from_bytes(d[:4], "big", signed=True) for d in digests if d})


async def hold_lookups(session: AsyncSession, digests: Iterable[bytes | None]) -> None:
    """Hold these blind indexes' locks until `session`'s transaction ends (PostgreSQL);
    take them before reading who has them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in lookup_lock_keys(digests):
        await session.execute(_LOCK, {"tag": LOOKUP_LOCK, "key": key})
