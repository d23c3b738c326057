"""Recorded contacts and their screening: what `checkContact` stored, so volume limits count
it and every contact filed under an arrangement is read by someone.

A recorded contact belongs to the case whose arrangement it was checked against: the matter
and the screening note are sealed under that case's data key (they are free text and may
hold personal data), and the rows go when the case goes. Channel, times, outcome and the
referral reference are plain, so counting and the queue need no key.

Functions add rows to the session and never commit: the edge owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass

from sqlalchemy import (
    Boolean,
    ColumnElement,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Uuid,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from records.errors import NotFound
from records.models import ArrangementService, Base, Case, Channel, _enum, as_utc, utcnow
from records.services import service_ids
from records.vault import FieldCipher, Vault, owner_of


class ContactOutcome(enum.StrEnum):
    PROCEED = "proceed"
    ROUTE = "route"
    FILE = "file"
    DECLINE = "decline"


# Contact that was taken up: what a volume limit counts.
ANSWERED = (ContactOutcome.PROCEED, ContactOutcome.ROUTE)


class RecordedContact(Base):
    __tablename__ = "contacts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"))
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    contacted_at: Mapped[dt.datetime]
    outcome: Mapped[ContactOutcome] = mapped_column(_enum(ContactOutcome))
    emergency: Mapped[bool] = mapped_column(Boolean)
    matter_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(160))  # the actor's label, as in the log
    # Screening: a filed contact waits here until someone has read it.
    needs_screening: Mapped[bool] = mapped_column(Boolean)
    screened_at: Mapped[dt.datetime | None]
    screened_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    new_matter: Mapped[bool | None] = mapped_column(Boolean)
    screening_note_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    referral_reference: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_contacts_customer_id_contacted_at", "customer_id", "contacted_at"),
        Index("ix_contacts_case_id", "case_id"),
        Index("ix_contacts_screening", "service_id", "needs_screening", "screened_at"),
    )


@dataclass(frozen=True)
class NewContact:
    case_id: uuid.UUID
    customer_id: uuid.UUID
    service_id: uuid.UUID
    channel: Channel
    contacted_at: dt.datetime
    outcome: ContactOutcome
    emergency: bool
    matter: str | None
    recorded_by: str
    recorded_at: dt.datetime


async def record_contact(session: AsyncSession, vault: Vault, new: NewContact) -> uuid.UUID:
    contact_id = uuid.uuid4()
    cipher = await vault.cipher("case", new.case_id)
    session.add(
        RecordedContact(
            id=contact_id,
            case_id=new.case_id,
            customer_id=new.customer_id,
            service_id=new.service_id,
            channel=new.channel,
            contacted_at=new.contacted_at,
            outcome=new.outcome,
            emergency=new.emergency,
            matter_sealed=cipher.seal_optional("contacts", "matter", contact_id, new.matter),
            recorded_at=new.recorded_at,
            recorded_by=new.recorded_by,
            needs_screening=new.outcome is ContactOutcome.FILE and not new.emergency,
        )
    )
    return contact_id


async def count_answered(
    session: AsyncSession,
    *,
    customer_id: uuid.UUID,
    arrangement_id: uuid.UUID,
    since: dt.datetime,
    until: dt.datetime,
    channel: Channel | None,
) -> int:
    """Contacts from the customer taken up in [since, until) in any of the arrangement's
    services (on `channel`, if the limit names one). Emergency contact never counts."""
    services = select(ArrangementService.service_id).where(
        ArrangementService.arrangement_id == arrangement_id
    )
    query = select(func.count()).where(
        RecordedContact.customer_id == customer_id,
        RecordedContact.contacted_at >= since,
        RecordedContact.contacted_at < until,
        RecordedContact.outcome.in_(ANSWERED),
        RecordedContact.emergency.is_(False),
        RecordedContact.service_id.in_(services),
    )
    if channel is not None:
        query = query.where(RecordedContact.channel == channel)
    return int(await session.scalar(query) or 0)


async def service_id_of(session: AsyncSession, slug: str) -> uuid.UUID:
    found = await service_ids(session, [slug])
    if slug not in found:
        raise NotFound("no such service")
    return found[slug]


# -- screening -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueEntry:
    contact_id: uuid.UUID
    case_id: uuid.UUID
    case_reference: str
    channel: Channel
    contacted_at: dt.datetime
    matter: str | None


async def case_of_contact(session: AsyncSession, contact_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(
        select(RecordedContact.case_id).where(RecordedContact.id == contact_id)
    )


async def mark_screened(
    session: AsyncSession,
    vault: Vault,
    contact: RecordedContact,
    *,
    staff_id: uuid.UUID | None,
    at: dt.datetime,
    new_matter: bool,
    note: str | None,
    referral_reference: str | None,
) -> RecordedContact:
    cipher = await vault.cipher("case", contact.case_id)
    contact.screened_at = at
    contact.screened_by = staff_id
    contact.new_matter = new_matter
    contact.screening_note_sealed = cipher.seal_optional(
        "contacts", "screening_note", contact.id, note
    )
    contact.referral_reference = referral_reference
    return contact


async def unscreened(
    session: AsyncSession,
    vault: Vault,
    *,
    service_id: uuid.UUID,
    visible: ColumnElement[bool],
    after: tuple[dt.datetime, uuid.UUID] | None,
    limit: int,
) -> list[QueueEntry]:
    """Filed contacts in the service nobody has read yet, oldest first, among the cases
    `visible` lets the caller see."""
    query = (
        select(RecordedContact, Case.reference)
        .join(Case, Case.id == RecordedContact.case_id)
        .where(
            RecordedContact.service_id == service_id,
            RecordedContact.needs_screening.is_(True),
            RecordedContact.screened_at.is_(None),
            visible,
        )
        .order_by(RecordedContact.contacted_at, RecordedContact.id)
        .limit(limit)
    )
    if after is not None:
        at, contact_id = after
        query = query.where(
            (RecordedContact.contacted_at > at)
            | ((RecordedContact.contacted_at == at) & (RecordedContact.id > contact_id))
        )
    rows = (await session.execute(query)).all()
    ciphers = await vault.ciphers(("case", row[0].case_id) for row in rows)
    return [_entry(contact, reference, ciphers) for contact, reference in rows]


def _entry(contact: RecordedContact, reference: str, ciphers: dict[str, FieldCipher]) -> QueueEntry:
    cipher = ciphers[owner_of("case", contact.case_id)]
    matter = cipher.open_optional("contacts", "matter", contact.id, contact.matter_sealed)
    return QueueEntry(
        contact_id=contact.id,
        case_id=contact.case_id,
        case_reference=reference,
        channel=contact.channel,
        contacted_at=as_utc(contact.contacted_at),
        matter=matter,
    )
