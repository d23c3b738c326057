"""GraphQL for records management, for IG officers: the retention preview, approvals of
destruction and destruction certificates (holds: schema/holds.py).

Every resolver goes through the gate (APPROVE_DESTRUCTION for the queue, approvals and
certificates), so each is logged: a list once per page. The two lists are Relay
connections (`first`, `after`), paged with schema/cursors.py in a stable order each field's
description gives. Nothing here opens sealed data: references, dates, reasons from a fixed
list, actor labels and counts.
"""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.relay import PageInfo
from strawberry.scalars import JSON

from authz.gate import Target
from authz.operations import Operation
from casework.retention_queue import (
    Caseless,
    Planned,
    PreviewEntry,
    PreviewPart,
    PreviewPosition,
    Untouched,
    plan_one,
    preview_page,
)
from casework.retention_schedule import RetentionPolicy
from records.certificates import (
    ApprovalView,
    CertificatePosition,
    approval_case_of,
    approve,
    list_certificates,
    request_approval,
)
from records.days import not_after_today
from records.errors import InvalidTransition, NotFound
from records.models import as_utc
from records.retention_tables import DestructionCertificate
from schema.context import TactContext
from schema.cursors import check_first, decode_cursor, encode_cursor, shown_page, utc_moment
from schema.gated import case_or_nothing, gated, parse_id, shown_id
from schema.holds import HoldType
from schema.shaped import shaped

MAX_FIRST = 100
_PREVIEW_PREFIX = "retention:"
_CERTIFICATE_PREFIX = "certificate:"


@strawberry.type(name="DestructionApproval")
class ApprovalType:
    id: strawberry.ID
    destroy_on: dt.date
    requested_by: str
    approved_by: str | None

    @classmethod
    def from_view(cls, view: ApprovalView) -> ApprovalType:
        return shaped(cls, view, id=strawberry.ID(str(view.id)))


@strawberry.type(
    name="RetentionItem",
    description="A case due to be archived or destroyed, and why; or an open case listed for "
    "review (needs_review).",
)
class RetentionItemType:
    case_reference: str | None = strawberry.field(
        description="Null for a customer with no case (customerId names them)."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        description="Set only for a customer with no case (rule customer_without_case): their "
        "random id, the one the access log names; never their name or reference."
    )
    action: str = strawberry.field(
        description="archive, destroy, held, awaiting_approval, letter_owed or needs_review. "
        "destroy is also given for a case not yet archived that is already past its destruction "
        "date (approved where the profile asks): it is destroyed without being archived. "
        "letter_owed: due to be archived, but a letter the customer is owed is not yet "
        "recorded; the case waits until it is, and its destruction date does not move. "
        "needs_review: a case still open (open, warned, referred, in assessment) with no step "
        "for the profile's open_case_review_months; it has no retention schedule (archiveOn "
        "and destroyOn are null, triggerOn is the day of its last step) and the job never "
        "archives or destroys it: someone should take it on or close it. A customer with no "
        "case is destroy (no approval asked: there is no case file) or held (a subject access "
        "request for them is open)."
    )
    rule: str
    trigger_on: dt.date
    archive_on: dt.date | None = strawberry.field(
        description="Null for needs_review (an open case is never archived) and for a "
        "customer with no case (nothing to archive)."
    )
    destroy_on: dt.date | None = strawberry.field(
        description="Null for needs_review: an open case is never destroyed."
    )
    destroy_due: bool
    holds: list[HoldType]
    approval: ApprovalType | None

    @classmethod
    def from_entry(cls, entry: PreviewEntry) -> RetentionItemType:
        if isinstance(entry, Planned):
            return cls.from_planned(entry)
        if isinstance(entry, Caseless):
            return cls.from_caseless(entry)
        return cls.from_untouched(entry)

    @classmethod
    def from_planned(cls, planned: Planned) -> RetentionItemType:
        s = planned.schedule
        return cls(
            case_reference=planned.reference,
            customer_id=None,
            action=planned.action.value,
            rule=planned.rule,
            trigger_on=s.trigger_on,
            archive_on=s.archive_on,
            destroy_on=s.destroy_on,
            destroy_due=planned.destroy_due,
            holds=[HoldType.from_view(h) for h in planned.holds],
            approval=ApprovalType.from_view(planned.approval) if planned.approval else None,
        )

    @classmethod
    def from_untouched(cls, item: Untouched) -> RetentionItemType:
        return cls(
            case_reference=item.case.reference,
            customer_id=None,
            action=item.action.value,
            rule=item.rule,
            trigger_on=item.case.last_step_on,
            archive_on=None,
            destroy_on=None,
            destroy_due=False,
            holds=[],
            approval=None,
        )

    @classmethod
    def from_caseless(cls, customer: Caseless) -> RetentionItemType:
        return cls(
            case_reference=None,
            customer_id=shown_id(customer.customer_id),
            action=customer.action.value,
            rule=customer.rule,
            trigger_on=customer.added_on,
            archive_on=None,
            destroy_on=customer.destroy_on,
            destroy_due=True,
            holds=[HoldType.from_view(h) for h in customer.holds],
            approval=None,
        )


