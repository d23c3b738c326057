"""The panel: sqladmin's Admin with Tact's sign-in, its views, and the parts they use.

Every view is a sqladmin BaseView whose pages run their reads and changes inside
`Gate.access` (admin/gated.py). No ModelView is registered: a ModelView reads and writes the
tables itself, past the gate and the access log, so sqladmin's generic model routes
(`/admin/<identity>/list`, `/details/...`, `/edit/...`) answer 404 for every name. Those
routes come first, so a page's own paths avoid their second parts (list, details, create,
edit, delete, export, import).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqladmin import Admin
from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from admin.confirm import asking_fields
from admin.csrf import csrf_field
from admin.sign_in import SignInBackend
from authz.gate import Gate
from records.database import Database
from records.errors import InvalidTransition, TactError, ValidationFailed
from records.vault import Vault

TEMPLATES = Path(__file__).with_name("templates")
# Tact's own static files, served beside sqladmin's at /admin/statics/ (found here first).
STATICS = Path(__file__).with_name("statics")
PANEL_PATH = "/admin"
TITLE = "Tact administration"
# Every page names its icon, one of Tact's statics: without it a browser asks for
# /favicon.ico, which nothing serves (a 404 on every sign-in). An image from 'self', as the
# panel's page policy allows.
FAVICON = f"{PANEL_PATH}/statics/img/favicon.svg"


@dataclass(frozen=True)
class PanelParts:
    """What the views use, from the running process (made once the runtime is open)."""

    database: Database
    vault: Vault
    gate: Gate
    profile_name: str
    profile: Any = None  # the loaded policy profile, when the runtime has one


@dataclass(frozen=True)
class PanelConfig:
    secret: str
    clock: Callable[[], dt.datetime]
    idle_timeout: dt.timedelta
    https_only: bool


class TactAdmin(Admin):
    """sqladmin's Admin, knowing where to find the running process's parts."""

    def __init__(
        self, app: Starlette, ready: Callable[[], Awaitable[PanelParts]], config: PanelConfig
    ) -> None:
        self.ready = ready
        self.config = config
        backend = SignInBackend(self, config)
        self.sign_in = backend
        super().__init__(
            app,
            # Never used: no ModelView is registered (see the module docstring).
            session_maker=async_sessionmaker(),
            base_url=PANEL_PATH,
            title=TITLE,
            favicon_url=FAVICON,
            templates_dir=str(TEMPLATES),
            static_files_kwargs={"directory": STATICS},
            authentication_backend=backend,
        )
        self.templates.env.globals["csrf_field"] = csrf_field
        self.templates.env.globals["asking_fields"] = asking_fields(config.secret)
        self.admin.add_exception_handler(TactError, self._tact_error)

    async def render(
        self, request: Request, template: str, context: dict[str, Any], status_code: int = 200
    ) -> Response:
        return await self.templates.TemplateResponse(request, template, context, status_code)

    async def login(self, request: Request) -> Response:
        """sqladmin's sign-in route, its page saying why the last session ended."""
        if request.method == "GET":
            context = self.sign_in.sign_in_page(request)
            return await self.render(request, "sqladmin/login.html", context)
        return await super().login(request)

    async def _tact_error(self, request: Request, exc: Exception) -> Response:
        """Refusals and unknown targets as plain pages (the gate has logged them already);
        a validation message names the field; anything else says nothing about itself."""
        code = getattr(exc, "code", "INTERNAL")
        status = _STATUS.get(code, 500)
        message = _MESSAGES.get(code, "Something went wrong. The request was not completed.")
        if isinstance(exc, ValidationFailed | InvalidTransition):
            message = exc.message
        context = {"status_code": status, "message": message}
        return await self.render(request, "sqladmin/error.html", context, status)


_STATUS = {
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "UNAUTHENTICATED": 401,
    "VALIDATION_FAILED": 400,
    "INVALID_TRANSITION": 409,
}
_MESSAGES = {
    "FORBIDDEN": "This page is not available to your roles.",
    "NOT_FOUND": "There is nothing at this address.",
    "UNAUTHENTICATED": "Please sign in again.",
}
