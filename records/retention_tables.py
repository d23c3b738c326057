"""Records management's tables (issue 13): holds, subject access requests, approvals of
destruction, each case's progress through the retention job, and destruction certificates.

Nothing here is personal data: ids, office references, dates, actor labels and counts. A
certificate outlives its case, so it refers to it by reference only (no foreign key).
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from records.models import Base, _enum, utcnow


class HoldReason(enum.StrEnum):
    """Why a case must not be destroyed (or archived) for now. The first four are placed by
    IG officers; the rest are automatic and last while what they name is open."""

    LITIGATION = "litigation"
    OMBUDSMAN_INVESTIGATION = "ombudsman_investigation"
    SUBJECT_ACCESS_REQUEST = "subject_access_request"
    OPEN_COMPLAINT = "open_complaint"
    APPEAL_OPEN = "appeal_open"
    REVIEW_OPEN = "review_open"


PLACEABLE = frozenset(
    {
        HoldReason.LITIGATION,
        HoldReason.OMBUDSMAN_INVESTIGATION,
        HoldReason.SUBJECT_ACCESS_REQUEST,
        HoldReason.OPEN_COMPLAINT,
    }
)


# A placed hold names a case or a customer, never both and never neither (migration 0013).
ONE_HELD = "(case_id IS NULL) <> (customer_id IS NULL)"


class RetentionStep(enum.StrEnum):
    """Where a case is in the job. `ARCHIVED`: bundle written and checked, case archived.
    `ROWS_DELETED`: the case's rows are gone and its certificate kept; the keys and the
    bundle are still to be destroyed (a rerun finishes them)."""

    ARCHIVED = "archived"
    ROWS_DELETED = "rows_deleted"


class NotArchived(enum.StrEnum):
    """Why a destroyed case was never archived (its certificate's `not_archived_reason`)."""

    # Already past its destruction date when the retention job first reached it (a backlog
    # of old cases, or a case held until after that date): an archive bundle keeps a case
    # readable during its retention period, and this case's had run, so none was written.
    PAST_DESTRUCTION_DATE = "past_destruction_date"
    # A customer destroyed without a case (never given one, or left without one): there is
    # no case file to archive, only their identity and contact details.
    NO_CASE = "no_case"


class RetentionHold(Base):
    """A placed hold. It names a case, or a customer (`customer_id`; a litigation hold on a
    person), exactly one of the two: a customer's hold keeps the customer and every case of
    theirs (docs/retention.md)."""

    __tablename__ = "retention_holds"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[HoldReason] = mapped_column(_enum(HoldReason))
    placed_by: Mapped[str] = mapped_column(String(160))
    placed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    released_by: Mapped[str | None] = mapped_column(String(160))
    released_at: Mapped[dt.datetime | None] = mapped_column()

    __table_args__ = (CheckConstraint(ONE_HELD, name="names_case_or_customer"),)


class SubjectAccessRequest(Base):
    """An open request holds every case of its customer until it is marked complete."""

    __tablename__ = "subject_access_requests"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    opened_by: Mapped[str] = mapped_column(String(160))
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_by: Mapped[str | None] = mapped_column(String(160))
    completed_at: Mapped[dt.datetime | None] = mapped_column()


class DestructionApproval(Base):
    """A request to destroy a case (from a preview) and, once given, its approval."""

    __tablename__ = "destruction_approvals"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    destroy_on: Mapped[dt.date] = mapped_column(Date)
    requested_by: Mapped[str] = mapped_column(String(160))
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(160))
    approved_at: Mapped[dt.datetime | None] = mapped_column()


class RetentionProgress(Base):
    """A case's recorded step in the job. No foreign key: the row must outlive the case's own
    rows until the keys and the bundle are gone too."""

    __tablename__ = "retention_progress"

    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    step: Mapped[RetentionStep] = mapped_column(_enum(RetentionStep))
    bundle_key: Mapped[str | None] = mapped_column(String(200))
    bundle_digest: Mapped[str | None] = mapped_column(String(64))
    # Set at ROWS_DELETED when the customer went with the case: their key is shredded too.
    # A customer destroyed without a case is recorded under their own id in both columns
    # (`case_id` = `customer_id`): only the customer's key is shredded.
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    certificate_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_retention_progress_step", "step"),)


class DestructionCertificate(Base):
    """What was destroyed, why, on whose approval, and when. No personal data. A case
    destroyed without being archived has no archive date and no bundle digest, and
    `not_archived_reason` says why; for an archived case that is null. A customer destroyed
    without a case has no case reference: `customer_id` is their random id (the one their
    access-log entries name), null on every case's certificate. `case_id` is the destroyed
    case's random id, the one its access-log entries keep, so an IG officer can still ask
    the log about the case by its reference (null for a customer, and on certificates
    written before migration 0014)."""

    __tablename__ = "destruction_certificates"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_reference: Mapped[str | None] = mapped_column(String(40), unique=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    case_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    rule: Mapped[str] = mapped_column(String(80))
    profile_name: Mapped[str] = mapped_column(String(64))
    profile_version: Mapped[str] = mapped_column(String(40))
    trigger_on: Mapped[dt.date] = mapped_column(Date)
    archive_on: Mapped[dt.date | None] = mapped_column(Date)
    destroy_on: Mapped[dt.date] = mapped_column(Date)
    not_archived_reason: Mapped[NotArchived | None] = mapped_column(_enum(NotArchived))
    requested_by: Mapped[str | None] = mapped_column(String(160))
    approved_by: Mapped[str | None] = mapped_column(String(160))
    # When destruction was asked for and approved, from the approval the case is deleted
    # with (null without one, and on certificates written before migration 0015).
    requested_at: Mapped[dt.datetime | None] = mapped_column()
    approved_at: Mapped[dt.datetime | None] = mapped_column()
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    bundle_digest: Mapped[str | None] = mapped_column(String(64))
    keys_shredded: Mapped[int] = mapped_column(Integer, default=0)
    destroyed_by: Mapped[str] = mapped_column(String(160))
    destroyed_at: Mapped[dt.datetime] = mapped_column()
    completed_at: Mapped[dt.datetime | None] = mapped_column()
