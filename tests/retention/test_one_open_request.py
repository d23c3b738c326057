"""A customer has at most one open subject access request. `openSubjectAccessRequest` called
twice for the same person opened two, each with its own date, so the IG officer could not
tell which one the statutory month ran from, and completing one left the other holding every
case. The second is refused (INVALID_TRANSITION) naming the open request's id and the day it
was opened, which is what the officer needs to export and complete it; nothing is written.
Over HTTP as an IG officer."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import func, select

from api.runtime import Runtime
from records.retention_tables import SubjectAccessRequest
from tests.api.app_fixtures import FixedClock
from tests.retention.test_graphql import COMPLETE, OPEN_SAR, ask, token
from tests.retention.world import add_case, build_world
from tests.scenarios.world import at_once

OPEN_BY_EMAIL = """mutation Open($email: String!) {
  openSubjectAccessRequest(email: $email) { id openedAt } }"""


async def _open_requests(runtime: Runtime) -> int:
    async with runtime.database.sessions() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(SubjectAccessRequest)
            .where(SubjectAccessRequest.completed_at.is_(None))
        )
    return int(found or 0)


async def test_a_second_request_for_a_customer_with_one_open_is_refused_naming_it(
    runtime: Runtime,
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    # Given a request opened for a customer on 2 March 2026
    world = await build_world(runtime.database, clock.now)
    case_id = await add_case(runtime.database, runtime.vault, world, ends_on=[dt.date(2020, 2, 29)])
    values = world.canaries[case_id]
    ig_one = token(runtime, "ig.one", clock.now)
    first = (await ask(client, ig_one, OPEN_SAR, ref=values["reference"]))["data"]
    first_id = first["openSubjectAccessRequest"]["id"]

    # When another IG officer opens one for the same person the next day, found by email
    clock.now += dt.timedelta(days=1)
    ig_one, ig_two = (token(runtime, name, clock.now) for name in ("ig.one", "ig.two"))
    again = await ask(client, ig_two, OPEN_BY_EMAIL, email=values["email"])

    # Then it is refused, naming the open request and its day, and no second one is open
    (error,) = again["errors"]
    assert error["extensions"]["code"] == "INVALID_TRANSITION"
    assert error["message"] == (
        f"a subject access request for this customer is already open: {first_id}, opened "
        "2026-03-02; complete it before opening another"
    )
    assert values["email"] not in error["message"] and values["reference"] not in error["message"]
    assert await _open_requests(runtime) == 1

    # When that request is completed, a new one may be opened
    done = await ask(client, ig_one, COMPLETE, id=first_id)
    assert done["data"]["completeSubjectAccessRequest"]["completedAt"]
    reopened = (await ask(client, ig_two, OPEN_BY_EMAIL, email=values["email"]))["data"]
    assert reopened["openSubjectAccessRequest"]["id"] != first_id
    assert await _open_requests(runtime) == 1


async def test_two_requests_at_once_open_one(
    runtime: Runtime, client: httpx.AsyncClient, clock: FixedClock
) -> None:
    """On PostgreSQL both would reach their insert having found none open, unless the first
    holds the customer's row and the second waits for it before it looks."""
    world = await build_world(runtime.database, clock.now)
    case_id = await add_case(runtime.database, runtime.vault, world, ends_on=[dt.date(2020, 2, 29)])
    reference = world.canaries[case_id]["reference"]
    both = [
        ask(client, token(runtime, name, clock.now), OPEN_SAR, ref=reference)
        for name in ("ig.one", "ig.two")
    ]
    answers = await at_once(runtime.database.engine, "subject_access_requests", both)
    opened = [a["data"]["openSubjectAccessRequest"]["id"] for a in answers if a.get("data")]
    refused = [a["errors"][0] for a in answers if a.get("errors")]
    assert len(opened) == 1 and len(refused) == 1, answers
    assert refused[0]["extensions"]["code"] == "INVALID_TRANSITION"
    assert opened[0] in refused[0]["message"]
    assert await _open_requests(runtime) == 1
