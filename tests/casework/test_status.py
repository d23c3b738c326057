"""casework.status.restriction_status on real storage (SQLite and PostgreSQL): which
arrangements are in force in a service on a day, by every lookup, and the same empty answer
for a person without arrangements as for an unknown one."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text

from casework.arrangements import validate_parameters
from casework.status import RestrictionStatus, restriction_status
from records.cases import add_arrangement, create_case
from records.customers import NewContact, create_customer
from records.database import Database
from records.errors import ValidationFailed
from records.lookup import LookupKind
from records.models import (
    ArrangementKind,
    ArrangementState,
    ContactKind,
    CustomerKind,
    Service,
    Staff,
)
from records.vault import Vault

TODAY = dt.date(2026, 3, 2)
EMAIL = "blake.sample@example.org"


@dataclass(frozen=True)
class Seeded:
    customer_id: uuid.UUID
    case_id: uuid.UUID


async def seed(database: Database, vault: Vault) -> Seeded:
    """One customer, one housing case; one arrangement per edge of 'in force today'."""
    async with database.sessions() as session, session.begin():
        services = {
            slug: Service(id=uuid.uuid4(), slug=slug, name=slug)
            for slug in ("housing", "customer-services", "fire-safety")
        }
        officer = Staff(id=uuid.uuid4(), username="jo", display_name="Jo Example")
        deputy = Staff(id=uuid.uuid4(), username="robin", display_name="Robin Example")
        session.add_all([*services.values(), officer, deputy])
        await session.flush()
        customer_id = await create_customer(
            session,
            vault,
            kind=CustomerKind.INDIVIDUAL,
            name="Blake Sample",
            reference="CUS-0042",
            contacts=[
                NewContact(ContactKind.EMAIL, EMAIL),
                NewContact(ContactKind.PHONE, "07700 900042"),
            ],
        )
        case = await create_case(
            session,
            vault,
            service_id=services["housing"].id,
            customer_id=customer_id,
            opened_at=dt.datetime(2025, 12, 1, tzinfo=dt.UTC),
        )
        day = dt.timedelta(days=1)

        async def add(kind: ArrangementKind, raw: dict[str, Any], **more: Any) -> None:
            values: dict[str, Any] = {
                "service_ids": [services["housing"].id],
                "starts_on": TODAY - 30 * day,
                **more,
            }
            await add_arrangement(
                session, vault, case, kind=kind, parameters=validate_parameters(kind, raw), **values
            )

        await add(
            ArrangementKind.NAMED_OFFICER,
            {},
            named_officer_id=officer.id,
            deputy_officer_id=deputy.id,
            starts_on=TODAY,
        )
        await add(ArrangementKind.CALL_DURATION, {"minutes": 15}, ends_on=TODAY)
        await add(
            ArrangementKind.PREMISES_EXCLUSION,
            {"premises": ["Example Street office"]},
            service_ids=[services["housing"].id, services["fire-safety"].id],
        )
        # Not in force today in housing:
        await add(ArrangementKind.WITNESS_REQUIRED, {}, ends_on=TODAY - day)
        await add(ArrangementKind.APPOINTMENT_ONLY, {}, starts_on=TODAY + day)
        await add(ArrangementKind.MEDIATION, {}, state=ArrangementState.LIFTED)
        await add(
            ArrangementKind.REGULAR_MEETINGS,
            {"frequency": "monthly"},
            state=ArrangementState.PROPOSED,
        )
        await add(
            ArrangementKind.ELECTRONIC_BLOCK,
            {"channels": ["email"]},
            service_ids=[services["customer-services"].id],
        )
        await create_customer(
            session,
            vault,
            kind=CustomerKind.INDIVIDUAL,
            name="Casey Example",
            contacts=[NewContact(ContactKind.EMAIL, "casey.example@example.org")],
        )
    return Seeded(customer_id, case.id)


async def status_of(
    database: Database, vault: Vault, kind: LookupKind, value: str, service: str = "housing"
) -> Any:
    async with database.sessions() as session:
        return await restriction_status(session, vault, kind, value, service, TODAY)


async def test_only_arrangements_in_force_today_in_the_service(
    database: Database, vault: Vault
) -> None:
    seeded = await seed(database, vault)

    status = await status_of(database, vault, LookupKind.EMAIL, EMAIL)

    assert status.restricted
    assert {a.kind for a in status.arrangements} == {
        ArrangementKind.NAMED_OFFICER,  # starts today
        ArrangementKind.CALL_DURATION,  # ends today
        ArrangementKind.PREMISES_EXCLUSION,  # applies to two services
    }
    assert status.customer_ids == (seeded.customer_id,)
    assert status.case_ids == (seeded.case_id,)
    named = next(a for a in status.arrangements if a.kind is ArrangementKind.NAMED_OFFICER)
    assert named.named_officer == "Jo Example"
    assert "Robin Example" in named.handling_instructions


async def test_an_arrangement_for_several_services_shows_in_each(
    database: Database, vault: Vault
) -> None:
    await seed(database, vault)

    fire = await status_of(database, vault, LookupKind.EMAIL, EMAIL, "fire-safety")
    customer_services = await status_of(
        database, vault, LookupKind.EMAIL, EMAIL, "customer-services"
    )

    assert [a.kind for a in fire.arrangements] == [ArrangementKind.PREMISES_EXCLUSION]
    assert [a.kind for a in customer_services.arrangements] == [ArrangementKind.ELECTRONIC_BLOCK]


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (LookupKind.EMAIL, "BLAKE.Sample@example.org"),
        (LookupKind.PHONE, "+447700900042"),
        (LookupKind.CUSTOMER_REF, "cus/0042"),
    ],
)
async def test_every_lookup_finds_the_customer(
    database: Database, vault: Vault, kind: LookupKind, value: str
) -> None:
    seeded = await seed(database, vault)

    status = await status_of(database, vault, kind, value)

    assert status.customer_ids == (seeded.customer_id,)
    assert len(status.arrangements) == 3


async def test_no_arrangements_and_unknown_give_the_same_answer(
    database: Database, vault: Vault
) -> None:
    await seed(database, vault)

    quiet = await status_of(database, vault, LookupKind.EMAIL, "casey.example@example.org")
    unknown = await status_of(database, vault, LookupKind.EMAIL, "nobody@example.org")

    assert (quiet.restricted, quiet.arrangements) == (False, ())
    assert (unknown.restricted, unknown.arrangements) == (False, ())
    assert quiet.service == unknown.service == "housing"
    # Only the access log learns that the first one matched someone.
    assert len(quiet.customer_ids) == 1 and unknown.customer_ids == ()


async def test_a_bad_lookup_names_the_api_field(database: Database, vault: Vault) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await status_of(database, vault, LookupKind.PHONE, "not a number")

    assert refused.value.field == "lookup.phone"


def test_seen_pairs_cases_with_a_customer_only_when_the_lookup_found_one() -> None:
    one, two = uuid.UUID(int=1), uuid.UUID(int=2)
    case_a, case_b = uuid.UUID(int=10), uuid.UUID(int=11)

    def status(customers: tuple[uuid.UUID, ...], cases: tuple[uuid.UUID, ...]) -> RestrictionStatus:
        return RestrictionStatus("housing", (), customers, cases)

    assert status((), ()).seen() == ()
    assert status((one,), ()).seen() == ((one, None),)
    assert status((one,), (case_a, case_b)).seen() == ((one, case_a), (one, case_b))
    assert status((one, two), (case_a,)).seen() == ((one, None), (two, None), (None, case_a))


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (LookupKind.EMAIL, EMAIL),
        (LookupKind.PHONE, "+44 7700 900042"),
        (LookupKind.CUSTOMER_REF, "cus 0042"),
        (LookupKind.EMAIL, "casey.example@example.org"),
        (LookupKind.EMAIL, "nobody@example.org"),
    ],
)
async def test_the_hot_path_readers_read_what_a_session_reads(
    database: Database, vault: Vault, kind: LookupKind, value: str
) -> None:
    """records/readers.py runs the lookup straight on the driver, with the statement compiled
    once and SQLAlchemy's own type processing: the answer must be the session's exactly."""
    await seed(database, vault)
    restricted_somewhere = False

    for service in ("housing", "customer-services", "fire-safety"):
        through_session = await status_of(database, vault, kind, value, service)
        through_readers = await restriction_status(
            database.readers, vault, kind, value, service, TODAY
        )
        assert through_readers == through_session
        restricted_somewhere |= through_readers.restricted

    assert restricted_somewhere == (
        value not in ("casey.example@example.org", "nobody@example.org")
    )


async def test_a_lookup_does_not_wait_for_a_writer(database: Database, vault: Vault) -> None:
    """On SQLite the process's one writing connection is held by whoever writes (the access
    log's group commit, a step): the readers have their own and read the last commit."""
    await seed(database, vault)
    async with database.sessions() as writer, writer.begin():
        await writer.execute(text("UPDATE services SET name = 'Housing (renamed)'"))
        # The write transaction is open (on SQLite it holds the write lock) while we read.
        status = await asyncio.wait_for(
            restriction_status(database.readers, vault, LookupKind.EMAIL, EMAIL, "housing", TODAY),
            timeout=30,  # a deadlock guard, not a speed goal: queued behind us it never ends
        )
    assert status.restricted
