"""The bulk import (records/customer_import.py) stores what the normal path stores: an imported
customer is found by email, phone and reference through the portal's lookup, opens, and its
rows have the same shape as a customer made by `create_customers`. A bad row is refused by
number and field, and nothing is written to either database; so is a row whose email, phone
number or reference another row of the file, or a customer on the register, has."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from records.cases import StatusRow, arrangements_in_force
from records.customer_import import import_customers, worker_pool
from records.customers import (
    NewContact,
    NewCustomer,
    create_customers,
    customer_ids_by,
    load_customer,
)
from records.database import Database
from records.errors import ValidationFailed
from records.keystore import DataKey
from records.lookup import LookupKind
from records.models import ContactDetail, ContactKind, Customer, CustomerKind
from records.vault import Vault

TODAY = dt.date(2026, 11, 30)


def person(n: int, *, email: str | None = None) -> NewCustomer:
    return NewCustomer(
        CustomerKind.INDIVIDUAL,
        f"Imported Person {n}",
        reference=f"CR-{n:05d}",
        contacts=(
            NewContact(ContactKind.EMAIL, email or f"imported{n}@example.org", preferred=True),
            NewContact(ContactKind.PHONE, f"07700 9{n:05d}"),
            NewContact(ContactKind.ADDRESS, f"{n} Example Street"),
        ),
        needs={"format": "large print"},
        notes="prefers mornings",
    )


async def lookup(
    session: AsyncSession, vault: Vault, kind: LookupKind, value: str
) -> list[StatusRow]:
    """The portal's lookup, as casework runs it."""
    digest = vault.blind_index(kind, value)
    return await arrangements_in_force(session, kind, digest, "housing", TODAY)


async def test_an_imported_customer_is_found_by_each_index_and_opens(
    database: Database, vault: Vault
) -> None:
    async with database.sessions() as session:
        count = await import_customers(session, vault, [person(n) for n in range(5)], batch=2)
        await session.commit()
    assert count == 5

    async with database.sessions() as session:
        by_email = await lookup(session, vault, LookupKind.EMAIL, "  Imported3@EXAMPLE.org")
        by_phone = await lookup(session, vault, LookupKind.PHONE, "+44 7700 900003")
        by_reference = await customer_ids_by(
            session, vault, LookupKind.CUSTOMER_REF, "cr 00003", "reference"
        )
        assert len(by_email) == 1 and by_email[0].arrangement_id is None
        assert [r.customer_id for r in by_phone] == [by_email[0].customer_id]
        assert by_reference == (by_email[0].customer_id,)

        vault.forget(f"customer:{by_email[0].customer_id}")  # opened with the stored key
        opened = await load_customer(session, vault, by_email[0].customer_id)
    assert opened.name == "Imported Person 3"
    assert opened.reference == "CR-00003"
    assert opened.needs == {"format": "large print"}
    assert opened.notes == "prefers mornings"
    assert sorted((c.kind, c.value, c.preferred) for c in opened.contacts) == sorted(
        [
            (ContactKind.EMAIL, "imported3@example.org", True),
            (ContactKind.PHONE, "07700 900003", False),
            (ContactKind.ADDRESS, "3 Example Street", False),
        ]
    )


def _shape(row: Any) -> list[tuple[str, object]]:
    """What the database holds, value by value, without the values: type, and text length."""
    return [(type(v).__name__, len(v) if isinstance(v, str) else None) for v in row]


async def test_imported_rows_are_stored_as_the_normal_path_stores_them(
    database: Database, vault: Vault
) -> None:
    async with database.sessions() as session:
        (normal,) = await create_customers(session, vault, [person(1)])
        await session.commit()
    async with database.sessions() as session:
        await import_customers(session, vault, [person(2)])
        await session.commit()

    async with database.engine.connect() as conn:
        for table, key in (("customers", "id"), ("contact_details", "customer_id")):
            rows = (await conn.exec_driver_sql(f"SELECT {key}, * FROM {table} ORDER BY kind")).all()
            made = [_shape(r[1:]) for r in rows if str(r[0]).replace("-", "") == normal.hex]
            imported = [_shape(r[1:]) for r in rows if str(r[0]).replace("-", "") != normal.hex]
            assert made and made == imported, table
    async with database.keystore.engine.connect() as conn:
        keys = (await conn.execute(text("SELECT * FROM data_keys ORDER BY owner"))).all()
    assert len(keys) == 2 and _shape(keys[0]) == _shape(keys[1])


