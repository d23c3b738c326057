"""The case timeline and its deadlines: one event per workflow step, and the dates those
steps make due.

Every step of the process is one `CaseEvent` (warehouse's `HasEvents` pattern): which step,
who, when, and the step's details (reasons, checklist, attendees, arrangements...) as JSON
sealed under the case's data key, so the history goes when the case goes. The step's details
are casework's pydantic models, so a step's fields are written once there; this module only
stores and reads them. `CaseDeadline` holds what a step made due (a review, an appeal
decision, a full assessment, an "ended" notification) in plain dates, so what is due can be
listed without opening any seal.

Functions add rows to the session and never commit: the edge owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    Uuid,
    and_,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from records.models import Base, Case, CaseAssignment, Service, Staff, _enum, as_utc
from records.vault import Vault


class Step(enum.StrEnum):
    """A step of the process, as the timeline names it."""

    CASE_OPENED = "case_opened"
    CONCERN_RECORDED = "concern_recorded"
    EVIDENCE_RECORDED = "evidence_recorded"
    # A file of evidence kept on the case; the event keeps its id, media type and size only.
    ATTACHMENT_ADDED = "attachment_added"
    # One added by mistake, deleted; the event keeps its id and the reason (from a list) only.
    ATTACHMENT_REMOVED = "attachment_removed"
    STAFF_ASSIGNED = "staff_assigned"
    # An assignment ended: who, in which relation, and why; their access to the case ends.
    STAFF_UNASSIGNED = "staff_unassigned"
    SAFEGUARDS_RECORDED = "safeguards_recorded"
    WARNING_ISSUED = "warning_issued"
    REFERRED = "referred"
    ASSESSMENT_RECORDED = "assessment_recorded"
    CASE_CONFERENCE_HELD = "case_conference_held"
    DECIDED = "decided"
    DECIDED_IMMEDIATE_RISK = "decided_immediate_risk"
    NOTIFICATION_RECORDED = "notification_recorded"
    CLOSED_NO_ACTION = "closed_no_action"
    ARRANGEMENT_MODIFIED = "arrangement_modified"
    ARRANGEMENT_EXTENDED = "arrangement_extended"
    ARRANGEMENT_LIFTED = "arrangement_lifted"
    # Not taken by anyone: arrangements past their end date, recorded at the case's next step.
    ARRANGEMENTS_EXPIRED = "arrangements_expired"
    REVIEW_SCHEDULED = "review_scheduled"
    REVIEW_REQUESTED = "review_requested"
    REVIEW_DECIDED = "review_decided"
    APPEAL_LODGED = "appeal_lodged"
    APPEAL_DECIDED = "appeal_decided"
    # Beside the state: an appeal received after the window, on a profile that hears none
    # late; kept so the file shows it came, when, and why it was not heard.
    APPEAL_REFUSED_LATE = "appeal_refused_late"
    # Beside the state, like reviews and appeals: a filed contact read for a new matter.
    CONTACT_SCREENED = "contact_screened"
    # Beside the state: the customer's emails or phone numbers added or removed.
    CONTACT_DETAILS_RECORDED = "contact_details_recorded"
    # Beside the state: the customer's name recorded (corrected, changed, or first given).
    CUSTOMER_NAME_RECORDED = "customer_name_recorded"


class DeadlineKind(enum.StrEnum):
    REVIEW = "review"
    APPEAL_DECISION = "appeal_decision"
    FULL_ASSESSMENT = "full_assessment"
    ENDED_NOTIFICATION = "ended_notification"
    # What the customer is owed after a warning, a decision, a review or an appeal decided,
    # and after an appeal refused as out of time.
    WARNING_NOTIFICATION = "warning_notification"
    DECISION_NOTIFICATION = "decision_notification"
    REVIEW_NOTIFICATION = "review_notification"
    APPEAL_NOTIFICATION = "appeal_notification"
    LATE_APPEAL_NOTIFICATION = "late_appeal_notification"
    # After the named officer or deputy of an arrangement in force is replaced.
    OFFICER_CHANGED_NOTIFICATION = "officer_changed_notification"
    # After an arrangement's parameters or services change, it is extended, or it is lifted
    # while others stay in force.
    ARRANGEMENT_CHANGED_NOTIFICATION = "arrangement_changed_notification"


class CaseEvent(Base):
    """One step on a case's timeline. `details_sealed` is the step's details as sealed JSON."""

    __tablename__ = "case_events"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    step: Mapped[Step] = mapped_column(_enum(Step))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[dt.datetime] = mapped_column()
    details_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # A decision's outcome from a fixed list (a review's lift/modify/continue/extend, an
    # appeal's), plain beside the sealed details so reports count it without opening a seal.
    outcome: Mapped[str | None] = mapped_column(String(20))

    __table_args__ = (UniqueConstraint("case_id", "seq"),)


class CaseDeadline(Base):
    """A date a step made due; `met_at` is set by the step that meets it."""

    __tablename__ = "case_deadlines"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[DeadlineKind] = mapped_column(_enum(DeadlineKind))
    due_on: Mapped[dt.date] = mapped_column(Date)
    set_by_seq: Mapped[int] = mapped_column(Integer)
    met_at: Mapped[dt.datetime | None] = mapped_column()
    note: Mapped[str | None] = mapped_column(String(60))  # a neutral tag, never free text

    __table_args__ = (Index("ix_case_deadlines_open", "met_at", "due_on"),)


@dataclass(frozen=True)
class EventView:
    seq: int
    step: Step
    actor: str | None  # the member of staff's display name (a work identity)
    at: dt.datetime
    details: dict[str, Any]


@dataclass(frozen=True)
class DeadlineView:
    id: uuid.UUID
    case_id: uuid.UUID
    reference: str
    service: str
    kind: DeadlineKind
    due_on: dt.date


async def record_event(
    session: AsyncSession,
    vault: Vault,
    case: Case,
    step: Step,
    *,
    actor_id: uuid.UUID | None,
    at: dt.datetime,
    details: dict[str, Any],
    outcome: str | None = None,
) -> CaseEvent:
    """Append one step to the case's timeline (the next seq) and touch the case."""
    last = await session.scalar(select(func.max(CaseEvent.seq)).where(CaseEvent.case_id == case.id))
    event_id = uuid.uuid4()
    cipher = await vault.cipher("case", case.id)
    event = CaseEvent(
        id=event_id,
        case_id=case.id,
        seq=(last or 0) + 1,
        step=step,
        actor_id=actor_id,
        at=at,
        details_sealed=cipher.seal_json("case_events", "details", event_id, details),
        outcome=outcome,
    )
    session.add(event)
    case.updated_at = at
    return event


