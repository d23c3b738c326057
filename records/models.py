"""The case database's tables (SQLAlchemy 2 declarative).

Columns ending in `_sealed` hold AES-256-GCM ciphertext made by `records.vault.Vault`, bound to
(table, column, row id); the data key is the owning case's or customer's. Columns ending in
`_digest` hold blind indexes (`records.lookup`). Row ids are UUIDs made in Python so that the
associated data is known before the row is written.

The key store's tables are in `records.keystore`, on their own metadata and database.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """`moment` in UTC. SQLite hands stored times back without a zone, and every stored time
    is UTC; an aware time is converted (OverflowError past the year 9999 in UTC)."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


class UTCDateTime(DateTime):
    """Timezone-aware UTC timestamps on both SQLite and PostgreSQL."""

    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime()}


def _enum(cls: type[enum.Enum]) -> Enum:
    # Stored as plain strings with no database-level enum type: adding a value later is a
    # code change, not a migration that locks the table.
    return Enum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=40,
        values_callable=lambda e: [m.value for m in e],
    )


class CustomerKind(enum.StrEnum):
    INDIVIDUAL = "individual"
    GROUP = "group"
    ORGANISATION = "organisation"


class ContactKind(enum.StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    ADDRESS = "address"


class CaseState(enum.StrEnum):
    OPEN = "open"
    WARNED = "warned"
    REFERRED = "referred"
    IN_ASSESSMENT = "in_assessment"
    DECIDED = "decided"
    ENDED = "ended"
    ARCHIVED = "archived"
    DESTROYED = "destroyed"
    CLOSED_NO_ACTION = "closed_no_action"


# A case in these states is running the policy on its customer in its service: one at a time
# per customer and service (docs/workflow.md, "One case in progress"). Ended, closed with no
# action, archived and destroyed cases are done, and do not stop a new one.
IN_PROGRESS = (
    CaseState.OPEN,
    CaseState.WARNED,
    CaseState.REFERRED,
    CaseState.IN_ASSESSMENT,
    CaseState.DECIDED,
)
_IN_PROGRESS_SQL = text("state IN ({})".format(", ".join(f"'{s.value}'" for s in IN_PROGRESS)))


class ConcernCategory(enum.StrEnum):
    CONTACT_VOLUME = "contact_volume"
    REPEAT_MATTER = "repeat_matter"
    SCOPE_DISPUTE = "scope_dispute"
    CONDUCT_TOWARDS_STAFF = "conduct_towards_staff"
    SAFETY_RISK = "safety_risk"
    RECORDING_WITHOUT_CONSENT = "recording_without_consent"
    UNSUBSTANTIATED_ALLEGATIONS = "unsubstantiated_allegations"
    DOCUMENT_INTEGRITY = "document_integrity"
    MULTI_CHANNEL_CONTACT = "multi_channel_contact"
    PROCEDURE_DISPUTE = "procedure_dispute"


class Channel(enum.StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    LETTER = "letter"
    IN_PERSON = "in_person"
    WEB_FORM = "web_form"
    SOCIAL_MEDIA = "social_media"
    TEXT_MESSAGE = "text_message"


class ArrangementKind(enum.StrEnum):
    CONTACT_CHANNEL = "contact_channel"
    NAMED_OFFICER = "named_officer"
    CONTACT_SCHEDULE = "contact_schedule"
    CONTACT_VOLUME = "contact_volume"
    CALL_DURATION = "call_duration"
    WITNESS_REQUIRED = "witness_required"
    APPOINTMENT_ONLY = "appointment_only"
    PREMISES_EXCLUSION = "premises_exclusion"
    CLOSED_MATTER = "closed_matter"
    SIGNIFICANT_MATTERS_ONLY = "significant_matters_only"
    ELECTRONIC_BLOCK = "electronic_block"
    SUSPENDED_CONTACT = "suspended_contact"
    CONTACT_TERMINATION = "contact_termination"
    CONTACT_AGREEMENT = "contact_agreement"
    PROACTIVE_CONTACT = "proactive_contact"
    REGULAR_MEETINGS = "regular_meetings"
    MEDIATION = "mediation"


class ArrangementState(enum.StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    LIFTED = "lifted"
    EXPIRED = "expired"


# Arrangements in force, or about to be.
IN_FORCE = (ArrangementState.ACTIVE, ArrangementState.PROPOSED)


class Role(enum.StrEnum):
    PORTAL = "portal"
    FRONTLINE = "frontline"
    CASE_OFFICER = "case_officer"
    MANAGER = "manager"
    DECISION_MAKER = "decision_maker"
    REVIEWER = "reviewer"
    IG_OFFICER = "ig_officer"
    ADMIN = "admin"


class AssignmentRelation(enum.StrEnum):
    """How a member of staff is assigned to a case: the need-to-know relations."""

    CASE_OFFICER = "case_officer"
    NAMED_OFFICER = "named_officer"
    ASSESSOR = "assessor"
    CONFERENCE_ATTENDEE = "conference_attendee"
    DECISION_MAKER = "decision_maker"
    REVIEWER = "reviewer"


# -- organisation ------------------------------------------------------------------------


class Service(Base):
    __tablename__ = "services"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Staff(Base):
    """A member of staff. Staff names are work identities shown in letters, so not sealed."""

    __tablename__ = "staff"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    job_title: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    roles: Mapped[list[StaffRole]] = relationship(back_populates="staff", lazy="raise")


class StaffRole(Base):
    """A role held by a member of staff in one service (a Casbin domain), or everywhere."""

    __tablename__ = "staff_roles"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(_enum(Role))
    # NULL: the role holds in every service (ig_officer, admin).
    service_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("services.id"))

    staff: Mapped[Staff] = relationship(back_populates="roles", lazy="raise")

    __table_args__ = (Index("ix_staff_roles_staff_service", "staff_id", "service_id"),)


# -- customers ---------------------------------------------------------------------------


class Customer(Base):
    """An individual, group or organisation. Identity is sealed under the customer's data key."""

    __tablename__ = "customers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[CustomerKind] = mapped_column(_enum(CustomerKind))
    name_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    reference_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    reference_digest: Mapped[bytes | None] = mapped_column(LargeBinary(16), index=True)
    # Communication needs, adjustments, representative: sealed JSON.
    needs_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    notes_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    contacts: Mapped[list[ContactDetail]] = relationship(
        back_populates="customer", lazy="raise", cascade="all, delete-orphan"
    )


class ContactDetail(Base):
    __tablename__ = "contact_details"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ContactKind] = mapped_column(_enum(ContactKind))
    value_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # Blind index of the normalised email or phone; NULL for addresses.
    digest: Mapped[bytes | None] = mapped_column(LargeBinary(16), index=True)
    preferred: Mapped[bool] = mapped_column(Boolean, default=False)

    customer: Mapped[Customer] = relationship(back_populates="contacts", lazy="raise")


# -- cases -------------------------------------------------------------------------------


class Case(Base):
    """A managed contact case. `reference` is an office reference, never personal data."""

    __tablename__ = "cases"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), index=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    state: Mapped[CaseState] = mapped_column(_enum(CaseState), default=CaseState.OPEN)
    summary_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # When the last arrangement ended: the retention clock starts here.
    restrictions_ended_on: Mapped[dt.date | None] = mapped_column(Date)
    # Who made the decision in force (casework's decide step): appeals must be independent
    # of this person (authz/relations.py).
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))

    __table_args__ = (
        # The database's own guarantee of one case in progress per customer and service, so
        # two officers opening a case at the same moment cannot both succeed (migration 0010).
        Index(
            "uq_cases_customer_service_in_progress",
            "customer_id",
            "service_id",
            unique=True,
            sqlite_where=_IN_PROGRESS_SQL,
            postgresql_where=_IN_PROGRESS_SQL,
        ),
    )


