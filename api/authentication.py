"""How a request becomes an Actor, and how a refusal becomes HTTP 401.

    Authorization: Bearer <jwt>     a member of staff (api.staff_tokens)
    Authorization: ApiKey <key>     a web portal (authz.portal_keys)
    X-Api-Key: <key>                a web portal, for clients that cannot set Authorization

No credentials at all gives None: the choke point then denies (and logs) the attempt. Bad
credentials raise Unauthenticated with one message that does not say which check failed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import Headers
from starlette.responses import JSONResponse

from api.graphql_http import error_response
from api.settings import Settings
from api.staff_tokens import StaffTokenVerifier
from authz.actor import Actor
from authz.credentials import credentials_refused, staff_actor
from authz.portal_keys import PortalKeyCache, authenticate_portal_key
from records.errors import Unauthenticated

_REALM = 'realm="tact"'


def _lowered(headers: Mapping[str, str]) -> Mapping[str, str]:
    # Starlette's Headers already match names case-insensitively; a plain dict does not.
    if isinstance(headers, Headers):
        return headers
    return {name.lower(): value for name, value in headers.items()}


class Authenticator:
    """Turns request headers into an Actor. Built once at start-up (it holds the JWKS)."""

    def __init__(
        self, tokens: StaffTokenVerifier, portal_keys: PortalKeyCache | None = None
    ) -> None:
        self._tokens = tokens
        self._portal_keys = portal_keys

    @classmethod
    def from_settings(cls, settings: Settings) -> Authenticator:
        """Reads the JWKS file, prepares the JWKS URL client, or loads (first time: creates)
        the local signing key. Raises KeyMaterialError when the configured keys are unusable.
        Accepted portal keys are remembered for TACT_PORTAL_KEY_CACHE_SECONDS."""
        cache = PortalKeyCache(settings.portal_key_cache_seconds)
        return cls(StaffTokenVerifier.from_settings(settings), cache)

    async def authenticate(
        self, headers: Mapping[str, str], session: AsyncSession, now: dt.datetime
    ) -> Actor | None:
        """The caller's Actor; None without credentials; Unauthenticated for bad ones.

        Portal keys cost one indexed query in `session` (none when accepted within the last
        TACT_PORTAL_KEY_CACHE_SECONDS); staff tokens one query for the staff row and roles.
        `now` must be timezone-aware."""
        lowered = _lowered(headers)
        authorization = lowered.get("authorization")
        api_key = lowered.get("x-api-key")
        if authorization is None and api_key is None:
            return None
        if authorization is not None and api_key is not None:
            raise credentials_refused("header", "two credentials")
        if api_key is not None:
            return await authenticate_portal_key(session, api_key.strip(), now, self._portal_keys)
        assert authorization is not None
        scheme, _, credential = authorization.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() == "apikey":
            return await authenticate_portal_key(session, credential, now, self._portal_keys)
        if scheme.lower() != "bearer" or not credential:
            raise credentials_refused("header", "unknown scheme")
        username = await self._tokens.subject(credential, now)
        actor = await staff_actor(session, username)
        if actor is None:
            raise credentials_refused("bearer", "unknown or inactive staff")
        return actor


def unauthenticated_response(message: str, request_id: str | None) -> JSONResponse:
    """HTTP 401 in the shape of every other refusal (`errors`, with `extensions.code`
    UNAUTHENTICATED and the request id), and a WWW-Authenticate challenge for both schemes
    (RFC 6750's invalid_token: credentials were sent, and refused)."""
    challenge = f'Bearer {_REALM}, error="invalid_token", ApiKey {_REALM}'
    return error_response(
        message,
        status=401,
        code=Unauthenticated.code,
        request_id=request_id,
        headers={"WWW-Authenticate": challenge},
    )
