"""Aggregate reports over the case records (READ_REPORTS): cases by state, arrangements by
kind, reviews and appeals per month (an appeal refused as late counted apart from those
lodged), the decisions taken over a period (warnings, decisions, reviews and appeals by
outcome, appeals refused as late, closures with no action) and the cases opened over a period
by concern category, each by service: the figures the policies ask for in an annual report
or a record of how often, and why, the policy was applied. `period_figures` gathers the
period's two for every service, with every decision the profile can record and every concern
category, 0 where there were none, so a reader can tell "none" from "not counted"; the
panel's page and its CSV both show that one result. `report_figures` adds the page's other
three, zero-filled the same way (every state, every arrangement kind of the profile, every
review and appeal step in every month of the period), for `caseReports` over the API, whose
callers cannot all sign in to the panel.

Plain SQL counts over plain columns (states, kinds, service slugs, timeline steps, their
times, a decision's outcome from a fixed list, a case's opening time and its concerns'
categories from a fixed list); no sealed column is read, so nothing here can carry a
person's details. Cases already destroyed under the retention schedule are gone with their
timelines, so they are no longer counted.

Read-only, like every domain function: the edge opens it through the gate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from casework.profiles import Profile
from casework.step_models import ReviewOutcome
from records.case_steps import CaseEvent, Step
from records.days import uk_days, uk_period_index
from records.models import Arrangement, Case, CaseState, Concern, ConcernCategory, Service

# The timeline steps the review and appeal report counts, in the order it shows them.
REVIEW_AND_APPEAL_STEPS = (
    Step.REVIEW_SCHEDULED,
    Step.REVIEW_REQUESTED,
    Step.REVIEW_DECIDED,
    Step.APPEAL_LODGED,
    Step.APPEAL_REFUSED_LATE,
    Step.APPEAL_DECIDED,
)

# The decisions the period report counts, in the order it shows them: a review's and an
# appeal's by outcome.
DECISION_STEPS = (
    Step.WARNING_ISSUED,
    Step.DECIDED,
    Step.DECIDED_IMMEDIATE_RISK,
    Step.REVIEW_DECIDED,
    Step.APPEAL_DECIDED,
    Step.APPEAL_REFUSED_LATE,
    Step.CLOSED_NO_ACTION,
)

_DECISION_ORDER = {step.value: i for i, step in enumerate(DECISION_STEPS)}
_REVIEW_ORDER = {step.value: i for i, step in enumerate(REVIEW_AND_APPEAL_STEPS)}

# A case opened in the period with no concern recorded yet.
NO_CONCERN = "no_concern_recorded"

# Every category a case opened in the period is counted under, in the enum's order.
CONCERN_LABELS = (*(category.value for category in ConcernCategory), NO_CONCERN)

# Every state a case is counted in, in the enum's order.
STATE_LABELS = tuple(state.value for state in CaseState)


@dataclass(frozen=True)
class Count:
    """One cell of a report: a service, a category (state, kind or step), a count; `month`
    is the first day of the month for the per-month report."""

    service: str
    category: str
    count: int
    month: dt.date | None = None


async def cases_by_state(session: AsyncSession) -> list[Count]:
    rows = await session.execute(
        select(Service.slug, Case.state, func.count())
        .join(Service, Service.id == Case.service_id)
        .group_by(Service.slug, Case.state)
        .order_by(Service.slug, Case.state)
    )
    return [Count(slug, str(state.value), count) for slug, state, count in rows]


async def arrangements_by_kind(session: AsyncSession) -> list[Count]:
    """Arrangements of every state (proposed, active, ended...) by kind, in the case's service."""
    rows = await session.execute(
        select(Service.slug, Arrangement.kind, func.count())
        .join(Case, Case.id == Arrangement.case_id)
        .join(Service, Service.id == Case.service_id)
        .group_by(Service.slug, Arrangement.kind)
        .order_by(Service.slug, Arrangement.kind)
    )
    return [Count(slug, str(kind.value), count) for slug, kind, count in rows]


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def months_between(first: dt.date, last: dt.date) -> tuple[dt.date, ...]:
    """First days of the months from `first`'s to `last`'s, inclusive."""
    months, month = [], month_of(first)
    while month <= last:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return tuple(months)


def _name(step: Step, outcome: str | None) -> str:
    return step.value + (f": {outcome}" if outcome else "")


