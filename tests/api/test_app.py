"""The app's edges over real HTTP: health and readiness, request ids, the body limit, masked
internal errors, request limits, introspection and GraphiQL switches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from api.app import create_app
from api.runtime import Runtime
from records.keystore import KeyStore, make_keystore_engine
from records.models import AccessLogEntry, Arrangement, ArrangementKind
from tests.api.app_fixtures import FixedClock
from tests.api.portal_world import EMAIL, PortalWorld, api_key, build_portal_world

STATUS = """
query Status($lookup: RestrictionLookup!) {
  restrictionStatus(lookup: $lookup, service: "housing") { restricted arrangements { kind } }
}
"""


async def log_count(runtime: Runtime) -> int:
    async with runtime.database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(AccessLogEntry)) or 0)


async def graphql(
    client: httpx.AsyncClient, query: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post("/graphql", json={"query": query}, headers=headers or {})


# -- health ----------------------------------------------------------------------------------


async def test_healthz_says_the_process_is_up(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_checks_the_database_and_the_key_store(
    client: httpx.AsyncClient, runtime: Runtime, tmp_path: Path
) -> None:
    assert (await client.get("/readyz")).json() == {"status": "ready"}

    reachable = runtime.database.keystore
    gone = tmp_path / "no-such-folder" / "keys.db"
    runtime.database.keystore = KeyStore(make_keystore_engine(f"sqlite+aiosqlite:///{gone}"))
    try:
        response = await client.get("/readyz")
    finally:
        await runtime.database.keystore.close()
        runtime.database.keystore = reachable

    assert (response.status_code, response.json()) == (503, {"status": "unavailable"})
    assert (await client.get("/readyz")).status_code == 200


# -- request ids -----------------------------------------------------------------------------


async def test_a_sane_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "lb-7f3a:42.b_c"})

    assert response.headers["x-request-id"] == "lb-7f3a:42.b_c"


@pytest.mark.parametrize("sent", [None, "has spaces in it", "x" * 65, "<script>", "-leading-dash"])
async def test_otherwise_a_fresh_request_id_is_made(
    client: httpx.AsyncClient, sent: str | None
) -> None:
    headers = {"X-Request-ID": sent} if sent is not None else {}
    first = await client.get("/healthz", headers=headers)
    second = await client.get("/healthz", headers=headers)

    made = first.headers["x-request-id"]
    assert made != sent
    assert len(made) == 32 and int(made, 16) >= 0
    assert second.headers["x-request-id"] != made


# -- body size limit -------------------------------------------------------------------------


@pytest.fixture
async def small_client(runtime: Runtime, clock: FixedClock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime, clock=clock, max_body_bytes=1024)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tact.test") as http:
        yield http


async def test_a_body_over_the_limit_gets_413(small_client: httpx.AsyncClient) -> None:
    padding = " " * 2000
    response = await small_client.post("/graphql", json={"query": "{ __typename }" + padding})

    assert response.status_code == 413
    (error,) = response.json()["errors"]
    assert error["extensions"] == {
        "code": "PAYLOAD_TOO_LARGE",
        "requestId": response.headers["x-request-id"],
    }


async def test_a_streamed_body_over_the_limit_gets_413(small_client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ __typename }'
        for _ in range(10):
            yield b" " * 200
        yield b'"}'

    response = await small_client.post(
        "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
    )

    assert "content-length" not in response.request.headers
    assert response.status_code == 413


async def test_a_body_within_the_limit_is_served(small_client: httpx.AsyncClient) -> None:
    response = await small_client.post("/graphql", json={"query": "{ __typename }"})

    assert response.json() == {"data": {"__typename": "Query"}}


# -- masked internal errors ------------------------------------------------------------------


async def test_a_tampered_value_is_reported_without_leaking(
    client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    world: PortalWorld = await build_portal_world(runtime, clock.now)
    async with runtime.database.sessions() as session, session.begin():
        sealed = await session.scalar(
            select(Arrangement.parameters_sealed).where(
                Arrangement.kind == ArrangementKind.NAMED_OFFICER
            )
        )
        assert sealed is not None
        tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
        await session.execute(
            update(Arrangement)
            .where(Arrangement.kind == ArrangementKind.NAMED_OFFICER)
            .values(parameters_sealed=tampered)
        )

    response = await client.post(
        "/graphql",
        json={"query": STATUS, "variables": {"lookup": {"email": EMAIL}}},
        headers=api_key(world.housing_key),
    )

    (error,) = response.json()["errors"]
    # Altered ciphertext is an integrity failure, told apart from an outage (DESIGN 4), with
    # a fixed message: nothing of the stored record, the statement or the trace.
    assert error["message"].startswith("A stored record failed its integrity check")
    assert error["extensions"]["code"] == "INTEGRITY_FAILURE"
    for leak in ("Traceback", "Decryption", "arrangements", "parameters", "File ", EMAIL):
        assert leak not in response.text
    assert response.json()["data"] is None
    async with runtime.database.sessions() as session:
        outcomes = list(await session.scalars(select(AccessLogEntry.outcome)))
    assert outcomes == ["integrity_failure"]


# -- request limits ----------------------------------------------------------------------------


async def test_a_query_deeper_than_the_limit_is_refused_before_it_runs(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    deep = '{ restrictionStatus(lookup: {email: "a@example.org"}, service: "housing") '
    deep += "{ arrangements { a { b { c { d { e { f { g { h } } } } } } } } } }"

    response = await graphql(client, deep)

    messages = [e["message"] for e in response.json()["errors"]]
    assert any("exceeds maximum operation depth of 8" in m for m in messages)
    assert await log_count(runtime) == 0


async def test_too_many_aliases_are_refused_before_anything_runs(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    asks = " ".join(
        f'a{i}: restrictionStatus(lookup: {{email: "p{i}@example.org"}}, service: "housing")'
        " { restricted }"
        for i in range(11)
    )

    response = await graphql(client, "{ " + asks + " }")

    (error,) = response.json()["errors"]
    assert error["message"] == "11 aliases found. Allowed: 10."
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert await log_count(runtime) == 0


async def test_too_many_tokens_are_refused_by_the_parser(client: httpx.AsyncClient) -> None:
    response = await graphql(client, "{ " + "__typename " * 1200 + "}")

    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert "tokens" in error["message"]


# -- introspection, GraphiQL, GET --------------------------------------------------------------


async def test_introspection_is_off_unless_enabled(
    client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    query = "{ __schema { queryType { name } } }"
    off = await graphql(client, query)
    runtime.settings = runtime.settings.model_copy(update={"introspection": True})
    on_app = create_app(runtime, clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=on_app), base_url="http://tact.test"
    ) as on_client:
        on = await graphql(on_client, query)

    assert off.json()["data"] is None
    assert "introspection" in off.json()["errors"][0]["message"]
    assert on.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_graphiql_is_served_only_when_enabled(
    client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    html = {"Accept": "text/html"}
    off = await client.get("/graphql", headers=html)
    runtime.settings = runtime.settings.model_copy(update={"graphiql": True})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(runtime, clock=clock)),
        base_url="http://tact.test",
    ) as on_client:
        on = await on_client.get("/graphql", headers=html)

    assert off.status_code == 404
    assert on.status_code == 200 and "graphiql" in on.text.lower()


async def test_operations_are_not_run_from_a_get_url(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "{ __typename }"})

    assert response.status_code >= 400
    assert "Query" not in response.text
