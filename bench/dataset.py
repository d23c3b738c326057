"""Benchmark data built through Tact's own storage code: N customers with an email and a phone
each, a third of them with a case and arrangements across the demo services.

Made-up people only: `person<n>@bench.example.org`, numbers in Ofcom's drama range.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import uuid
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from casework.arrangements import validate_parameters
from records.bulk_rows import dialect_name, insert_prepared, prepare
from records.cases import new_case_reference
from records.crypto import KeyRing, new_data_key
from records.customer_import import KEY_COLUMNS, KEYS, Dialects, import_customers, worker_pool
from records.customers import NewContact, NewCustomer
from records.database import Database
from records.models import (
    Arrangement,
    ArrangementKind,
    ArrangementService,
    ArrangementState,
    Base,
    Case,
    CaseState,
    ContactKind,
    CustomerKind,
    Service,
    Staff,
)
from records.vault import FieldCipher, Vault, owner_of

SERVICES = ("housing", "customer-services", "fire-safety")
BATCH = 10_000  # customers sealed and written at a time
CHUNK = 100_000  # customers per transaction
STARTED = dt.date(2026, 1, 5)
OFFICER = "J. Rivera"  # the named officer of every restricted customer's arrangements


def email_of(n: int) -> str:
    return f"person{n}@bench.example.org"


@dataclass
class Dataset:
    customers: int
    # customer number -> service slugs where an arrangement is in force
    restricted: dict[int, set[str]]


async def _services(database: Database) -> tuple[dict[str, uuid.UUID], uuid.UUID]:
    async with database.sessions() as session:
        existing = {s.slug: s.id for s in await session.scalars(select(Service))}
        for slug in SERVICES:
            if slug not in existing:
                service = Service(slug=slug, name=slug.replace("-", " ").title())
                session.add(service)
                await session.flush()
                existing[slug] = service.id
        officer = Staff(username=f"bench.officer.{uuid.uuid4().hex[:6]}", display_name=OFFICER)
        session.add(officer)
        await session.commit()
        return existing, officer.id


async def build(
    database: Database,
    vault: Vault,
    customers: int,
    *,
    seed: int = 7,
    skip: int = 0,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> Dataset:
    """Customers `skip` to `customers` - 1, loaded in bulk (records/customer_import.py), one
    transaction per `CHUNK` customers; every third one gets a case with two arrangements.
    `workers` seals in that many processes (default: one per core, when there are enough
    customers to pay for starting them; 0 seals in this process)."""
    rng = random.Random(seed)
    services, officer_id = await _services(database)
    restricted: dict[int, set[str]] = {}
    count = workers if workers is not None else _workers(customers - skip)
    pool = worker_pool(count) if count > 0 else None
    try:
        for start in range(skip, customers, CHUNK):
            numbers = range(start, min(start + CHUNK, customers))
            chosen = {
                n: set(rng.sample(SERVICES, rng.randint(1, 2))) for n in numbers if n % 3 == 0
            }
            restricted.update(chosen)
            plan = _CasePlan(
                vault.ring, numbers, chosen, services, officer_id, pool, Dialects("", "")
            )
            async with database.sessions() as session:
                connection = await session.connection()
                async with vault.store.engine.connect() as keys:
                    plan.dialects = Dialects(dialect_name(connection), dialect_name(keys))
                await import_customers(
                    session,
                    vault,
                    (_customer(n) for n in numbers),
                    batch=BATCH,
                    executor=pool,
                    on_batch=plan.customers_written,
                )
                await plan.write(connection, vault)
                await session.commit()
            if progress is not None:
                progress(numbers.stop)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return Dataset(customers=customers, restricted=restricted)


def _customer(n: int) -> NewCustomer:
    return NewCustomer(
        CustomerKind.INDIVIDUAL,
        f"Bench Person {n}",
        contacts=(
            NewContact(ContactKind.EMAIL, email_of(n)),
            NewContact(ContactKind.PHONE, f"+447700{n:06d}"),
        ),
    )


def _workers(customers: int) -> int:
    # Starting a worker process costs about a second; below this many customers it does not pay.
    return (os.cpu_count() or 1) if customers >= 20_000 else 0


@dataclass
class _CasePlan:
    """The cases of one chunk: sealed (in the pool, if any) as each batch of customers is
    written, and written once the customers' key-store transaction has committed."""

    ring: KeyRing
    numbers: range
    chosen: dict[int, set[str]]
    services: dict[str, uuid.UUID]
    officer_id: uuid.UUID
    pool: Executor | None
    dialects: Dialects
    done: int = 0
    sealed: list[asyncio.Future[_CaseRows]] = field(default_factory=list)

    async def customers_written(self, ids: list[uuid.UUID]) -> None:
        numbers = self.numbers[self.done : self.done + len(ids)]
        self.done += len(ids)
        restricted = [
            (customer_id, [self.services[s] for s in sorted(self.chosen[n])])
            for n, customer_id in zip(numbers, ids, strict=True)
            if n in self.chosen
        ]
        args = (self.ring, restricted, self.officer_id, self.dialects)
        loop = asyncio.get_running_loop()
        self.sealed.append(loop.run_in_executor(self.pool, _case_rows, *args))

    async def write(self, connection: AsyncConnection, vault: Vault) -> None:
        batches = await asyncio.gather(*self.sealed)
        # Keys first and committed, as `Vault.create_keys` does: a row never waits for its key.
        async with vault.store.engine.begin() as key_store:
            for rows in batches:
                await insert_prepared(key_store, KEYS, KEY_COLUMNS, rows.keys)
        for rows in batches:
            await insert_prepared(connection, _table(Case), _CASE_COLUMNS, rows.cases)
            await insert_prepared(
                connection, _table(Arrangement), _ARRANGEMENT_COLUMNS, rows.arrangements
            )
            await insert_prepared(connection, _table(ArrangementService), _LINK_COLUMNS, rows.links)