class Taken(NamedTuple):
    step: Step
    at: dt.datetime
    outcome: str | None  # a review's or an appeal's, from a fixed list


async def steps_taken(session: AsyncSession, case_id: uuid.UUID) -> list[Taken]:
    """The case's steps in order, with when and any outcome: what the transition table and
    the workflow's limits consult. No seals."""
    rows = await session.execute(
        select(CaseEvent.step, CaseEvent.at, CaseEvent.outcome)
        .where(CaseEvent.case_id == case_id)
        .order_by(CaseEvent.seq)
    )
    return [Taken(step, as_utc(at), outcome) for step, at, outcome in rows]


async def last_details(
    session: AsyncSession,
    vault: Vault,
    case_id: uuid.UUID,
    steps: Sequence[Step],
    matching: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[str, Any] | None:
    """The details of the latest event of one of `steps`, opened; None if there is none."""
    found = await last_event(session, vault, case_id, steps, matching)
    return found[0] if found else None


async def last_event(
    session: AsyncSession,
    vault: Vault,
    case_id: uuid.UUID,
    steps: Sequence[Step],
    matching: Callable[[dict[str, Any]], bool] | None = None,
) -> tuple[dict[str, Any], dt.datetime] | None:
    """The details, opened, and the time of the latest event of one of `steps` whose details
    are `matching` (any, by default); None if there is none. Events are opened newest first
    until one matches."""
    events = await session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case_id, CaseEvent.step.in_(steps))
        .order_by(CaseEvent.seq.desc())
        .limit(None if matching else 1)
    )
    cipher = None
    for event in events:
        cipher = cipher or await vault.cipher("case", case_id)
        opened: dict[str, Any] = cipher.open_json(
            "case_events", "details", event.id, event.details_sealed
        )
        if matching is None or matching(opened):
            return opened, as_utc(event.at)
    return None


