"""Screening over real HTTP with staff tokens, on SQLite and PostgreSQL: a contact filed by
checkContact waits in the service's queue (with how long it has waited) until someone marks
it read; a new matter needs its complaints-procedure referral; bad input names the field and
writes nothing; only staff who may read the case see it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from api.runtime import Runtime
from records.contacts import RecordedContact
from records.models import AccessLogEntry
from tests.api.app_fixtures import FixedClock
from tests.api.contact_world import (
    CLOSED_MATTER,
    ContactWorld,
    build_contact_world,
    check,
    contact_input,
    graphql,
)
from tests.api.portal_world import api_key
from tests.api.staff_factories import bearer

QUEUE = """
query Queue($service: String!, $first: Int! = 20, $after: String) {
  screeningQueue(service: $service, first: $first, after: $after) {
    edges { cursor node { contactId caseReference channel contactedAt waitingDays matter } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
TIMELINE = """
query Timeline($reference: String!) { case(reference: $reference) { timeline { step details } } }
"""
MARK = """
mutation Mark($input: ScreenContactInput!) {
  markContactScreened(input: $input) { contactId screenedAt newMatter referralReference }
}
"""


@pytest.fixture
async def world(runtime: Runtime, clock: FixedClock) -> ContactWorld:
    return await build_contact_world(runtime, clock.now)


async def file_contacts(
    client: httpx.AsyncClient, world: ContactWorld, clock: FixedClock, count: int = 1
) -> None:
    for minutes in range(count):
        at = clock.now + dt.timedelta(minutes=minutes)
        contact = contact_input("LETTER", at, matter=CLOSED_MATTER)
        response = await check(client, api_key(world.portal_key), contact)
        assert response.json()["data"]["checkContact"]["outcome"] == "FILE"


def nodes(body: dict[str, Any]) -> list[dict[str, Any]]:
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["screeningQueue"]["edges"]]


def error_of(body: dict[str, Any]) -> tuple[str, str | None]:
    (error,) = body["errors"]
    return error["extensions"]["code"], error["extensions"].get("field")


async def test_a_filed_contact_waits_in_the_queue_until_marked_read_with_its_referral(
    client: httpx.AsyncClient, world: ContactWorld, clock: FixedClock, runtime: Runtime
) -> None:
    await file_contacts(client, world, clock)
    manager = bearer(world.tokens["manager.housing"])
    clock.now += dt.timedelta(days=3, hours=1)

    (entry,) = nodes(await graphql(client, manager, QUEUE, service="housing"))
    assert (entry["caseReference"], entry["channel"], entry["matter"]) == (
        world.case_reference, "LETTER", CLOSED_MATTER
    )  # fmt: skip
    assert entry["waitingDays"] == 3

    given = {
        "contactId": entry["contactId"],
        "newMatter": True,
        "note": "Raises a new repair on the fence gate.",
        "referralReference": "COMP-2026/014",
    }
    marked = await graphql(client, manager, MARK, input=given)
    assert marked["data"]["markContactScreened"] == {
        "contactId": entry["contactId"], "screenedAt": clock.now.isoformat(),
        "newMatter": True, "referralReference": "COMP-2026/014",
    }  # fmt: skip
    assert nodes(await graphql(client, manager, QUEUE, service="housing")) == []
    timeline = await graphql(client, manager, TIMELINE, reference=world.case_reference)
    (event,) = timeline["data"]["case"]["timeline"]
    assert event["step"] == "CONTACT_SCREENED"
    assert {k: event["details"][k] for k in ("contactId", "newMatter", "referralReference")} == {
        "contactId": entry["contactId"], "newMatter": True, "referralReference": "COMP-2026/014"
    }  # fmt: skip
    async with runtime.database.sessions() as session:
        (stored,) = await session.scalars(select(RecordedContact))
        assert stored.screened_at is not None and stored.screening_note_sealed is not None
        assert b"fence" not in stored.screening_note_sealed
        logged = list(await session.scalars(select(AccessLogEntry.operation)))
    assert logged.count("update_case") == 1 and logged.count("read_case") == 3


async def test_a_contact_without_a_new_matter_needs_no_referral_and_is_read_once(
    client: httpx.AsyncClient, world: ContactWorld, clock: FixedClock
) -> None:
    await file_contacts(client, world, clock)
    manager = bearer(world.tokens["manager.housing"])
    (entry,) = nodes(await graphql(client, manager, QUEUE, service="housing"))
    given = {"contactId": entry["contactId"], "newMatter": False}
    first = await graphql(client, manager, MARK, input=given)
    assert first["data"]["markContactScreened"]["referralReference"] is None
    again = await graphql(client, manager, MARK, input=given)
    assert error_of(again) == ("INVALID_TRANSITION", None)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"newMatter": True}, "input.referralReference"),
        ({"referralReference": "COMP-1"}, "input.referralReference"),
        (
            {"newMatter": True, "referralReference": "see the note please"},
            "input.referralReference",
        ),
        ({"note": "The customer is abusive."}, "input.note"),
        ({"note": "x" * 2001}, "input.note"),
        ({"contactId": "not-an-id"}, "input.contactId"),
    ],
)
async def test_bad_input_names_the_field_and_leaves_the_contact_unread(
    client: httpx.AsyncClient,
    world: ContactWorld,
    clock: FixedClock,
    change: dict[str, Any],
    field: str,
) -> None:
    await file_contacts(client, world, clock)
    manager = bearer(world.tokens["manager.housing"])
    (entry,) = nodes(await graphql(client, manager, QUEUE, service="housing"))
    given = {"contactId": entry["contactId"], "newMatter": False, **change}
    assert error_of(await graphql(client, manager, MARK, input=given)) == (
        "VALIDATION_FAILED", field
    )  # fmt: skip
    assert len(nodes(await graphql(client, manager, QUEUE, service="housing"))) == 1