async def _nothing_written(database: Database) -> None:
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Customer)) == 0
        assert await session.scalar(select(func.count()).select_from(ContactDetail)) == 0
    async with database.keystore.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(DataKey)) == 0


async def test_a_bad_row_is_named_and_nothing_is_written(database: Database, vault: Vault) -> None:
    rows = [person(n) for n in range(7)]
    rows[5] = person(5, email="not an address")
    async with database.sessions() as session:
        with pytest.raises(ValidationFailed) as refused:
            await import_customers(session, vault, rows, batch=2)
        await session.rollback()
    assert refused.value.field == "row 6 contacts[0].value"
    assert "not an address" not in refused.value.message  # names the place, never the value
    await _nothing_written(database)


async def test_workers_seal_and_refuse_alike(database: Database, vault: Vault) -> None:
    rows = [person(n) for n in range(6)]
    rows[4] = NewCustomer(CustomerKind.INDIVIDUAL, "  ")
    pool = worker_pool(1)
    try:
        async with database.sessions() as session:
            with pytest.raises(ValidationFailed) as refused:
                await import_customers(session, vault, rows, batch=2, executor=pool)
            await session.rollback()
        assert refused.value.field == "row 5 name"
        await _nothing_written(database)

        async with database.sessions() as session:
            await import_customers(session, vault, rows[:4], batch=3, executor=pool)
            await session.commit()
    finally:
        pool.shutdown()
    async with database.sessions() as session:
        found = await customer_ids_by(
            session, vault, LookupKind.CUSTOMER_REF, "CR-00002", "reference"
        )
        vault.forget(f"customer:{found[0]}")
        assert (await load_customer(session, vault, found[0])).name == "Imported Person 2"


def _with_phone(new: NewCustomer, phone: str) -> NewCustomer:
    email, _, address = new.contacts
    return replace(new, contacts=(email, NewContact(ContactKind.PHONE, phone), address))


def _with_reference(new: NewCustomer, reference: str) -> NewCustomer:
    return replace(new, reference=reference)


@pytest.mark.parametrize(
    ("change", "named", "reason"),
    [
        # The same email spelt otherwise two rows on, within one batch of three.
        ({2: person(2, email=" IMPORTED0@example.org")}, "row 3 contacts[0].value", "row 1"),
        # Across batches: row 1's phone number again in row 6, as +44.
        ({5: _with_phone(person(5), "+44 7700 900000")}, "row 6 contacts[1].value", "earlier"),
        # A reference the row before has, in the same batch.
        ({5: _with_reference(person(5), "cr 00004")}, "row 6 reference", "row 5"),
    ],
)
async def test_a_detail_given_twice_in_the_file_is_refused_and_nothing_is_written(
    database: Database, vault: Vault, change: dict[int, NewCustomer], named: str, reason: str
) -> None:
    rows = [person(n) for n in range(7)]
    for n, new in change.items():
        rows[n] = new
    async with database.sessions() as session:
        with pytest.raises(ValidationFailed) as refused:
            await import_customers(session, vault, rows, batch=3)
        await session.rollback()
    assert refused.value.field == named
    assert reason in refused.value.message
    assert "imported0" not in refused.value.message.casefold()
    assert "7700" not in refused.value.message and "0000" not in refused.value.message
    await _nothing_written(database)


@pytest.mark.parametrize(
    ("new", "named"),
    [
        (person(9, email="Imported3@Example.org"), "row 2 contacts[0].value"),
        (_with_phone(person(9), "07700 900003"), "row 2 contacts[1].value"),
        (_with_reference(person(9), "CR-00003"), "row 2 reference"),
    ],
)
async def test_a_detail_a_customer_on_the_register_has_is_refused(
    database: Database, vault: Vault, new: NewCustomer, named: str
) -> None:
    async with database.sessions() as session:
        await import_customers(session, vault, [person(3)])
        await session.commit()
    async with database.sessions() as session:
        with pytest.raises(ValidationFailed) as refused:
            await import_customers(session, vault, [person(8), new, person(10)])
        await session.rollback()
        customers = await session.scalar(select(func.count()).select_from(Customer))
    assert refused.value.field == named
    assert "recorded for another customer" in refused.value.message
    assert customers == 1  # the one on the register, and none of the file's
