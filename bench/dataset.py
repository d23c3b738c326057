"""Benchmark data built through Tact's own storage code: N customers with an email and a phone
each, a third of them with a case and arrangements across the demo services.

Made-up people only: `person<n>@bench.example.org`, numbers in Ofcom's drama range.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from casework.arrangements import validate_parameters
from records.cases import NewCase, add_arrangement, create_cases
from records.customers import NewContact, NewCustomer, create_customers
from records.database import Database
from records.models import ArrangementKind, ContactKind, CustomerKind, Service, Staff
from records.vault import Vault

SERVICES = ("housing", "customer-services", "fire-safety")
BATCH = 1000
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
) -> Dataset:
    rng = random.Random(seed)
    services, officer_id = await _services(database)
    restricted: dict[int, set[str]] = {}
    opened = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    for start in range(skip, customers, BATCH):
        numbers = range(start, min(start + BATCH, customers))
        async with database.sessions() as session:
            ids = await create_customers(
                session,
                vault,
                [
                    NewCustomer(
                        CustomerKind.INDIVIDUAL,
                        f"Bench Person {n}",
                        contacts=(
                            NewContact(ContactKind.EMAIL, email_of(n)),
                            NewContact(ContactKind.PHONE, f"+447700{n:06d}"),
                        ),
                    )
                    for n in numbers
                ],
            )
            chosen = {
                n: set(rng.sample(SERVICES, rng.randint(1, 2))) for n in numbers if n % 3 == 0
            }
            restricted.update(chosen)
            by_number = dict(zip(numbers, ids, strict=True))
            cases = await create_cases(
                session,
                vault,
                [
                    NewCase(services[sorted(slugs)[0]], by_number[n], opened)
                    for n, slugs in chosen.items()
                ],
            )
            for case, slugs in zip(cases, chosen.values(), strict=True):
                await add_arrangement(
                    session,
                    vault,
                    case,
                    kind=ArrangementKind.NAMED_OFFICER,
                    parameters={},
                    service_ids=[services[s] for s in slugs],
                    starts_on=STARTED,
                    named_officer_id=officer_id,
                )
                await add_arrangement(
                    session,
                    vault,
                    case,
                    kind=ArrangementKind.CONTACT_CHANNEL,
                    parameters=validate_parameters(
                        ArrangementKind.CONTACT_CHANNEL, {"channels": ["letter", "email"]}
                    ),
                    service_ids=[services[s] for s in slugs],
                    starts_on=STARTED,
                )
            await session.commit()
        if progress is not None:
            progress(numbers.stop)
    return Dataset(customers=customers, restricted=restricted)
