"""Headers every response carries, and the browser origins allowed to call the API.

Added by the edge (api/edge.py): nosniff, no framing, no referrer; HSTS outside development;
on API answers (JSON from /graphql, /healthz, /readyz) a Content-Security-Policy that allows
nothing and Cache-Control: no-store (answers hold handling instructions and log entries that no
cache should keep). GraphiQL's page (HTML at /graphql, when enabled) gets a policy that lets
it load its scripts and styles from unpkg.com, where strawberry's page takes them from.
Other mounted apps (the admin panel) set their own page policy.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

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


Headers = list[tuple[bytes, bytes]]
_ALWAYS_RAW = [(name.encode(), value.encode()) for name, value in _ALWAYS.items()]
_HSTS_RAW = (b"strict-transport-security", HSTS.encode())
_API_RAW = {b"content-security-policy", b"cache-control"}
_NO_STORE = (b"cache-control", b"no-store")


def secured(
    headers: Iterable[tuple[bytes, bytes]], echoed: tuple[bytes, bytes], api: bool, hsts: bool
) -> Headers:
    """An answer's headers with the ones every answer carries added where it set none, the
    request id (`echoed`) appended, and on API paths the page policy and no-store set."""
    given = list(headers)
    if api:
        given = [(n, v) for n, v in given if n.lower() not in _API_RAW]
    names = {name.lower() for name, _ in given}
    given += [pair for pair in _ALWAYS_RAW if pair[0] not in names]
    if hsts and _HSTS_RAW[0] not in names:
        given.append(_HSTS_RAW)
    if api:
        html = any(n.lower() == b"content-type" and v.startswith(b"text/html") for n, v in given)
        policy = GRAPHIQL_POLICY if html else API_POLICY
        given += [(b"content-security-policy", policy.encode()), _NO_STORE]
    given.append(echoed)
    return given


def cors(app: ASGIApp, origins: list[str]) -> ASGIApp:
    """`app` behind Starlette's CORS middleware for the allowed origins; `app` itself when
    there are none (a browser on another origin then gets no CORS headers and cannot read
    answers)."""
    if not origins:
        return app
    return CORSMiddleware(
        app,
        allow_origins=origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "X-Api-Key", "X-Request-ID"],
        expose_headers=["X-Request-ID", "Retry-After"],
        max_age=600,
    )
