"""The Starlette app: GraphQL at /graphql, /healthz, /readyz, request ids, a body size limit
and one JSON log line per request.

Everything that can be built once is built at start-up (the schema with its caches, the
GraphQL view, the authenticator, the gate); a request only authenticates, builds its
TactContext and runs. Data flows HTTP -> authentication -> the gate -> casework -> records.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from admin.panel import PANEL_PATH
from api.admin_mount import mount_admin
from api.authentication import Authenticator, unauthenticated_response
from api.edge import Edge
from api.faults import SESSION_KEY, serve_guarded
from api.graphql_view import GraphQLOverHTTP
from api.logging import configure_logging, request_id_from
from api.metrics import install as install_metrics
from api.metrics import metrics_routes
from api.rate_limits import Monotonic, RateLimiter, client_address
from api.runtime import Runtime
from api.settings import Settings
from authz.actor import Actor, ActorKind
from authz.gate import Gate
from casework.attachments import encoded_length
from records.database import LazySession
from records.errors import Unauthenticated
from records.models import utcnow
from schema.context import TactContext
from schema.root import TactSchema, build_schema

log = logging.getLogger("tact.app")

Clock = Callable[[], dt.datetime]
# A portal query is a few hundred bytes; a generous limit still refuses a body meant to
# exhaust the parser before any limit on depth or tokens applies.
MAX_BODY_BYTES = 64 * 1024
GRAPHQL_PATH = "/graphql"
ROUTE_PATHS = (GRAPHQL_PATH, "/healthz", "/readyz")


@dataclass(frozen=True)
class Wiring:
    """The parts every request uses, made once the runtime is open."""

    runtime: Runtime
    authenticator: Authenticator
    gate: Gate


class _Parts:
    """Holds the wiring. With a runtime handed in, it is made on first use (tests drive the
    app without a lifespan); without one, the lifespan opens the runtime and wires it before
    the first request, so start-up errors stop the server before it listens."""

    def __init__(self, runtime: Runtime | None, settings: Settings) -> None:
        self.settings = settings
        self._runtime = runtime
        self._wiring: Wiring | None = None
        self._lock = asyncio.Lock()

    @property
    def wiring(self) -> Wiring | None:
        return self._wiring

    async def ready(self) -> Wiring:
        if self._wiring is not None:
            return self._wiring
        async with self._lock:
            if self._wiring is None:
                if self._runtime is None:
                    raise RuntimeError("the runtime is not open")
                self._wiring = await _wire(self._runtime)
        return self._wiring

    @asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        if self._runtime is not None:
            await self.ready()
            yield
            return
        self._runtime = await Runtime.start(self.settings)
        # Cached data keys are dropped within their bound even while no request comes.
        sweeping = asyncio.create_task(self._runtime.vault.keep_swept())
        try:
            await self.ready()
            settle_garbage_collector()
            yield
        finally:
            sweeping.cancel()
            await self._runtime.close()


# A GraphQL request allocates many short-lived objects, so the default threshold (700) runs a
# young collection every few requests, and each older one walks every object made at start-up
# (schema, models, Casbin). Measured on the portal benchmark (PostgreSQL, 16 connections):
# 243 -> 288 requests/s, p99 148 -> 90 ms.
GC_THRESHOLDS = (50_000, 50, 100)


def settle_garbage_collector() -> None:
    """Once start-up is done: move what start-up made out of the collector's way (gc.freeze)
    and collect young objects less often. Cycles are still collected."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


async def _wire(runtime: Runtime) -> Wiring:
    # Reads the JWKS file or loads the local signing key: once, not per request.
    authenticator = Authenticator.from_settings(runtime.settings)
    install_metrics(runtime)  # counts gate passes and log commits when TACT_METRICS=true
    return Wiring(runtime=runtime, authenticator=authenticator, gate=runtime.gate)


class _View(GraphQLOverHTTP[TactContext]):
    def __init__(
        self,
        schema: TactSchema,
        parts: _Parts,
        clock: Clock,
        graphiql: bool,
        limiter: RateLimiter | None = None,
    ) -> None:
        # Only POST runs operations: a GET query would put lookups (emails, phone numbers)
        # in URLs, and so in proxies' logs.
        super().__init__(
            schema, graphql_ide="graphiql" if graphiql else None, allow_queries_via_get=False
        )
        self._parts = parts
        self._clock = clock
        self._limiter = limiter or RateLimiter(parts.settings)

    async def get_context(self, request: Request, response: Response) -> TactContext:  # type: ignore[override]
        return self._context(request.scope)

    async def planned_context(self, scope: Scope) -> TactContext:
        return self._context(scope)

    def _context(self, scope: Scope) -> TactContext:
        wiring = self._parts.wiring
        assert wiring is not None  # the endpoint awaited ready() first
        state = scope["state"]
        actor: Actor | None = state.get("actor")
        return TactContext(
            actor=actor,
            request_id=state["request_id"],
            sessions=state["sessions"],
            vault=wiring.runtime.vault,
            readers=wiring.runtime.database.readers,
            gate=wiring.gate,
            clock=self._clock,
            profile=wiring.runtime.profile,
            letters=wiring.runtime.letters,
            spend=self._spender(actor, scope),
            registered_only=self._parts.settings.portal_registered_documents_only
            and actor is not None
            and actor.kind is ActorKind.PORTAL,
            attachment_max_bytes=self._parts.settings.attachment_max_bytes,
        )

    def _spender(self, actor: Actor | None, scope: Scope) -> Callable[[str], None]:
        caller = actor.label if actor is not None else client_address(scope)
        return lambda _limit: self._limiter.spend_lookup(caller)


