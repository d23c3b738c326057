"""`checkContact` over real HTTP with a real portal key (and staff tokens), through the gate
and the access log, on SQLite and PostgreSQL: an allowed, a routed, a filed and a declined
contact, an emergency, volume limits counting recorded contacts, and the same bytes for an
unknown person as for a person with no arrangement."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from api.runtime import Runtime
from casework.contact_check import EMERGENCY, NO_ARRANGEMENT
from records.contacts import RecordedContact
from records.models import AccessLogEntry
from tests.api.app_fixtures import FixedClock
from tests.api.contact_world import (
    CLOSED_MATTER,
    DEPUTY,
    EMAIL,
    OFFICER,
    QUIET_EMAIL,
    UNKNOWN_EMAIL,
    ContactWorld,
    build_contact_world,
    check,
    contact_input,
    graphql,
)
from tests.api.portal_world import api_key
from tests.api.staff_factories import bearer


@pytest.fixture
async def world(runtime: Runtime, clock: FixedClock) -> ContactWorld:
    return await build_contact_world(runtime, clock.now)


def answer(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["checkContact"]
    return result


async def recorded(runtime: Runtime) -> list[RecordedContact]:
    async with runtime.database.sessions() as session:
        return list(await session.scalars(select(RecordedContact)))


async def test_an_allowed_contact_proceeds(
    client: httpx.AsyncClient, world: ContactWorld, clock: FixedClock
) -> None:
    contact = contact_input("EMAIL", clock.now, addressedTo=OFFICER, matter="Parking permit")
    result = answer(await check(client, api_key(world.portal_key), contact))
    assert result["outcome"] == "PROCEED"
    assert result["instructions"][0] == "Take the contact, following the arrangements below."
    assert set(result["arrangements"]) == {
        "NAMED_OFFICER", "CONTACT_CHANNEL", "CLOSED_MATTER", "CONTACT_VOLUME"
    }  # fmt: skip
    assert result["recorded"] is False


async def test_a_contact_not_with_the_named_officer_is_routed_to_them_or_their_deputy(
    client: httpx.AsyncClient, world: ContactWorld, clock: FixedClock
) -> None:
    result = answer(
        await check(client, api_key(world.portal_key), contact_input("PHONE", clock.now))
    )
    assert (result["outcome"], result["routeTo"], result["deputy"]) == ("ROUTE", OFFICER, DEPUTY)
    assert result["instructions"][0] == (
        f"Pass the contact to {OFFICER} (or {DEPUTY} when they are away). "
        "Do not deal with the matter."
    )


async def test_a_contact_about_a_closed_matter_is_filed_and_recorded_for_screening(
    client: httpx.AsyncClient, world: ContactWorld, clock: FixedClock, runtime: Runtime
) -> None:
    contact = contact_input("LETTER", clock.now, addressedTo=OFFICER, matter="boundary FENCE")
    result = answer(await check(client, api_key(world.portal_key), contact))
    assert result["outcome"] == "FILE"
    assert result["recorded"] is True
    (stored,) = await recorded(runtime)
    assert (stored.case_id, stored.outcome, stored.needs_screening) == (world.case_id, "file", True)
    assert b"boundary" not in stored.matter_sealed  # sealed under the case's key


async def test_a_contact_by_a_channel_not_permitted_is_declined_naming_the_route(
    client: httpx.AsyncClient, world: ContactWorld, clock: FixedClock
) -> None:
    result = answer(
        await check(client, api_key(world.portal_key), contact_input("WEB_FORM", clock.now))
    )
    assert result["outcome"] == "DECLINE"
    # The case's named officer is who the permitted route goes to.
    route = f"contact by phone, email or letter, to {OFFICER} (or {DEPUTY} when they are away)"
    assert result["permittedRoute"] == route
    assert route in result["instructions"][0]


async def test_an_emergency_is_never_limited(
    client: httpx.AsyncClient, world: ContactWorld, clock: FixedClock, runtime: Runtime
) -> None:
    contact = contact_input("WEB_FORM", clock.now, matter=CLOSED_MATTER, emergency=True)
    result = answer(await check(client, api_key(world.portal_key), contact, record=True))
    assert result["outcome"] == "PROCEED"
    assert result["instructions"] == [EMERGENCY]
    assert result["permittedRoute"] is None and result["routeTo"] is None
    (stored,) = await recorded(runtime)
    assert stored.emergency and not stored.needs_screening


async def test_a_volume_limit_counts_recorded_contacts_and_never_an_emergency(
    client: httpx.AsyncClient, world: ContactWorld, clock: FixedClock
) -> None:
    headers = api_key(world.portal_key)

    async def email(record: bool, emergency: bool = False) -> str:
        contact = contact_input("EMAIL", clock.now, addressedTo=OFFICER, emergency=emergency)
        return str(answer(await check(client, headers, contact, record=record))["outcome"])

    # Asked without recording: nothing counts.
    assert [await email(record=False) for _ in range(3)] == ["PROCEED"] * 3
    # Emergencies are recorded but never count towards the limit of 2 a week.
    assert await email(record=True, emergency=True) == "PROCEED"
    assert [await email(record=True) for _ in range(3)] == ["PROCEED", "PROCEED", "FILE"]
    # A phone call is outside an email limit, though the named officer still routes it.
    phone = contact_input("PHONE", clock.now, addressedTo=OFFICER)
    assert answer(await check(client, headers, phone, record=True))["outcome"] == "PROCEED"
    # Monday 2 March's week ends on Sunday 8 March: the next week starts again. A contact is
    # checked when it is made, not ahead of time: the clock moves on to it.
    clock.now += dt.timedelta(days=7)
    assert await email(record=True) == "PROCEED"


@pytest.mark.parametrize("record", [False, True])
@pytest.mark.parametrize("emergency", [False, True])
async def test_unknown_person_and_person_without_arrangement_answer_byte_identically(
    client: httpx.AsyncClient,
    world: ContactWorld,
    clock: FixedClock,
    runtime: Runtime,
    record: bool,
    emergency: bool,
) -> None:
    headers = api_key(world.portal_key)
    quiet = contact_input("WEB_FORM", clock.now, QUIET_EMAIL, emergency=emergency)
    unknown = contact_input("WEB_FORM", clock.now, UNKNOWN_EMAIL, emergency=emergency)
    known = await check(client, headers, quiet, record=record)
    nobody = await check(client, headers, unknown, record=record)
    assert nobody.content == known.content
    assert answer(known) == {
        "service": "housing", "outcome": "PROCEED", "instructions": [NO_ARRANGEMENT],
        "routeTo": None, "deputy": None, "permittedRoute": None, "arrangements": [],
        "recorded": False,
    }  # fmt: skip
    assert await recorded(runtime) == []


async def test_each_check_is_logged_with_ids_only(
    client: httpx.AsyncClient, world: ContactWorld, clock: FixedClock, runtime: Runtime
) -> None:
    await check(client, api_key(world.portal_key), contact_input("PHONE", clock.now))
    async with runtime.database.sessions() as session:
        (entry,) = await session.scalars(select(AccessLogEntry))
    assert (entry.operation, entry.outcome, entry.service, entry.fields) == (
        "check_contact", "allowed", "housing", "status"
    )  # fmt: skip
    assert (entry.customer_id, entry.case_id) == (world.customer_id, world.case_id)


async def test_frontline_staff_check_contacts_and_an_anonymous_caller_is_refused(
    client: httpx.AsyncClient, world: ContactWorld, clock: FixedClock
) -> None:
    contact = contact_input("PHONE", clock.now)
    staff = answer(await check(client, bearer(world.tokens["frontline.housing"]), contact))
    assert staff["outcome"] == "ROUTE"
    anonymous = (await check(client, {}, contact)).json()
    assert anonymous["data"] is None or anonymous["data"]["checkContact"] is None
    assert anonymous["errors"][0]["extensions"]["code"] in {"UNAUTHENTICATED", "FORBIDDEN"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"at": "2026-03-02T10:00:00"}, "contact.at"),
        ({"matter": "the customer is vexatious"}, "contact.matter"),
        ({"addressedTo": "x" * 201}, "contact.addressedTo"),
        # The lookup sits inside `contact`: its faults are named there, as the caller wrote it.
        ({"lookup": {}}, "contact.lookup"),
        ({"lookup": {"email": EMAIL, "phone": "07700 900123"}}, "contact.lookup"),
        ({"lookup": {"email": None}}, "contact.lookup.email"),
        ({"lookup": {"email": ""}}, "contact.lookup.email"),
        ({"lookup": {"phone": "not a number"}}, "contact.lookup.phone"),
        ({"lookup": {"customerRef": ""}}, "contact.lookup.customerRef"),
        # Found walking the demo: each of these answered as if it were fine, or INTERNAL.
        ({"service": ""}, "contact.service"),
        ({"service": "HOUSING"}, "contact.service"),
        ({"service": " housing "}, "contact.service"),
        ({"lookup": {"email": "a" * 5000 + "@example.org"}}, "contact.lookup.email"),
        ({"lookup": {"email": f"<{EMAIL}>"}}, "contact.lookup.email"),
        ({"lookup": {"phone": "07700 9OO123"}}, "contact.lookup.phone"),
        ({"lookup": {"phone": "07700 900123 ext 5"}}, "contact.lookup.phone"),
        ({"at": "0001-01-01T00:00:00Z"}, "contact.at"),
        ({"at": "9999-12-31T23:59:59-05:00"}, "contact.at"),
        ({"at": "1970-01-01T00:00:00Z"}, "contact.at"),  # an unset time sent as zero
        ({"at": "2027-03-02T09:30:00Z"}, "contact.at"),  # a year mistyped: not yet made
    ],
)
async def test_bad_input_is_validation_failed_naming_the_field(
    client: httpx.AsyncClient,
    world: ContactWorld,
    clock: FixedClock,
    runtime: Runtime,
    change: dict[str, Any],
    field: str,
) -> None:
    contact = {**contact_input("LETTER", clock.now, matter=CLOSED_MATTER), **change}
    body = (await check(client, api_key(world.portal_key), contact, record=True)).json()
    (error,) = body["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (
        "VALIDATION_FAILED", field
    )  # fmt: skip
    assert error["message"].startswith(f"{field}: ")
    assert "vexatious" not in error["message"] or "'vexatious'" in error["message"]
    assert await recorded(runtime) == []


@pytest.mark.parametrize(
    ("lookup", "message"),
    [
        ("{}", "contact.lookup: give exactly one of its fields"),
        ('{email: "a@example.org", phone: "07700 900123"}', "contact.lookup: give exactly one of"),
        ("{email: null}", "contact.lookup.email: must not be null"),
    ],
)
async def test_a_lookup_written_in_the_query_is_named_where_it_is(
    client: httpx.AsyncClient, world: ContactWorld, lookup: str, message: str
) -> None:
    query = (
        f'{{ checkContact(contact: {{lookup: {lookup}, service: "housing", channel: PHONE}}) '
        "{ outcome } }"
    )
    body = await graphql(client, api_key(world.portal_key), query)
    (error,) = body["errors"]
    assert error["message"].startswith(message)
    assert error["extensions"] == {
        "code": "VALIDATION_FAILED",
        "field": message.split(":")[0],
        "requestId": error["extensions"]["requestId"],
    }
