"""`markContactScreened`: a filed contact has been read; say whether it raises a new matter,
and give the complaints-procedure referral a new matter was given. Case work on the
contact's case: UPDATE_CASE."""

from __future__ import annotations

import datetime as dt
import uuid

import strawberry

from authz.gate import NOTHING, Target
from authz.operations import Operation
from casework.screening import screen_contact
from records.contacts import RecordedContact, case_of_contact
from records.errors import ValidationFailed
from records.models import as_utc
from schema.context import TactContext
from schema.shaped import shaped

OPERATION = Operation.UPDATE_CASE


@strawberry.input(description="A filed contact, read.")
class ScreenContactInput:
    contact_id: strawberry.ID = strawberry.field(description="From screeningQueue.")
    new_matter: bool = strawberry.field(description="Does it raise a new matter?")
    note: str | None = strawberry.field(default=None, description="What was found (optional).")
    referral_reference: str | None = strawberry.field(
        default=None, description="A new matter's complaints-procedure referral reference."
    )


@strawberry.type(description="A contact once read: whether it raised a new matter.")
class ScreenedContact:
    contact_id: strawberry.ID
    screened_at: dt.datetime
    new_matter: bool
    referral_reference: str | None = strawberry.field(
        description="The complaints-procedure referral a new matter was given."
    )

    @classmethod
    def from_record(cls, contact: RecordedContact) -> ScreenedContact:
        assert contact.screened_at is not None and contact.new_matter is not None
        return shaped(
            cls,
            contact,
            contact_id=strawberry.ID(str(contact.id)),
            screened_at=as_utc(contact.screened_at),
        )


async def resolve(
    info: strawberry.Info[TactContext, None], input: ScreenContactInput
) -> ScreenedContact:
    ctx = info.context
    try:
        contact_id = uuid.UUID(str(input.contact_id))
    except ValueError:
        raise ValidationFailed("input.contactId", "is not a contact id") from None
    async with ctx.sessions() as session:
        case_id = await case_of_contact(session, contact_id) or NOTHING
        async with ctx.gate.access(
            session, ctx.actor, OPERATION, Target(case_id=case_id), request_id=ctx.request_id
        ) as access:
            contact = await screen_contact(
                access.session,
                ctx.vault,
                contact_id,
                staff_id=ctx.actor.staff_id if ctx.actor else None,
                now=ctx.clock(),
                new_matter=input.new_matter,
                note=input.note,
                referral_reference=input.referral_reference,
            )
            return ScreenedContact.from_record(contact)
    raise AssertionError("unreachable")  # pragma: no cover


field = strawberry.mutation(
    resolver=resolve,
    description=(
        "Mark a filed contact read, saying whether it raises a new matter; a new matter is "
        "referred to the complaints procedure and its referral reference recorded."
    ),
)
