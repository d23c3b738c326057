"""Holds on cases and customers: placed and released by IG officers, or automatic while a
subject access request, an appeal or a review is open. A case with any hold is neither
archived nor destroyed; a hold placed on a customer, like an open subject access request,
holds the customer and every case of theirs. Subject access requests are opened and
completed here too (they hold).

Domain functions: they take the session and a clock's time, and never commit.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from records.case_steps import CaseEvent, Step
from records.customers import Named, hold_customer
from records.days import uk_day
from records.errors import InvalidTransition, NotFound, ValidationFailed
from records.models import Case, Customer
from records.retention_tables import (
    PLACEABLE,
    HoldReason,
    RetentionHold,
    SubjectAccessRequest,
)

# On the workflow's timeline, an appeal or review is open while it has been lodged or
# requested more often than decided.
_OPENED_BY = {
    Step.APPEAL_LODGED: HoldReason.APPEAL_OPEN,
    Step.REVIEW_REQUESTED: HoldReason.REVIEW_OPEN,
}
_CLOSED_BY = {
    Step.APPEAL_DECIDED: HoldReason.APPEAL_OPEN,
    Step.REVIEW_DECIDED: HoldReason.REVIEW_OPEN,
}


@dataclass(frozen=True)
class HoldView:
    """A hold as the preview, the admin panel and the API show it. Automatic holds have no
    id: they end when what they name is closed, not by release. `case_id` is the held case
    (None on a customer with no case); `customer_id` is set when the hold was placed on the
    customer rather than on the case."""

    case_id: uuid.UUID | None
    reason: HoldReason
    id: uuid.UUID | None = None
    placed_by: str | None = None
    placed_at: dt.datetime | None = None
    customer_id: uuid.UUID | None = None

    @property
    def automatic(self) -> bool:
        return self.id is None


def parse_reason(value: str) -> HoldReason:
    try:
        reason = HoldReason(value.strip().lower())
    except ValueError:
        reason = None
    if reason not in PLACEABLE:
        names = ", ".join(sorted(r.value for r in PLACEABLE))
        raise ValidationFailed("reason", f"must be one of: {names}")
    return reason


@dataclass(frozen=True)
class Held:
    """What a placed hold names: a case or a customer, exactly one of the two."""

    case_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None


def check_one_named(case_ref: str | None, person: Sequence[Named], case_field: str) -> None:
    """A hold names a case (its reference, in `case_field`) or a customer (one way of
    `person`): exactly one of them, or refused on `case_field`. Each face names its fields."""
    given = (case_ref is not None) + sum(value is not None for _, value, _ in person)
    if given != 1:
        ways = ", ".join((case_field, *(name for _, _, name in person)))
        raise ValidationFailed(case_field, f"give exactly one of {ways}")


async def place_hold_on(
    session: AsyncSession, held: Held, reason: HoldReason, placed_by: str, now: dt.datetime
) -> RetentionHold:
    if held.customer_id is not None:
        return await place_customer_hold(session, held.customer_id, reason, placed_by, now)
    if held.case_id is None:
        raise NotFound("no such case")
    return await place_hold(session, held.case_id, reason, placed_by, now)


async def place_hold(
    session: AsyncSession, case_id: uuid.UUID, reason: HoldReason, placed_by: str, now: dt.datetime
) -> RetentionHold:
    # The case's row held (FOR UPDATE, as a step holds it: casework/steps.py `load_case`)
    # until the transaction ends, so two placements at once run one after the other and the
    # second sees the first's hold.
    if await session.get(Case, case_id, with_for_update=True) is None:
        raise NotFound("no such case")
    hold = RetentionHold(case_id=case_id)
    return await _placed(session, hold, RetentionHold.case_id == case_id, reason, placed_by, now)


async def place_customer_hold(
    session: AsyncSession,
    customer_id: uuid.UUID,
    reason: HoldReason,
    placed_by: str,
    now: dt.datetime,
) -> RetentionHold:
    """Hold a customer: neither they nor any case of theirs is archived or destroyed until it
    is released (a litigation hold on a person, whether or not they have a case)."""
    if await session.get(Customer, customer_id) is None:
        raise NotFound("no such customer")
    await hold_customer(session, customer_id)  # as the case's row above
    hold = RetentionHold(customer_id=customer_id)
    named = RetentionHold.customer_id == customer_id
    return await _placed(session, hold, named, reason, placed_by, now)


async def _placed(
    session: AsyncSession,
    hold: RetentionHold,
    named: ColumnElement[bool],
    reason: HoldReason,
    placed_by: str,
    now: dt.datetime,
) -> RetentionHold:
    """Place `hold`, unless one for the same reason is in force on what it names (`named`):
    releasing one of two would leave the other keeping the records. That one's id is given,
    to release or keep. A hold for another reason, or on the customer beside one on a case
    of theirs, is another hold, released on its own (docs/retention.md, "One hold a reason")."""
    if reason not in PLACEABLE:
        raise ValidationFailed("reason", "this kind of hold is automatic")
    existing = await session.scalar(
        select(RetentionHold.id).where(
            named, RetentionHold.reason == reason, RetentionHold.released_at.is_(None)
        )
    )
    if existing is not None:
        where = "this case" if hold.case_id is not None else "this customer"
        raise InvalidTransition(
            f"a {reason.value} hold is already in force on {where}: hold {existing}"
        )
    hold.id = uuid.uuid4()
    hold.reason = reason
    hold.placed_by = placed_by
    hold.placed_at = now
    session.add(hold)
    await session.flush()
    return hold


async def release_hold(
    session: AsyncSession, hold_id: uuid.UUID, released_by: str, now: dt.datetime
) -> RetentionHold:
    hold = await session.get(RetentionHold, hold_id)
    if hold is None:
        raise NotFound("no such hold")
    if hold.released_at is not None:
        raise InvalidTransition("the hold is already released")
    hold.released_by = released_by
    hold.released_at = now
    await session.flush()
    return hold


async def held_by(session: AsyncSession, hold_id: uuid.UUID) -> Held | None:
    """What a placed hold names, or None if there is no such hold: the target the gate is
    asked about before it is released."""
    row = (
        await session.execute(
            select(RetentionHold.case_id, RetentionHold.customer_id).where(
                RetentionHold.id == hold_id
            )
        )
    ).first()
    return None if row is None else Held(row.case_id, row.customer_id)


async def holds_on(
    session: AsyncSession, case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[HoldView]]:
    """Every hold in force on these cases, placed and automatic."""
    found: dict[uuid.UUID, list[HoldView]] = defaultdict(list)
    if not case_ids:
        return found
    for chunk in _chunks(case_ids):
        for view in await _placed_on_cases(session, chunk):
            if view.case_id is not None:  # always: the query names the cases
                found[view.case_id].append(view)
        for case_id, h in await _customers_held(session, chunk):
            found[case_id].append(_customer_view(case_id, h))
        for case_id in await _under_subject_access(session, chunk):
            found[case_id].append(HoldView(case_id, HoldReason.SUBJECT_ACCESS_REQUEST))
        for case_id, reason in await open_appeals_and_reviews(session, chunk):
            found[case_id].append(HoldView(case_id, reason))
    return found


@dataclass(frozen=True)
class HoldsListed:
    """The holds `retentionHolds` lists, each naming its case (`case_id`) or its customer
    (`customer_id`); `references` names the cases."""

    holds: list[HoldView]
    references: dict[uuid.UUID, str]


async def holds_of(session: AsyncSession, held: Held) -> HoldsListed:
    """The holds in force on a case (as `holds_on` finds them), or on a customer and every
    case of theirs: a hold on the customer is listed once, for them, not again for each case
    it keeps; a case's own holds (placed on it, an appeal or review open on it) for the case."""
    if held.customer_id is None:
        named = Case.id == held.case_id
    else:
        named = Case.customer_id == held.customer_id
    rows = await session.execute(select(Case.id, Case.reference).where(named))
    references = {case_id: reference for case_id, reference in rows}
    case_ids = list(references)
    if held.customer_id is None:
        on_case = await holds_on(session, case_ids)
        return HoldsListed([view for views in on_case.values() for view in views], references)
    views = list((await customer_holds(session, [held.customer_id])).get(held.customer_id, []))
    for chunk in _chunks(case_ids):
        views += await _placed_on_cases(session, chunk)
        views += [HoldView(c, r) for c, r in await open_appeals_and_reviews(session, chunk)]
    return HoldsListed(views, references)


