"""Administrators' read-only pages: the policy profile in use, the arrangement kinds, and
cases as summaries (reference, state, service, dates). Case pages stop there: no view of
the panel opens a case's contents, and no route takes a case id, so a typed case address
answers 404 like any unknown one."""

from __future__ import annotations

from typing import Any

from sqladmin import expose
from sqlalchemy import ColumnElement, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from admin.gated import PanelView, field
from admin.page import PAGE, Field, Form, Page, Row, Table, options, when
from authz.operations import Operation
from casework.arrangements import parameter_names
from records.errors import ValidationFailed
from records.models import ArrangementKind, Case, CaseState, Role, Service

_ADMINS = frozenset({Role.ADMIN})
CASE_LIST_LIMIT = 200


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """A nested mapping as (dotted.path, value) rows, every leaf shown."""
    if isinstance(value, dict):
        rows: list[tuple[str, str]] = []
        for key in sorted(value):
            rows += flatten(value[key], f"{prefix}.{key}" if prefix else str(key))
        return rows
    if isinstance(value, list):
        return [(prefix, ", ".join(str(v) for v in value))]
    return [(prefix, "" if value is None else str(value))]


class ProfileView(PanelView):
    name = "Policy profile"
    icon = "fa-solid fa-sliders"
    roles = _ADMINS

    @expose("/profile", methods=["GET"], identity="profile")
    async def profile_page(self, request: Request) -> Response:
        parts = await self.parts()
        async with self.gated(request, Operation.MANAGE_REFERENCE_DATA):
            pass
        profile = parts.profile
        rows = [Row(("name", parts.profile_name))]
        if profile is not None and hasattr(profile, "model_dump"):
            rows = [Row(pair) for pair in flatten(profile.model_dump(mode="json"))]
        page = Page(
            "Policy profile in use",
            "Read-only: the profile is chosen with TACT_PROFILE when Tact starts.",
            tables=[Table("profile", "Parameters", ("Parameter", "Value"), rows)],
        )
        return await self.page(request, PAGE, page.context())


class ArrangementKindsView(PanelView):
    name = "Arrangement kinds"
    icon = "fa-solid fa-list"
    roles = _ADMINS

    @expose("/arrangement-kinds", methods=["GET"], identity="arrangement-kinds")
    async def kinds_page(self, request: Request) -> Response:
        parts = await self.parts()
        async with self.gated(request, Operation.MANAGE_REFERENCE_DATA):
            pass
        offered = set(getattr(parts.profile, "arrangement_kinds", None) or ArrangementKind)
        rows = [
            Row(
                (
                    kind.value,
                    ", ".join(parameter_names(kind)) or "none",
                    "yes" if kind in offered else "no",
                )
            )
            for kind in ArrangementKind
        ]
        page = Page(
            "Arrangement kinds",
            "Read-only: the kinds Tact knows, their parameters, and whether the profile in "
            "use offers them.",
            tables=[Table("kinds", "Kinds", ("Kind", "Parameters", "In this profile"), rows)],
        )
        return await self.page(request, PAGE, page.context())


class CasesView(PanelView):
    name = "Cases (summaries)"
    icon = "fa-solid fa-folder"
    roles = _ADMINS

    @expose("/cases", methods=["GET", "POST"], identity="cases")
    async def cases_page(self, request: Request) -> Response:
        form = await self.form(request) if request.method == "POST" else FormData()
        services = await self.service_slugs()
        try:
            wanted = _case_filter(form, services)
        except ValidationFailed as refused:
            page = self._cases_page(request, form, services, [])
            page.refuse(request.url.path, form, refused)
            return await self.page(request, PAGE, page.context(), 400)
        async with self.gated(request, Operation.READ_CASE_SUMMARY) as access:
            found = (
                await access.session.execute(
                    select(
                        Case.id,
                        Case.reference,
                        Case.state,
                        Service.slug,
                        Case.opened_at,
                        Case.updated_at,
                        Case.restrictions_ended_on,
                    )
                    .join(Service, Service.id == Case.service_id)
                    .where(access.visible_cases(), *wanted)
                    .order_by(Case.opened_at.desc(), Case.reference)
                    .limit(CASE_LIST_LIMIT)
                )
            ).all()
            admitted = set(await access.admit([row.id for row in found]))
        rows = [
            Row(
                (
                    r.reference,
                    r.state.value,
                    r.slug,
                    when(r.opened_at),
                    when(r.updated_at),
                    when(r.restrictions_ended_on),
                )
            )
            for r in found
            if r.id in admitted
        ]
        page = self._cases_page(request, form, services, rows)
        return await self.page(request, PAGE, page.context())

    def _cases_page(
        self, request: Request, form: FormData, services: list[str], rows: list[Row]
    ) -> Page:
        fields = (
            Field("reference", "Reference", value=field(form, "reference"),
                  help="the whole reference, e.g. MC-2026-..."),
            Field("service", "Service", value=field(form, "service"),
                  options=options(services, "any")),
            Field("state", "State", value=field(form, "state"),
                  options=options([s.value for s in CaseState], "any")),
        )  # fmt: skip
        return Page(
            "Cases",
            f"Summaries only, newest first (at most {CASE_LIST_LIMIT}; the filter finds "
            "older ones). Case contents are for the case team, never shown in this panel.",
            forms=[
                Form("filter", "Filter", str(request.url_for("admin:view-cases")), fields, "Show")
            ],
            tables=[
                Table(
                    "cases",
                    "Cases",
                    (
                        "Reference",
                        "State",
                        "Service",
                        "Opened",
                        "Last changed",
                        "Restrictions ended",
                    ),
                    rows,
                    empty="No case matches the filter.",
                )
            ],
        )


def _case_filter(form: FormData, services: list[str]) -> list[ColumnElement[bool]]:
    """The conditions the filter asks for; none: every case the gate lets the admin see."""
    wanted: list[ColumnElement[bool]] = []
    if reference := field(form, "reference"):
        wanted.append(Case.reference == reference.upper())
    if service := field(form, "service"):
        if service not in services:
            raise ValidationFailed("service", "is not a service of this organisation")
        wanted.append(Service.slug == service)
    if state := field(form, "state"):
        if state not in {s.value for s in CaseState}:
            raise ValidationFailed("state", "must be one of " + ", ".join(CaseState))
        wanted.append(Case.state == CaseState(state))
    return wanted