@strawberry.type(name="DestructionCertificate", description="What was destroyed; no personal data.")
class CertificateType:
    case_reference: str | None = strawberry.field(
        description="Null for a customer destroyed without a case (customerId names them)."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        description="Set only for a customer destroyed without a case (rule "
        "customer_without_case): their random id, the one their access-log entries name; "
        "never their name or reference. Null on every case's certificate."
    )
    rule: str
    profile_name: str
    profile_version: str
    trigger_on: dt.date
    archive_on: dt.date | None = strawberry.field(
        description="When the case was due to be archived; null if it was never archived."
    )
    destroy_on: dt.date
    not_archived_reason: str | None = strawberry.field(
        description="Null if the case was archived before it was destroyed. "
        "past_destruction_date: it was already past its destruction date when the retention "
        "job first reached it, so it was destroyed without being archived and no archive "
        "bundle was written (bundleDigest and archiveOn are null). no_case: a customer "
        "destroyed without a case; there was no case file to archive."
    )
    requested_by: str | None
    requested_at: dt.datetime | None = strawberry.field(
        description="When destruction was asked for (null without approval, and on "
        "certificates written before this was kept)."
    )
    approved_by: str | None
    approved_at: dt.datetime | None = strawberry.field(
        description="When it was approved (null as requestedAt is)."
    )
    counts: JSON
    bundle_digest: str | None = strawberry.field(
        description="SHA-256 of the sealed archive bundle; null if none was written."
    )
    keys_shredded: int
    destroyed_at: dt.datetime
    completed_at: dt.datetime | None

    @classmethod
    def from_record(cls, c: DestructionCertificate) -> CertificateType:
        return shaped(
            cls,
            c,
            customer_id=shown_id(c.customer_id),
            not_archived_reason=c.not_archived_reason.value if c.not_archived_reason else None,
            requested_at=_utc(c.requested_at),
            approved_at=_utc(c.approved_at),
            counts=JSON(dict(c.counts)),
            destroyed_at=as_utc(c.destroyed_at),
            completed_at=_utc(c.completed_at),
        )


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    """A stored time in UTC with its offset, on every database (SQLite hands it back
    without one), or None."""
    return None if moment is None else as_utc(moment)


@strawberry.type(name="RetentionItemEdge")
class RetentionItemEdge:
    cursor: str
    node: RetentionItemType


@strawberry.type(name="RetentionItemConnection")
class RetentionItemConnection:
    edges: list[RetentionItemEdge]
    page_info: PageInfo


@strawberry.type(name="DestructionCertificateEdge")
class CertificateEdge:
    cursor: str
    node: CertificateType


@strawberry.type(name="DestructionCertificateConnection")
class CertificateConnection:
    edges: list[CertificateEdge]
    page_info: PageInfo


def _policy(context: TactContext) -> RetentionPolicy:
    return RetentionPolicy.of(context.profile)


async def resolve_retention_preview(
    info: strawberry.Info[TactContext, None],
    as_of: dt.date | None = None,
    first: int = 20,
    after: str | None = None,
) -> RetentionItemConnection:
    context = info.context
    day = as_of or context.today()
    async with (
        context.sessions() as session,
        gated(context, session, Operation.APPROVE_DESTRUCTION, Target()) as access,
    ):
        check_first(first, MAX_FIRST)
        position = _preview_position(after)
        entries = await preview_page(
            access.session, _policy(context), day, after=position, limit=first + 1
        )
    edges = [
        RetentionItemEdge(
            cursor=_preview_cursor(PreviewPosition.of(e)), node=RetentionItemType.from_entry(e)
        )
        for e in entries[:first]
    ]
    page_info = shown_page([e.cursor for e in edges], len(entries) > first)
    return RetentionItemConnection(edges=edges, page_info=page_info)


