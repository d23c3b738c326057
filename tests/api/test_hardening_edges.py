"""Issue 16, items 1 (time budget), 14 and 16 through the app over HTTP: rate limits on a
controllable clock, the time budget, security headers on every response, and CORS from
settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.runtime import Runtime
from api.security_headers import API_POLICY, GRAPHIQL_POLICY
from api.settings import Settings
from records.database import Database
from schema.document_ids import id_of
from tests.api.app_fixtures import FixedClock, app_settings
from tests.api.portal_world import EMAIL, REFERENCE, PortalWorld, api_key, build_portal_world
from tests.api.test_restriction_status import ask


@dataclass
class Ticker:
    """A monotonic clock the test moves."""

    seconds: float = 0.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture
async def limited(
    database: Database, database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> AsyncIterator[Runtime]:
    settings = app_settings(
        tmp_path,
        database_urls,
        key_file,
        rate_limit_per_minute=60,
        rate_limit_burst=3,
        lookup_rate_limit_per_minute=60,
        lookup_rate_limit_burst=1,
        failed_auth_rate_limit_per_minute=60,
        failed_auth_rate_limit_burst=2,
    )
    runtime = await Runtime.start(settings, migrate=False)
    try:
        yield runtime
    finally:
        await runtime.close()


@pytest.fixture
async def http_limited(
    limited: Runtime, clock: FixedClock
) -> AsyncIterator[tuple[httpx.AsyncClient, Ticker, PortalWorld]]:
    world = await build_portal_world(limited, clock.now)
    ticker = Ticker()
    app = create_app(limited, clock=clock, rate_clock=ticker)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tact.test") as http:
        yield http, ticker, world


def refused_for(response: httpx.Response) -> str:
    assert response.status_code == 429, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    return response.headers["retry-after"]


# -- 14: rate limits -------------------------------------------------------------------------


async def test_a_key_over_its_limit_waits_and_leaves_other_keys_alone(
    http_limited: tuple[httpx.AsyncClient, Ticker, PortalWorld],
) -> None:
    http, ticker, world = http_limited
    housing, fire = api_key(world.housing_key), api_key(world.fire_key)
    by_reference = {"customerRef": REFERENCE}

    served = [await ask(http, by_reference, headers=housing) for _ in range(3)]
    over = await ask(http, by_reference, headers=housing)
    other = await ask(http, by_reference, service="fire-safety", headers=fire)
    ticker.seconds += 1.0  # 60 a minute: one token back each second
    again = await ask(http, by_reference, headers=housing)

    assert [r.status_code for r in served] == [200, 200, 200]
    assert refused_for(over) == "1"
    assert other.status_code == 200
    assert again.json()["data"]["restrictionStatus"]["restricted"] is True


async def test_lookups_by_email_or_phone_have_a_stricter_limit(
    http_limited: tuple[httpx.AsyncClient, Ticker, PortalWorld],
) -> None:
    http, _ticker, world = http_limited
    housing = api_key(world.housing_key)

    first = await ask(http, {"email": EMAIL}, headers=housing)
    second = await ask(http, {"phone": "07700 900123"}, headers=housing)
    by_reference = await ask(http, {"customerRef": REFERENCE}, headers=housing)

    assert first.json()["data"]["restrictionStatus"]["restricted"] is True
    assert refused_for(second) == "1"
    assert second.json()["errors"][0]["extensions"]["retryAfter"] == 1
    assert by_reference.json()["data"]["restrictionStatus"]["restricted"] is True


async def test_a_portal_sending_the_registered_document_meets_the_same_lookup_limit(
    http_limited: tuple[httpx.AsyncClient, Ticker, PortalWorld],
) -> None:
    # The registered document runs on its plan (schema/persisted.py), not through strawberry's
    # view: the limit inside the resolver must still answer 429 with Retry-After.
    http, _ticker, world = http_limited
    body = {
        "documentId": id_of("RestrictionStatus"),
        "variables": {"lookup": {"email": EMAIL}, "service": "housing"},
    }

    first = await http.post("/graphql", json=body, headers=api_key(world.housing_key))
    second = await http.post("/graphql", json=body, headers=api_key(world.housing_key))

    assert first.json()["data"]["restrictionStatus"]["restricted"] is True
    assert refused_for(second) == "1"
    assert "data" in second.json()


async def test_failed_authentication_is_limited_per_client_address(
    http_limited: tuple[httpx.AsyncClient, Ticker, PortalWorld],
) -> None:
    http, ticker, world = http_limited
    wrong = [api_key(f"tact_pk_wrong{i}") for i in range(2)]

    failures = [await ask(http, {"customerRef": REFERENCE}, headers=h) for h in wrong]
    blocked = await ask(http, {"customerRef": REFERENCE}, headers=api_key(world.housing_key))
    ticker.seconds += 1.0
    after = await ask(http, {"customerRef": REFERENCE}, headers=api_key(world.housing_key))

    assert [r.status_code for r in failures] == [401, 401]
    assert refused_for(blocked) == "1"
    assert after.status_code == 200


# -- 1 and 16: the time budget ---------------------------------------------------------------


async def test_a_request_over_its_time_budget_is_a_json_503(
    database: Database, database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> None:
    settings = app_settings(tmp_path, database_urls, key_file, request_timeout_seconds=1e-9)
    runtime = await Runtime.start(settings, migrate=False)
    try:
        transport = httpx.ASGITransport(app=create_app(runtime, clock=FixedClock()))
        async with httpx.AsyncClient(transport=transport, base_url="http://tact.test") as http:
            response = await ask(http, {"email": EMAIL})
            health = await http.get("/healthz")
    finally:
        await runtime.close()

    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "TIMEOUT"
    assert health.status_code == 200


# -- 16: headers and CORS --------------------------------------------------------------------


def bare_app(**changes: Any) -> httpx.AsyncClient:
    """The app without a runtime: enough for /healthz and CORS preflights."""
    values: dict[str, Any] = {
        "database_url": "sqlite:///unused.db",
        "keystore_url": "sqlite:///unused-keys.db",
        "key_file": "unused.key",
        "jwks": "unused.json",
        **changes,
    }
    app = create_app(settings=Settings(_env_file=None, **values))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tact.test")


async def test_every_api_answer_carries_the_security_headers(client: httpx.AsyncClient) -> None:
    answers = [
        await client.get("/healthz"),
        await client.post("/graphql", json={"query": "{ __typename }"}),
        await client.post(
            "/graphql", content=b"null", headers={"Content-Type": "application/json"}
        ),
    ]

    for response in answers:
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["content-security-policy"] == API_POLICY
        assert response.headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in response.headers  # development


async def test_hsts_outside_development() -> None:
    async with bare_app(environment="production") as http:
        response = await http.get("/healthz")

    assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_the_graphiql_page_gets_its_own_policy(
    database: Database, database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> None:
    settings = app_settings(tmp_path, database_urls, key_file, graphiql=True)
    runtime = await Runtime.start(settings, migrate=False)
    try:
        transport = httpx.ASGITransport(app=create_app(runtime, clock=FixedClock()))
        async with httpx.AsyncClient(transport=transport, base_url="http://tact.test") as http:
            page = await http.get("/graphql", headers={"Accept": "text/html"})
    finally:
        await runtime.close()

    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == GRAPHIQL_POLICY


PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization",
}


async def test_no_origin_is_allowed_by_default() -> None:
    async with bare_app() as http:
        response = await http.options(
            "/graphql", headers={"Origin": "https://portal.example.gov.uk", **PREFLIGHT}
        )

    assert "access-control-allow-origin" not in response.headers


async def test_origins_in_the_allow_list_and_only_they_may_call() -> None:
    async with bare_app(cors_origins=["https://portal.example.gov.uk"]) as http:
        allowed = await http.options(
            "/graphql", headers={"Origin": "https://portal.example.gov.uk", **PREFLIGHT}
        )
        other = await http.options(
            "/graphql", headers={"Origin": "https://elsewhere.example.com", **PREFLIGHT}
        )

    assert allowed.headers["access-control-allow-origin"] == "https://portal.example.gov.uk"
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers


async def test_a_browser_on_an_allowed_origin_can_read_a_refusal_and_its_preflights_are_free() -> (
    None
):
    # The edge answers rate limits inside CORS: a 429 a browser cannot read would look like a
    # network failure to the caller's page. Preflights are answered before any limit.
    origin = {"Origin": "https://portal.example.gov.uk"}
    async with bare_app(
        cors_origins=[origin["Origin"]], rate_limit_per_minute=60, rate_limit_burst=1
    ) as http:
        preflights = [
            await http.options("/graphql", headers={**origin, **PREFLIGHT}) for _ in range(3)
        ]
        first = await http.post("/graphql", json={"query": "{ __typename }"}, headers=origin)
        refused = await http.post("/graphql", json={"query": "{ __typename }"}, headers=origin)

    assert [r.status_code for r in preflights] == [200, 200, 200]
    assert all("x-request-id" in r.headers for r in preflights)
    assert first.status_code != 429
    assert refused_for(refused) == "1"
    assert refused.headers["access-control-allow-origin"] == origin["Origin"]
    assert refused.headers["x-content-type-options"] == "nosniff"
