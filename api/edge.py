"""The HTTP edge: the one ASGI layer every request passes before any route.

In order, for each HTTP request:

1. **Request id**: a sane `X-Request-ID` is kept, anything else replaced (api/logging.py);
   it is echoed on the answer and goes into the request's log line and access-log entry.
2. **CORS**, when origins are configured (Starlette's middleware, api/security_headers.py),
   so that the refusals below are readable by a browser on an allowed origin.
3. **Rate limits** on the GraphQL path (api/rate_limits.py): 429 with Retry-After.
4. **Body limit**: 413 for a body over `max_body_bytes`, by its Content-Length or, for a
   chunked body, as soon as the bytes read pass the limit. A request to the GraphQL path
   with a bearer token (staff) may be as large as `staff_body_bytes`: an attachment travels
   base64 in the body (docs/workflow.md, "Attachments"). Portals and callers without a token
   keep the small limit; a forged token is read, then refused 401 and counted against its
   address like any failed authentication.
5. **Time budget** on the GraphQL path (TACT_REQUEST_TIMEOUT_SECONDS): a request still
   running when its budget is spent is cancelled at its next await and answered 503 (code
   TIMEOUT) with Retry-After. Cancelling drops the request's session, so its transaction
   rolls back: an answer never sent has written nothing. CPU-bound work between awaits
   cannot be cancelled; the document limits (schema/limits.py) keep that small.
6. **Security headers** on every answer, the API's and the admin panel's pages their own
   policies (api/security_headers.py).
7. **An answer for anything that escaped**: a JSON 500 with the request id, never a stack
   trace; the log line names the exception's type and frames only.
8. **One log line** per request: method, path (a known route or "other"), status, duration,
   request id. Never a body, a header value or a query string. Every other line logged while
   serving the request carries its id too.

One layer, with one wrapper around `send` that every part reads: whether the answer has
started, and its status, are kept on the request's `Exchange`. Why one and not a middleware
per concern: each layer cost the portal's hot path a call and a `send` wrapper per message
(docs/hot-path.md).

POSTs to the paths in `direct` go straight to their endpoint, past Starlette's exception
middleware and router, which the GraphQL endpoint does not use (it answers its own errors).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.graphql_http import error_response
from api.logging import (
    internal_error,
    log_request,
    request_id_of,
    request_log,
    served,
    serving,
)
from api.rate_limits import RateLimiter, client_address, credential_key, too_many
from api.security_headers import cors, kind_of, secured

log = logging.getLogger("tact.app")
EXCHANGE = "exchange"  # scope["state"] key of the request's Exchange
TIMEOUT = "TIMEOUT"
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"


@dataclass(slots=True)
class Exchange:
    """One request's passage through the edge: its id, and the answer's status once it has
    started (0 until then: an error can still be answered)."""

    request_id: str
    status: int = 0

    @property
    def started(self) -> bool:
        return self.status != 0


def exchange_of(scope: Scope) -> Exchange:
    """The request's Exchange, as the edge made it."""
    exchange: Exchange = scope["state"][EXCHANGE]
    return exchange


class _BodyTooLarge(Exception):
    pass