class _GraphQLEndpoint:
    """Authenticates, then hands over to strawberry. Bad credentials stop here with 401;
    none at all go on as actor None, and the gate denies (and logs) what needs an actor."""

    def __init__(self, view: _View, parts: _Parts, clock: Clock) -> None:
        self.view = view
        self.parts = parts
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        wiring = await self.parts.ready()
        request_id_from(scope)

        async def serve(receive: Receive, send: Send) -> None:
            await self._serve(wiring, scope, receive, send)

        # A storage fault answers 503 (and a lost connection is retried once): api/faults.py.
        await serve_guarded(serve, wiring.runtime, scope, receive, send)

    async def _serve(self, wiring: Wiring, scope: Scope, receive: Receive, send: Send) -> None:
        # One session for the whole request: the credentials are checked in the transaction
        # the gate then commits, so a portal lookup is one transaction, not two (on SQLite,
        # one write lock taken instead of two). Opened when first used: a lookup answered
        # from caches and readers uses none (records/database.py LazySession).
        session = cast(AsyncSession, LazySession(wiring.runtime.database.sessions))
        try:
            scope["state"][SESSION_KEY] = session
            try:
                actor = await wiring.authenticator.authenticate(
                    Headers(scope=scope), session, self.clock()
                )
            except Unauthenticated as refused:
                await session.rollback()
                answer = unauthenticated_response(refused.message, request_id_from(scope))
                await answer(scope, receive, send)
                return
            scope["state"]["actor"] = actor
            scope["state"]["sessions"] = RequestSession(session)
            await self.view(scope, receive, send)
        finally:
            await session.close()


class RequestSession:
    """The request's one session, handed to resolvers in place of a session factory.

    Resolvers of one request may run concurrently (graphql-core gathers sibling fields), and
    a session is not safe for concurrent use, so each `async with` holds it alone. The gate
    commits (or rolls back) inside each use; the endpoint closes the session at the end.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[AsyncSession]:
        async with self._lock:
            try:
                yield self._session
            finally:
                # Whatever a resolver read outside the gate ends here, so no transaction
                # (and, on SQLite, no write lock) outlives its use.
                if self._session.in_transaction():
                    await self._session.rollback()


def _health_routes(parts: _Parts) -> list[Route]:
    async def healthz(_request: Request) -> Response:
        # The process is up and serving: no I/O, so a slow database never fails liveness.
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> Response:
        try:
            wiring = await parts.ready()
            await wiring.runtime.database.ping()
            problem = await wiring.runtime.access_log_problem()
        except Exception as exc:
            log.warning("not ready", extra={"event": "not_ready", "error_type": type(exc).__name__})
            return JSONResponse({"status": "unavailable"}, status_code=503)
        if problem is not None:  # a neutral reason; the server log says which entry
            return JSONResponse({"status": "unavailable", "reason": problem}, status_code=503)
        return JSONResponse({"status": "ready"})

    return [Route("/healthz", healthz), Route("/readyz", readyz)]


def create_app(
    runtime: Runtime | None = None,
    *,
    settings: Settings | None = None,
    clock: Clock = utcnow,
    max_body_bytes: int = MAX_BODY_BYTES,
    rate_clock: Monotonic = time.monotonic,
) -> Starlette:
    """The app over an open `runtime` (the caller closes it), or, without one, over a runtime
    its lifespan opens from `settings` (default: the environment) and closes."""
    settings = runtime.settings if runtime is not None else (settings or Settings())
    parts = _Parts(runtime, settings)
    schema = build_schema(introspection=settings.introspection)
    limiter = RateLimiter(settings, rate_clock)
    view = _View(schema, parts, clock, graphiql=settings.graphiql, limiter=limiter)
    endpoint = _GraphQLEndpoint(view, parts, clock)
    edge = Middleware(
        Edge,
        limiter=limiter,
        known_paths=ROUTE_PATHS,
        api_paths=ROUTE_PATHS,
        guarded_paths=[GRAPHQL_PATH],
        budget_seconds=settings.request_timeout_seconds,
        max_body_bytes=max_body_bytes,
        # Room for the largest attachment, base64, beside the rest of the request.
        staff_body_bytes=max_body_bytes + encoded_length(settings.attachment_max_bytes),
        hsts=not settings.development,
        cors_origins=settings.cors_origins,
        direct={GRAPHQL_PATH: endpoint},  # the portal's hot path: past the router
        panel_path=PANEL_PATH,
    )
    app = Starlette(
        routes=[
            Route(GRAPHQL_PATH, endpoint, methods=["GET", "POST"]),
            *_health_routes(parts),
            *metrics_routes(settings.metrics),
        ],
        middleware=[edge],
        lifespan=parts.lifespan,
    )

    async def runtime_ready() -> Runtime:
        return (await parts.ready()).runtime

    mount_admin(app, settings, runtime_ready, clock)
    return app


def app_from_environment() -> Starlette:
    """uvicorn's factory (`tact serve`): settings from the environment, JSON logs."""
    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(settings=settings)