async def load_timeline(
    session: AsyncSession, vault: Vault, case_id: uuid.UUID, *, seq: int | None = None
) -> list[EventView]:
    """The case's timeline, oldest first, details opened (or only the event `seq`)."""
    query = (
        select(CaseEvent, Staff.display_name)
        .outerjoin(Staff, Staff.id == CaseEvent.actor_id)
        .where(CaseEvent.case_id == case_id)
        .order_by(CaseEvent.seq)
    )
    if seq is not None:
        query = query.where(CaseEvent.seq == seq)
    rows = (await session.execute(query)).all()
    cipher = await vault.cipher("case", case_id)
    return [
        EventView(
            seq=event.seq,
            step=event.step,
            actor=name,
            at=as_utc(event.at),
            details=cipher.open_json("case_events", "details", event.id, event.details_sealed),
        )
        for event, name in rows
    ]


def add_deadline(
    session: AsyncSession,
    case: Case,
    kind: DeadlineKind,
    due_on: dt.date,
    event: CaseEvent,
    note: str | None = None,
) -> CaseDeadline:
    deadline = CaseDeadline(
        id=uuid.uuid4(), case_id=case.id, kind=kind, due_on=due_on, set_by_seq=event.seq, note=note
    )
    session.add(deadline)
    return deadline


async def meet_deadlines(
    session: AsyncSession,
    case_id: uuid.UUID,
    kinds: Sequence[DeadlineKind],
    at: dt.datetime,
    *,
    due_on: dt.date | None = None,
    set_by: int | None = None,
) -> int:
    """Mark the case's open deadlines of these kinds met (only those due on `due_on`, and
    only the one the event `set_by` set, where given); returns how many were open."""
    due = [] if due_on is None else [CaseDeadline.due_on == due_on]
    due += [] if set_by is None else [CaseDeadline.set_by_seq == set_by]
    result = await session.execute(
        update(CaseDeadline)
        .where(
            CaseDeadline.case_id == case_id,
            CaseDeadline.kind.in_(kinds),
            CaseDeadline.met_at.is_(None),
            *due,
        )
        .values(met_at=at)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def open_deadlines(
    session: AsyncSession, case_id: uuid.UUID, kinds: Sequence[DeadlineKind]
) -> list[CaseDeadline]:
    rows = await session.scalars(
        select(CaseDeadline)
        .where(
            CaseDeadline.case_id == case_id,
            CaseDeadline.kind.in_(kinds),
            CaseDeadline.met_at.is_(None),
        )
        .order_by(CaseDeadline.due_on)
    )
    return list(rows)


@dataclass(frozen=True)
class DeadlinePosition:
    due_on: dt.date
    id: uuid.UUID


async def due_deadlines(
    session: AsyncSession,
    case_ids: Any,
    *,
    service: str | None,
    officer_id: uuid.UUID | None,
    after: DeadlinePosition | None,
    limit: int,
) -> list[DeadlineView]:
    """Open deadlines of the cases `case_ids` selects (a subquery of visible case ids),
    soonest first, after `after`."""
    query = (
        select(CaseDeadline, Case.reference, Service.slug)
        .join(Case, Case.id == CaseDeadline.case_id)
        .join(Service, Service.id == Case.service_id)
        .where(CaseDeadline.met_at.is_(None), Case.id.in_(case_ids))
    )
    if service is not None:
        query = query.where(Service.slug == service)
    if officer_id is not None:
        assigned = select(CaseAssignment.case_id).where(CaseAssignment.staff_id == officer_id)
        query = query.where(Case.id.in_(assigned))
    if after is not None:
        query = query.where(
            or_(
                CaseDeadline.due_on > after.due_on,
                and_(CaseDeadline.due_on == after.due_on, CaseDeadline.id > after.id),
            )
        )
    query = query.order_by(CaseDeadline.due_on, CaseDeadline.id).limit(limit)
    return [
        DeadlineView(d.id, d.case_id, reference, slug, d.kind, d.due_on)
        for d, reference, slug in (await session.execute(query)).all()
    ]