async def decisions_in_period(session: AsyncSession, first: dt.date, last: dt.date) -> list[Count]:
    """Warnings issued, decisions (full and immediate-risk), reviews and appeals decided by
    outcome ("appeal_decided: upheld"), appeals refused as late and cases closed with no
    action, taken from `first` to `last` (inclusive, UK days), by service; only what was
    taken, no zero rows."""
    since, until = uk_days(first, last)
    rows = await session.execute(
        select(Service.slug, CaseEvent.step, CaseEvent.outcome, func.count())
        .join(Case, Case.id == CaseEvent.case_id)
        .join(Service, Service.id == Case.service_id)
        .where(CaseEvent.step.in_(DECISION_STEPS), CaseEvent.at >= since, CaseEvent.at < until)
        .group_by(Service.slug, CaseEvent.step, CaseEvent.outcome)
    )
    counted = sorted(
        (slug, _DECISION_ORDER[Step(step).value], _name(Step(step), outcome), count)
        for slug, step, outcome, count in rows
    )
    return [Count(slug, name, count) for slug, _, name, count in counted]


async def cases_opened_by_concern(
    session: AsyncSession, first: dt.date, last: dt.date
) -> list[Count]:
    """Cases opened from `first` to `last` (inclusive, UK days) by the categories of the
    concerns recorded on them (the plain `concerns.category`, never the sealed description),
    by service. A case with concerns of two categories counts under each; one with none yet
    counts under NO_CONCERN."""
    since, until = uk_days(first, last)
    rows = await session.execute(
        select(Service.slug, Concern.category, func.count(distinct(Case.id)))
        .select_from(Case)
        .join(Service, Service.id == Case.service_id)
        .outerjoin(Concern, Concern.case_id == Case.id)
        .where(Case.opened_at >= since, Case.opened_at < until)
        .group_by(Service.slug, Concern.category)
    )
    counted = sorted(
        (slug, category is None, category.value if category else NO_CONCERN, count)
        for slug, category, count in rows
    )
    return [Count(slug, name, count) for slug, _, name, count in counted]


async def reviews_and_appeals_per_month(
    session: AsyncSession, first: dt.date, last: dt.date
) -> list[Count]:
    """Reviews scheduled, requested and decided, appeals lodged, refused as late and decided,
    per month from `first` to `last` (inclusive, UK days) and service; a decision by its
    outcome, as "review_decided: continue". Counted per UK month in SQL (`uk_period_index`:
    an event at 00:30 BST on 1 July is July's)."""
    since, until = uk_days(first, last)
    months = months_between(first, last)
    month = uk_period_index(CaseEvent.at, months).label("month")
    rows = await session.execute(
        select(month, Service.slug, CaseEvent.step, CaseEvent.outcome, func.count())
        .join(Case, Case.id == CaseEvent.case_id)
        .join(Service, Service.id == Case.service_id)
        .where(
            CaseEvent.step.in_(REVIEW_AND_APPEAL_STEPS),
            CaseEvent.at >= since,
            CaseEvent.at < until,
        )
        .group_by("month", Service.slug, CaseEvent.step, CaseEvent.outcome)
    )
    counted = sorted(
        (months[index], slug, _REVIEW_ORDER[Step(step).value], _name(Step(step), outcome), count)
        for index, slug, step, outcome, count in rows
    )
    return [Count(slug, name, count, on) for on, slug, _, name, count in counted]


def decision_labels(profile: Profile) -> tuple[str, ...]:
    """Every decision the period report counts under `profile`, in the order a case takes
    them: an immediate-risk decision only where the profile allows one, a review by each of
    its outcomes, an appeal by each of the profile's, and an appeal refused as late where the
    profile refuses late ones."""
    immediate = (Step.DECIDED_IMMEDIATE_RISK,) if profile.decision.immediate_risk_allowed else ()
    refused = (Step.APPEAL_REFUSED_LATE.value,) if profile.appeal.late == "refuse" else ()
    return (
        *(step.value for step in (Step.WARNING_ISSUED, Step.DECIDED, *immediate)),
        *(_name(Step.REVIEW_DECIDED, outcome) for outcome in ReviewOutcome),
        *(_name(Step.APPEAL_DECIDED, outcome) for outcome in profile.appeal.outcomes),
        *refused,
        Step.CLOSED_NO_ACTION.value,
    )


def review_and_appeal_labels(profile: Profile) -> tuple[str, ...]:
    """Every step the per-month report counts under `profile`, in REVIEW_AND_APPEAL_STEPS'
    order: a review decided by each of its outcomes, an appeal by each of the profile's, and
    an appeal refused as late where the profile refuses late ones."""
    refused = (Step.APPEAL_REFUSED_LATE.value,) if profile.appeal.late == "refuse" else ()
    return (
        Step.REVIEW_SCHEDULED.value,
        Step.REVIEW_REQUESTED.value,
        *(_name(Step.REVIEW_DECIDED, outcome) for outcome in ReviewOutcome),
        Step.APPEAL_LODGED.value,
        *refused,
        *(_name(Step.APPEAL_DECIDED, outcome) for outcome in profile.appeal.outcomes),
    )


