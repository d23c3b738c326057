"""IG officers' report charts: cases by state and arrangements by kind, by service, now
(whatever the period: their tables have no month, as `caseReports` gives them none); and over
a chosen period, reviews and appeals per month, the decisions taken (warnings issued,
decisions, reviews and appeals decided by outcome, cases closed with no action) and the cases
opened by concern category, each by service: what an annual report to a committee or
management team needs. Drawn as SVG (admin/charts.py) with the counts as a table beside.
Aggregates only (casework/reports.py, plain SQL counts, no sealed column), read through the
gate as READ_REPORTS, so each view is logged.

The period is posted as two dates (YYYY-MM-DD, inclusive); by default the twelve calendar
months to today, this one included; the same two dates in the address (`?from=&to=`) ask
for it too, as the page's CSV link does. The period's decisions and cases opened are shown
for every service, every decision the profile can record and every concern category, 0 where
there were none (casework/reports.py, `period_figures`); a service with none at all in a
table is one line saying so, to keep the table short, while the CSV (admin/report_csv.py)
writes every 0 out so each download has the same rows. Both come from the one result, read
through the same gate and logged the same way.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from markupsafe import Markup
from sqladmin import expose
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from admin.charts import bars
from admin.gated import PanelView, date_field
from admin.page import PAGE, Chart, Field, Form, Link, Page, Row, Table
from admin.report_csv import csv_filename, csv_rows, csv_text
from authz.operations import Operation
from casework.reports import (
    Count,
    PeriodFigures,
    arrangements_by_kind,
    cases_by_state,
    months_between,
    period_figures,
    reviews_and_appeals_per_month,
)
from records.days import uk_today
from records.errors import ValidationFailed
from records.models import Role

_IG = frozenset({Role.IG_OFFICER})
DEFAULT_MONTHS = 12
_MAX_MONTHS = 60


def _period(form: FormData, today: dt.date) -> tuple[dt.date, dt.date]:
    """(first day, last day) of the period the form asks for, both included."""
    last = date_field(form, "to", today)
    year, month = divmod(last.year * 12 + last.month - DEFAULT_MONTHS, 12)
    first = date_field(form, "from", dt.date(year, month + 1, 1))
    if first > last:
        raise ValidationFailed("from", "must not be after the last day")
    if len(months_between(first, last)) > _MAX_MONTHS:
        raise ValidationFailed("from", f"the period is at most {_MAX_MONTHS} months")
    return first, last


def _by_category(counts: list[Count], label: str, *, as_given: bool = False) -> Markup:
    """Categories along the axis (sorted, or in the order first given), stacked by service."""
    given = list(dict.fromkeys(c.category for c in counts))
    columns = given if as_given else sorted(given)
    series: dict[str, dict[str, int]] = defaultdict(dict)
    for c in counts:
        series[c.service][c.category] = c.count
    return bars(columns, {c: c for c in columns}, series, label)


def _per_month(counts: list[Count], months: tuple[dt.date, ...], label: str) -> Markup:
    """Months along the axis, stacked by step (all services together)."""
    series: dict[str, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for c in counts:
        assert c.month is not None
        series[c.category][c.month] += c.count
    names = {m: m.strftime("%b %Y") for m in months}
    return bars(months, names, series, label, every=1 if len(months) <= 12 else 3)


def _by_service(counts: list[Count], none: str) -> list[Row]:
    """Every label of each service, 0 included; a service with none at all as one line
    saying `none`, its count 0."""
    per_service: dict[str, list[Count]] = defaultdict(list)
    for c in counts:
        per_service[c.service].append(c)
    rows = []
    for service, its in per_service.items():
        if any(c.count for c in its):
            rows += [Row((service, c.category, str(c.count))) for c in its]
        else:
            rows.append(Row((service, none, "0")))
    return rows


def _rows(counts: list[Count]) -> list[Row]:
    """Counts of now (cases by state, arrangements by kind): no month."""
    return [Row((c.service, c.category, str(c.count))) for c in counts]


def _month_rows(counts: list[Count]) -> list[Row]:
    """Per-month counts, each under its month."""
    return [
        Row((c.month.strftime("%Y-%m") if c.month else "", c.service, c.category, str(c.count)))
        for c in counts
    ]


class ReportsView(PanelView):
    name = "Case reports"
    icon = "fa-solid fa-chart-simple"
    roles = _IG

    @expose("/reports", methods=["GET", "POST"], identity="reports")
    async def reports_page(self, request: Request) -> Response:
        asked = await self._asked(request)
        today = uk_today(self.panel.config.clock)
        refused: ValidationFailed | None = None
        try:
            first, last = _period(asked, today)
        except ValidationFailed as bad:
            # The page again, the default period's figures under their own dates, and the
            # form keeping what was typed with the field at fault named.
            refused, (first, last) = bad, _period(FormData(), today)
        months = months_between(first, last)
        profile = (await self.parts()).profile
        async with self.gated(request, Operation.READ_REPORTS) as access:
            states = await cases_by_state(access.session)
            kinds = await arrangements_by_kind(access.session)
            steps = await reviews_and_appeals_per_month(access.session, first, last)
            period = await period_figures(access.session, first, last, profile)
        span = f"{first.isoformat()} to {last.isoformat()}"
        csv_link = request.url_for("admin:view-reports-csv").include_query_params(
            **{"from": first.isoformat(), "to": last.isoformat()}
        )
        page = Page(
            "Case reports",
            "Counts only, from states, kinds, timeline steps, decisions' outcomes and concerns' "
            "categories: no case is opened.",
            charts=[
                Chart("Cases by state, by service", _by_category(states, "cases by state")),
                Chart("Arrangements by kind, by service", _by_category(kinds, "by kind")),
                Chart(f"Reviews and appeals per month, {span}", _per_month(steps, months, span)),
                Chart(f"Decisions by service, {span}",
                      _by_category(period.decisions, "decisions", as_given=True)),
                Chart(f"Cases opened by concern category, by service, {span}",
                      _by_category(period.opened, "cases opened by concern category",
                                   as_given=True)),
            ],
            forms=[
                Form(
                    "period",
                    "Period of the reviews, appeals, decisions and cases opened",
                    str(request.url_for("admin:view-reports")),
                    (
                        Field("from", "From (first day)", kind="date", value=first.isoformat()),
                        Field("to", "To (last day)", kind="date", value=last.isoformat()),
                    ),
                    "Show",
                )
            ],
            links=[
                Link("csv", f"Download the period's figures (CSV), {span}", str(csv_link),
                     "The decisions and the cases opened by concern category below, for every "
                     "service, with every 0 written out."),
            ],
            tables=[
                Table("cases", "Cases by state, now", ("Service", "State", "Count"),
                      _rows(states), empty="No cases."),
                Table("arrangements", "Arrangements by kind, now", ("Service", "Kind", "Count"),
                      _rows(kinds), empty="No arrangements."),
                Table("reviews", f"Reviews and appeals, {span}",
                      ("Month", "Service", "Category", "Count"), _month_rows(steps),
                      empty="No reviews or appeals in this period."),
                *_period_tables(period, span),
            ],
        )  # fmt: skip
        if refused is not None:
            page.refuse(request.url.path, asked, refused)
            return await self.page(request, PAGE, page.context(), 400)
        return await self.page(request, PAGE, page.context())

    @expose("/reports/csv", methods=["GET"], identity="reports-csv")
    async def reports_csv(self, request: Request) -> Response:
        """The period's figures as the page shows them, as a CSV download; read and logged
        as the page is."""
        first, last = await self._asked_period(request)
        profile = (await self.parts()).profile
        async with self.gated(request, Operation.READ_REPORTS) as access:
            period = await period_figures(access.session, first, last, profile)
        disposition = f'attachment; filename="{csv_filename(first, last)}"'
        return Response(
            csv_text(csv_rows(period)),
            media_type="text/csv",  # Starlette adds "; charset=utf-8"
            headers={"Content-Disposition": disposition},
        )

    async def _asked(self, request: Request) -> FormData:
        """The page's form as posted, or the period given in the address."""
        if request.method == "POST":
            return await self.form(request)
        return FormData(request.query_params)

    async def _asked_period(self, request: Request) -> tuple[dt.date, dt.date]:
        """The period posted in the page's form, or given in the address."""
        return _period(await self._asked(request), uk_today(self.panel.config.clock))


def _period_tables(period: PeriodFigures, span: str) -> list[Table]:
    """The period's decisions and cases opened, every service with every label."""
    headers = ("Service", "Category", "Count")
    return [
        Table("decisions",
              f"Warnings issued, decisions, reviews and appeals decided by outcome, and cases "
              f"closed with no action, {span}",
              headers, _by_service(period.decisions, "none in this period: 0 for every outcome"),
              empty="No services."),
        Table("concerns",
              f"Cases opened by concern category, {span} (a case with concerns of two "
              f"categories counts under each)",
              headers, _by_service(period.opened, "none in this period: 0 for every category"),
              empty="No services."),
    ]  # fmt: skip
