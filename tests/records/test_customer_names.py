"""A customer's name not given (records/customers.py): sealed as the empty string, opened as
None, by the single load and the case file's; allowed only beside an email or phone number
the customer is known by; a given name still may not be blank."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from records.case_files import open_case_file
from records.cases import create_case
from records.customers import (
    NewContact,
    create_customer,
    customer_name,
    load_customer,
    record_name,
)
from records.database import Database
from records.errors import ValidationFailed
from records.models import ContactKind, Customer, CustomerKind, Service
from records.vault import Vault

EMAIL = "no.name.given@example.org"


async def test_a_name_not_given_is_sealed_and_opens_as_none(
    database: Database, vault: Vault
) -> None:
    async with database.sessions() as session, session.begin():
        customer_id = await _known_by_email(session, vault)
        row = await session.get(Customer, customer_id)
        assert row is not None and row.name_sealed  # sealed like any name, not left out
        assert (await load_customer(session, vault, customer_id)).name is None
        service = Service(slug="housing", name="Housing")
        session.add(service)
        await session.flush()
        case = await create_case(
            session, vault, service_id=service.id, customer_id=customer_id,
            opened_at=dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC),
        )  # fmt: skip
        assert (await open_case_file(session, vault, case.id)).customer.name is None


@pytest.mark.parametrize(
    ("name", "contacts", "says"),
    [
        (None, [], "not given"),
        (None, [NewContact(ContactKind.ADDRESS, "1 Example Street")], "not given"),
        ("  ", [NewContact(ContactKind.EMAIL, EMAIL)], "must not be empty"),
    ],
)
async def test_a_customer_needs_a_name_or_a_detail_to_be_known_by(
    database: Database, vault: Vault, name: str | None, contacts: list[NewContact], says: str
) -> None:
    async with database.sessions() as session:
        with pytest.raises(ValidationFailed) as refused:
            await create_customer(
                session, vault, kind=CustomerKind.INDIVIDUAL, name=name, contacts=contacts
            )
    assert (refused.value.field, says in refused.value.reason) == ("name", True)


async def test_a_name_recorded_later_replaces_the_one_sealed(
    database: Database, vault: Vault
) -> None:
    async with database.sessions() as session, session.begin():
        customer_id = await _known_by_email(session, vault)
        await record_name(session, vault, customer_id, "Morgan Sample")
        assert await customer_name(session, vault, customer_id) == "Morgan Sample"
        assert (await load_customer(session, vault, customer_id)).name == "Morgan Sample"
        await record_name(session, vault, customer_id, None)
        assert await customer_name(session, vault, customer_id) is None
        with pytest.raises(ValidationFailed) as refused:
            await record_name(session, vault, customer_id, " ")
        assert (refused.value.field, refused.value.reason) == ("name", "must not be empty")


async def _known_by_email(session: AsyncSession, vault: Vault) -> uuid.UUID:
    """A customer whose name is not given, known by EMAIL."""
    return await create_customer(
        session, vault, kind=CustomerKind.INDIVIDUAL, name=None,
        contacts=[NewContact(ContactKind.EMAIL, EMAIL, preferred=True)],
    )  # fmt: skip
