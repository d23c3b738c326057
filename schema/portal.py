"""The portal's question: `restrictionStatus(lookup, service)`.

The resolver decides nothing about access: it asks the gate, which checks the actor, writes
the access-log entry and commits it before the answer is returned.
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from authz.gate import Target
from authz.operations import FieldSet, Operation
from casework.status import restriction_status
from records.lookup import LookupKind
from schema.context import TactContext
from schema.portal_types import RestrictionLookup, RestrictionStatusType
from schema.service_scope import one_answer_for_services


async def restriction_status_for(
    ctx: TactContext, lookup: RestrictionLookup, service: str
) -> RestrictionStatusType:
    """The field's work, given only the request's context: the schema's resolver and the
    persisted document's plan (schema/persisted.py) both call it."""
    kind, value = lookup.chosen()
    if kind in (LookupKind.EMAIL, LookupKind.PHONE):
        # These could test who is a case subject: a stricter limit than other requests.
        ctx.spend("lookup")
    with one_answer_for_services(Operation.RESTRICTION_STATUS, service):
        async with (
            ctx.sessions() as session,
            ctx.gate.access(
                session,
                ctx.actor,
                Operation.RESTRICTION_STATUS,
                Target(service=service),
                request_id=ctx.request_id,
            ) as access,
        ):
            status = await restriction_status(
                ctx.readers, ctx.vault, kind, value, service, ctx.today()
            )
            for customer_id, case_id in status.seen():
                access.touched(customer_id=customer_id, case_id=case_id, fields=FieldSet.STATUS)
    return RestrictionStatusType.from_status(status)


async def resolve_restriction_status(
    info: Info[TactContext, None], lookup: RestrictionLookup, service: str
) -> RestrictionStatusType:
    return await restriction_status_for(info.context, lookup, service)


# Root fields whose work needs only the context, by GraphQL name: a persisted document of one
# of these runs on a plan (schema/persisted.py).
CONTEXT_RESOLVERS = {"restrictionStatus": restriction_status_for}


@strawberry.type
class PortalQuery:
    restriction_status: RestrictionStatusType = strawberry.field(
        resolver=resolve_restriction_status,
        description=(
            "Is there an arrangement for this person in this service, and how must the "
            "contact be handled? Reveals nothing beyond the handling instructions."
        ),
    )
