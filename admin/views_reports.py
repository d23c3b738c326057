"""IG officers' report charts: cases by state, arrangements by kind, and reviews and appeals
per month over a period, each by service; drawn as SVG (admin/charts.py) with the counts as
a table beside. Aggregates only (casework/reports.py, plain SQL counts, no sealed column),
read through the gate as READ_REPORTS, so each view is logged.

The period is posted as two months (YYYY-MM); by default the last twelve months.
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
from admin.gated import PanelView, field
from admin.page import PAGE, Chart, Field, Form, Page, Row, Table
from authz.operations import Operation
from casework.reports import (
    Count,
    arrangements_by_kind,
    cases_by_state,
    month_of,
    months_between,
    reviews_and_appeals_per_month,
)
from records.errors import ValidationFailed
from records.models import Role

_IG = frozenset({Role.IG_OFFICER})
DEFAULT_MONTHS = 12
_MAX_MONTHS = 60


def _month(form: FormData, name: str, default: dt.date) -> dt.date:
    text = field(form, name)
    if not text:
        return default
    try:
        return dt.date.fromisoformat(f"{text}-01")
    except ValueError:
        raise ValidationFailed(name, "must be a month, YYYY-MM") from None


def _period(form: FormData, today: dt.date) -> tuple[dt.date, dt.date]:
    """(first day, last day) of the period the form asks for."""
    last_month = _month(form, "to", month_of(today))
    year, month = divmod(last_month.year * 12 + last_month.month - DEFAULT_MONTHS, 12)
    first = _month(form, "from", dt.date(year, month + 1, 1))
    if first > last_month:
        raise ValidationFailed("from", "must not be after the last month")
    if len(months_between(first, last_month)) > _MAX_MONTHS:
        raise ValidationFailed("from", f"the period is at most {_MAX_MONTHS} months")
    last = (last_month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return first, last


def _by_category(counts: list[Count], label: str) -> Markup:
    """Categories along the axis, stacked by service."""
    columns = sorted({c.category for c in counts})
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


def _rows(counts: list[Count]) -> list[Row]:
    return [
        Row(((c.month.strftime("%Y-%m") if c.month else ""), c.service, c.category, str(c.count)))
        for c in counts
    ]


class ReportsView(PanelView):
    name = "Case reports"
    icon = "fa-solid fa-chart-simple"
    roles = _IG

    @expose("/reports", methods=["GET", "POST"], identity="reports")
    async def reports_page(self, request: Request) -> Response:
        form = await self.form(request) if request.method == "POST" else FormData()
        first, last = _period(form, self.panel.config.clock().date())
        months = months_between(first, last)
        async with self.gated(request, Operation.READ_REPORTS) as access:
            states = await cases_by_state(access.session)
            kinds = await arrangements_by_kind(access.session)
            steps = await reviews_and_appeals_per_month(access.session, first, last)
        span = f"{first.strftime('%b %Y')} to {last.strftime('%b %Y')}"
        headers = ("Month", "Service", "Category", "Count")
        page = Page(
            "Case reports",
            "Counts only, from states, kinds, timeline steps and decisions' outcomes: no case "
            "is opened.",
            charts=[
                Chart("Cases by state, by service", _by_category(states, "cases by state")),
                Chart("Arrangements by kind, by service", _by_category(kinds, "by kind")),
                Chart(f"Reviews and appeals per month, {span}", _per_month(steps, months, span)),
            ],
            forms=[
                Form(
                    "period",
                    "Period of the reviews and appeals",
                    str(request.url_for("admin:view-reports")),
                    (
                        Field("from", "From (month)", kind="month", value=first.strftime("%Y-%m")),
                        Field("to", "To (month)", kind="month", value=last.strftime("%Y-%m")),
                    ),
                    "Show",
                )
            ],
            tables=[
                Table("cases", "Cases by state", headers, _rows(states), empty="No cases."),
                Table("arrangements", "Arrangements by kind", headers, _rows(kinds),
                      empty="No arrangements."),
                Table("reviews", f"Reviews and appeals, {span}", headers, _rows(steps),
                      empty="No reviews or appeals in this period."),
            ],
        )  # fmt: skip
        return await self.page(request, PAGE, page.context())