_CASE_COLUMNS = ("id", "reference", "service_id", "customer_id", "state", "opened_at", "updated_at")
_ARRANGEMENT_COLUMNS = (
    "id",
    "case_id",
    "customer_id",
    "kind",
    "state",
    "parameters_sealed",
    "named_officer_id",
    "starts_on",
    "created_at",
)
_LINK_COLUMNS = ("arrangement_id", "service_id")
_CHANNELS = validate_parameters(ArrangementKind.CONTACT_CHANNEL, {"channels": ["letter", "email"]})
_OPENED = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def _table(model: type[Base]) -> Table:
    return model.metadata.tables[model.__tablename__]


@dataclass(frozen=True)
class _CaseRows:
    keys: list[tuple[Any, ...]]
    cases: list[tuple[Any, ...]]
    arrangements: list[tuple[Any, ...]]
    links: list[tuple[Any, ...]]


def _case_rows(
    ring: KeyRing,
    restricted: list[tuple[uuid.UUID, list[uuid.UUID]]],
    officer_id: uuid.UUID,
    dialects: Dialects,
) -> _CaseRows:
    """One case per restricted customer (in its first service) with a named-officer and a
    contact-channel arrangement in each of its services: the rows `create_cases` and
    `add_arrangement` store, sealed under a new data key per case."""
    now = dt.datetime.now(dt.UTC)
    keys: list[tuple[Any, ...]] = []
    cases: list[tuple[Any, ...]] = []
    arrangements: list[tuple[Any, ...]] = []
    links: list[tuple[Any, ...]] = []
    kinds: tuple[tuple[ArrangementKind, dict[str, Any], uuid.UUID | None], ...] = (
        (ArrangementKind.NAMED_OFFICER, {}, officer_id),
        (ArrangementKind.CONTACT_CHANNEL, _CHANNELS, None),
    )
    for customer_id, service_ids in restricted:
        case_id = uuid.uuid4()
        owner = owner_of("case", case_id)
        key = new_data_key()
        version, wrapped = ring.wrap(key, owner)
        cipher = FieldCipher(owner, key)
        keys.append((owner, version, wrapped, now))
        reference = new_case_reference(_OPENED.date())
        cases.append(
            (case_id, reference, service_ids[0], customer_id, CaseState.OPEN, _OPENED, _OPENED)
        )
        for kind, parameters, officer in kinds:
            arrangement_id = uuid.uuid4()
            sealed = cipher.seal_json("arrangements", "parameters", arrangement_id, parameters)
            arrangements.append(
                (
                    arrangement_id,
                    case_id,
                    customer_id,
                    kind,
                    ArrangementState.ACTIVE,
                    sealed,
                    officer,
                    STARTED,
                    now,
                )
            )
            links.extend((arrangement_id, service_id) for service_id in service_ids)
    return _CaseRows(
        prepare(KEYS, KEY_COLUMNS, keys, dialects.keys),
        prepare(_table(Case), _CASE_COLUMNS, cases, dialects.cases),
        prepare(_table(Arrangement), _ARRANGEMENT_COLUMNS, arrangements, dialects.cases),
        prepare(_table(ArrangementService), _LINK_COLUMNS, links, dialects.cases),
    )
