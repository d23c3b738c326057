"""`restrictionStatus` over real HTTP, through authentication, the gate and the access log,
on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from api.runtime import Runtime
from records.models import AccessLogEntry
from tests.api.app_fixtures import FixedClock
from tests.api.portal_world import (
    DEPUTY,
    EMAIL,
    OFFICER,
    QUIET_EMAIL,
    UNKNOWN_EMAIL,
    PortalWorld,
    api_key,
    build_portal_world,
)

STATUS = """
query Status($lookup: RestrictionLookup!, $service: String!) {
  restrictionStatus(lookup: $lookup, service: $service) {
    service
    restricted
    arrangements { kind handlingInstructions namedOfficer startsOn endsOn nextReviewOn }
  }
}
"""


@pytest.fixture
async def world(runtime: Runtime, clock: FixedClock) -> PortalWorld:
    return await build_portal_world(runtime, clock.now)


async def ask(
    client: httpx.AsyncClient,
    lookup: dict[str, Any],
    service: str = "housing",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body = {"query": STATUS, "variables": {"lookup": lookup, "service": service}}
    return await client.post("/graphql", json=body, headers=headers or {})


async def log_entries(runtime: Runtime) -> list[AccessLogEntry]:
    async with runtime.database.sessions() as session:
        return list(await session.scalars(select(AccessLogEntry).order_by(AccessLogEntry.seq)))


async def test_a_customer_with_arrangements_gets_those_in_force_in_the_service(
    client: httpx.AsyncClient, world: PortalWorld, clock: FixedClock
) -> None:
    response = await ask(client, {"email": EMAIL}, headers=api_key(world.housing_key))

    assert response.status_code == 200
    status = response.json()["data"]["restrictionStatus"]
    assert status["service"] == "housing"
    assert status["restricted"] is True
    by_kind = {a["kind"]: a for a in status["arrangements"]}
    # Ended, lifted, future and fire-safety-only arrangements are not in force in housing.
    assert set(by_kind) == {"NAMED_OFFICER", "CONTACT_CHANNEL"}
    named = by_kind["NAMED_OFFICER"]
    assert named["namedOfficer"] == OFFICER
    assert OFFICER in named["handlingInstructions"] and DEPUTY in named["handlingInstructions"]
    assert named["endsOn"] is None
    assert named["nextReviewOn"] == "2026-07-30"
    letter = by_kind["CONTACT_CHANNEL"]
    assert "letter only" in letter["handlingInstructions"]
    assert letter["namedOfficer"] is None
    assert (letter["startsOn"], letter["endsOn"]) == ("2026-02-10", "2027-02-10")


@pytest.mark.parametrize(
    "lookup",
    [
        {"email": "  Casey.Sample@EXAMPLE.org "},
        {"phone": "+44 7700 900123"},
        {"phone": "(07700) 900-123"},
        {"customerRef": "cus 0777"},
        {"customerRef": "CUS-0777"},
    ],
    ids=["email, other spelling", "phone E.164", "phone national", "ref, spaced", "ref"],
)
async def test_every_lookup_finds_the_same_arrangements(
    client: httpx.AsyncClient, world: PortalWorld, lookup: dict[str, str]
) -> None:
    by_email = (await ask(client, {"email": EMAIL}, headers=api_key(world.housing_key))).json()
    other = (await ask(client, lookup, headers=api_key(world.housing_key))).json()

    assert other == by_email
    assert other["data"]["restrictionStatus"]["restricted"] is True


async def test_no_arrangements_and_unknown_person_get_the_same_answer(
    client: httpx.AsyncClient, world: PortalWorld
) -> None:
    known = await ask(client, {"email": QUIET_EMAIL}, headers=api_key(world.housing_key))
    unknown = await ask(client, {"email": UNKNOWN_EMAIL}, headers=api_key(world.housing_key))
    # A customer with arrangements in housing only, asked about in another service.
    elsewhere = await ask(
        client, {"email": EMAIL}, "customer-services", headers=api_key(world.housing_key)
    )

    expected = {"service": "housing", "restricted": False, "arrangements": []}
    assert known.json() == {"data": {"restrictionStatus": expected}}
    assert unknown.content == known.content
    assert elsewhere.json()["data"]["restrictionStatus"] == {
        **expected,
        "service": "customer-services",
    }


async def test_an_allowed_lookup_is_logged_with_ids_only(
    client: httpx.AsyncClient, world: PortalWorld, runtime: Runtime
) -> None:
    headers = {**api_key(world.housing_key), "X-Request-ID": "portal-call-0001"}
    await ask(client, {"email": EMAIL}, headers=headers)

    (entry,) = await log_entries(runtime)
    prefix = world.housing_key.split("_")[2]
    assert entry.actor == f"portal:{prefix}"
    assert (entry.operation, entry.outcome, entry.service) == (
        "restriction_status",
        "allowed",
        "housing",
    )
    assert (entry.customer_id, entry.case_id) == (world.customer_id, world.case_id)
    assert entry.fields == "status"
    assert entry.request_id == "portal-call-0001"


@pytest.mark.parametrize(
    ("lookup", "field"),
    [
        ({"email": EMAIL, "phone": "07700 900123"}, "lookup"),
        ({}, "lookup"),
        ({"email": None}, "lookup.email"),
        ({"email": "casey.sample-at-example.org"}, "lookup.email"),
        ({"phone": "call me maybe"}, "lookup.phone"),
        ({"customerRef": " - / "}, "lookup.customerRef"),
    ],
    ids=["two fields", "no field", "null field", "bad email", "bad phone", "empty reference"],
)
async def test_bad_lookups_get_an_error_naming_the_field(
    client: httpx.AsyncClient, world: PortalWorld, lookup: dict[str, Any], field: str
) -> None:
    response = await ask(client, lookup, headers=api_key(world.housing_key))

    body = response.json()
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "VALIDATION_FAILED"
    assert error["extensions"]["field"] == field
    assert error["message"].startswith(f"{field}: ")
    # What was sent is not echoed back.
    for value in lookup.values():
        if value and value.strip(" -/"):
            assert value not in response.text


async def test_without_credentials_the_gate_denies_and_logs(
    client: httpx.AsyncClient, world: PortalWorld, runtime: Runtime
) -> None:
    response = await ask(client, {"email": EMAIL})

    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "arrangements" not in response.text
    (entry,) = await log_entries(runtime)
    assert (entry.actor, entry.outcome) == ("anonymous", "denied")


async def test_bad_credentials_get_401_without_saying_why(
    client: httpx.AsyncClient, world: PortalWorld, runtime: Runtime
) -> None:
    revoked_looking = world.housing_key[:-4] + "AAAA"
    response = await ask(client, {"email": EMAIL}, headers=api_key(revoked_looking))

    assert response.status_code == 401
    (error,) = response.json()["errors"]
    assert error["message"] == "the credentials presented were not accepted"
    assert error["extensions"] == {
        "code": "UNAUTHENTICATED",
        "requestId": response.headers["x-request-id"],
    }
    assert "ApiKey" in response.headers["www-authenticate"]
    assert await log_entries(runtime) == []


async def test_a_key_for_one_service_learns_nothing_about_another(
    client: httpx.AsyncClient, world: PortalWorld, runtime: Runtime
) -> None:
    response = await ask(client, {"email": EMAIL}, "housing", headers=api_key(world.fire_key))

    assert response.json()["data"] is None
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "NAMED_OFFICER" not in response.text
    (entry,) = await log_entries(runtime)
    assert (entry.outcome, entry.service) == ("denied", "housing")


async def test_several_lookups_in_one_request_share_its_session_one_at_a_time(
    client: httpx.AsyncClient, world: PortalWorld, runtime: Runtime
) -> None:
    """graphql-core runs sibling fields concurrently; the request's one session serves them
    in turn, each through the gate with its own entry."""
    document = """
    query Both($one: RestrictionLookup!, $two: RestrictionLookup!) {
      one: restrictionStatus(lookup: $one, service: "housing") { restricted }
      two: restrictionStatus(lookup: $two, service: "housing") { restricted }
      three: restrictionStatus(lookup: $one, service: "housing") { service }
    }
    """
    response = await client.post(
        "/graphql",
        json={
            "query": document,
            "variables": {"one": {"email": EMAIL}, "two": {"email": QUIET_EMAIL}},
        },
        headers=api_key(world.housing_key),
    )

    body = response.json()
    assert "errors" not in body
    assert body["data"] == {
        "one": {"restricted": True},
        "two": {"restricted": False},
        "three": {"service": "housing"},
    }
    entries = await log_entries(runtime)
    assert {e.request_id for e in entries} == {response.headers["x-request-id"]}
    assert {e.outcome for e in entries} == {"allowed"} and len(entries) >= 3
