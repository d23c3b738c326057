"""Screening (Cambridgeshire "New feedback", Merseyside, RCT 5.2 and 9.1): contact filed
under an arrangement is still read, so a genuine new matter is not overlooked. Someone
marks each filed contact read, saying whether it raises a new matter; a new matter is
referred to the complaints procedure and the referral's reference recorded. Each screening
is one event on the case's timeline.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from casework.label_guard import check_text
from records.case_steps import Step, record_event
from records.contacts import RecordedContact, mark_screened
from records.errors import InvalidTransition, NotFound, ValidationFailed
from records.models import Case, as_utc
from records.vault import Vault

NOTE_MAX = 2000
# A complaints-procedure reference: letters, digits and - / . _ only; never free text.
REFERRAL_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9/._-]{0,63}")


def validate_screening(new_matter: bool, note: str | None, referral_reference: str | None) -> None:
    if note is not None and len(note) > NOTE_MAX:
        raise ValidationFailed("input.note", f"must be at most {NOTE_MAX} characters")
    check_text("input.note", note)
    if new_matter and not referral_reference:
        raise ValidationFailed(
            "input.referralReference",
            "a new matter is referred to the complaints procedure: give the referral's reference",
        )
    if not new_matter and referral_reference:
        raise ValidationFailed("input.referralReference", "only a new matter is referred")
    if referral_reference and not REFERRAL_REFERENCE.fullmatch(referral_reference):
        raise ValidationFailed(
            "input.referralReference", "a reference: letters, digits and - / . _ (up to 64)"
        )


async def screen_contact(
    session: AsyncSession,
    vault: Vault,
    contact_id: uuid.UUID,
    *,
    staff_id: uuid.UUID | None,
    now: dt.datetime,
    new_matter: bool,
    note: str | None,
    referral_reference: str | None,
) -> RecordedContact:
    """Mark a filed contact read. Refused for a contact that was not filed, or was read."""
    validate_screening(new_matter, note, referral_reference)
    contact = await session.get(RecordedContact, contact_id)
    if contact is None:
        raise NotFound("no such contact")
    if not contact.needs_screening:
        raise InvalidTransition("only a filed contact is screened: this one was not filed")
    if contact.screened_at is not None:
        raise InvalidTransition("this contact has already been screened")
    await mark_screened(
        session,
        vault,
        contact,
        staff_id=staff_id,
        at=now,
        new_matter=new_matter,
        note=note,
        referral_reference=referral_reference,
    )
    case = await session.get(Case, contact.case_id)
    assert case is not None  # the contact's case: a foreign key
    details = {
        "contact_id": str(contact.id),
        "channel": contact.channel.value,
        "contacted_at": as_utc(contact.contacted_at).isoformat(),
        "new_matter": new_matter,
        "referral_reference": referral_reference,
        "note": note,
    }
    await record_event(
        session, vault, case, Step.CONTACT_SCREENED, actor_id=staff_id, at=now, details=details
    )
    return contact
