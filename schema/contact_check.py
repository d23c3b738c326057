"""`checkContact(contact, record)`: how must this one incoming contact be handled?

For portals and frontline staff (DESIGN 3): the answer is one outcome with neutral
instructions, never identity, reasons or ids, and the same bytes for an unknown person as
for a person with no arrangement. It asks the gate for CHECK_CONTACT, as `restrictionStatus`
asks for its operation, and uses the same lookup. With `record: true` the contact is stored
so volume limits count it; a FILE outcome is always stored, so it can be screened.
"""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.types import Info

from authz.gate import Target
from authz.operations import FieldSet, Operation
from casework.contact_check import ContactCheck, IncomingContact, check_contact
from records.contacts import ContactOutcome
from records.models import ArrangementKind, Channel
from schema.case_types import ChannelType
from schema.context import TactContext
from schema.portal_types import ArrangementKindType, RestrictionLookup
from schema.service_scope import one_answer_for_services
from schema.shaped import shaped

ContactOutcomeType = strawberry.enum(
    ContactOutcome,
    name="ContactOutcome",
    description=(
        "PROCEED: take the contact. ROUTE: pass it to the named officer (or deputy). FILE: "
        "acknowledge and place on file; it is screened for new matters. DECLINE: not this "
        "way; tell the person the permitted route."
    ),
)
# The enums the types below use, as GraphQL knows them (registered where they are defined).
_ENUMS = (ArrangementKindType, ChannelType, ContactOutcomeType)


@strawberry.input(name="ContactInput", description="One incoming contact.")
class ContactInput:
    lookup: RestrictionLookup = strawberry.field(description="Who the contact is from.")
    service: str = strawberry.field(
        description="The service the contact is made to, by its slug (e.g. housing)."
    )
    channel: Channel
    at: dt.datetime | None = strawberry.field(
        default=None,
        description=(
            "When the contact was made, with a time zone: by now, and within the past year. "
            "By default, now."
        ),
    )
    matter: str | None = strawberry.field(
        default=None, description="What it is about (a matter's name or reference)."
    )
    addressed_to: str | None = strawberry.field(
        default=None, description="The member of staff it is addressed to, by name."
    )
    emergency: bool = strawberry.field(
        default=False, description="An emergency: never limited by any arrangement."
    )
    premises: str | None = strawberry.field(
        default=None,
        description=(
            "Where an in-person contact is made, by the name a premises exclusion lists it "
            "under (case and spacing aside). Not given: a premises exclusion declines it."
        ),
    )

    def incoming(self, now: dt.datetime) -> IncomingContact:
        return IncomingContact(
            service=self.service,
            channel=self.channel,
            at=self.at or now,
            matter=self.matter,
            addressed_to=self.addressed_to,
            emergency=self.emergency,
            premises=self.premises,
        )


@strawberry.type(
    name="ContactCheck",
    description="How to handle one contact. Reveals nothing beyond the handling instructions.",
)
class ContactCheckType:
    service: str
    outcome: ContactOutcome
    instructions: list[str] = strawberry.field(
        description="What to do, first the outcome's instruction, then each arrangement's."
    )
    route_to: str | None = strawberry.field(description="ROUTE: who the contact goes to.")
    deputy: str | None = strawberry.field(description="ROUTE: who, when they are away.")
    permitted_route: str | None = strawberry.field(
        description="DECLINE: the route to tell the person about."
    )
    arrangements: list[ArrangementKind]
    recorded: bool = strawberry.field(
        description="Whether the contact was stored (asked with record: true, or FILE)."
    )

    @classmethod
    def from_check(cls, service: str, check: ContactCheck) -> ContactCheckType:
        answer = check.answer
        return shaped(
            cls,
            answer,
            service=service,
            instructions=list(answer.instructions),
            arrangements=list(answer.arrangements),
            recorded=check.recorded,
        )


async def resolve_check_contact(
    info: Info[TactContext, None], contact: ContactInput, record: bool = False
) -> ContactCheckType:
    ctx = info.context
    lookup = contact.lookup.chosen("contact.lookup")
    with one_answer_for_services(Operation.CHECK_CONTACT, contact.service, "contact.service"):
        async with (
            ctx.sessions() as session,
            ctx.gate.access(
                session,
                ctx.actor,
                Operation.CHECK_CONTACT,
                Target(service=contact.service),
                request_id=ctx.request_id,
            ) as access,
        ):
            check = await check_contact(
                access.session,
                ctx.vault,
                lookup,
                contact.incoming(ctx.clock()),
                record=record,
                recorded_by=access.actor.label,
                now=ctx.clock(),
            )
            for customer_id, case_id in check.found.seen():
                access.touched(customer_id=customer_id, case_id=case_id, fields=FieldSet.STATUS)
    return ContactCheckType.from_check(contact.service, check)


@strawberry.type
class ContactCheckQuery:
    check_contact: ContactCheckType = strawberry.field(
        resolver=resolve_check_contact,
        description=(
            "How to handle one incoming contact under the arrangements in force: PROCEED, "
            "ROUTE, FILE or DECLINE, with neutral instructions. Emergency contact is never "
            "limited. record: true stores the contact so volume limits count it."
        ),
    )
