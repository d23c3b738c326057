"""How a panel page reaches data: through `Gate.access`, as the signed-in member of staff,
with the request's id, so each page view, read and change writes the same access-log entry
as the API would. The gate owns the transaction; a refusal raises (and is logged) before the
block runs, and admin/panel.py turns it into a plain 403 or 404 page.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from sqladmin import BaseView
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin.csrf import checked_form
from admin.page import PAGE, Page
from authz.actor import Actor
from authz.gate import Access, Target
from authz.operations import Operation
from records.errors import InvalidTransition, NotFound, TactError, ValidationFailed
from records.models import Role, Service

T = TypeVar("T")
V = TypeVar("V", bound="PanelView")

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

    async def find(
        self,
        lookup: Callable[[AsyncSession], Awaitable[T | None]],
        missing: str,
        field: str | None = None,
    ) -> T:
        """What a change is about, found before the gate so the gate can be told (a case, a
        customer), in a session of its own that keeps nothing. If none: NotFound(`missing`),
        or, where a form's `field` named it (a typed reference), ValidationFailed on it."""
        async with (await self.parts()).database.sessions() as session:
            found = await lookup(session)
            await session.rollback()
        if found is None:
            raise ValidationFailed(field, missing) if field else NotFound(missing)
        return found

    async def find_as(
        self,
        request: Request,
        operation: Operation,
        lookup: Callable[[AsyncSession], Awaitable[T | None]],
        missing: str,
        field: str,
    ) -> T:
        """`find`, for what only some roles may do (`operation`): where nothing is found, or
        the form names it wrongly, the refusal goes through the gate first, so one who could
        never do it (an administrator typing a customer's reference) is refused as they are
        where it is found, learning nothing of whether it exists; for others it is logged
        as refused."""
        try:
            return await self.find(lookup, missing, field)
        except ValidationFailed:
            async with self.gated(request, operation):
                raise

    async def service_slugs(self) -> list[str]:
        """Every service's slug, in order, for a form's choice of service."""
        async with (await self.parts()).database.sessions() as session:
            slugs = list((await session.scalars(select(Service.slug).order_by(Service.slug))).all())
            await session.rollback()
        return slugs

    async def form(self, request: Request) -> FormData:
        return await checked_form(request)

    async def page(
        self, request: Request, template: str, context: dict[str, Any], status_code: int = 200
    ) -> Response:
        return await self.panel.render(request, template, context, status_code)


Handler = Callable[[V, Request], Awaitable[Response]]


def form_of(
    build: Callable[[V, Request], Awaitable[Page]], missing: str | None = None
) -> Callable[[Handler[V]], Handler[V]]:
    """Marks a route that a form of the page `build` makes posts to. Input the change refuses
    (bad input, a step out of order, a name that finds nothing: NotFound, about the form's
    field `missing` where given) shows that page again, made afresh, with the refusal naming
    the field by its label and the form filled in with what was typed (Page.refuse). The
    change wrote nothing: the gate rolled it back and logged it. Refusals of access (403)
    and faults are not caught: they stay plain pages."""

    def wrap(handler: Handler[V]) -> Handler[V]:
        @functools.wraps(handler)
        async def run(view: V, request: Request) -> Response:
            try:
                return await handler(view, request)
            except (ValidationFailed, NotFound, InvalidTransition) as refused:
                said: TactError = refused
                if missing is not None and isinstance(refused, NotFound):
                    said = ValidationFailed(missing, refused.message)
                # The status the refusal has on a page of its own (admin/panel.py).
                status = (
                    400
                    if isinstance(said, ValidationFailed)
                    else 404
                    if isinstance(said, NotFound)
                    else 409
                )
                page = await build(view, request)
                page.refuse(request.url.path, await request.form(), said)
                return await view.page(request, PAGE, page.context(), status)

        return run

    return wrap


def back_to(request: Request, route: str) -> RedirectResponse:
    """After a change: back to a page by its route name (post, redirect, get)."""
    return RedirectResponse(request.url_for(f"admin:view-{route}"), status_code=303)


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def date_field(form: FormData, name: str, default: dt.date) -> dt.date:
    """A day typed as YYYY-MM-DD, or `default` where the field is left empty."""
    text = field(form, name)
    if not text:
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(name, "must be a date, YYYY-MM-DD") from None


def id_field(form: FormData, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(field(form, name))
    except ValueError:
        raise ValidationFailed(name, "is not an id") from None
