"""Refused access-log queries leave an entry (issue 16, item 9): access is decided before the
arguments are checked, so anonymous callers, portals and staff who are not IG officers sending
`accessLog` or `breakGlassReview` with a bad `first`, `outcome` or `after` are logged as
denied, and the head moves; an IG officer's bad argument is still VALIDATION_FAILED."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api.runtime import Runtime
from authz.actor import Actor
from records.models import AccessLogEntry, Role
from tests.api.app_fixtures import app, client, clock, runtime
from tests.authz.test_access_log_graphql import ACCESS_LOG, Scene, scene
from tests.authz.world import portal_actor

__all__ = ["app", "client", "clock", "runtime", "scene"]  # fixtures, shared

REVIEW = "query Review($first: Int!, $after: String) { breakGlassReview(first: $first, after: $after) { edges { cursor } } }"  # noqa: E501
BAD = {
    "first": (ACCESS_LOG, {"first": 0}),
    "filter.outcome": (ACCESS_LOG, {"first": 5, "filter": {"outcome": "no-such-outcome"}}),
    "after": (ACCESS_LOG, {"first": 5, "after": "not-a-cursor"}),
    "review first": (REVIEW, {"first": 10_000}),
    "review after": (REVIEW, {"first": 5, "after": "not-a-cursor"}),
}


async def last_entry(scene: Scene) -> AccessLogEntry | None:
    async with scene.database.sessions() as session:
        return await session.scalar(
            select(AccessLogEntry).order_by(AccessLogEntry.seq.desc()).limit(1)
        )


async def entry_count(scene: Scene) -> int:
    async with scene.database.sessions() as session:
        return await session.scalar(select(func.count()).select_from(AccessLogEntry)) or 0


async def who(scene: Scene, kind: str) -> Actor | None:
    if kind == "anonymous":
        return None
    if kind == "portal":
        return portal_actor("housing")
    return await scene.staff(f"{kind}-1", (Role.CASE_OFFICER, "housing"))


@pytest.mark.parametrize("kind", ["anonymous", "portal", "case officer"])
@pytest.mark.parametrize("bad", BAD)
async def test_a_refused_attempt_with_bad_arguments_is_logged_as_denied(
    scene: Scene, kind: str, bad: str
) -> None:
    document, variables = BAD[bad]
    actor = await who(scene, kind)
    before = await entry_count(scene)

    result: Any = await scene.run(actor, document, **variables)

    assert result.errors and "VALIDATION_FAILED" not in str(result.errors[0].extensions)
    assert await entry_count(scene) == before + 1
    entry = await last_entry(scene)
    assert entry is not None
    assert (entry.operation, entry.outcome) == ("read_access_log", "denied")
    assert entry.actor == ("anonymous" if actor is None else actor.label)


async def test_an_ig_officers_bad_argument_is_validation_failed_and_logged(scene: Scene) -> None:
    officer = await scene.staff("ig-9", (Role.IG_OFFICER, None))
    before = await entry_count(scene)

    result: Any = await scene.run(officer, ACCESS_LOG, first=0)

    [error] = result.errors
    assert error.original_error.field == "first"
    assert await entry_count(scene) == before + 1
    entry = await last_entry(scene)
    assert entry is not None and entry.outcome == "refused"


async def test_over_http_an_anonymous_bad_first_is_refused_and_moves_the_head(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    async def head() -> int:
        async with runtime.database.sessions() as session:
            return await session.scalar(select(func.max(AccessLogEntry.seq))) or 0

    before = await head()
    response = await client.post("/graphql", json={"query": ACCESS_LOG, "variables": {"first": 0}})

    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert await head() == before + 1