async def _placed_on_cases(session: AsyncSession, case_ids: Sequence[uuid.UUID]) -> list[HoldView]:
    """The holds in force placed on these cases themselves."""
    placed = await session.scalars(
        select(RetentionHold).where(
            RetentionHold.case_id.in_(case_ids), RetentionHold.released_at.is_(None)
        )
    )
    return [HoldView(h.case_id, h.reason, h.id, h.placed_by, h.placed_at) for h in placed]


async def customer_holds(
    session: AsyncSession, customer_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[HoldView]]:
    """The holds in force on these customers themselves: those placed on them and, automatic,
    an open subject access request. What holds a customer with no case (docs/retention.md)."""
    found: dict[uuid.UUID, list[HoldView]] = defaultdict(list)
    for chunk in _chunks(customer_ids):
        placed = await session.scalars(
            select(RetentionHold).where(
                RetentionHold.customer_id.in_(chunk), RetentionHold.released_at.is_(None)
            )
        )
        for h in placed:
            if h.customer_id is not None:  # always: the query names the customers
                found[h.customer_id].append(_customer_view(None, h))
        requested = await session.scalars(
            select(SubjectAccessRequest.customer_id)
            .where(
                SubjectAccessRequest.customer_id.in_(chunk),
                SubjectAccessRequest.completed_at.is_(None),
            )
            .distinct()
        )
        for customer_id in requested:
            found[customer_id].append(
                HoldView(None, HoldReason.SUBJECT_ACCESS_REQUEST, customer_id=customer_id)
            )
    return found


