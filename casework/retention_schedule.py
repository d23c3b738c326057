"""When a case is archived and when it is destroyed (DESIGN.md 7; docs/retention.md).

A case with arrangements is archived on the day its last arrangement ends and destroyed the
profile's number of years after that day. A case that ends with no arrangement (closed with
no action, or ended after a warning alone) counts from the day it closed, under its own
period. Dates are computed from the data each time, so a changed end date moves both.

Pure functions over rows read here; nothing is written, nothing committed. Holds and
approvals are the job's and the preview's business (records/holds.py).
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import ColumnElement, and_, case, exists, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from casework.over_time import OWED_LETTERS
from records.case_steps import CaseDeadline, CaseEvent, Step
from records.days import uk_day, uk_day_of_stored, uk_midnight
from records.models import Arrangement, ArrangementState, Case, CaseState, Customer

# States in which a case's work is over, so its retention clock may run. Cases still being
# worked (open, warned, referred, in assessment) are never archived by the job.
SETTLED = (CaseState.DECIDED, CaseState.ENDED, CaseState.CLOSED_NO_ACTION, CaseState.ARCHIVED)
_CURRENT = (ArrangementState.PROPOSED, ArrangementState.ACTIVE)


class RetentionRules(Protocol):
    @property
    def years_after_last_restriction(self) -> int: ...
    @property
    def closed_without_arrangements_years(self) -> int: ...
    @property
    def approval_required(self) -> bool: ...
    @property
    def two_person_approval(self) -> bool: ...
    @property
    def open_case_review_months(self) -> int: ...
    @property
    def customer_without_case_months(self) -> int: ...


class ProfileLike(Protocol):
    """What the schedule needs of a policy profile (casework/profiles.py)."""

    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def retention(self) -> RetentionRules: ...


@dataclass(frozen=True)
class RetentionPolicy:
    """The retention part of the profile in use, with the profile's name and version, which
    certificates quote."""

    profile_name: str
    profile_version: str
    years_after_last_restriction: int = 6
    closed_without_arrangements_years: int = 6
    approval_required: bool = False
    two_person_approval: bool = False
    # An open case with no step for this long is listed for review (`needs_review`), never
    # archived or destroyed: docs/retention.md.
    open_case_review_months: int = 6
    # A customer with no case is destroyed this long after they were added: docs/retention.md.
    customer_without_case_months: int = 12

    @classmethod
    def of(cls, profile: ProfileLike) -> RetentionPolicy:
        rules = profile.retention
        return cls(
            profile_name=profile.name,
            profile_version=str(profile.version),
            years_after_last_restriction=rules.years_after_last_restriction,
            closed_without_arrangements_years=rules.closed_without_arrangements_years,
            approval_required=rules.approval_required,
            two_person_approval=rules.two_person_approval,
            open_case_review_months=rules.open_case_review_months,
            customer_without_case_months=rules.customer_without_case_months,
        )


class Rule(enum.StrEnum):
    AFTER_LAST_RESTRICTION = "after_last_restriction"
    CLOSED_WITHOUT_ARRANGEMENTS = "closed_without_arrangements"
    CUSTOMER_WITHOUT_CASE = "customer_without_case"


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` on. 29 February becomes 1 March in a common year: the period has
    then fully run, and destroying on 28 February would be a day early."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


@dataclass(frozen=True)
class Schedule:
    rule: Rule
    years: int
    trigger_on: dt.date  # the last restriction's end, or the closing date
    archive_on: dt.date
    destroy_on: dt.date

    def describe(self, policy: RetentionPolicy) -> str:
        since = (
            "the last restriction ended"
            if self.rule is Rule.AFTER_LAST_RESTRICTION
            else "the case closed without arrangements"
        )
        return (
            f"{self.rule.value}: destroy {self.years} years after {since} "
            f"(profile {policy.profile_name} v{policy.profile_version})"
        )


@dataclass(frozen=True)
class CaseDates:
    """What the schedule reads of one case: no sealed column."""

    case_id: uuid.UUID
    reference: str
    state: CaseState
    restrictions_ended_on: dt.date | None
    closed_on: dt.date
    arrangements: int
    open_ended: bool  # an arrangement in force with no end date
    current_end: dt.date | None  # latest end of arrangements in force or proposed
    ended_end: dt.date | None  # latest end of lifted or expired arrangements
    # A letter the customer is owed and not yet recorded (sent, or not to be sent): an open
    # notification deadline (casework/over_time.py). It delays archiving, never the dates.
    letter_owed: bool = False


def schedule_of(dates: CaseDates, policy: RetentionPolicy) -> Schedule | None:
    """The case's schedule, or None while it has none (work not over, or an arrangement in
    force with no end date)."""
    if dates.state not in SETTLED or dates.open_ended:
        return None
    if dates.arrangements == 0:
        years = policy.closed_without_arrangements_years
        trigger = dates.closed_on
        return Schedule(
            Rule.CLOSED_WITHOUT_ARRANGEMENTS, years, trigger, trigger, add_years(trigger, years)
        )
    ended = dates.restrictions_ended_on or dates.ended_end
    candidates = [d for d in (dates.current_end, ended) if d is not None]
    if not candidates:
        return None
    trigger = max(candidates)
    years = policy.years_after_last_restriction
    return Schedule(Rule.AFTER_LAST_RESTRICTION, years, trigger, trigger, add_years(trigger, years))


def _dates_query(which: ColumnElement[bool]):  # type: ignore[no-untyped-def]
    current = Arrangement.state.in_(_CURRENT)
    # When the workflow recorded closing the case with no action; else its last update.
    closed_at = (
        select(func.max(CaseEvent.at))
        .where(CaseEvent.case_id == Case.id, CaseEvent.step == Step.CLOSED_NO_ACTION)
        .scalar_subquery()
    )
    letter_owed = exists().where(
        CaseDeadline.case_id == Case.id,
        CaseDeadline.kind.in_(OWED_LETTERS),
        CaseDeadline.met_at.is_(None),
    )
    return (
        select(
            Case.id,
            Case.reference,
            Case.state,
            Case.restrictions_ended_on,
            Case.updated_at,
            func.count(Arrangement.id),
            func.sum(case((and_(current, Arrangement.ends_on.is_(None)), 1), else_=0)),
            func.max(case((current, Arrangement.ends_on), else_=None)),
            func.max(case((~current, Arrangement.ends_on), else_=None)),
            closed_at,
            letter_owed,
        )
        .outerjoin(Arrangement, Arrangement.case_id == Case.id)
        .where(which, Case.state.in_(SETTLED))
        .group_by(Case.id)
    )


async def case_dates(
    session: AsyncSession,
    *,
    case_ids: Sequence[uuid.UUID] | None = None,
    after: uuid.UUID | None = None,
    limit: int | None = None,
) -> list[CaseDates]:
    """Dates of settled cases, in id order: the named ones, or a page after `after`."""
    which: ColumnElement[bool] = Case.id.in_(case_ids) if case_ids is not None else true()
    if after is not None:
        which = and_(which, Case.id > after)
    if case_ids is None and limit is not None:
        # A page's ids first, along the primary key: grouped with the join and limited
        # afterwards, each page read every case after it (100,000 cases: 50 pages of 2,000,
        # each scanning what was left).
        page = select(Case.id).where(which, Case.state.in_(SETTLED)).order_by(Case.id)
        which = Case.id.in_(list(await session.scalars(page.limit(limit))))
    query = _dates_query(which).order_by(Case.id)
    if limit is not None:
        query = query.limit(limit)
    rows = (await session.execute(query)).all()
    return [
        CaseDates(
            case_id=row[0],
            reference=row[1],
            state=row[2],
            restrictions_ended_on=row[3],
            closed_on=uk_day_of_stored(row[9] or row[4]),
            arrangements=int(row[5]),
            open_ended=bool(row[6]),
            current_end=_as_date(row[7]),
            ended_end=_as_date(row[8]),
            letter_owed=bool(row[10]),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class OpenCase:
    """A case still being worked (open, warned, referred, in assessment) and the day of its
    last step: its own row's last change, or its timeline's last event, whichever is later."""

    case_id: uuid.UUID
    reference: str
    state: CaseState
    last_step_on: dt.date


async def open_cases_untouched_since(
    session: AsyncSession, day: dt.date, *, after: uuid.UUID | None = None
) -> list[OpenCase]:
    """Cases not settled whose last step was before `day`, in id order (those after
    `after`, or all). Plain columns only."""
    last_event = func.max(CaseEvent.at)
    query = (
        select(Case.id, Case.reference, Case.state, Case.updated_at, last_event)
        .outerjoin(CaseEvent, CaseEvent.case_id == Case.id)
        .where(Case.state.not_in((*SETTLED, CaseState.DESTROYED)))
        .where(Case.updated_at < uk_midnight(day))
    )
    if after is not None:
        query = query.where(Case.id > after)
    rows = await session.execute(query.group_by(Case.id).order_by(Case.id))
    found = []
    for case_id, reference, state, updated_at, at in rows:
        last = max(uk_day_of_stored(d) for d in (updated_at, at) if d is not None)
        if last < day:
            found.append(OpenCase(case_id, reference, state, last))
    return found


async def customers_without_case(
    session: AsyncSession,
    added_before: dt.date,
    *,
    customer_ids: Sequence[uuid.UUID] | None = None,
    after: uuid.UUID | None = None,
    limit: int | None = None,
) -> list[tuple[uuid.UUID, dt.date]]:
    """Customers with no case who were added before `added_before` (the named ones, or all;
    up to `limit` after `after`), in id order, with the day each was added. Plain columns
    only."""
    has_case = exists().where(Case.customer_id == Customer.id)
    query = select(Customer.id, Customer.created_at).where(
        ~has_case, Customer.created_at < uk_midnight(added_before)
    )
    if customer_ids is not None:
        query = query.where(Customer.id.in_(customer_ids))
    if after is not None:
        query = query.where(Customer.id > after)
    rows = await session.execute(query.order_by(Customer.id).limit(limit))
    return [(customer_id, uk_day(added)) for customer_id, added in rows]


def _as_date(value: object) -> dt.date | None:
    # MAX over a date column comes back as text on SQLite.
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
