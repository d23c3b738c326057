"""Aggregate reports over the case records (READ_REPORTS): cases by state, arrangements by
kind, and reviews and appeals per month, each by service.

Plain SQL counts over plain columns (states, kinds, service slugs, timeline steps, their
times and a decision's outcome from a fixed list); no sealed column is read, so nothing here
can carry a person's details.

Read-only, like every domain function: the edge opens it through the gate.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from records.case_steps import CaseEvent, Step
from records.models import Arrangement, Case, Service

# The timeline steps the review and appeal report counts, in the order it shows them.
REVIEW_AND_APPEAL_STEPS = (
    Step.REVIEW_SCHEDULED,
    Step.REVIEW_REQUESTED,
    Step.REVIEW_DECIDED,
    Step.APPEAL_LODGED,
    Step.APPEAL_DECIDED,
)


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


async def reviews_and_appeals_per_month(
    session: AsyncSession, first: dt.date, last: dt.date
) -> list[Count]:
    """Reviews scheduled, requested and decided, appeals lodged and decided, per month from
    `first` to `last` (inclusive, UTC days) and service; a decision by its outcome, as
    "review_decided: continue". Counted per day in SQL (one form on SQLite and PostgreSQL),
    folded into months here."""
    since = dt.datetime.combine(first, dt.time(), dt.UTC)
    until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.UTC)
    day = func.date(CaseEvent.at)
    rows = await session.execute(
        select(day, Service.slug, CaseEvent.step, CaseEvent.outcome, func.count())
        .join(Case, Case.id == CaseEvent.case_id)
        .join(Service, Service.id == Case.service_id)
        .where(
            CaseEvent.step.in_(REVIEW_AND_APPEAL_STEPS),
            CaseEvent.at >= since,
            CaseEvent.at < until,
        )
        .group_by(day, Service.slug, CaseEvent.step, CaseEvent.outcome)
    )
    folded: dict[tuple[dt.date, str, int, str], int] = defaultdict(int)
    order = {s: i for i, s in enumerate(REVIEW_AND_APPEAL_STEPS)}
    for when, slug, step, outcome, count in rows:
        month = month_of(dt.date.fromisoformat(str(when)[:10]))
        name = Step(step).value + (f": {outcome}" if outcome else "")
        folded[(month, slug, order[Step(step)], name)] += count
    return [
        Count(slug, name, count, month) for (month, slug, _, name), count in sorted(folded.items())
    ]