def _customer_view(case_id: uuid.UUID | None, h: RetentionHold) -> HoldView:
    return HoldView(case_id, h.reason, h.id, h.placed_by, h.placed_at, customer_id=h.customer_id)


async def _customers_held(
    session: AsyncSession, case_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, RetentionHold]]:
    """(case, hold) for each hold in force placed on the customer of one of these cases."""
    rows = await session.execute(
        select(Case.id, RetentionHold)
        .join(RetentionHold, RetentionHold.customer_id == Case.customer_id)
        .where(Case.id.in_(case_ids), RetentionHold.released_at.is_(None))
    )
    return [(case_id, hold) for case_id, hold in rows]


async def _under_subject_access(
    session: AsyncSession, case_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(Case.id)
        .join(SubjectAccessRequest, SubjectAccessRequest.customer_id == Case.customer_id)
        .where(Case.id.in_(case_ids), SubjectAccessRequest.completed_at.is_(None))
        .distinct()
    )
    return list(rows)


async def open_appeals_and_reviews(
    session: AsyncSession, case_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, HoldReason]]:
    """(case, APPEAL_OPEN or REVIEW_OPEN) for each appeal or review lodged and not decided:
    the one place automatic holds read the workflow's timeline."""
    steps = (*_OPENED_BY, *_CLOSED_BY)
    rows = await session.execute(
        select(CaseEvent.case_id, CaseEvent.step, func.count())
        .where(CaseEvent.case_id.in_(case_ids), CaseEvent.step.in_(steps))
        .group_by(CaseEvent.case_id, CaseEvent.step)
    )
    balance: dict[tuple[uuid.UUID, HoldReason], int] = defaultdict(int)
    for case_id, step, count in rows:
        if step in _OPENED_BY:
            balance[(case_id, _OPENED_BY[step])] += count
        else:
            balance[(case_id, _CLOSED_BY[step])] -= count
    return [key for key, open_count in balance.items() if open_count > 0]


def _chunks(ids: Sequence[uuid.UUID], size: int = 500) -> list[Sequence[uuid.UUID]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


# -- subject access requests ---------------------------------------------------------------


async def open_subject_access(
    session: AsyncSession, customer_id: uuid.UUID, opened_by: str, now: dt.datetime
) -> SubjectAccessRequest:
    """A new request for the customer, refused while one for them is open: a second would
    look like a new request, with a new date to answer by, for what is the same one. The
    refusal names the open request's id (to export and complete it) and the day it was
    opened. The customer's row is held first, so two at once cannot both open one."""
    if await session.get(Customer, customer_id) is None:
        raise NotFound("no such customer")
    await hold_customer(session, customer_id)
    already = await session.scalar(
        select(SubjectAccessRequest)
        .where(SubjectAccessRequest.customer_id == customer_id)
        .where(SubjectAccessRequest.completed_at.is_(None))
        .order_by(SubjectAccessRequest.opened_at)
        .limit(1)
    )
    if already is not None:
        raise InvalidTransition(
            f"a subject access request for this customer is already open: {already.id}, "
            f"opened {uk_day(already.opened_at).isoformat()}; complete it before opening another"
        )
    request = SubjectAccessRequest(
        id=uuid.uuid4(), customer_id=customer_id, opened_by=opened_by, opened_at=now
    )
    session.add(request)
    await session.flush()
    return request


async def complete_subject_access(
    session: AsyncSession, request_id: uuid.UUID, completed_by: str, now: dt.datetime
) -> SubjectAccessRequest:
    request = await session.get(SubjectAccessRequest, request_id)
    if request is None:
        raise NotFound("no such subject access request")
    if request.completed_at is not None:
        raise InvalidTransition("the request is already complete")
    request.completed_by = completed_by
    request.completed_at = now
    await session.flush()
    return request


async def subject_access_requests(
    session: AsyncSession, *, limit: int = 200, after: uuid.UUID | None = None
) -> list[SubjectAccessRequest]:
    """Requests, open ones first, then newest first and then by id (the admin panel's list),
    those after the request `after` (the last one a page showed)."""
    r = SubjectAccessRequest
    query = select(r)
    if after is not None:
        last = await session.get(r, after)
        if last is None:
            raise ValidationFailed("after", "is not a subject access request's id")
        later = or_(r.opened_at < last.opened_at, and_(r.opened_at == last.opened_at, r.id > after))
        done = r.completed_at.is_not(None)
        query = query.where(and_(done, later) if last.completed_at else or_(done, later))
    query = query.order_by(r.completed_at.is_not(None), r.opened_at.desc(), r.id).limit(limit)
    return list(await session.scalars(query))
