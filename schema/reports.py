"""`caseReports`: every figure of the admin panel's case reports (casework/reports.py,
`report_figures`) for the staff who hold `read_reports` (managers, decision makers, IG
officers), who cannot all sign in to the panel: over the period, how many decisions were
taken, by outcome, how many cases were opened, by concern category, and how many reviews and
appeals were scheduled, requested, lodged and decided in each month; and now, how many cases
are in each state and how many arrangements there are of each kind; per service, every label
with its count, 0 included (a month with none reads 0). Counts only: no case, customer or
member of staff is named.

Read through the gate as READ_REPORTS, like the panel's page. A role held in one service
lets its holder read that service's figures ("member" standing in the access matrix); one
held in every service (an IG officer's), all of them. So the gate is asked once for every
service, or once for each service the caller holds a role that may read reports in, each
access logged; someone who may read none is refused (FORBIDDEN) by the gate.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Annotated

import strawberry

from authz.actor import Actor
from authz.gate import Gate, Target
from authz.operations import Operation
from authz.relations import Facts
from casework.reports import Count, ReportFigures, report_figures
from records.errors import ValidationFailed
from schema.context import TactContext

# The longest period asked at once: five years, as the panel's 60 months.
MAX_DAYS = 5 * 366


@strawberry.type(description="One label of a report and how many were counted under it.")
class ReportCount:
    label: str
    count: int


@strawberry.type(description="One month's counts: `month` is its first day.")
class MonthReport:
    month: dt.date
    counts: list[ReportCount]


@strawberry.type(description="One service's figures, every label, 0 included.")
class ServiceReport:
    service: str
    name: str
    decisions: list[ReportCount] = strawberry.field(
        description="Warnings issued, decisions, reviews and appeals decided by outcome "
        '("appeal_decided: upheld"), appeals refused as received after their time limit '
        '("appeal_refused_late") and cases closed with no action.'
    )
    concerns: list[ReportCount] = strawberry.field(
        description="Cases opened by concern category; a case with concerns of two "
        "categories counts under each."
    )
    cases_by_state: list[ReportCount] = strawberry.field(
        description="Cases in each state now, whatever the period."
    )
    arrangements_by_kind: list[ReportCount] = strawberry.field(
        description="Arrangements of each kind the profile has, in every state (proposed, "
        "active, ended...), now, whatever the period."
    )
    reviews_and_appeals_per_month: list[MonthReport] = strawberry.field(
        description="Every month of the period, oldest first (the first and last partly, "
        "where the period starts or ends within them): reviews scheduled, requested and "
        'decided by outcome ("review_decided: continue"), appeals lodged, refused as '
        "received after their time limit and decided by outcome."
    )


@strawberry.type(description="Counts over a period, by service, for the services the caller "
                 "may read reports of.")  # fmt: skip
class CaseReports:
    from_: dt.date = strawberry.field(name="from", description="First day, included.")
    to: dt.date = strawberry.field(description="Last day, included.")
    services: list[ServiceReport]


def checked_period(first: dt.date, last: dt.date, today: dt.date) -> None:
    """Refuse a period that ends before it starts, ends after today or is too long."""
    if last < first:
        raise ValidationFailed("to", "must not be before `from`")
    if last > today:
        raise ValidationFailed("to", "must not be after today")
    if (last - first).days >= MAX_DAYS:
        raise ValidationFailed("from", "the period is at most five years")


def report_scopes(gate: Gate, actor: Actor | None) -> list[str | None]:
    """The targets to ask the gate about: every service at once (None) for a caller whose
    role holds everywhere, else each service where one of their roles may read reports;
    None when there is none, so that the gate refuses and logs the refusal."""
    if actor is None or _may_read(gate, actor, None):
        return [None]
    mine: list[str | None] = [s for s in sorted(actor.services) if _may_read(gate, actor, s)]
    return mine or [None]


def _may_read(gate: Gate, actor: Actor, service: str | None) -> bool:
    facts = Facts(service, frozenset({service}) if service else frozenset(), frozenset())
    return gate.decide(actor, Operation.READ_REPORTS, facts).allowed


def _counts(counts: list[Count], service: str) -> list[ReportCount]:
    return [ReportCount(label=c.category, count=c.count) for c in counts if c.service == service]


def _months(figures: ReportFigures) -> dict[str, list[MonthReport]]:
    """Each service's months, in order, each with its counts (grouped in one pass)."""
    by_month: dict[tuple[str, dt.date | None], list[ReportCount]] = defaultdict(list)
    for c in figures.per_month:
        by_month[(c.service, c.month)].append(ReportCount(label=c.category, count=c.count))
    return {
        slug: [MonthReport(month=m, counts=by_month[(slug, m)]) for m in figures.months]
        for slug, _ in figures.period.services
    }


def shown(figures: ReportFigures, services: set[str] | None) -> CaseReports:
    """`figures` for `services` (all of them when None)."""
    period, months = figures.period, _months(figures)
    return CaseReports(
        from_=period.first,
        to=period.last,
        services=[
            ServiceReport(
                service=slug, name=name,
                decisions=_counts(period.decisions, slug), concerns=_counts(period.opened, slug),
                cases_by_state=_counts(figures.states, slug),
                arrangements_by_kind=_counts(figures.kinds, slug),
                reviews_and_appeals_per_month=months[slug],
            )
            for slug, name in period.services
            if services is None or slug in services
        ],
    )  # fmt: skip


async def resolve_case_reports(
    info: strawberry.Info[TactContext, None],
    from_: Annotated[dt.date, strawberry.argument(name="from", description="First day, included.")],
    to: Annotated[dt.date, strawberry.argument(description="Last day, included.")],
) -> CaseReports:
    context = info.context
    figures: ReportFigures | None = None
    services: set[str] | None = set()
    async with context.sessions() as session:  # the rules the gate will apply
        await context.gate.decisions.refresh(session)
    for scope in report_scopes(context.gate, context.actor):
        async with (
            context.sessions() as session,
            context.gate.access(
                session, context.actor, Operation.READ_REPORTS, Target(service=scope),
                request_id=context.request_id,
            ) as access,
        ):  # fmt: skip
            if figures is None:
                checked_period(from_, to, context.today())
                figures = await report_figures(access.session, from_, to, context.profile)
        if scope is None:
            services = None
        elif services is not None:
            services.add(scope)
    assert figures is not None
    return shown(figures, services)


@strawberry.type
class ReportQuery:
    case_reports: CaseReports = strawberry.field(
        resolver=resolve_case_reports,
        description="The decisions taken, the cases opened by concern category and the "
        "reviews and appeals per month from `from` to `to` (inclusive, UK days), and the "
        "cases by state and arrangements by kind now, per service the caller may read "
        "reports of, every label with its count, 0 included.",
    )
