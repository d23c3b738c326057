"""GraphQL for information governance: the access log, its verification, break-glass review.

Every resolver goes through the gate (READ_ACCESS_LOG or VERIFY_ACCESS_LOG), so reading the
log is itself logged. Entries hold ids and references only; nothing here opens sealed data.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.relay import PageInfo

from authz.access_log import (
    LogFilter,
    LogPage,
    break_glass_review,
    case_asked,
    opened_reasons,
    query,
)
from authz.gate import Target
from authz.log_verify import verify
from authz.operations import Operation, Outcome
from records.customers import customers_named
from records.errors import ValidationFailed
from records.lookup import LookupKind
from records.models import AccessLogEntry, as_utc
from schema.context import TactContext
from schema.cursors import check_first, decode_seq_cursor, encode_seq_cursor, shown_page

_CURSOR_PREFIX = "access-log:"
_MAX_FIRST = 500
_MAX_SEQ = 2**63 - 1


@strawberry.input(description="Which entries: every field given must match.")
class AccessLogFilter:
    case_ref: str | None = strawberry.field(
        default=None,
        description="Entries about this case, live or destroyed (its certificate keeps the "
        "reference). One that names no case is refused (VALIDATION_FAILED), not answered with "
        "no entries.",
    )
    customer_ref: str | None = strawberry.field(
        default=None, description="Entries about this person or any of their cases."
    )
    customer_email: str | None = strawberry.field(
        default=None,
        description="The same, for the person this email address is recorded for (a person "
        "known without a reference).",
    )
    customer_phone: str | None = strawberry.field(
        default=None, description="The same, by a phone number recorded for them."
    )
    actor: str | None = strawberry.field(default=None, description='e.g. "staff:jo.bloggs"')
    from_: dt.datetime | None = strawberry.field(name="from", default=None)
    to: dt.datetime | None = None
    operation: str | None = strawberry.field(
        default=None, description="One of: " + ", ".join(Operation) + "."
    )
    outcome: str | None = strawberry.field(
        default=None, description="One of: " + ", ".join(Outcome) + "."
    )


@strawberry.type(name="AccessLogEntry", description="Who accessed what, when, and how it ended.")
class AccessLogEntryType:
    seq: int
    at: dt.datetime
    actor: str
    role: str | None
    operation: str
    service: str | None
    case_id: strawberry.ID | None
    case_reference: str | None = strawberry.field(
        description="The case's office reference; a destroyed case's from its destruction "
        "certificate (null for a case destroyed before certificates kept its id)."
    )
    customer_id: strawberry.ID | None
    fields: str | None
    outcome: str
    reason: str | None
    request_id: str | None

    @classmethod
    def from_record(
        cls, entry: AccessLogEntry, reason: str | None, references: dict[uuid.UUID, str]
    ) -> AccessLogEntryType:
        at = as_utc(entry.at)
        return cls(
            seq=entry.seq,
            at=at,
            actor=entry.actor,
            role=entry.role,
            operation=entry.operation,
            service=entry.service,
            case_id=strawberry.ID(str(entry.case_id)) if entry.case_id else None,
            case_reference=references.get(entry.case_id) if entry.case_id else None,
            customer_id=strawberry.ID(str(entry.customer_id)) if entry.customer_id else None,
            fields=entry.fields,
            outcome=entry.outcome,
            reason=reason,
            request_id=entry.request_id,
        )


@strawberry.type
class AccessLogEdge:
    cursor: str
    node: AccessLogEntryType


@strawberry.type
class AccessLogConnection:
    edges: list[AccessLogEdge]
    page_info: PageInfo

    @classmethod
    def from_page(cls, page: LogPage, reasons: dict[int, str]) -> AccessLogConnection:
        edges = [
            AccessLogEdge(
                cursor=_cursor(e.seq),
                node=AccessLogEntryType.from_record(e, reasons.get(e.seq), page.references),
            )
            for e in page.entries
        ]
        return cls(edges=edges, page_info=shown_page([e.cursor for e in edges], page.has_next))


@strawberry.type(description="The result of recomputing the access log's hash chain.")
class AccessLogVerification:
    ok: bool
    entries: int
    head_seq: int
    checkpoints: int
    first_bad_seq: int | None
    problem: str | None


async def resolve_access_log(
    info: strawberry.Info[TactContext, None],
    filter: AccessLogFilter | None = None,
    first: int = 50,
    after: str | None = None,
) -> AccessLogConnection:
    context = info.context
    # Access is decided before the arguments are checked, so a refused attempt with bad
    # arguments is still logged as denied; the gate's target needs the references resolved.
    async with context.sessions() as session:
        asked = await _resolve_leniently(session, context, filter or AccessLogFilter())
        async with context.gate.access(
            session, context.actor, Operation.READ_ACCESS_LOG, asked.target,
            request_id=context.request_id,
        ) as access:  # fmt: skip
            where = asked.checked()
            check_first(first, _MAX_FIRST)
            before = _seq_of(after)
            page = await query(access.session, where, first=first, after=before)
            reasons = await opened_reasons(context.vault, page.entries)
            return AccessLogConnection.from_page(page, reasons)


async def resolve_break_glass_review(
    info: strawberry.Info[TactContext, None], first: int = 50, after: str | None = None
) -> AccessLogConnection:
    context = info.context
    async with context.sessions() as session, context.gate.access(
        session, context.actor, Operation.READ_ACCESS_LOG, Target(),
        request_id=context.request_id,
    ) as access:  # fmt: skip
        # after the gate: a refused attempt is logged whatever it sent
        check_first(first, _MAX_FIRST)
        before = _seq_of(after)
        page = await break_glass_review(access.session, first=first, after=before)
        reasons = await opened_reasons(context.vault, page.entries)
        return AccessLogConnection.from_page(page, reasons)


async def resolve_verify_access_log(
    info: strawberry.Info[TactContext, None],
) -> AccessLogVerification:
    context = info.context
    async with context.sessions() as session, context.gate.access(
        session, context.actor, Operation.VERIFY_ACCESS_LOG, Target(),
        request_id=context.request_id,
    ) as access:  # fmt: skip
        report = await verify(access.session, context.gate.signer)
    return AccessLogVerification(
        ok=report.ok,
        entries=report.entries,
        head_seq=report.head_seq,
        checkpoints=report.checkpoints,
        first_bad_seq=report.first_bad_seq,
        problem=None if report.problem is None else report.problem.what,
    )


@strawberry.type
class AccessLogQuery:
    """Composed into the root Query. Every field goes through the gate."""

    access_log: AccessLogConnection = strawberry.field(
        resolver=resolve_access_log,
        description="Access-log entries, newest first (IG officers).",
    )
    break_glass_review: AccessLogConnection = strawberry.field(
        resolver=resolve_break_glass_review,
        description="Break-glass openings, newest first, for IG review.",
    )
    verify_access_log: AccessLogVerification = strawberry.field(
        resolver=resolve_verify_access_log,
        description="Recompute the access log's hash chain and check its signed checkpoints.",
    )


async def _resolve(
    session: AsyncSession, context: TactContext, given: AccessLogFilter
) -> tuple[LogFilter, Target]:
    """Turn references into ids. The gate's target is the case or person asked about, so an
    IG officer of one service can ask about that service's cases; anything wider needs an IG
    officer of every service."""
    case_ids: tuple[uuid.UUID, ...] | None = None
    target = Target()
    if given.case_ref is not None:
        asked = await case_asked(session, given.case_ref, "filter.caseRef")
        case_ids = asked.case_ids
        target = Target(case_id=asked.live) if asked.live else target
    customer_ids = await customers_named(session, context.vault, (
        (LookupKind.CUSTOMER_REF, given.customer_ref, "filter.customerRef"),
        (LookupKind.EMAIL, given.customer_email, "filter.customerEmail"),
        (LookupKind.PHONE, given.customer_phone, "filter.customerPhone"),
    ))  # fmt: skip
    if customer_ids is not None and len(customer_ids) == 1 and given.case_ref is None:
        target = Target(customer_id=customer_ids[0])
    where = LogFilter(
        case_ids=case_ids,
        customer_ids=customer_ids,
        actor=given.actor,
        since=given.from_,
        until=given.to,
        operation=given.operation,
        outcome=given.outcome,
    )
    return where, target


@dataclass(frozen=True)
class _Asked:
    """The filter with its references resolved, or the reason it is invalid, held until the
    gate has decided (and logged) the attempt."""

    target: Target
    where: LogFilter | None
    invalid: ValidationFailed | None

    def checked(self) -> LogFilter:
        if self.invalid is not None:
            raise self.invalid
        assert self.where is not None
        return self.where


async def _resolve_leniently(
    session: AsyncSession, context: TactContext, given: AccessLogFilter
) -> _Asked:
    try:
        where, target = await _resolve(session, context, given)
    except ValidationFailed as invalid:
        return _Asked(Target(), None, invalid)
    return _Asked(target, where, None)


def _cursor(seq: int) -> str:
    return encode_seq_cursor(_CURSOR_PREFIX, seq)


def _seq_of(cursor: str | None) -> int | None:
    # a 64-bit column: a larger number is no cursor of ours
    return None if cursor is None else decode_seq_cursor(_CURSOR_PREFIX, cursor, _MAX_SEQ)
