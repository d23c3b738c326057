"""A portal lookup for a person whose case's data key is gone (issue 16, item 7): INTERNAL
with no id, never NOT_FOUND naming the case and never `restricted: false`; the access log
records an error."""

from __future__ import annotations

import httpx
import pytest

from api.runtime import Runtime
from tests.api.app_fixtures import FixedClock
from tests.api.portal_world import EMAIL, PortalWorld, api_key, build_portal_world
from tests.api.test_restriction_status import ask, log_entries


@pytest.fixture
async def world(runtime: Runtime, clock: FixedClock) -> PortalWorld:
    return await build_portal_world(runtime, clock.now)


async def test_a_lookup_whose_case_key_is_gone_is_an_internal_error(
    client: httpx.AsyncClient, world: PortalWorld, runtime: Runtime
) -> None:
    assert await runtime.vault.shred("case", world.case_id)

    response = await ask(client, {"email": EMAIL}, headers=api_key(world.housing_key))

    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None  # no answer at all, so never "restricted: false"
    [error] = body["errors"]
    assert error["message"] == "Internal error."
    assert error["extensions"]["code"] == "INTERNAL"
    assert str(world.case_id) not in response.text
    assert "data key" not in response.text
    last = (await log_entries(runtime))[-1]
    assert (last.operation, last.outcome) == ("restriction_status", "error")
    assert last.request_id == response.headers["x-request-id"]
