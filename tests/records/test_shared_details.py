"""`remove_shared_detail` takes the locks the steps take (records/lookup_locks.py, then the
customer's row): on PostgreSQL it waits for an `openCase` or a step naming the detail, and for
an `openCase` giving the customer a case, and then sees that case and refuses."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from records.cases import create_case
from records.customers import NewContact, NewCustomer, create_customers, hold_customer
from records.database import Database
from records.errors import ValidationFailed
from records.lookup import LookupKind
from records.lookup_locks import hold_lookups
from records.models import ContactDetail, ContactKind, CustomerKind, Service
from records.shared_details import remove_shared_detail
from records.vault import Vault
from tests.scenarios.world import until_waiting

EMAIL = "shared@example.org"


async def _sharing(database: Database, vault: Vault) -> tuple[uuid.UUID, uuid.UUID]:
    """Ada and Bo, both holding EMAIL, each with a phone number of their own; and housing."""
    people = [
        NewCustomer(
            CustomerKind.INDIVIDUAL,
            name,
            contacts=(NewContact(ContactKind.EMAIL, EMAIL), NewContact(ContactKind.PHONE, phone)),
        )
        for name, phone in (("Ada Sample", "07700 900001"), ("Bo Sample", "07700 900002"))
    ]
    async with database.sessions() as session, session.begin():
        ada, bo = await create_customers(session, vault, people)
        session.add(Service(slug="housing", name="Housing"))
    return ada, bo


def _postgresql(database: Database) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes one writer at a time; nothing is locked there")


async def _removing(database: Database, vault: Vault, customer_id: uuid.UUID) -> None:
    async with database.sessions() as session, session.begin():
        await remove_shared_detail(session, vault, customer_id, "email", EMAIL)


async def _emails_of(database: Database, customer_id: uuid.UUID) -> int:
    async with database.sessions() as session:
        rows = await session.scalars(
            select(ContactDetail.id).where(
                ContactDetail.customer_id == customer_id, ContactDetail.kind == ContactKind.EMAIL
            )
        )
        return len(rows.all())


async def test_it_waits_for_a_step_naming_the_detail(database: Database, vault: Vault) -> None:
    _postgresql(database)
    _, bo = await _sharing(database, vault)
    async with database.sessions() as step, step.begin():
        await hold_lookups(step, [vault.blind_index(LookupKind.EMAIL, EMAIL)])
        waiting = asyncio.create_task(_removing(database, vault, bo))
        await until_waiting(database.engine, 1)
        assert not waiting.done()
    await waiting
    assert await _emails_of(database, bo) == 0


async def test_a_case_opened_for_the_customer_meanwhile_is_seen_and_refused(
    database: Database, vault: Vault
) -> None:
    """`openCase` for Bo by his phone number holds his row (`add_missing`) before the case
    is written: the removal waits for it, then finds the case."""
    _postgresql(database)
    _, bo = await _sharing(database, vault)
    async with database.sessions() as opening, opening.begin():
        await hold_lookups(opening, [vault.blind_index(LookupKind.PHONE, "07700 900002")])
        await hold_customer(opening, bo)
        waiting = asyncio.create_task(_removing(database, vault, bo))
        await until_waiting(database.engine, 1)
        service_id = await opening.scalar(select(Service.id))
        assert service_id is not None and not waiting.done()
        await create_case(
            opening, vault, service_id=service_id, customer_id=bo,
            opened_at=dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC),
        )  # fmt: skip
    with pytest.raises(ValidationFailed) as refused:
        await waiting
    assert refused.value.field == "customer"
    assert await _emails_of(database, bo) == 1
