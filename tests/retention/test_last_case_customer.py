"""A customer goes with their last case, name, reference and contact details included, even
when two job processes destroy their last two cases at the same moment (PostgreSQL, `tact
retention run --workers N` or two runs): each process saw the other's case still there, so
both kept the customer, whose sealed identity and contact digests then stayed for ever."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select

from casework.retention_queue import plan_one
from records.database import Database
from records.models import ContactDetail, Customer
from records.vault import Vault
from retention.destroy import delete_rows
from tests.retention.world import POLICY, add_case, build_world

NOW = dt.datetime(2020, 1, 6, 9, tzinfo=dt.UTC)
DAY = dt.date(2026, 3, 2)


async def test_two_processes_destroying_a_customers_last_two_cases_destroy_the_customer(
    database: Database, vault: Vault
) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes one writer at a time: the two deletions cannot overlap")
    # Given a customer with two cases (one in each service: one case in progress per
    # customer and service), both past their destruction date
    world = await build_world(database, NOW)
    first = await add_case(database, vault, world, ends_on=[dt.date(2019, 6, 30)])
    customer_id = world.customers[first]
    second = await add_case(
        database, vault, world, ends_on=[dt.date(2019, 6, 30)], customer_id=customer_id,
        service="fire-safety",
    )  # fmt: skip
    async with database.sessions() as session:
        planned = [await plan_one(session, POLICY, DAY, case_id) for case_id in (first, second)]
    one, two = planned
    assert one is not None and two is not None

    # When one process deletes the first case's rows and, before it commits, another
    # deletes the second's
    async with database.sessions() as a, database.sessions() as b:
        await a.begin()
        await delete_rows(a, [one], POLICY, destroyed_by="system:retention", now=NOW)

        async def other() -> None:
            await b.begin()
            await delete_rows(b, [two], POLICY, destroyed_by="system:retention", now=NOW)
            await b.commit()

        second_process = asyncio.create_task(other())
        await asyncio.sleep(0.5)
        await a.commit()
        await asyncio.wait_for(second_process, timeout=10)

    # Then the customer and their contact details are gone
    async with database.sessions() as session:
        customers = await session.scalar(
            select(func.count()).select_from(Customer).where(Customer.id == customer_id)
        )
        contacts = await session.scalar(
            select(func.count())
            .select_from(ContactDetail)
            .where(ContactDetail.customer_id == customer_id)
        )
    assert (customers, contacts) == (0, 0)
