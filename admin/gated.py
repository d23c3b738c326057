"""How a panel page reaches data: through `Gate.access`, as the signed-in member of staff,
with the request's id, so each page view, read and change writes the same access-log entry
as the API would. The gate owns the transaction; a refusal raises (and is logged) before the
block runs, and admin/panel.py turns it into a plain 403 or 404 page.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from sqladmin import BaseView
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin.csrf import checked_form
from authz.actor import Actor
from authz.gate import Access, Target
from authz.operations import Operation
from records.errors import NotFound, ValidationFailed
from records.models import Role

T = TypeVar("T")

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from starlette.datastructures import FormData

    from admin.panel import PanelParts, TactAdmin


class PanelView(BaseView):
    """A page of the panel: shown in the menu to the roles in `roles`; every route of it
    still goes through the gate, which alone decides (and logs) access."""

    roles: frozenset[Role] = frozenset()

    def is_visible(self, request: Request) -> bool:
        actor: Actor | None = getattr(request.state, "actor", None)
        return actor is not None and any(g.role in self.roles for g in actor.roles)

    def is_accessible(self, request: Request) -> bool:
        return True  # the gate decides, and logs a refusal

    @property
    def panel(self) -> TactAdmin:
        from admin.panel import TactAdmin

        panel = self._admin_ref
        assert isinstance(panel, TactAdmin)
        return panel

    async def parts(self) -> PanelParts:
        return await self.panel.ready()

    @asynccontextmanager
    async def gated(
        self, request: Request, operation: Operation, target: Target | None = None
    ) -> AsyncIterator[Access]:
        parts = await self.panel.ready()
        actor: Actor | None = getattr(request.state, "actor", None)
        request_id = request.scope.get("state", {}).get("request_id")
        async with (
            parts.database.sessions() as session,
            parts.gate.access(
                session, actor, operation, target or Target(), request_id=request_id
            ) as access,
        ):
            yield access

    async def find(self, lookup: Callable[[AsyncSession], Awaitable[T | None]], missing: str) -> T:
        """What a change is about, found before the gate so the gate can be told (a case, a
        customer), in a session of its own that keeps nothing; NotFound(`missing`) if none."""
        async with (await self.parts()).database.sessions() as session:
            found = await lookup(session)
            await session.rollback()
        if found is None:
            raise NotFound(missing)
        return found

    async def form(self, request: Request) -> FormData:
        return await checked_form(request)

    async def page(
        self, request: Request, template: str, context: dict[str, Any], status_code: int = 200
    ) -> Response:
        return await self.panel.render(request, template, context, status_code)


def back_to(request: Request, route: str) -> RedirectResponse:
    """After a change: back to a page by its route name (post, redirect, get)."""
    return RedirectResponse(request.url_for(f"admin:view-{route}"), status_code=303)


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def id_field(form: FormData, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(field(form, name))
    except ValueError:
        raise ValidationFailed(name, "is not an id") from None
