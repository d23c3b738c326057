"""Contact details added to a customer (casework/contact_details.py) are digested by the
portal lookup's own normaliser (records/lookup.py through the vault): every spelling the
lookup accepts finds them, each spelling digests as a detail written with the customer does,
and what the lookup refuses is refused naming the field, never echoing the value."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from casework.contact_details import ANOTHER_CUSTOMER, add_missing, given_detail
from casework.profiles import load_profile
from casework.steps import StepRun
from records.customers import NewContact, create_customer
from records.database import Database
from records.errors import ValidationFailed
from records.lookup import LookupKind
from records.models import ContactDetail, ContactKind, CustomerKind
from records.vault import Vault

SPELLINGS = [
    (ContactKind.EMAIL, "ann.example@example.org", " Ann.Example@EXAMPLE.org "),
    (
        ContactKind.EMAIL,
        "ann.example@example.org",
        "\uff21\uff2e\uff2e.example@example.org",
    ),  # full width
    (ContactKind.PHONE, "+44 7700 900123", "07700 900123"),
    (ContactKind.PHONE, "+44 7700 900123", "(07700) 900-123"),
]


def _run(session: AsyncSession, vault: Vault) -> StepRun:
    now = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
    return StepRun(session, vault, load_profile("default"), lambda: now, actor_id=None)


async def _customer(session: AsyncSession, vault: Vault, *contacts: NewContact) -> uuid.UUID:
    return await create_customer(
        session, vault, kind=CustomerKind.INDIVIDUAL, name="Ann Example", contacts=contacts
    )


@pytest.mark.parametrize(("kind", "written", "spelt"), SPELLINGS)
async def test_an_added_detail_is_digested_as_the_lookup_digests_it(
    database: Database, vault: Vault, kind: ContactKind, written: str, spelt: str
) -> None:
    async with database.sessions() as session, session.begin():
        run = _run(session, vault)
        with_it = await _customer(session, vault, NewContact(kind, written))
        stored = await session.scalar(
            select(ContactDetail.digest).where(ContactDetail.customer_id == with_it)
        )
        detail = given_detail(run, kind, spelt, "input.add.0.x")
        assert detail.digest == stored == vault.blind_index(LookupKind(kind.value), written)

        # Added to someone else, it is refused; added to its own customer, nothing changes.
        other = await _customer(session, vault, NewContact(ContactKind.EMAIL, "b@example.org"))
        with pytest.raises(ValidationFailed) as refused:
            await add_missing(run, other, [detail])
        assert (refused.value.field, refused.value.reason) == ("input.add.0.x", ANOTHER_CUSTOMER)
        assert await add_missing(run, with_it, [detail]) == {}


async def test_a_new_detail_is_written_with_the_lookups_digest(
    database: Database, vault: Vault
) -> None:
    async with database.sessions() as session, session.begin():
        run = _run(session, vault)
        customer = await _customer(session, vault, NewContact(ContactKind.EMAIL, "a@example.org"))
        detail = given_detail(run, ContactKind.PHONE, " 07700 900123 ", "input.customer.phone")
        assert await add_missing(run, customer, [detail]) == {"phone": 1}
        await session.flush()
        found = await session.scalar(
            select(ContactDetail.customer_id).where(
                ContactDetail.digest == vault.blind_index(LookupKind.PHONE, "+447700900123")
            )
        )
        assert found == customer


@pytest.mark.parametrize(
    ("kind", "value", "says"),
    [
        (ContactKind.EMAIL, "ann.example at example.org", "is not an email address"),
        (ContactKind.EMAIL, "ann@example", "is not an email address"),
        (ContactKind.PHONE, "12", "is not a telephone number"),
        (
            ContactKind.PHONE,
            "call me",
            "is not a telephone number: digits only, with spaces or + ( ) - . / between",
        ),
    ],
)
async def test_what_the_lookup_refuses_is_refused_naming_the_field(
    database: Database, vault: Vault, kind: ContactKind, value: str, says: str
) -> None:
    async with database.sessions() as session:
        with pytest.raises(ValidationFailed) as refused:
            given_detail(_run(session, vault), kind, value, "input.add.3.email")
    assert (refused.value.field, refused.value.reason) == ("input.add.3.email", says)
    assert value not in str(refused.value)
