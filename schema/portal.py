"""The portal's question: `restrictionStatus(lookup, service)`.

The resolver decides nothing about access: it asks the gate, which checks the actor, writes
the access-log entry and commits it before the answer is returned.
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from authz.gate import Access, Target
from authz.operations import FieldSet, Operation
from casework.status import RestrictionStatus, restriction_status
from schema.context import TactContext
from schema.portal_types import RestrictionLookup, RestrictionStatusType


async def resolve_restriction_status(
    info: Info[TactContext, None], lookup: RestrictionLookup, service: str
) -> RestrictionStatusType:
    ctx = info.context
    kind, value = lookup.chosen()
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
            access.session, ctx.vault, kind, value, service, ctx.today()
        )
        _record_touches(access, status)
    return RestrictionStatusType.from_status(status)


@strawberry.type
class PortalQuery:
    restriction_status: RestrictionStatusType = strawberry.field(
        resolver=resolve_restriction_status,
        description=(
            "Is there an arrangement for this person in this service, and how must the "
            "contact be handled? Reveals nothing beyond the handling instructions."
        ),
    )


def _record_touches(access: Access, status: RestrictionStatus) -> None:
    """One access-log entry per customer found and case shown, so "who has seen this
    person's record?" finds the lookup. The status does not say which case is whose, so a
    case is paired with a customer only when the lookup found exactly one."""
    if len(status.customer_ids) == 1:
        (customer_id,) = status.customer_ids
        for case_id in status.case_ids or (None,):
            access.touched(customer_id=customer_id, case_id=case_id, fields=FieldSet.STATUS)
        return
    for customer_id in status.customer_ids:
        access.touched(customer_id=customer_id, fields=FieldSet.STATUS)
    for case_id in status.case_ids:
        access.touched(case_id=case_id, fields=FieldSet.STATUS)
