"""From request headers to an Actor (portal keys in either header, staff tokens, nothing at
all), and the 401 reply, checked through real HTTP against a tiny Starlette app."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.authentication import Authenticator, unauthenticated_response
from api.settings import Settings
from authz.actor import ActorKind
from authz.credentials import REFUSED
from authz.portal_keys import create_portal_key, revoke_portal_key
from records.database import Database
from records.errors import Unauthenticated
from records.models import Role
from tests.api.staff_factories import (
    NOW,
    SigningKey,
    authenticate,
    bearer,
    claims,
    refused_tokens,
    sign,
)

# -- portal keys and the headers -----------------------------------------------------------


@pytest.fixture
async def portal_key(people: Database) -> str:
    async with people.sessions() as session, session.begin():
        issued = await create_portal_key(
            session, name="Housing web portal", services=["housing"], now=NOW
        )
    return issued.key


@pytest.mark.parametrize(
    "header",
    [
        lambda key: {"Authorization": f"ApiKey {key}"},
        lambda key: {"authorization": f"apikey {key}"},
        lambda key: {"X-Api-Key": key},
        lambda key: {"x-api-key": key},
    ],
    ids=["ApiKey scheme", "lower case", "X-Api-Key", "x-api-key"],
)
async def test_a_portal_key_is_accepted_in_either_header(
    people: Database, jwks_settings: Settings, portal_key: str, header: Any
) -> None:
    authenticator = Authenticator.from_settings(jwks_settings)

    actor = await authenticate(authenticator, people, header(portal_key))

    assert actor is not None and actor.kind is ActorKind.PORTAL
    assert actor.roles_in("housing") == {Role.PORTAL}
    assert actor.roles_in("fire-safety") == set()


async def test_no_credentials_is_no_actor_and_odd_ones_are_refused(
    people: Database, jwks_settings: Settings, portal_key: str
) -> None:
    authenticator = Authenticator.from_settings(jwks_settings)

    assert await authenticate(authenticator, people, {"Accept": "application/json"}) is None
    for headers in (
        {"Authorization": "Basic YWxleDpzZWNyZXQ="},
        {"Authorization": "Bearer"},
        {"Authorization": "ApiKey "},
        {"X-Api-Key": ""},
        {"Authorization": f"ApiKey {portal_key}", "X-Api-Key": portal_key},
    ):
        with pytest.raises(Unauthenticated, match=REFUSED):
            await authenticate(authenticator, people, headers)


# -- the 401 reply over real HTTP ----------------------------------------------------------


def whoami_app(authenticator: Authenticator, database: Database) -> Starlette:
    """The smallest app that authenticates the way Tact's app does."""

    async def whoami(request: Request) -> Response:
        try:
            async with database.sessions() as session, session.begin():
                actor = await authenticator.authenticate(request.headers, session, NOW)
        except Unauthenticated as refused:
            return unauthenticated_response(refused.message, "req-1")
        return JSONResponse({"actor": actor.label if actor is not None else None})

    return Starlette(routes=[Route("/whoami", whoami)])


@pytest.fixture
async def client(people: Database, jwks_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = whoami_app(Authenticator.from_settings(jwks_settings), people)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tact.test") as client:
        yield client


async def test_refused_credentials_get_one_401_over_http(
    client: httpx.AsyncClient, people: Database, idp_keys: dict[str, SigningKey]
) -> None:
    async with people.sessions() as session, session.begin():
        revoked = await create_portal_key(session, name="Old", services=["housing"], now=NOW)
        await revoke_portal_key(session, revoked.prefix, NOW)
    attempts = {label: bearer(token) for label, token in refused_tokens(idp_keys).items()} | {
        "revoked key": {"X-Api-Key": revoked.key},
        "malformed key": {"Authorization": "ApiKey tact_pk_nonsense"},
    }
    bodies = set()
    for label, headers in attempts.items():
        reply = await client.get("/whoami", headers=headers)
        assert reply.status_code == 401, label
        assert reply.headers["WWW-Authenticate"].startswith('Bearer realm="tact"'), label
        assert 'error="invalid_token"' in reply.headers["WWW-Authenticate"], label
        bodies.add(reply.text)
    # One answer whatever failed, shaped as every other refusal.
    assert [json.loads(b) for b in bodies] == [
        {
            "errors": [
                {
                    "message": REFUSED,
                    "extensions": {"code": "UNAUTHENTICATED", "requestId": "req-1"},
                }
            ]
        }
    ]


async def test_good_and_missing_credentials_over_http(
    client: httpx.AsyncClient, portal_key: str, idp_keys: dict[str, SigningKey]
) -> None:
    staff = await client.get("/whoami", headers=bearer(sign(idp_keys["RS256"], claims())))
    portal = await client.get("/whoami", headers={"X-Api-Key": portal_key})
    missing = await client.get("/whoami")

    assert staff.status_code == 200 and staff.json() == {"actor": "staff:alex.officer"}
    assert portal.status_code == 200 and portal.json()["actor"].startswith("portal:")
    # No credentials at all are not refused here: the gate denies (and logs) the attempt.
    assert missing.status_code == 200 and missing.json() == {"actor": None}
