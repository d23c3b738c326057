"""GraphQL for holds, for IG officers: place one on a case or on a customer (and every case
of theirs), release it, and list what holds a case or a customer.

Every resolver goes through the gate as MANAGE_HOLDS on what the hold names, so each is
logged: the list once per page. The list is a Relay connection (`first`, `after`). A
customer is found by blind index (schema/person.py), never shown by name or reference.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.relay import PageInfo

from authz.gate import Target
from authz.operations import Operation
from records.errors import NotFound
from records.holds import (
    Held,
    HoldView,
    check_one_named,
    held_by,
    holds_of,
    parse_reason,
    place_hold_on,
    release_hold,
)
from records.retention_tables import HoldReason, RetentionHold
from schema.context import TactContext
from schema.cursors import check_first, decode_cursor, encode_cursor, shown_page
from schema.gated import case_or_nothing, gated, parse_id, shown_id
from schema.person import CustomerRef, Email, Phone, customer_named, person_ways
from schema.shaped import shaped

MAX_FIRST = 100
_HOLD_PREFIX = "hold:"
CaseRef = Annotated[str | None, strawberry.argument(description="The case's office reference.")]
# An automatic hold has no id: in the holds' order (reason, id) and in its cursor it stands
# first among its reason's holds.
_AUTOMATIC = uuid.UUID(int=0)


@strawberry.type(
    name="RetentionHold",
    description="A hold: the case (or the customer, and every case of theirs) is neither "
    "archived nor destroyed while it stands.",
)
class HoldType:
    id: strawberry.ID | None
    reason: str
    automatic: bool
    placed_by: str | None
    placed_at: dt.datetime | None
    released_at: dt.datetime | None = None
    customer_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Set when the hold was placed on the customer (customerRef, email or "
        "phone) rather than on one case: their random id, never their name or reference. Such "
        "a hold keeps the customer and every case of theirs. On a customer with no case "
        "(retentionPreview), set on each of their holds. Null for a hold on a case.",
    )
    case_reference: str | None = strawberry.field(
        default=None,
        description="In retentionHolds, the case a hold on a case names (placed on it, or "
        "automatic while an appeal or review is open on it, or, in a case's list, a subject "
        "access request): its reference. Null for a hold on the customer (customerId), and "
        "in the other fields that answer holds.",
    )

    @classmethod
    def from_view(cls, view: HoldView, case_reference: str | None = None) -> HoldType:
        return shaped(
            cls,
            view,
            id=strawberry.ID(str(view.id)) if view.id else None,
            reason=view.reason.value,
            customer_id=shown_id(view.customer_id),
            case_reference=case_reference,
        )

    @classmethod
    def from_record(cls, hold: RetentionHold) -> HoldType:
        return shaped(
            cls,
            hold,
            id=strawberry.ID(str(hold.id)),
            reason=hold.reason.value,
            automatic=False,
            customer_id=shown_id(hold.customer_id),
        )


@strawberry.type(name="RetentionHoldEdge")
class HoldEdge:
    cursor: str
    node: HoldType


@strawberry.type(name="RetentionHoldConnection")
class HoldConnection:
    edges: list[HoldEdge]
    page_info: PageInfo


async def resolve_retention_holds(
    info: strawberry.Info[TactContext, None],
    case_ref: CaseRef = None,
    customer_ref: CustomerRef = None,
    email: Email = None,
    phone: Phone = None,
    first: int = 20,
    after: str | None = None,
) -> HoldConnection:
    context = info.context
    check_one_named(case_ref, person_ways(customer_ref, email, phone), "caseRef")
    async with context.sessions() as session:
        held = await _held_named(context, session, case_ref, customer_ref, email, phone)
        target = Target(case_id=held.case_id, customer_id=held.customer_id)
        async with gated(context, session, Operation.MANAGE_HOLDS, target) as access:
            check_first(first, MAX_FIRST)
            position = _hold_position(after)
            listed = await holds_of(access.session, held)
    ordered = sorted(listed.holds, key=_hold_key)
    following = [h for h in ordered if position is None or _hold_key(h) > position]
    edges = [
        HoldEdge(
            cursor=encode_cursor(_HOLD_PREFIX, *_hold_key(h)),
            node=HoldType.from_view(h, _named_case(h, listed.references)),
        )
        for h in following[:first]
    ]
    page_info = shown_page([e.cursor for e in edges], len(following) > first)
    return HoldConnection(edges=edges, page_info=page_info)


async def _held_named(
    context: TactContext,
    session: AsyncSession,
    case_ref: str | None,
    customer_ref: str | None,
    email: str | None,
    phone: str | None,
) -> Held:
    """The case or the customer a request names (one way, checked by `check_one_named`)."""
    if case_ref is not None:
        return Held(case_id=await case_or_nothing(session, case_ref))
    return Held(
        customer_id=await customer_named(session, context.vault, customer_ref, email, phone)
    )


def _named_case(hold: HoldView, references: dict[uuid.UUID, str]) -> str | None:
    """The reference of the case a hold names; None for a hold on the customer."""
    if hold.customer_id is not None or hold.case_id is None:
        return None
    return references.get(hold.case_id)


def _hold_key(hold: HoldView) -> tuple[str, uuid.UUID]:
    """A hold's place in its list: its reason, automatic before placed, then its id; an
    automatic hold, which has none, by the case or customer it names (a customer's list has
    one per case an appeal or review is open on)."""
    named = hold.id or hold.case_id or hold.customer_id or _AUTOMATIC
    return f"{hold.reason.value}/{'placed' if hold.id else 'automatic'}", named


def _hold_sort_key(key: str) -> str:
    reason, _, kind = key.partition("/")
    if kind not in ("automatic", "placed"):
        raise ValueError("not a hold's sort key")
    return f"{HoldReason(reason).value}/{kind}"


def _hold_position(cursor: str | None) -> tuple[str, uuid.UUID] | None:
    if cursor is None:
        return None
    return decode_cursor(_HOLD_PREFIX, cursor, _hold_sort_key)


async def resolve_place_hold(
    info: strawberry.Info[TactContext, None],
    reason: str,
    case_ref: CaseRef = None,
    customer_ref: CustomerRef = None,
    email: Email = None,
    phone: Phone = None,
) -> HoldType:
    context = info.context
    check_one_named(case_ref, person_ways(customer_ref, email, phone), "caseRef")
    why = parse_reason(reason)
    async with context.sessions() as session:
        held = await _held_named(context, session, case_ref, customer_ref, email, phone)
        target = Target(case_id=held.case_id, customer_id=held.customer_id)
        async with gated(context, session, Operation.MANAGE_HOLDS, target) as access:
            label = access.actor.label
            hold = await place_hold_on(access.session, held, why, label, context.clock())
            return HoldType.from_record(hold)


async def resolve_release_hold(
    info: strawberry.Info[TactContext, None], hold_id: strawberry.ID
) -> HoldType:
    context = info.context
    wanted = parse_id(str(hold_id), "holdId")
    async with context.sessions() as session:
        held = await held_by(session, wanted)
        await session.rollback()
        if held is None:
            raise NotFound("no such hold")
        target = Target(case_id=held.case_id, customer_id=held.customer_id)
        async with gated(context, session, Operation.MANAGE_HOLDS, target) as access:
            label = access.actor.label
            hold = await release_hold(access.session, wanted, label, context.clock())
            return HoldType.from_record(hold)


@strawberry.type
class HoldQuery:
    retention_holds: HoldConnection = strawberry.field(
        resolver=resolve_retention_holds,
        description="The holds in force on a case (caseRef), or on a customer (customerRef, "
        "email or phone, found as placeHold finds them) and each case of theirs: exactly one "
        "of the four. Placed and automatic, by reason, automatic before placed, then by id "
        "(an automatic hold, which has none, by the case or customer it names). Each says "
        "what it names: customerId for a hold on the customer, caseReference for one on a "
        "case; a hold on the customer is listed once, not for each case it keeps.",
    )


@strawberry.type
class HoldMutation:
    place_hold: HoldType = strawberry.mutation(
        resolver=resolve_place_hold,
        description="Place a hold: litigation, ombudsman_investigation, subject_access_request "
        "or open_complaint. It names a case (caseRef) or a customer (customerRef, email or "
        "phone, found as subjectAccessExport finds them): exactly one of the four. A hold on a "
        "customer keeps them, case or none, and every case of theirs.",
    )
    release_hold: HoldType = strawberry.mutation(
        resolver=resolve_release_hold,
        description="Release a hold placed by an IG officer.",
    )