class CaseAssignment(Base):
    __tablename__ = "case_assignments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    relation: Mapped[AssignmentRelation] = mapped_column(_enum(AssignmentRelation))
    assigned_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_case_assignments_case_staff", "case_id", "staff_id"),
        Index("ix_case_assignments_staff", "staff_id"),
    )


class Concern(Base):
    """A concern about conduct, in a neutral category; never a label of the person."""

    __tablename__ = "concerns"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[ConcernCategory] = mapped_column(_enum(ConcernCategory))
    description_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class EvidenceEntry(Base):
    __tablename__ = "evidence_entries"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    # Indexed, as every reference to rows that are deleted is: deleting a concern checks
    # this column, and without an index each check reads the whole table (migration 0008).
    concern_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("concerns.id"), index=True)
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    summary_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # Staff involved: a list of staff ids (work identities, not customer data).
    staff_involved: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Health-and-safety incident reference (RCT's HS V1 form), an office reference.
    hs_incident_ref: Mapped[str | None] = mapped_column(String(64))
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    evidence_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("evidence_entries.id", ondelete="CASCADE"), index=True
    )
    filename_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    media_type: Mapped[str] = mapped_column(String(120))
    size_bytes: Mapped[int] = mapped_column(Integer)
    content_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Who added it (migration 0012): the file lists it, as the timeline names a step's actor.
    added_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))


