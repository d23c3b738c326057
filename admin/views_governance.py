"""Information governance officers' pages: the access log with its filters, verification,
the break-glass review with sealed reasons opened, and charts of access over time. Each runs
inside the gate (READ_ACCESS_LOG, VERIFY_ACCESS_LOG), so reading the log is itself logged.

Filters are posted, never put in the address: a person's reference must not end up in
URLs, browser history or proxies' logs.

Records management is in admin/views_records.py (holds, certificates),
admin/views_retention.py (the retention queue and approvals) and
admin/views_subject_access.py; case reports in admin/views_reports.py.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqladmin import expose
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from admin.charts import daily_counts, only, stacked_bars
from admin.gated import PanelView, field
from admin.page import (
    PAGE,
    Button,
    Chart,
    Field,
    Form,
    Notice,
    Page,
    Row,
    Table,
    more_match,
    options,
    when,
)
from admin.person import NAMES, person_fields, person_named
from admin.who import Shown, who
from authz.access_log import LogFilter, break_glass_review, case_asked, opened_reasons, query
from authz.actor import staff_label
from authz.gate import Target
from authz.log_verify import verify
from authz.operations import Operation, Outcome
from records.customers import customers_named
from records.days import uk_midnight, uk_today
from records.errors import ValidationFailed
from records.models import AccessLogEntry, Role

_IG = frozenset({Role.IG_OFFICER})
SHOWN = 100
CHART_DAYS = 30
_FILTERS = ("case_ref", *NAMES, "actor", "from", "to", "operation", "outcome")
# Kept in the "older entries" button: the filter as typed, but a person's details, never
# written into a page; the person is kept by the ids they were found as.
_KEPT = tuple(name for name in _FILTERS if name not in NAMES)
# Posted by that button: the seq of the last entry shown, and the ids of the person asked about.
_BEFORE, _PERSON_ID = "before", "person_id"
_HEADERS = (
    "Seq",
    "When",
    "Actor",
    "Role",
    "Operation",
    "Service",
    "Case",
    "Person id",
    "Fields",
    "Outcome",
    "Request id",
)


def _entry_row(
    e: AccessLogEntry, refs: dict[uuid.UUID, str], shown: Shown, extra: tuple[str, ...] = ()
) -> Row:
    case = refs.get(e.case_id, str(e.case_id)) if e.case_id else ""
    return Row(
        (
            str(e.seq),
            when(e.at),
            shown(e.actor),
            e.role or "",
            e.operation,
            e.service or "",
            case,
            str(e.customer_id or ""),
            e.fields or "",
            e.outcome,
            e.request_id or "",
            *extra,
        )
    )


def _before(form: FormData) -> int | None:
    """The seq the older entries come before (the last one shown), when asked for."""
    text = field(form, _BEFORE)
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        raise ValidationFailed(_BEFORE, "is not an entry's seq")
    return int(text)


def _older(
    action: str, shown: list[AccessLogEntry], more: bool, kept: tuple[tuple[str, str], ...]
) -> Button | None:
    """Where more entries match than a page shows: the button that shows the next ones."""
    if not more or not shown:
        return None
    last = (_BEFORE, str(shown[-1].seq))
    return Button(f"Show older entries (before seq {last[1]})", action, (*kept, last))


def _day(form: FormData, name: str, end: bool) -> dt.datetime | None:
    text = field(form, name)
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(name, "must be a date, YYYY-MM-DD") from None
    return uk_midnight(day + dt.timedelta(days=1 if end else 0))


def _person_ids(form: FormData) -> tuple[uuid.UUID, ...] | None:
    """The person an "older entries" button keeps asking about, by the ids found for them."""
    sent = [value for value in form.getlist(_PERSON_ID) if isinstance(value, str)]
    try:
        return tuple(uuid.UUID(value) for value in sent) or None
    except ValueError:
        raise ValidationFailed(_PERSON_ID, "is not an id") from None


def _older_said(before: int, where: LogFilter) -> str:
    ids = ", ".join(map(str, where.customer_ids or ()))
    about = f", about customer id {ids}" if ids else ""
    return f"Older entries: those before seq {before}{about}, with the filter as set below."


class AccessLogView(PanelView):
    name = "Access log"
    icon = "fa-solid fa-book"
    roles = _IG

    @expose("/access-log", methods=["GET", "POST"], identity="access-log")
    async def log_page(self, request: Request) -> Response:
        form = await self.form(request) if request.method == "POST" else FormData()
        try:
            where, target = await self._filter(form)
            before = _before(form)
            async with self.gated(request, Operation.READ_ACCESS_LOG, target) as access:
                page = await query(access.session, where, first=SHOWN, after=before)
                refs = page.references
                shown = await who(access.session, [e.actor for e in page.entries])
        except ValidationFailed as refused:
            # The filter again, what was typed kept and the field at fault named; no entries.
            return await self._render(request, form, [], [], refused=refused)
        rows = [_entry_row(e, refs, shown) for e in page.entries]
        notices = [more_match(SHOWN, "entries")] if page.has_next else []
        if before is not None:
            notices.append(Notice(_older_said(before, where)))
        kept = tuple((name, field(form, name)) for name in _KEPT if field(form, name))
        person = tuple((_PERSON_ID, str(i)) for i in where.customer_ids or ())
        older = _older(request.url.path, page.entries, page.has_next, (*kept, *person))
        return await self._render(request, form, rows, notices, older)

    @expose("/access-log/verify", methods=["POST"], identity="access-log-verify")
    async def verify_page(self, request: Request) -> Response:
        await self.form(request)
        parts = await self.parts()
        async with self.gated(request, Operation.VERIFY_ACCESS_LOG) as access:
            report = await verify(access.session, parts.gate.signer)
        notice = Notice(report.describe(), "success" if report.ok else "danger")
        return await self._render(request, FormData(), [], [notice])

    async def _filter(self, form: FormData) -> tuple[LogFilter, Target]:
        outcome = field(form, "outcome") or None
        if outcome is not None and outcome not in {o.value for o in Outcome}:
            raise ValidationFailed("outcome", "must be one of " + ", ".join(Outcome))
        parts = await self.parts()
        case_ids: tuple[uuid.UUID, ...] | None = None
        target = Target()
        async with parts.database.sessions() as session:
            if case_ref := field(form, "case_ref"):
                asked = await case_asked(session, case_ref, "case_ref")
                case_ids = asked.case_ids
                target = Target(case_id=asked.live) if asked.live else target
            customer_ids = _person_ids(form) or await customers_named(
                session, parts.vault, person_named(form)
            )
            if customer_ids is not None and len(customer_ids) == 1 and not case_ref:
                target = Target(customer_id=customer_ids[0])
            await session.rollback()
        since, until = _day(form, "from", end=False), _day(form, "to", end=True)
        if since is not None and until is not None and until <= since:
            raise ValidationFailed("to", "must not be before the From date")
        actor = field(form, "actor")
        where = LogFilter(
            case_ids=case_ids,
            customer_ids=customer_ids,
            # A member of staff by the username the pages show; anything else by its label.
            actor=(actor if ":" in actor else staff_label(actor)) if actor else None,
            since=since,
            until=until,
            operation=field(form, "operation") or None,
            outcome=outcome,
        )
        return where, target

    async def _render(
        self,
        request: Request,
        form: FormData,
        rows: list[Row],
        notices: list[Notice],
        older: Button | None = None,
        *,
        refused: ValidationFailed | None = None,
    ) -> Response:
        given = {name: field(form, name) for name in _FILTERS}
        here = str(request.url_for("admin:view-access-log"))
        fields = (
            Field("case_ref", "Case reference", value=given["case_ref"]),
            *person_fields(
                form, "the person, found by its blind index: entries about them and their cases"
            ),
            Field(
                "actor",
                "Actor",
                value=given["actor"],
                help='a username, e.g. "jo.bloggs", or a label, e.g. "portal:tact_pk_ab12"',
            ),
            Field("from", "From (date)", kind="date", value=given["from"]),
            Field("to", "To (date)", kind="date", value=given["to"]),
            Field(
                "operation",
                "Operation",
                value=given["operation"],
                options=options([o.value for o in Operation], "any"),
            ),
            Field(
                "outcome",
                "Outcome",
                value=given["outcome"],
                options=options([o.value for o in Outcome], "any"),
            ),
        )
        page = Page(
            "Access log",
            f"Newest first, {SHOWN} at a time. Reading the log is itself logged.",
            notices=notices,
            forms=[
                Form("filter", "Filter", here, fields, "Show entries"),
                Form(
                    "verify",
                    "Verify the log",
                    str(request.url_for("admin:view-access-log-verify")),
                    (),
                    "Verify now",
                ),
            ],
            tables=[
                Table(
                    "entries",
                    "Entries",
                    _HEADERS,
                    rows,
                    empty="No entries shown: use the filter, or run it with no fields.",
                    more=older,
                )
            ],
        )
        if refused is not None:
            page.refuse(request.url.path, form, refused)
            return await self.page(request, PAGE, page.context(), 400)
        return await self.page(request, PAGE, page.context())


class BreakGlassView(PanelView):
    name = "Break-glass review"
    icon = "fa-solid fa-triangle-exclamation"
    roles = _IG

    @expose("/break-glass", methods=["GET", "POST"], identity="break-glass")
    async def review_page(self, request: Request) -> Response:
        parts = await self.parts()
        form = await self.form(request) if request.method == "POST" else FormData()
        before = _before(form)
        async with self.gated(request, Operation.READ_ACCESS_LOG) as access:
            page = await break_glass_review(access.session, first=SHOWN, after=before)
            reasons = await opened_reasons(parts.vault, page.entries)
            refs = page.references
            shown = await who(access.session, [e.actor for e in page.entries])
        rows = [
            _entry_row(e, refs, shown, (reasons.get(e.seq, "(destroyed with the case)"),))
            for e in page.entries
        ]
        table = Table(
            "break-glass",
            "Openings",
            (*_HEADERS, "Reason given"),
            rows,
            empty="No break-glass openings.",
            more=_older(request.url.path, page.entries, page.has_next, ()),
        )
        notices = [more_match(SHOWN, "entries")] if page.has_next else []
        if before is not None:
            notices.append(Notice(f"Older openings: those before seq {before}."))
        view = Page(
            "Break-glass review",
            "Cases opened from outside the need-to-know set, newest first, with the reason "
            "given (kept sealed under the case's key).",
            notices=notices,
            tables=[table],
        )
        return await self.page(request, PAGE, view.context())


class AccessChartsView(PanelView):
    name = "Access over time"
    icon = "fa-solid fa-chart-column"
    roles = _IG

    @expose("/access-charts", methods=["GET"], identity="access-charts")
    async def charts_page(self, request: Request) -> Response:
        async with self.gated(request, Operation.READ_ACCESS_LOG) as access:
            by_operation, by_outcome = await daily_counts(
                access.session, uk_today(self.panel.config.clock), CHART_DAYS
            )
        charts = [
            Chart("Entries per day, by operation", stacked_bars(by_operation, "by operation")),
            Chart("Entries per day, by outcome", stacked_bars(by_outcome, "by outcome")),
            Chart("Denials per day", stacked_bars(only(by_outcome, Outcome.DENIED), "denials")),
            Chart(
                "Break-glass openings per day",
                stacked_bars(only(by_outcome, Outcome.BREAK_GLASS), "break-glass"),
            ),
        ]
        page = Page(
            "Access over time",
            f"The last {CHART_DAYS} days (UK), from the access log: "
            f"{by_operation.total()} entries.",
            charts=charts,
        )
        return await self.page(request, PAGE, page.context())