async def test_the_queue_pages_oldest_first(
    client: httpx.AsyncClient, world: ContactWorld, clock: FixedClock
) -> None:
    await file_contacts(client, world, clock, count=3)
    manager = bearer(world.tokens["manager.housing"])
    page = await graphql(client, manager, QUEUE, service="housing", first=2)
    first_two = nodes(page)
    info = page["data"]["screeningQueue"]["pageInfo"]
    assert info["hasNextPage"] is True
    rest = nodes(await graphql(client, manager, QUEUE, service="housing", after=info["endCursor"]))
    times = [n["contactedAt"] for n in first_two + rest]
    assert len(times) == 3 and times == sorted(times)
    bad = await graphql(client, manager, QUEUE, service="housing", after="bm90LWEtY3Vyc29y")
    assert error_of(bad) == ("VALIDATION_FAILED", "after")


async def test_only_staff_who_may_read_the_case_see_or_screen_it(
    client: httpx.AsyncClient, world: ContactWorld, clock: FixedClock
) -> None:
    await file_contacts(client, world, clock)
    (entry,) = nodes(
        await graphql(client, bearer(world.tokens["manager.housing"]), QUEUE, service="housing")
    )
    frontline = bearer(world.tokens["frontline.housing"])
    assert error_of(await graphql(client, frontline, QUEUE, service="housing"))[0] == "FORBIDDEN"
    other = bearer(world.tokens["officer.other"])
    # A case officer of another service: not their queue, refused rather than shown empty.
    assert error_of(await graphql(client, other, QUEUE, service="housing"))[0] == "FORBIDDEN"
    given = {"contactId": entry["contactId"], "newMatter": False}
    assert error_of(await graphql(client, other, MARK, input=given))[0] == "FORBIDDEN"
    assert error_of(await graphql(client, api_key(world.portal_key), MARK, input=given))[0] in {
        "FORBIDDEN", "UNAUTHENTICATED"
    }  # fmt: skip
