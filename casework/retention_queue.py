"""The retention queue: which settled cases are due to be archived or destroyed on a day, and
why, with the holds and approvals that stop them. The preview (CLI, API, admin panel) and the
job read the same queue, so what the preview says is what the job does.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from casework.deadlines import add_months
from casework.retention_schedule import (
    CaseDates,
    OpenCase,
    RetentionPolicy,
    Rule,
    Schedule,
    case_dates,
    customers_without_case,
    open_cases_untouched_since,
    schedule_of,
)
from records.certificates import ApprovalView, approvals_for
from records.holds import HoldView, customer_holds, holds_on
from records.models import CaseState


class Action(enum.StrEnum):
    # Archive now. A case also past its destruction date is archived only while its
    # destruction still waits for approval: it waits archived, read-only.
    ARCHIVE = "archive"
    # Destroy now: an archived case whose destruction is due (and approved where the profile
    # asks), or a case not yet archived that is already past its destruction date, which is
    # destroyed without being archived (no bundle: an archive keeps a case readable during
    # its retention period, and this case's has run).
    DESTROY = "destroy"
    HELD = "held"  # due, but a hold wins
    AWAITING_APPROVAL = "awaiting_approval"  # destruction due, not yet approved
    # Due to be archived, but the case still owes the customer a letter (an ended, review or
    # appeal notification not yet recorded): it waits live, where the letter can be recorded,
    # and is archived the first night after. Its dates do not move (CaseDates.letter_owed).
    LETTER_OWED = "letter_owed"
    # Not scheduled at all: a case still open (open, warned, referred, in assessment) with no
    # step for the profile's `open_case_review_months`. Listed so that someone decides to take
    # it on or close it; the job leaves it alone (the preview lists it, `untouched` below).
    NEEDS_REVIEW = "needs_review"


@dataclass(frozen=True)
class Planned:
    case_id: uuid.UUID
    reference: str
    state: CaseState
    schedule: Schedule
    action: Action
    rule: str  # the schedule's rule, described
    destroy_due: bool
    holds: tuple[HoldView, ...] = ()
    approval: ApprovalView | None = None

    @property
    def hold_names(self) -> tuple[str, ...]:
        return tuple(h.reason.value for h in self.holds)

    @property
    def unarchived(self) -> bool:
        """Destroyed without being archived: already past its destruction date when the job
        first reached it (the certificate says so, and holds no bundle digest)."""
        return self.action is Action.DESTROY and self.state is not CaseState.ARCHIVED


@dataclass(frozen=True)
class Untouched:
    """An open case listed for review (`Action.NEEDS_REVIEW`): no schedule, no dates to
    archive or destroy it, only the day of its last step and the day it became due for
    review."""

    case: OpenCase
    review_on: dt.date
    rule: str
    action: Action = Action.NEEDS_REVIEW


def untouched_rule(policy: RetentionPolicy) -> str:
    months = policy.open_case_review_months
    return (
        f"open_untouched: review an open case with no step for {months} months; never "
        f"archived or destroyed while open "
        f"(profile {policy.profile_name} v{policy.profile_version})"
    )


async def untouched(
    session: AsyncSession,
    policy: RetentionPolicy,
    as_of: dt.date,
    *,
    after: uuid.UUID | None = None,
) -> list[Untouched]:
    """Open cases whose last step is the profile's `open_case_review_months` or more before
    `as_of`, in id order (those after `after`, or all): what the preview lists as
    `needs_review`."""
    months = policy.open_case_review_months
    since = _months_before(as_of, months)
    if since is None:
        return []
    rule = untouched_rule(policy)
    # One day later than `since`: a case last touched on `since` itself has had its months.
    found = await open_cases_untouched_since(session, since + dt.timedelta(days=1), after=after)
    return [Untouched(case, add_months(case.last_step_on, months), rule) for case in found]


@dataclass(frozen=True)
class Caseless:
    """A customer with no case, due to be destroyed (`Action.DESTROY`) or held (`Action.HELD`)
    by a hold placed on them or an open subject access request. Named by their random id
    only: their name and reference are personal data, and there is no case reference."""

    customer_id: uuid.UUID
    added_on: dt.date  # the trigger: the day the customer was added (imported)
    destroy_on: dt.date
    action: Action
    rule: str
    holds: tuple[HoldView, ...] = ()

    @property
    def hold_names(self) -> tuple[str, ...]:
        return tuple(h.reason.value for h in self.holds)


def caseless_rule(policy: RetentionPolicy) -> str:
    return (
        f"{Rule.CUSTOMER_WITHOUT_CASE.value}: destroy a customer with no case "
        f"{policy.customer_without_case_months} months after they were added "
        f"(profile {policy.profile_name} v{policy.profile_version})"
    )


async def caseless_customers(
    session: AsyncSession,
    policy: RetentionPolicy,
    as_of: dt.date,
    *,
    customer_ids: Sequence[uuid.UUID] | None = None,
    after: uuid.UUID | None = None,
    limit: int | None = None,
) -> list[Caseless]:
    """Customers with no case whose `customer_without_case_months` since they were added
    have run by `as_of` (the named ones, or all; up to `limit` after `after`), in id order:
    destroyed by the job, no approval asked (docs/retention.md), unless a hold placed on them
    or a subject access request for them is open."""
    months = policy.customer_without_case_months
    # Added on or before this day, the months have run by `as_of`.
    last_added = _months_before(as_of, months)
    if last_added is None:
        return []
    found = await customers_without_case(
        session, last_added + dt.timedelta(days=1), customer_ids=customer_ids, after=after,
        limit=limit,
    )  # fmt: skip
    held = await customer_holds(session, [c for c, _ in found])
    rule = caseless_rule(policy)
    return [
        Caseless(
            customer_id=customer_id,
            added_on=added_on,
            destroy_on=add_months(added_on, months),
            action=Action.HELD if customer_id in held else Action.DESTROY,
            rule=rule,
            holds=tuple(held.get(customer_id, ())),
        )
        for customer_id, added_on in found
    ]


def _months_before(day: dt.date, months: int) -> dt.date | None:
    """`months` before `day`; None when that is before the first day a date holds (a
    preview or run for a day in the year 1): nothing was added or touched before it."""
    try:
        return add_months(day, -months)
    except ValueError:  # "year 0 is out of range"
        return None


class PreviewPart(enum.StrEnum):
    """The preview's three parts, in the order it lists them (the CLI's lines, the API's
    pages): due cases, then customers with no case, then open cases for review."""

    CASE = "case"
    CUSTOMER = "customer"
    REVIEW = "review"


PREVIEW_PARTS = tuple(PreviewPart)
PreviewEntry = Planned | Caseless | Untouched


@dataclass(frozen=True)
class PreviewPosition:
    """Where an entry sits in the preview: its part, then its id (the case's, or the
    customer's) in id order within the part. Stable for a day's preview, however it is paged."""

    part: PreviewPart
    id: uuid.UUID

    @classmethod
    def of(cls, entry: PreviewEntry) -> PreviewPosition:
        if isinstance(entry, Planned):
            return cls(PreviewPart.CASE, entry.case_id)
        if isinstance(entry, Caseless):
            return cls(PreviewPart.CUSTOMER, entry.customer_id)
        return cls(PreviewPart.REVIEW, entry.case.case_id)


async def preview_page(
    session: AsyncSession,
    policy: RetentionPolicy,
    as_of: dt.date,
    *,
    after: PreviewPosition | None,
    limit: int,
) -> list[PreviewEntry]:
    """Up to `limit` entries of the preview after `after`, in its order (PreviewPart): the
    same entries, with the same holds and approvals, that `plan`, `caseless_customers` and
    `untouched` give the CLI's preview. Reads only as far as the page needs."""
    found: list[PreviewEntry] = []
    start = PREVIEW_PARTS.index(after.part) if after else 0
    since = after.id if after else None
    for part in PREVIEW_PARTS[start:]:
        found.extend(await _preview_part(session, policy, as_of, part, since, limit - len(found)))
        if len(found) == limit:
            break
        since = None  # the next part from its start
    return found


async def _preview_part(
    session: AsyncSession,
    policy: RetentionPolicy,
    as_of: dt.date,
    part: PreviewPart,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[PreviewEntry]:
    if part is PreviewPart.CUSTOMER:
        return await caseless_customers(session, policy, as_of, after=after, limit=limit)
    if part is PreviewPart.REVIEW:
        return (await untouched(session, policy, as_of, after=after))[:limit]
    found: list[Planned] = []
    async with aclosing(plan(session, policy, as_of, after=after)) as batches:
        async for batch in batches:
            found.extend(batch[: limit - len(found)])
            if len(found) == limit:
                break  # the batches after it are never read
    return found


def _is_due(dates: CaseDates, schedule: Schedule, as_of: dt.date) -> bool:
    if dates.state is CaseState.ARCHIVED:
        return as_of >= schedule.destroy_on
    return as_of >= schedule.archive_on


async def plan(
    session: AsyncSession,
    policy: RetentionPolicy,
    as_of: dt.date,
    *,
    case_ids: Sequence[uuid.UUID] | None = None,
    batch: int = 2000,
    after: uuid.UUID | None = None,
) -> AsyncGenerator[list[Planned]]:
    """The due cases, a batch at a time, in id order (the named ones, or all; those after
    `after`)."""
    async for due in _due(session, policy, as_of, case_ids, batch, after):
        yield await _decide(session, policy, as_of, due)


async def due_case_ids(
    session: AsyncSession, policy: RetentionPolicy, as_of: dt.date
) -> list[uuid.UUID]:
    """The ids of the cases `plan` yields, in the same order, without reading their holds and
    approvals: for the job, which decides those under each batch's lock."""
    return [dates.case_id async for due in _due(session, policy, as_of) for dates, _ in due]


async def _due(
    session: AsyncSession,
    policy: RetentionPolicy,
    as_of: dt.date,
    case_ids: Sequence[uuid.UUID] | None = None,
    batch: int = 2000,
    after: uuid.UUID | None = None,
) -> AsyncIterator[list[tuple[CaseDates, Schedule]]]:
    while True:
        rows = await case_dates(session, case_ids=case_ids, after=after, limit=batch)
        if not rows:
            return
        after = rows[-1].case_id
        due = [
            (dates, schedule)
            for dates in rows
            if (schedule := schedule_of(dates, policy)) is not None
            and _is_due(dates, schedule, as_of)
        ]
        if due:
            yield due
        if case_ids is not None or len(rows) < batch:
            return


async def plan_one(
    session: AsyncSession, policy: RetentionPolicy, as_of: dt.date, case_id: uuid.UUID
) -> Planned | None:
    async for planned in plan(session, policy, as_of, case_ids=[case_id]):
        return planned[0] if planned else None
    return None


async def _decide(
    session: AsyncSession,
    policy: RetentionPolicy,
    as_of: dt.date,
    due: list[tuple[CaseDates, Schedule]],
) -> list[Planned]:
    holds = await holds_on(session, [d.case_id for d, _ in due])
    approvals: dict[uuid.UUID, ApprovalView] = {}
    if policy.approval_required:
        approvals = await approvals_for(session, [(d.case_id, s.destroy_on) for d, s in due])
    planned: list[Planned] = []
    for dates, schedule in due:
        destroy_due = as_of >= schedule.destroy_on
        approval = approvals.get(dates.case_id)
        destroy_allowed = destroy_due and _approved(policy, approval)
        if holds.get(dates.case_id):
            action = Action.HELD
        elif destroy_allowed:
            action = Action.DESTROY  # archived or not: see Action
        elif dates.state is not CaseState.ARCHIVED:
            action = Action.LETTER_OWED if dates.letter_owed else Action.ARCHIVE
        else:
            action = Action.AWAITING_APPROVAL
        planned.append(
            Planned(
                case_id=dates.case_id,
                reference=dates.reference,
                state=dates.state,
                schedule=schedule,
                action=action,
                rule=schedule.describe(policy),
                destroy_due=destroy_due,
                holds=tuple(holds.get(dates.case_id, ())),
                approval=approval,
            )
        )
    return planned


def _approved(policy: RetentionPolicy, approval: ApprovalView | None) -> bool:
    """Destruction approved, or the profile asks for no approval."""
    return not policy.approval_required or (approval is not None and approval.approved)


def may_destroy(planned: Planned, policy: RetentionPolicy) -> bool:
    """Destruction due, no hold, and approved where the profile asks for approval."""
    if not planned.destroy_due or planned.holds:
        return False
    return _approved(policy, planned.approval)


def wants_approval(planned: Planned, policy: RetentionPolicy) -> bool:
    """Destruction due and not held, but waiting for an approval the profile asks for: an
    archived case (AWAITING_APPROVAL), or one the job will archive until it is approved
    (approved first, it is destroyed without being archived)."""
    return (
        planned.destroy_due
        and not planned.holds
        and planned.action in (Action.ARCHIVE, Action.AWAITING_APPROVAL, Action.LETTER_OWED)
        and not _approved(policy, planned.approval)
    )


def in_words(planned: Planned, policy: RetentionPolicy) -> str:
    """What the job does with a due case, as a person reads it: its action, but for a case
    not yet archived and already past its destruction date, which is destroyed without being
    archived (once approved, where the profile asks), where the action alone ("archive",
    tonight's step while approval is awaited) would hide that its destruction is due."""
    past = "without being archived (past its destruction date)"
    if planned.unarchived:
        return f"destroy, {past}"
    if planned.state is not CaseState.ARCHIVED and wants_approval(planned, policy):
        return f"destroy once approved, {past}; until approved: {planned.action.value}"
    return planned.action.value
