"""Customers imported in bulk: a council's existing register, or a benchmark's data set.

The rows stored are the ones `records.customers.create_customers` stores (the same sealed
columns, blind indexes and per-customer data keys, wrapped under the active KEK), made without
ORM objects: sealing and normalising run in a tight loop, optionally in worker processes (they
are CPU work), and the rows go straight through the driver in big batches
(records/bulk_rows.py).

All or nothing: the key store's rows and the case database's rows are written in one
transaction on each database. A bad row is refused with its row number and field (never its
value), and nothing is written. So is a row whose email, phone number or customer reference
finds someone already: a customer on the register, or an earlier row of the file (a detail
finds one customer only, as `openCase` and `recordContactDetails` keep it). Before a batch is
written its blind indexes are looked for in the database, through the driver (the earlier
batches, written in the same transaction, are found with the register; records/bulk_rows.py
`digests_held`), and compared with each other in memory. On PostgreSQL the import holds the
register's lock (records/lookup_locks.py `hold_register`) from its first look to its commit,
so an `openCase` or `recordContactDetails` giving out one of its details waits for it.

The key store commits when every row is in; the caller commits the case database's
transaction after that (a key without its customer is harmless, a customer without its key
is not).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from records.bulk_rows import dialect_name, digests_held, insert_prepared, prepare
from records.crypto import KeyRing, new_data_key
from records.customers import NewCustomer, digests_of, sealed_columns
from records.errors import ValidationFailed
from records.keystore import DataKey
from records.lookup_locks import hold_register
from records.models import ContactDetail, Customer
from records.vault import FieldCipher, Vault, owner_of

KEYS = DataKey.metadata.tables[DataKey.__tablename__]
_CUSTOMERS = Customer.metadata.tables[Customer.__tablename__]
_CONTACTS = ContactDetail.metadata.tables[ContactDetail.__tablename__]
KEY_COLUMNS = ("owner", "kek_version", "wrapped", "created_at")
CUSTOMER_COLUMNS = (
    "id",
    "kind",
    "name_sealed",
    "reference_sealed",
    "reference_digest",
    "needs_sealed",
    "notes_sealed",
    "created_at",
)
CONTACT_COLUMNS = ("id", "customer_id", "kind", "value_sealed", "digest", "preferred")
# SQLite's page cache during a load: the indexes of a million customers are a few hundred
# megabytes, and inserting random digests into a cache of the default 2 MB reads pages back
# from disk for every row.
_LOAD_CACHE_KIB = 512 * 1024
# Batches handed to the executor ahead of the one being written: enough to keep two workers
# busy, few enough to bound memory.
_AHEAD = 4


ANOTHER_CUSTOMER = (
    "is recorded for another customer (on the register, or in an earlier row of this file); "
    "a detail may find one customer only"
)

# A blind index a row gives, and where: (digest, row, column).
GivenDigest = tuple[bytes, int, str]


@dataclass(frozen=True)
class SealedBatch:
    """One batch of customers, sealed: rows for the key store and the case database, and the
    blind indexes its rows give (emails and phone numbers; references), to refuse any that
    finds someone already."""

    ids: list[uuid.UUID]
    keys: list[tuple[Any, ...]]
    customers: list[tuple[Any, ...]]
    contacts: list[tuple[Any, ...]]
    contact_digests: list[GivenDigest]
    reference_digests: list[GivenDigest]


@dataclass(frozen=True)
class Dialects:
    """The drivers the rows are prepared for (records/bulk_rows.py `dialect_name`)."""

    cases: str
    keys: str


def seal_batch(
    ring: KeyRing,
    customers: Sequence[NewCustomer],
    first_row: int,
    now: dt.datetime,
    dialects: Dialects,
) -> SealedBatch:
    """Validate and seal `customers`, numbered from `first_row` (for the refusal's message),
    into rows prepared for the drivers. Synchronous and free of I/O, so it runs as well in a
    worker process."""
    ids: list[uuid.UUID] = []
    keys: list[tuple[Any, ...]] = []
    rows: list[tuple[Any, ...]] = []
    contact_rows: list[tuple[Any, ...]] = []
    contact_digests: list[GivenDigest] = []
    reference_digests: list[GivenDigest] = []
    for row, new in enumerate(customers, start=first_row):
        try:
            ref_digest, digests = digests_of(ring, new)
        except ValidationFailed as exc:
            raise ValidationFailed(f"row {row} {exc.field}", exc.reason) from None
        customer_id = uuid.uuid4()
        owner = owner_of("customer", customer_id)
        key = new_data_key()
        version, wrapped = ring.wrap(key, owner)
        customer, contacts = sealed_columns(
            customer_id, FieldCipher(owner, key), new, ref_digest, digests
        )
        customer["created_at"] = now
        ids.append(customer_id)
        keys.append((owner, version, wrapped, now))
        rows.append(tuple(customer[c] for c in CUSTOMER_COLUMNS))
        contact_rows.extend(tuple(c[name] for name in CONTACT_COLUMNS) for c in contacts)
        for i, (contact, digest) in enumerate(zip(new.contacts, digests, strict=True)):
            if digest is not None:
                contact_digests.append((digest, row, contact.label or f"contacts[{i}].value"))
        if ref_digest is not None:
            reference_digests.append((ref_digest, row, "reference"))
    return SealedBatch(
        ids,
        prepare(KEYS, KEY_COLUMNS, keys, dialects.keys),
        prepare(_CUSTOMERS, CUSTOMER_COLUMNS, rows, dialects.cases),
        prepare(_CONTACTS, CONTACT_COLUMNS, contact_rows, dialects.cases),
        contact_digests,
        reference_digests,
    )


async def refuse_repeats(connection: AsyncConnection, sealed: SealedBatch) -> None:
    """Refuse the batch's first row whose email, phone number or reference finds someone
    already: a customer the database holds (the register, and this import's earlier
    batches), or an earlier row of the batch. Named by row and column, never by value."""
    refused: list[tuple[int, str, str]] = []
    for table, column, given in (
        (_CONTACTS, "digest", sealed.contact_digests),
        (_CUSTOMERS, "reference_digest", sealed.reference_digests),
    ):
        held = await digests_held(connection, table, column, [d for d, _, _ in given])
        first_row: dict[bytes, int] = {}
        for digest, row, label in given:
            if digest in held:
                refused.append((row, label, ANOTHER_CUSTOMER))
            elif digest in first_row:
                refused.append((row, label, f"is also given in row {first_row[digest]}"))
            else:
                first_row[digest] = row
    if refused:
        row, label, reason = min(refused)
        raise ValidationFailed(f"row {row} {label}", reason)


def _batches(items: Iterable[NewCustomer], size: int) -> Iterator[list[NewCustomer]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


@asynccontextmanager
async def _pragmas_for_load(connection: AsyncConnection) -> AsyncIterator[None]:
    if connection.dialect.name != "sqlite":
        yield
        return
    before = (await connection.exec_driver_sql("PRAGMA cache_size")).scalar()
    await connection.exec_driver_sql(f"PRAGMA cache_size = -{_LOAD_CACHE_KIB}")
    try:
        yield
    finally:
        # The connection goes back to the pool (the server's only one on SQLite).
        await connection.exec_driver_sql(f"PRAGMA cache_size = {int(before or -2000)}")


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """Processes to seal in (`import_customers(executor=...)`). Spawned, not forked: the
    parent runs an event loop and the drivers' threads."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


async def import_customers(
    session: AsyncSession,
    vault: Vault,
    customers: Iterable[NewCustomer],
    *,
    batch: int = 10_000,
    executor: Executor | None = None,
    on_batch: Callable[[list[uuid.UUID]], Awaitable[None]] | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Import `customers` into `session`'s transaction (not committed: the caller commits).

    With an `executor` (`worker_pool`), batches are sealed there, a few ahead, while this
    process writes. `on_batch` is awaited after each batch is written, with the batch's new
    ids in input order. Returns how many customers were imported. Raises ValidationFailed
    naming the first bad row (counted from 1) and its field, or the first whose email, phone
    number or reference finds someone already (`refuse_repeats`); nothing is then written to
    either database."""
    moment = now or dt.datetime.now(dt.UTC)
    connection = await session.connection()
    # Before any batch looks for who has its details, and before the key store's
    # transaction: a step giving out a detail meanwhile waits, then finds the import's.
    await hold_register(connection)
    imported = 0
    async with (
        vault.store.engine.connect() as keys,
        keys.begin(),
        _pragmas_for_load(keys),
        _pragmas_for_load(connection),
    ):
        dialects = Dialects(dialect_name(connection), dialect_name(keys))
        batches = _sealed(vault.ring, customers, batch, executor, moment, dialects)
        async for sealed in batches:
            await refuse_repeats(connection, sealed)
            await insert_prepared(keys, KEYS, KEY_COLUMNS, sealed.keys)
            await insert_prepared(connection, _CUSTOMERS, CUSTOMER_COLUMNS, sealed.customers)
            await insert_prepared(connection, _CONTACTS, CONTACT_COLUMNS, sealed.contacts)
            imported += len(sealed.ids)
            if on_batch is not None:
                await on_batch(sealed.ids)
    return imported


async def _sealed(
    ring: KeyRing,
    customers: Iterable[NewCustomer],
    batch: int,
    executor: Executor | None,
    now: dt.datetime,
    dialects: Dialects,
) -> AsyncIterator[SealedBatch]:
    """Sealed batches in input order; with an executor, up to `_AHEAD` sealed ahead."""
    row = 1
    if executor is None:
        for items in _batches(customers, batch):
            yield seal_batch(ring, items, row, now, dialects)
            row += len(items)
        return
    pending: deque[Future[SealedBatch]] = deque()
    try:
        for items in _batches(customers, batch):
            pending.append(executor.submit(seal_batch, ring, items, row, now, dialects))
            row += len(items)
            if len(pending) >= _AHEAD:
                yield await asyncio.wrap_future(pending.popleft())
        while pending:
            yield await asyncio.wrap_future(pending.popleft())
    finally:
        for future in pending:
            future.cancel()


async def refresh_statistics(case_engine: AsyncEngine, key_engine: AsyncEngine) -> None:
    """PostgreSQL: planner statistics for the tables an import filled. Until autovacuum
    gathers them, the planner takes a large register for an empty one, and a portal lookup
    can read every customer (bench/README.md: 260 ms instead of 0.3 ms at 100,000)."""
    for engine, tables in ((case_engine, (_CUSTOMERS, _CONTACTS)), (key_engine, (KEYS,))):
        if engine.dialect.name == "postgresql":
            async with engine.begin() as conn:
                for table in tables:
                    await conn.exec_driver_sql(f"ANALYZE {table.name}")
