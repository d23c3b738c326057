"""Issue 16, item 8 for the contact questions over HTTP: `checkContact` and `screeningQueue`
answer a service that does not exist as they answer a real one outside the caller's scope
(FORBIDDEN, the same bytes), as `restrictionStatus` does; the access log keeps the truth
(denied, then not_found) and nothing is stored. Staff lists of one service (`cases`,
`deadlines`, `screeningQueue`) refuse a service where the caller holds no role the same way,
instead of answering an empty list a manager would read as "nothing to do"."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from api.runtime import Runtime
from records.contacts import RecordedContact
from records.models import AccessLogEntry
from tests.api.app_fixtures import FixedClock
from tests.api.contact_world import ContactWorld, build_contact_world, check, contact_input, graphql
from tests.api.portal_world import api_key
from tests.api.staff_factories import bearer

QUEUE = "query($s: String!) { screeningQueue(service: $s) { edges { cursor } } }"
# Each staff list of one service: (its GraphQL document, the operation the gate logs it as).
SERVICE_LISTS = {
    "screeningQueue": (QUEUE, "read_case"),
    "deadlines": ("query($s: String) { deadlines(service: $s) { edges { cursor } } }",
                  "read_case_summary"),
    "cases": ("query($s: String) { cases(filter: {service: $s}) { edges { cursor } } }",
              "read_case_summary"),
}  # fmt: skip


@pytest.fixture
async def world(runtime: Runtime, clock: FixedClock) -> ContactWorld:
    return await build_contact_world(runtime, clock.now)


def without_ids(body: dict[str, Any]) -> dict[str, Any]:
    for error in body.get("errors", ()):
        error["extensions"].pop("requestId", None)
    return body


async def outcomes(runtime: Runtime, operation: str) -> list[str]:
    async with runtime.database.sessions() as session:
        rows = await session.scalars(
            select(AccessLogEntry.outcome)
            .where(AccessLogEntry.operation == operation)
            .order_by(AccessLogEntry.seq)
        )
        return list(rows)


async def test_check_contact_gives_a_portal_one_answer_for_out_of_scope_and_no_service(
    client: httpx.AsyncClient, world: ContactWorld, clock: FixedClock, runtime: Runtime
) -> None:
    housing_portal = api_key(world.portal_key)
    at = contact_input("LETTER", clock.now)

    out_of_scope = await check(client, housing_portal, {**at, "service": "customer-services"})
    made_up = await check(client, housing_portal, {**at, "service": "parking-permits"}, True)

    assert without_ids(out_of_scope.json()) == without_ids(made_up.json())
    assert made_up.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await outcomes(runtime, "check_contact") == ["denied", "not_found"]
    async with runtime.database.sessions() as session:
        assert list(await session.scalars(select(RecordedContact))) == []


@pytest.mark.parametrize("caller", ["portal", "frontline.housing"])
async def test_screening_queue_gives_one_answer_for_out_of_scope_and_no_service(
    client: httpx.AsyncClient, world: ContactWorld, runtime: Runtime, caller: str
) -> None:
    headers = (
        api_key(world.portal_key) if caller == "portal" else bearer(world.tokens[caller])
    )  # neither may read cases: a real service is refused to them

    real = await graphql(client, headers, QUEUE, s="housing")
    made_up = await graphql(client, headers, QUEUE, s="parking-permits")

    assert without_ids(real) == without_ids(made_up)
    assert made_up["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await outcomes(runtime, "read_case") == ["denied", "not_found"]


@pytest.mark.parametrize("field", SERVICE_LISTS)
async def test_a_staff_list_of_a_service_out_of_scope_is_refused_as_a_made_up_one_is(
    client: httpx.AsyncClient, world: ContactWorld, runtime: Runtime, field: str
) -> None:
    query, operation = SERVICE_LISTS[field]
    manager = bearer(world.tokens["manager.housing"])

    own = await graphql(client, manager, query, s="housing")
    out_of_scope = await graphql(client, manager, query, s="customer-services")
    made_up = await graphql(client, manager, query, s="parking-permits")

    assert "errors" not in own and own["data"][field]["edges"] is not None
    assert without_ids(out_of_scope) == without_ids(made_up)
    assert out_of_scope["data"] is None
    assert out_of_scope["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await outcomes(runtime, operation))[-2:] == ["denied", "not_found"]


async def test_a_case_officer_lists_their_own_service_and_is_refused_another(
    client: httpx.AsyncClient, world: ContactWorld, runtime: Runtime
) -> None:
    query, _ = SERVICE_LISTS["cases"]
    officer = bearer(world.tokens["officer.other"])  # customer-services: cases by assignment

    own = await graphql(client, officer, query, s="customer-services")
    other = await graphql(client, officer, query, s="housing")

    assert own["data"] == {"cases": {"edges": []}}
    assert other["data"] is None and other["errors"][0]["extensions"]["code"] == "FORBIDDEN"
