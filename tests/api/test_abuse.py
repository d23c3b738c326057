"""Issue 16's abuse probes, in production-mode settings (introspection and GraphiQL off, a
JWKS, explicit stores): each refused with the right status and code, and the server healthy
after.

Probes that concern the event loop (documents whose cost is in parsing and validating, a
10 MB body) go to a real `tact serve` in its own process, with /healthz asked while they are
in flight; the rest go through the in-process ASGI client. Nothing here times anything: the
HTTP client's timeout is only a bound on a hung server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.runtime import Runtime
from authz.audit_signing import CheckpointSigner
from tests.api.app_fixtures import FixedClock, app_settings
from tests.api.portal_world import EMAIL, PortalWorld, api_key, build_portal_world
from tests.api.staff_factories import make_key, write_jwks
from tests.api.test_faults import env_of
from tests.api.test_hardening_requests import MALFORMED, fragment_bomb
from tests.live_server import tact_serve

STATUS = 'restrictionStatus(lookup: {email: "a@example.org"}, service: "housing")'
LOOKUP = (
    "query($l: RestrictionLookup!) "
    '{ restrictionStatus(lookup: $l, service: "housing") { restricted } }'
)
BOUND = httpx.Timeout(30.0)  # a hung server fails the test instead of hanging it


def depth_bomb() -> str:
    return "{ " + STATUS + " { arrangements " + "{ kind " * 40 + "}" * 40 + " } }"


def alias_bomb_through_fragments() -> str:
    """Each fragment holds ten aliases and spreads the next twice: aliases the alias limit
    never counts on the page, 10 * 2**10 of them once expanded."""
    lines = [f"query {{ {STATUS} {{ ...A0 }} }}"]
    for level in range(10):
        aliases = " ".join(f"r{i}: restricted" for i in range(10))
        spread = f"...A{level + 1}"
        lines.append(f"fragment A{level} on RestrictionStatus {{ {aliases} {spread} {spread} }}")
    lines.append("fragment A10 on RestrictionStatus { service }")
    return "\n".join(lines)


def thousand_operations() -> str:
    """Under the body limit; over the token limit, so the parser stops counting at 1,000."""
    return " ".join(f"query Q{i} {{ verifyAccessLog {{ ok }} }}" for i in range(1000))


def code_of(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


def production_env(runtime: Runtime, tmp_path: Path) -> dict[str, str]:
    jwks = write_jwks(tmp_path / "jwks.json", [make_key("ES256")])
    return {**env_of(runtime), "TACT_ENVIRONMENT": "production", "TACT_JWKS": str(jwks)}


@pytest.fixture
async def world(runtime: Runtime, clock: FixedClock) -> PortalWorld:
    return await build_portal_world(runtime, clock.now)


# -- a real server: what could hold the event loop --------------------------------------------


async def test_a_live_server_refuses_the_costly_documents_and_stays_healthy(
    runtime: Runtime, world: PortalWorld, tmp_path: Path
) -> None:
    documents = {
        "fragment bomb (886 bytes, 12 levels)": fragment_bomb(12),
        "fragment bomb (13 levels)": fragment_bomb(13),
        "fragment bomb, fragments renamed": fragment_bomb(12).replace("F", "G"),
        "alias bomb through fragments": alias_bomb_through_fragments(),
        "depth bomb": depth_bomb(),
        "1,000 operations in one document": thousand_operations(),
    }
    async with (
        tact_serve(production_env(runtime, tmp_path)) as (base, _process),
        httpx.AsyncClient(base_url=base, timeout=BOUND) as http,
    ):
        for name, document in documents.items():
            sent = http.post("/graphql", json={"query": document})  # no credentials
            refused, health = await asyncio.gather(sent, http.get("/healthz"))
            assert health.status_code == 200, name
            assert refused.status_code == 200, name
            assert code_of(refused) in ("GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"), name
            assert "data" not in refused.json() or refused.json()["data"] is None
        strict = await http.post(
            "/graphql",
            json={"query": fragment_bomb(12)},
            headers={"Accept": "application/graphql-response+json"},
        )
        huge = await http.post(
            "/graphql",
            content=b'{"query": "' + b"x" * (10 * 1024 * 1024) + b'"}',
            headers={"Content-Type": "application/json"},
        )
        after = await http.post(
            "/graphql",
            json={"query": LOOKUP, "variables": {"l": {"email": EMAIL}}},
            headers=api_key(world.housing_key),
        )
        ready = await http.get("/readyz")

    assert (strict.status_code, code_of(strict)) == (400, "GRAPHQL_VALIDATION_FAILED")
    assert huge.status_code == 413
    assert after.json()["data"]["restrictionStatus"]["restricted"] is True
    assert ready.status_code == 200


# -- in process: everything else -------------------------------------------------------------


@pytest.fixture
async def production(
    database: Any, database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> AsyncIterator[Runtime]:
    jwks = write_jwks(tmp_path / "jwks.json", [make_key("ES256")])
    signing = tmp_path / "audit-signing.key"
    CheckpointSigner.create_file(signing)  # production makes no key files of its own
    settings = app_settings(
        tmp_path,
        database_urls,
        key_file,
        environment="production",
        jwks=str(jwks),
        audit_signing_key_file=signing,
    )
    started = await Runtime.start(settings, migrate=False)
    try:
        yield started
    finally:
        await started.close()


@pytest.fixture
async def http(production: Runtime, clock: FixedClock) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(production, clock=clock))
    async with httpx.AsyncClient(transport=transport, base_url="https://tact.test") as client:
        yield client


async def send(http: httpx.AsyncClient, body: Any, **headers: str) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await http.post(
        "/graphql", content=content, headers={"Content-Type": "application/json", **headers}
    )


PROBES: dict[str, tuple[Any, int, str]] = {
    **{f"malformed: {name}": (body, 400, "BAD_REQUEST") for name, body in MALFORMED.items()},
    "1,000-operation batch": ([{"query": "{ __typename }"}] * 1000, 400, "BAD_REQUEST"),
    "introspection": (
        {"query": "{ __schema { types { name } } }"},
        200,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    "argument suggestion": (
        {"query": "{ " + STATUS.replace("lookup", "lookp") + " { restricted } }"},
        200,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    "echoed variable": (
        {"query": LOOKUP, "variables": {"l": {"emial": "alex.demo@example.org"}}},
        200,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    "lone surrogate": (
        {"query": LOOKUP, "variables": {"l": {"customerRef": "\ud800"}}},
        400,
        "VALIDATION_FAILED",
    ),
    "verify ten times": (
        {"query": "{ " + " ".join(f"v{i}: verifyAccessLog {{ ok }}" for i in range(10)) + " }"},
        200,
        "GRAPHQL_VALIDATION_FAILED",
    ),
}


@pytest.mark.parametrize(("body", "status", "code"), PROBES.values(), ids=PROBES.keys())
async def test_each_probe_is_refused_with_its_status_and_code(
    http: httpx.AsyncClient, body: Any, status: int, code: str
) -> None:
    response = await send(http, body)
    health = await http.get("/healthz")

    assert (response.status_code, code_of(response)) == (status, code)
    assert "alex.demo" not in response.text and "Did you mean" not in response.text
    assert response.headers["x-request-id"]
    assert response.headers["strict-transport-security"]
    assert health.status_code == 200


async def test_a_get_query_is_refused_and_runs_nothing(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", params={"query": "{ verifyAccessLog { ok } }"})

    assert response.status_code in (400, 405)
    assert code_of(response) in ("BAD_REQUEST", "METHOD_NOT_ALLOWED")
    assert "data" not in response.json()
