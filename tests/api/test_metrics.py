"""/metrics: off unless TACT_METRICS=true; when on, Prometheus text with gate passes, denials
and access-log group commits per operation, and nothing a caller sent (no personal data)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY

from api.app import create_app
from api.metrics import rate_limited
from api.runtime import Runtime
from records.database import Database
from tests.api.app_fixtures import FixedClock, started_runtime
from tests.api.portal_world import EMAIL, OFFICER, PortalWorld, api_key, build_portal_world
from tests.api.test_restriction_status import ask


@pytest.fixture
async def measured(
    database: Database, database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> AsyncIterator[Runtime]:
    async with started_runtime(tmp_path, database_urls, key_file, metrics=True) as runtime:
        yield runtime


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_metrics_are_off_unless_enabled(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 404


async def test_lookups_denials_and_log_commits_are_counted_without_personal_data(
    measured: Runtime, clock: FixedClock
) -> None:
    world: PortalWorld = await build_portal_world(measured, clock.now)
    allowed = {"operation": "restriction_status", "outcome": "allowed"}
    before = (
        sample("tact_operations_total", **allowed),
        sample("tact_denials_total", operation="restriction_status"),
        sample("tact_access_log_batch_entries_count"),
        sample("tact_rate_limited_total", limit="lookups"),
    )
    transport = httpx.ASGITransport(app=create_app(measured, clock=clock))
    async with httpx.AsyncClient(transport=transport, base_url="http://tact.test") as http:
        ok = await ask(http, {"email": EMAIL}, headers=api_key(world.housing_key))
        assert ok.json()["data"]["restrictionStatus"]["restricted"] is True
        refused = await ask(http, {"email": EMAIL}, headers=api_key(world.fire_key))
        assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        rate_limited("lookups")  # the hook the rate limiter counts through
        scraped = await http.get("/metrics")

    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    after = (
        sample("tact_operations_total", **allowed),
        sample("tact_denials_total", operation="restriction_status"),
        sample("tact_access_log_batch_entries_count"),
        sample("tact_rate_limited_total", limit="lookups"),
    )
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1, 2, 1]
    assert 'tact_operation_seconds_bucket{le="0.001",operation="restriction_status"}' in (
        scraped.text
    )
    for personal in (EMAIL, OFFICER, world.housing_key, world.housing_key.split("_")[2]):
        assert personal not in scraped.text
