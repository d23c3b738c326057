"""The portal fast path keeps every guarantee, over real HTTP on SQLite and PostgreSQL: the
answer never leaves before its access-log entry is committed (make the commit fail: an error
and no data), a revoked key is refused within TACT_PORTAL_KEY_CACHE_SECONDS of the app's
clock, and a policy change applies to the next lookup. Lookups are sent as a portal sends
them: the registered document's id (schema/persisted.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.runtime import Runtime
from authz.decisions import Rule, add_rule
from authz.portal_keys import revoke_portal_key
from records.database import Database
from schema.document_ids import id_of
from tests.api.app_fixtures import FixedClock, started_runtime
from tests.api.portal_world import DEPUTY, EMAIL, OFFICER, PortalWorld, api_key, build_portal_world
from tests.api.test_restriction_status import log_entries
from tests.authz.log_faults import refusing_log_commits


async def ask(
    client: httpx.AsyncClient, lookup: dict[str, Any], headers: dict[str, str]
) -> httpx.Response:
    """As a portal asks: the registered document by id, which runs on its plan."""
    variables = {"lookup": lookup, "service": "housing"}
    body = {"documentId": id_of("RestrictionStatus"), "variables": variables}
    return await client.post("/graphql", json=body, headers=headers)


@pytest.fixture
async def started(
    database: Database, database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> AsyncIterator[Runtime]:
    """A runtime as `tact serve` has it (group commit on), checking the policy version on
    every request, so a rule change needs no waiting."""
    async with started_runtime(
        tmp_path, database_urls, key_file, policy_reload_seconds=0
    ) as runtime:
        yield runtime


@pytest.fixture
async def world(started: Runtime, clock: FixedClock) -> PortalWorld:
    return await build_portal_world(started, clock.now)


@pytest.fixture
async def http(started: Runtime, clock: FixedClock) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(started, clock=clock))
    async with httpx.AsyncClient(transport=transport, base_url="http://tact.test") as client:
        yield client


async def test_no_answer_leaves_when_its_entry_cannot_be_committed(
    http: httpx.AsyncClient, world: PortalWorld, started: Runtime
) -> None:
    assert started.gate.log_writer is not None  # the group-commit path is the one under test
    async with refusing_log_commits(started.database.engine):
        response = await ask(http, {"email": EMAIL}, headers=api_key(world.housing_key))

    body = response.json()
    # An error (503 UNAVAILABLE from api/faults.py, or a masked INTERNAL), never data.
    assert body.get("data") is None
    assert body["errors"][0]["extensions"]["code"] in {"UNAVAILABLE", "INTERNAL"}
    for leaked in ("NAMED_OFFICER", "handlingInstructions", OFFICER, DEPUTY):
        assert leaked not in response.text
    assert await log_entries(started) == []
    # Once entries can be written again, so can answers.
    again = await ask(http, {"email": EMAIL}, headers=api_key(world.housing_key))
    assert again.json()["data"]["restrictionStatus"]["restricted"] is True
    assert [e.outcome for e in await log_entries(started)] == ["allowed"]


async def test_a_revoked_key_is_refused_within_the_stated_bound(
    http: httpx.AsyncClient, world: PortalWorld, started: Runtime, clock: FixedClock
) -> None:
    bound = dt.timedelta(seconds=started.settings.portal_key_cache_seconds)
    assert bound == dt.timedelta(seconds=1)  # the documented default
    first = await ask(http, {"email": EMAIL}, headers=api_key(world.housing_key))
    assert first.status_code == 200
    prefix = world.housing_key.split("_")[2]
    async with started.database.sessions() as session, session.begin():
        assert await revoke_portal_key(session, prefix, clock.now)

    clock.now += bound
    refused = await ask(http, {"email": EMAIL}, headers=api_key(world.housing_key))
    assert refused.status_code == 401
    assert "NAMED_OFFICER" not in refused.text


async def test_a_policy_change_applies_to_the_next_lookup(
    http: httpx.AsyncClient, world: PortalWorld, started: Runtime, clock: FixedClock
) -> None:
    allowed = await ask(http, {"email": EMAIL}, headers=api_key(world.housing_key))
    assert allowed.json()["data"]["restrictionStatus"]["restricted"] is True
    deny = Rule("portal", "housing", "member", "restriction_status", "deny")
    async with started.database.sessions() as session, session.begin():
        assert await add_rule(session, deny, clock.now)

    denied = await ask(http, {"email": EMAIL}, headers=api_key(world.housing_key))
    assert denied.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "NAMED_OFFICER" not in denied.text
    assert [e.outcome for e in await log_entries(started)] == ["allowed", "denied"]