async def resolve_destruction_certificates(
    info: strawberry.Info[TactContext, None],
    case_ref: str | None = None,
    first: int = 20,
    after: str | None = None,
) -> CertificateConnection:
    context = info.context
    async with (
        context.sessions() as session,
        gated(context, session, Operation.APPROVE_DESTRUCTION, Target()) as access,
    ):
        check_first(first, MAX_FIRST)
        position = _certificate_position(after)
        rows = await list_certificates(
            access.session, reference=case_ref, limit=first + 1, after=position
        )
        edges = [
            CertificateEdge(cursor=_certificate_cursor(c), node=CertificateType.from_record(c))
            for c in rows[:first]
        ]
    page_info = shown_page([e.cursor for e in edges], len(rows) > first)
    return CertificateConnection(edges=edges, page_info=page_info)


def _preview_cursor(position: PreviewPosition) -> str:
    return encode_cursor(_PREVIEW_PREFIX, position.part.value, position.id)


def _preview_position(cursor: str | None) -> PreviewPosition | None:
    if cursor is None:
        return None
    part, row_id = decode_cursor(_PREVIEW_PREFIX, cursor, PreviewPart)
    return PreviewPosition(part, row_id)


def _certificate_cursor(certificate: DestructionCertificate) -> str:
    return encode_cursor(_CERTIFICATE_PREFIX, certificate.destroyed_at.isoformat(), certificate.id)


def _certificate_position(cursor: str | None) -> CertificatePosition | None:
    if cursor is None:
        return None
    moment, row_id = decode_cursor(_CERTIFICATE_PREFIX, cursor, utc_moment)
    return CertificatePosition(moment, row_id)


async def resolve_request_destruction_approval(
    info: strawberry.Info[TactContext, None],
    case_ref: str,
    as_of: dt.date | None = None,
) -> ApprovalType:
    context = info.context
    async with context.sessions() as session:
        case_id = await case_or_nothing(session, case_ref)
        async with gated(
            context, session, Operation.APPROVE_DESTRUCTION, Target(case_id=case_id)
        ) as access:
            day = not_after_today(as_of, "asOf", context.clock) if as_of else context.today()
            planned = await plan_one(access.session, _policy(context), day, case_id)
            if planned is None or not planned.destroy_due:
                raise InvalidTransition("the case is not due for destruction")
            asked = await request_approval(
                access.session, case_id, planned.schedule.destroy_on, access.actor.label,
                context.clock(),
            )  # fmt: skip
            return ApprovalType.from_view(asked)


async def resolve_approve_destruction(
    info: strawberry.Info[TactContext, None], approval_id: strawberry.ID
) -> ApprovalType:
    context = info.context
    wanted = parse_id(str(approval_id), "approvalId")
    async with context.sessions() as session:
        case_id = await approval_case_of(session, wanted)
        await session.rollback()
        if case_id is None:
            raise NotFound("no such approval request")
        async with gated(
            context, session, Operation.APPROVE_DESTRUCTION, Target(case_id=case_id)
        ) as access:
            approved = await approve(
                access.session, wanted, access.actor.label, context.clock(),
                two_person=_policy(context).two_person_approval,
            )  # fmt: skip
            return ApprovalType.from_view(approved)


@strawberry.type
class RetentionQuery:
    retention_preview: RetentionItemConnection = strawberry.field(
        resolver=resolve_retention_preview,
        description="Cases due to be archived or destroyed on a day (default today), with the "
        "rule, holds and approvals; then customers with no case due to be destroyed; then "
        "open cases listed for review. Each part in id order (the case's, or the "
        "customer's): the order and content of `tact retention preview`'s lines for the "
        "same day. Changes nothing.",
    )
    destruction_certificates: CertificateConnection = strawberry.field(
        resolver=resolve_destruction_certificates,
        description="Destruction certificates, newest first (destroyedAt), then by id.",
    )


@strawberry.type
class RetentionMutation:
    request_destruction_approval: ApprovalType = strawberry.mutation(
        resolver=resolve_request_destruction_approval,
        description="Ask for approval to destroy a case that is due. asOf (default today) may "
        "be an earlier day, never a later one (VALIDATION_FAILED on asOf): nothing is "
        "approved for destruction before its day; retentionPreview may look ahead.",
    )
    approve_destruction: ApprovalType = strawberry.mutation(
        resolver=resolve_approve_destruction,
        description="Approve a requested destruction (not one's own request where the profile "
        "asks for two people).",
    )