class Edge:
    def __init__(
        self,
        app: ASGIApp,
        *,
        limiter: RateLimiter,
        known_paths: Collection[str],
        api_paths: Collection[str],
        guarded_paths: Collection[str],
        budget_seconds: float,
        max_body_bytes: int,
        hsts: bool,
        staff_body_bytes: int = 0,
        cors_origins: list[str],
        direct: Mapping[str, ASGIApp] | None = None,
        panel_path: str | None = None,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.known_paths = frozenset(known_paths)
        self.api_paths = frozenset(api_paths)
        self.guarded_paths = frozenset(guarded_paths)  # rate limits and the time budget
        self.budget_seconds = budget_seconds
        self.max_body_bytes = max_body_bytes
        self.staff_body_bytes = max(staff_body_bytes, max_body_bytes)
        self.hsts = hsts
        self.panel_path = panel_path  # the admin panel's pages: their own headers
        self.direct = dict(direct or {})
        self._limited = cors(self._limit, cors_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started_at = time.perf_counter()
        exchange = Exchange(request_id_of(scope))
        state = scope.setdefault("state", {})
        state["request_id"] = exchange.request_id
        state[EXCHANGE] = exchange
        kind = kind_of(scope["path"], self.api_paths, self.panel_path)
        echoed = (b"x-request-id", exchange.request_id.encode())

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                message["headers"] = secured(message.get("headers", ()), echoed, kind, self.hsts)
            await send(message)

        token = serving(exchange.request_id)
        try:
            await self._limited(scope, receive, send_secured)
        except Exception:
            if exchange.started:
                raise
            # Whatever escaped is still a JSON answer with the request id, not plain text.
            request_log.error(
                "unhandled error", exc_info=True, extra={"request_id": exchange.request_id}
            )
            await internal_error(exchange.request_id)(scope, receive, send_secured)
        finally:
            log_request(scope, exchange.status, started_at, exchange.request_id, self.known_paths)
            served(token)

    async def _limit(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Rate limits, the body limit and the time budget, inside CORS."""
        guarded = scope["path"] in self.guarded_paths
        if guarded and await self._refused(scope, receive, send):
            return
        length = _content_length(scope)
        limit = self._body_limit(scope, guarded, length)
        if length is not None and (not length.isdigit() or int(length) > limit):
            await self._too_large(scope, receive, send, limit)
            return
        if length is None:  # chunked: counted as it arrives
            receive = self._counting(receive, limit)
        endpoint = self.direct.get(scope["path"]) if scope["method"] == "POST" else None
        app = endpoint or self.app
        budget = asyncio.timeout(self.budget_seconds if guarded else None)
        try:
            async with budget:
                await app(scope, receive, send)
        except _BodyTooLarge:
            if exchange_of(scope).started:
                raise
            await self._too_large(scope, receive, send, limit)
        except TimeoutError:
            if exchange_of(scope).started or not budget.expired():
                raise
            log.warning("request over its time budget", extra={"event": "request_timeout"})
            await self._over_budget(scope, receive, send)
        if guarded and exchange_of(scope).status == 401:
            self.limiter.failed_auth.take(client_address(scope))

    def _body_limit(self, scope: Scope, guarded: bool, length: str | None) -> int:
        """The staff limit for a bearer token on a guarded path, else the small one. A body
        known to be within the small limit (the portal's, a few hundred bytes) is not asked
        for its credential: the hot path does no more work than before."""
        small = length is not None and length.isdigit() and int(length) <= self.max_body_bytes
        if small or not guarded or not _bears_token(scope):
            return self.max_body_bytes
        return self.staff_body_bytes

    async def _refused(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Answers 429 (and says so) when the caller is over a limit."""
        address = client_address(scope)
        waiting = self.limiter.failed_auth.wait(address)
        if waiting:
            limit = "failed_authentication"
        else:
            waiting = self.limiter.requests.take(credential_key(scope) or address)
            limit = "requests"
        if waiting:
            await too_many(scope, receive, send, waiting, limit)
        return bool(waiting)

    def _counting(self, receive: Receive, limit: int) -> Receive:
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        return counting_receive

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = error_response(
            f"the request body is larger than {limit} bytes",
            status=413,
            code=PAYLOAD_TOO_LARGE,
            request_id=exchange_of(scope).request_id,
        )
        await response(scope, receive, send)

    async def _over_budget(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            f"the request took longer than its budget of {self.budget_seconds:g} seconds",
            status=503,
            code=TIMEOUT,
            request_id=exchange_of(scope).request_id,
            headers={"Retry-After": "1"},
        )
        await response(scope, receive, send)


def _content_length(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            length: str = value.decode("latin-1")
            return length
    return None


def _bears_token(scope: Scope) -> bool:
    """Does the request present a bearer token (a member of staff's credential)? Whether it
    is a valid one is authentication's to say, after the body is read."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme: bytes = value[:7].lower()
            return scheme == b"bearer "
    return False
