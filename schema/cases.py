"""Case queries: `case(reference)` and `cases(filter, first, after)`, summaries only, and
`Case.detail`, the full file.

Each field asks the gate for its own operation, so each is its own access-log entry: the
summary with READ_CASE_SUMMARY, the full file with READ_CASE (with a reason, a break-glass
opening). A refused `detail` is a FORBIDDEN error on that field alone; the summary beside it
still stands. Input is checked inside the gate's block, so a caller who may not list cases
is refused before any input is looked at, and every attempt is on the log; only a service
no slug could be is refused before, as the caller's own mistake (schema/service_scope.py).
"""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry
from strawberry.relay import PageInfo

from authz.gate import NOTHING, Access, Target
from authz.operations import Operation
from records.case_files import (
    CasePosition,
    CaseSummaryView,
    case_summaries,
    find_case_id,
    list_positions,
    open_case_file,
)
from records.errors import Forbidden, NotFound
from records.models import CaseState
from schema.case_types import CaseDetail, CaseSummary
from schema.context import TactContext
from schema.cursors import check_first, decode_cursor, encode_cursor, shown_page, utc_moment
from schema.service_scope import one_answer_for_services
from schema.timeline import TimelineEvent, resolve_timeline

MAX_FIRST = 100
_CURSOR_PREFIX = "case:"


async def resolve_detail(
    root: Case,
    info: strawberry.Info[TactContext, None],
    break_glass_reason: str | None = None,
) -> CaseDetail | None:
    context = info.context
    # A case opened by breaking glass passes its reason on: the full read is its own entry.
    reason = break_glass_reason or root.break_glass_reason
    async with context.sessions() as session, context.gate.access(
        session, context.actor, Operation.READ_CASE, Target(case_id=root.case_id),
        request_id=context.request_id, reason=reason,
    ) as access:  # fmt: skip
        case_file = await open_case_file(access.session, context.vault, root.case_id)
    return CaseDetail.from_file(case_file)


@strawberry.type(description="A managed contact case: its summary, and its full file on request.")
class Case(CaseSummary):
    detail: CaseDetail | None = strawberry.field(
        resolver=resolve_detail,
        description=(
            "The full file: a separate, logged access. Outside the need-to-know set, state a "
            "reason (at least 20 characters) to break glass; the opening is flagged for review."
        ),
    )
    timeline: list[TimelineEvent] = strawberry.field(
        resolver=resolve_timeline,
        description="The case's history: every step, who took it, when and why. A logged read.",
    )
    break_glass_reason: strawberry.Private[str | None] = None


@strawberry.input(description="Which cases: every field given must match.")
class CaseFilter:
    service: str | None = strawberry.field(default=None, description="A service slug.")
    state: CaseState | None = None


@strawberry.type
class CaseEdge:
    cursor: str
    node: CaseSummary


@strawberry.type
class CaseConnection:
    edges: list[CaseEdge]
    page_info: PageInfo

    @classmethod
    def from_page(cls, summaries: list[CaseSummaryView], has_next: bool) -> CaseConnection:
        edges = [
            CaseEdge(
                cursor=_cursor(CasePosition(s.id, s.opened_at)), node=CaseSummary.from_summary(s)
            )
            for s in summaries
        ]
        return cls(edges=edges, page_info=shown_page([e.cursor for e in edges], has_next))


async def resolve_case(
    info: strawberry.Info[TactContext, None],
    reference: str,
    break_glass_reason: Annotated[
        str | None,
        strawberry.argument(
            description=(
                "For staff outside the need-to-know set: why this case must be opened (at "
                "least 20 characters). The opening is allowed, logged and flagged for review."
            )
        ),
    ] = None,
) -> Case | None:
    context = info.context
    # With a reason, even the summary is a break-glass opening (READ_CASE with a reason):
    # someone outside the need-to-know set may not see the summary any other way.
    operation = Operation.READ_CASE if break_glass_reason else Operation.READ_CASE_SUMMARY
    async with context.sessions() as session:
        case_id = await find_case_id(session, reference) or NOTHING
        try:
            async with context.gate.access(
                session, context.actor, operation, Target(case_id=case_id),
                request_id=context.request_id, reason=break_glass_reason,
            ) as access:  # fmt: skip
                found = await case_summaries(access.session, [case_id])
                if not found:
                    raise NotFound("no such case")
        except NotFound:
            # A reference that matches no case gets the answer a case in a service the caller
            # may not see gets, so staff cannot test which references exist elsewhere. The
            # access log still says not_found.
            raise Forbidden(f"not permitted: {operation.value}") from None
    case = Case.from_summary(found[0])
    case.break_glass_reason = break_glass_reason
    return case


async def resolve_cases(
    info: strawberry.Info[TactContext, None],
    filter: CaseFilter | None = None,
    first: int = 20,
    after: str | None = None,
) -> CaseConnection:
    context = info.context
    given = filter or CaseFilter()
    operation = Operation.READ_CASE_SUMMARY
    with one_answer_for_services(operation, given.service, "filter.service"):
        async with context.sessions() as session, context.gate.access(
            session, context.actor, operation, Target(service=given.service),
            request_id=context.request_id,
        ) as access:  # fmt: skip
            check_first(first, MAX_FIRST)
            ids, has_next = await _page(access, given, first, _position(after))
            summaries = await case_summaries(access.session, ids)
    return CaseConnection.from_page(summaries, has_next)


async def _page(
    access: Access, given: CaseFilter, first: int, after: CasePosition | None
) -> tuple[list[uuid.UUID], bool]:
    """Up to `first` cases the caller may see, and whether more may follow. The SQL filter
    selects a superset; each row is then checked as the gate would check it alone (and only
    the rows shown are admitted, so only they are logged as seen). `has_next` says a further
    candidate exists; in the rare case that the row check refuses all of them, the next page
    comes back empty."""
    visible = access.visible_cases()
    shown: list[uuid.UUID] = []
    cursor = after
    while len(shown) < first:
        wanted = first - len(shown)
        candidates = await list_positions(
            access.session, visible, service=given.service, state=given.state,
            after=cursor, limit=wanted,
        )  # fmt: skip
        if not candidates:
            return shown, False
        shown.extend(await access.admit([c.id for c in candidates]))
        cursor = candidates[-1]
        if len(candidates) < wanted:
            return shown, False
    more = await list_positions(
        access.session, visible, service=given.service, state=given.state,
        after=cursor, limit=1,
    )  # fmt: skip
    return shown, bool(more)


@strawberry.type
class CaseQuery:
    """Composed into the root Query. Every field goes through the gate."""

    case: Case | None = strawberry.field(
        resolver=resolve_case,
        description="One case's summary, by its office reference; `detail` for the full file.",
    )
    cases: CaseConnection = strawberry.field(
        resolver=resolve_cases,
        description="Case summaries the caller may see, newest first.",
    )


def _cursor(position: CasePosition) -> str:
    return encode_cursor(_CURSOR_PREFIX, position.opened_at.isoformat(), position.id)


def _position(cursor: str | None) -> CasePosition | None:
    if cursor is None:
        return None
    moment, case_id = decode_cursor(_CURSOR_PREFIX, cursor, utc_moment)
    return CasePosition(case_id, moment)