class Arrangement(Base):
    """A contact arrangement. `parameters_sealed` is the kind's typed parameters as sealed
    JSON (they can name premises, matters or representatives), under the case's data key."""

    __tablename__ = "arrangements"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    # Denormalised from the case so the portal lookup is one indexed join, not two.
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[ArrangementKind] = mapped_column(_enum(ArrangementKind))
    state: Mapped[ArrangementState] = mapped_column(
        _enum(ArrangementState), default=ArrangementState.PROPOSED
    )
    parameters_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    named_officer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    deputy_officer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    next_review_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    services: Mapped[list[ArrangementService]] = relationship(
        lazy="raise", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_arrangements_customer_state", "customer_id", "state"),
        # The daily expiry sweep (casework/scheduled.py): in force, end date passed.
        Index("ix_arrangements_state_ends_on", "state", "ends_on"),
    )


class ArrangementService(Base):
    __tablename__ = "arrangement_services"

    arrangement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("arrangements.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), primary_key=True)


# -- access ------------------------------------------------------------------------------


class PortalKey(Base):
    """An API key of a web portal. Only a hash of the secret is kept."""

    __tablename__ = "portal_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(120))
    # The public part of the key, shown in lists and logs; the secret part is hashed.
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    services: Mapped[list[str]] = mapped_column(JSON)  # service slugs
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column()


class AccessLogEntry(Base):
    """One entry of the hash-chained access log. Holds ids and references, never contents.

    `seq` is the position in the chain (1, 2, ...); `prev_hash` is the previous entry's
    `entry_hash`. The unique `prev_hash` makes a fork (two entries on one predecessor) a
    constraint violation on every database, not just a verification failure.
    """

    __tablename__ = "access_log"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    at: Mapped[dt.datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(160))
    role: Mapped[str | None] = mapped_column(String(40))
    operation: Mapped[str] = mapped_column(String(60))
    service: Mapped[str | None] = mapped_column(String(64))
    case_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    fields: Mapped[str | None] = mapped_column(String(400))
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    # A break-glass reason is staff's free text and may name people: it is kept sealed under
    # the case's data key (authz/gate.py), so it is destroyed with the case.
    reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    request_id: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    entry_hash: Mapped[bytes] = mapped_column(LargeBinary(32))

    __table_args__ = (
        Index("ix_access_log_actor_at", "actor", "at"),
        Index("ix_access_log_at", "at"),
    )


class AccessLogCheckpoint(Base):
    """A signed statement of the chain head at a moment, so a cut tail is detected."""

    __tablename__ = "access_log_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    entry_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    signed_at: Mapped[dt.datetime] = mapped_column()
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
    key_id: Mapped[str] = mapped_column(String(64))


class DemoSet(Base):
    """The demonstration data set, where one is loaded (api/demo.py): the profile it was built
    under, so it is not served as another organisation's. One row, or none."""

    __tablename__ = "demo_set"

    profile_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    profile_version: Mapped[str] = mapped_column(String(40))
    loaded_at: Mapped[dt.datetime] = mapped_column()


class PolicyVersion(Base):
    """A counter bumped whenever authorisation data changes, so every process reloads."""

    __tablename__ = "policy_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PolicyRule(Base):
    """An authorisation rule added at run time (admin panel, CLI), beside authz/policy.csv.

    One Casbin `p` line: role, domain (service slug or "*"), standing, operation, effect.
    Changing these rows bumps `policy_version`, so every process reloads its enforcer.
    """

    __tablename__ = "policy_rules"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    role: Mapped[str] = mapped_column(String(40))
    domain: Mapped[str] = mapped_column(String(64))
    standing: Mapped[str] = mapped_column(String(40))
    operation: Mapped[str] = mapped_column(String(60))
    effect: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("role", "domain", "standing", "operation", "effect"),)
