"""Headers every response carries, and the browser origins allowed to call the API.

Pure ASGI middleware: nosniff, no framing, no referrer; HSTS outside development; on API
answers (JSON from /graphql, /healthz, /readyz) a Content-Security-Policy that allows nothing
and Cache-Control: no-store (answers hold handling instructions and log entries that no
cache should keep). GraphiQL's page (HTML at /graphql, when enabled) gets a policy that lets
it load its scripts and styles from unpkg.com, where strawberry's page takes them from.
Other mounted apps (the admin panel) set their own page policy.
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_POLICY = "default-src 'none'; frame-ancestors 'none'"
GRAPHIQL_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://unpkg.com; "
    "style-src 'self' 'unsafe-inline' https://unpkg.com; img-src 'self' data:; "
    "font-src 'self' data: https://unpkg.com; connect-src 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
_ALWAYS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


class SecurityHeaders:
    def __init__(self, app: ASGIApp, api_paths: Collection[str], hsts: bool) -> None:
        self.app = app
        self.api_paths = frozenset(api_paths)
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope["path"] in self.api_paths

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _ALWAYS.items():
                    headers.setdefault(name, value)
                if self.hsts:
                    headers.setdefault("strict-transport-security", HSTS)
                if api:
                    html = headers.get("content-type", "").startswith("text/html")
                    headers["content-security-policy"] = GRAPHIQL_POLICY if html else API_POLICY
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


def cors(origins: list[str]) -> list[Middleware]:
    """Starlette's CORS middleware for the allowed origins; nothing when there are none (a
    browser on another origin then gets no CORS headers and cannot read answers)."""
    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Api-Key", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
    ]