def in_step_order(label: str) -> int:
    """A decision's place by its step ("review_decided: lift" under review_decided)."""
    return _DECISION_ORDER[label.split(":")[0]]


def in_review_order(label: str) -> int:
    """A review or appeal step's place in REVIEW_AND_APPEAL_STEPS, by its step."""
    return _REVIEW_ORDER[label.split(":")[0]]


def _columns(
    counts: Sequence[Count], labels: Sequence[str], order: Callable[[str], int]
) -> list[str]:
    """`labels`, and any label counted that is not one of them (an appeal outcome an earlier
    profile allowed, never dropped) after the known ones of its place in `order`."""
    extra = sorted({c.category for c in counts} - set(labels))
    return sorted([*labels, *extra], key=order)


def every_label(
    counts: Sequence[Count],
    services: Sequence[str],
    labels: Sequence[str],
    order: Callable[[str], int] = lambda label: 0,
) -> list[Count]:
    """`counts` with every one of `labels` for every one of `services`, in those orders, 0
    where none was counted (a counted label not in `labels` kept, as `_columns` says)."""
    counted = {(c.service, c.category): c.count for c in counts}
    columns = _columns(counts, labels, order)
    return [Count(s, label, counted.get((s, label), 0)) for s in services for label in columns]


def every_month(
    counts: Sequence[Count],
    months: Sequence[dt.date],
    services: Sequence[str],
    labels: Sequence[str],
    order: Callable[[str], int],
) -> list[Count]:
    """Per-month `counts` with every one of `labels` for every one of `services` in every one
    of `months`, month by month, 0 where none was counted: a month with none reads 0."""
    counted = {(c.month, c.service, c.category): c.count for c in counts}
    columns = _columns(counts, labels, order)
    return [
        Count(s, label, counted.get((month, s, label), 0), month)
        for month in months
        for s in services
        for label in columns
    ]


@dataclass(frozen=True)
class PeriodFigures:
    """The period report from `first` to `last`: `services` as (slug, name) by slug, and for
    each, every decision label and every concern category, 0 where there was none."""

    first: dt.date
    last: dt.date
    services: tuple[tuple[str, str], ...]
    decisions: list[Count]
    opened: list[Count]


async def period_figures(
    session: AsyncSession, first: dt.date, last: dt.date, profile: Profile
) -> PeriodFigures:
    """The decisions taken and the cases opened by concern category from `first` to `last`
    (inclusive, UK days), for every service, zero-filled."""
    services = tuple(
        (slug, name)
        for slug, name in await session.execute(
            select(Service.slug, Service.name).order_by(Service.slug)
        )
    )
    slugs = [slug for slug, _ in services]
    decisions = await decisions_in_period(session, first, last)
    opened = await cases_opened_by_concern(session, first, last)
    return PeriodFigures(
        first,
        last,
        services,
        every_label(decisions, slugs, decision_labels(profile), in_step_order),
        every_label(opened, slugs, CONCERN_LABELS),
    )


@dataclass(frozen=True)
class ReportFigures:
    """Every figure of the panel's reports page, each for every service with every label, 0
    where there was none: the period's figures; the cases in each state and the arrangements
    of each kind the profile has, now (whatever the period); and the reviews and appeals of
    each step in each month of the period (`months`, first days)."""

    period: PeriodFigures
    months: tuple[dt.date, ...]
    states: list[Count]
    kinds: list[Count]
    per_month: list[Count]


async def report_figures(
    session: AsyncSession, first: dt.date, last: dt.date, profile: Profile
) -> ReportFigures:
    """`period_figures`, with the page's other counts (`cases_by_state`,
    `arrangements_by_kind`, `reviews_and_appeals_per_month`) zero-filled for its services."""
    period = await period_figures(session, first, last, profile)
    slugs = [slug for slug, _ in period.services]
    months = months_between(first, last)
    kinds = tuple(kind.value for kind in profile.arrangement_kinds)
    steps = await reviews_and_appeals_per_month(session, first, last)
    return ReportFigures(
        period,
        months,
        every_label(await cases_by_state(session), slugs, STATE_LABELS),
        every_label(await arrangements_by_kind(session), slugs, kinds),
        every_month(steps, months, slugs, review_and_appeal_labels(profile), in_review_order),
    )
