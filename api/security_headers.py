"""Headers every response carries, and the browser origins allowed to call the API.

Added by the edge (api/edge.py), the one place that sets them: nosniff, no framing, no
referrer on every answer; HSTS outside development; and by the kind of answer (`Kind`):

- API answers (JSON from /graphql, /healthz, /readyz): a Content-Security-Policy that allows
  nothing and Cache-Control: no-store (answers hold handling instructions and log entries
  that no cache should keep). GraphiQL's page (HTML at /graphql, when enabled) gets a policy
  that lets it load its scripts and styles from unpkg.com, where strawberry's page takes them.
- The admin panel's pages (everything under /admin): a policy that allows only what its
  pages load, all from the panel's own statics: scripts, styles and fonts from 'self',
  images from 'self' and data: (tabler's stylesheet draws the select arrows and close buttons
  as data: SVG backgrounds; an image cannot run script). No inline script or style is
  allowed: the panel has none (its print stylesheet is a static file). Forms post only to
  the panel, no page may be framed, and no <base> may move its links. Cache-Control:
  no-store, so that a shared computer's cache and back button keep no staff list, access
  log or case summary after signing out. The panel's static files (sqladmin's and Tact's,
  under /admin/statics/) carry the policy but may be cached: they hold no records.
- Anything else (a 404 for an unknown path, /metrics): the headers every answer carries.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

API_POLICY = "default-src 'none'; frame-ancestors 'none'"
GRAPHIQL_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://unpkg.com; "
    "style-src 'self' 'unsafe-inline' https://unpkg.com; img-src 'self' data:; "
    "font-src 'self' data: https://unpkg.com; connect-src 'self'; frame-ancestors 'none'"
)
PANEL_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
_ALWAYS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


class Kind(Enum):
    """What an answer is, for the headers it gets beyond the ones every answer carries."""

    OTHER = "other"
    API = "api"
    PANEL = "panel"
    PANEL_STATIC = "panel_static"


def kind_of(path: str, api_paths: frozenset[str], panel_path: str | None) -> Kind:
    """The kind of answer a request's path gets: `api_paths` exactly, the panel's path and
    everything under it (its statics apart)."""
    if path in api_paths:
        return Kind.API
    if panel_path is None or not (path == panel_path or path.startswith(f"{panel_path}/")):
        return Kind.OTHER
    if path.startswith(f"{panel_path}/statics/"):
        return Kind.PANEL_STATIC
    return Kind.PANEL


Headers = list[tuple[bytes, bytes]]
_ALWAYS_RAW = [(name.encode(), value.encode()) for name, value in _ALWAYS.items()]
_HSTS_RAW = (b"strict-transport-security", HSTS.encode())
_SET_HERE = {b"content-security-policy", b"cache-control"}
_NO_STORE = (b"cache-control", b"no-store")
_PANEL_RAW = (b"content-security-policy", PANEL_POLICY.encode())
_BY_KIND: dict[Kind, Headers] = {
    Kind.OTHER: [],
    Kind.PANEL: [_PANEL_RAW, _NO_STORE],
    Kind.PANEL_STATIC: [_PANEL_RAW],
}


def secured(
    headers: Iterable[tuple[bytes, bytes]], echoed: tuple[bytes, bytes], kind: Kind, hsts: bool
) -> Headers:
    """An answer's headers with the ones every answer carries added where it set none, the
    request id (`echoed`) appended, and for API and panel answers their page policy (and
    no-store) set in place of any the app set."""
    given = list(headers)
    if kind is not Kind.OTHER:
        given = [(n, v) for n, v in given if n.lower() not in _SET_HERE]
    names = {name.lower() for name, _ in given}
    given += [pair for pair in _ALWAYS_RAW if pair[0] not in names]
    if hsts and _HSTS_RAW[0] not in names:
        given.append(_HSTS_RAW)
    if kind is Kind.API:
        html = any(n.lower() == b"content-type" and v.startswith(b"text/html") for n, v in given)
        policy = GRAPHIQL_POLICY if html else API_POLICY
        given += [(b"content-security-policy", policy.encode()), _NO_STORE]
    else:
        given += _BY_KIND[kind]
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
