"""`deadlines`: what is due or overdue on the cases the caller may see, soonest first: review
dates, appeal decisions due, full assessments due after an immediate-risk decision, and
"ended" notifications not yet recorded. Per service and per officer (assigned to the case).

Deadlines carry references, kinds and dates only, so they are asked for as case summaries
(READ_CASE_SUMMARY), listed by the same rules as `cases` and checked row by row.
"""

from __future__ import annotations

import datetime as dt

import strawberry
from sqlalchemy import select
from strawberry.relay import PageInfo

from authz.gate import Target
from authz.operations import Operation
from records.case_steps import DeadlineKind, DeadlinePosition, DeadlineView, due_deadlines
from records.errors import ValidationFailed
from records.models import Case, Staff
from schema.context import TactContext
from schema.cursors import check_first, decode_cursor, encode_cursor, forward_page
from schema.service_scope import one_answer_for_services
from schema.shaped import shaped

MAX_FIRST = 100
_PREFIX = "deadline:"
DeadlineKindType = strawberry.enum(DeadlineKind, name="DeadlineKind")


@strawberry.type(description="A date a step of the process made due, on one case.")
class Deadline:
    reference: str
    service: str
    kind: DeadlineKind
    due_on: dt.date
    overdue: bool

    @classmethod
    def from_view(cls, view: DeadlineView, today: dt.date) -> Deadline:
        return shaped(cls, view, overdue=view.due_on < today)


@strawberry.type
class DeadlineEdge:
    cursor: str
    node: Deadline


@strawberry.type
class DeadlineConnection:
    edges: list[DeadlineEdge]
    page_info: PageInfo


async def resolve_deadlines(
    info: strawberry.Info[TactContext, None],
    service: str | None = None,
    officer: str | None = None,
    first: int = 20,
    after: str | None = None,
) -> DeadlineConnection:
    context = info.context
    operation = Operation.READ_CASE_SUMMARY
    with one_answer_for_services(operation, service):
        async with context.sessions() as session, context.gate.access(
            session, context.actor, operation, Target(service=service),
            request_id=context.request_id,
        ) as access:  # fmt: skip
            check_first(first, MAX_FIRST)
            officer_id = None
            if officer is not None:
                officer_id = await access.session.scalar(
                    select(Staff.id).where(Staff.username == officer)
                )
                if officer_id is None:
                    raise ValidationFailed("officer", "no such member of staff")
            rows = await due_deadlines(
                access.session, select(Case.id).where(access.visible_cases()),
                service=service, officer_id=officer_id, after=_position(after), limit=first + 1,
            )  # fmt: skip
            admitted = set(await access.admit(list({r.case_id: None for r in rows[:first]})))
    shown = [r for r in rows[:first] if r.case_id in admitted]
    edges = [
        DeadlineEdge(cursor=_cursor(r), node=Deadline.from_view(r, context.today())) for r in shown
    ]
    end = _cursor(rows[first - 1]) if len(rows) > first else None
    return DeadlineConnection(edges=edges, page_info=forward_page([e.cursor for e in edges], end))


@strawberry.type
class DeadlineQuery:
    deadlines: DeadlineConnection = strawberry.field(
        resolver=resolve_deadlines,
        description="What is due or overdue on the cases the caller may see, soonest first.",
    )


def _cursor(view: DeadlineView) -> str:
    return encode_cursor(_PREFIX, view.due_on.isoformat(), view.id)


def _position(cursor: str | None) -> DeadlinePosition | None:
    if cursor is None:
        return None
    day, row_id = decode_cursor(_PREFIX, cursor, dt.date.fromisoformat)
    return DeadlinePosition(day, row_id)
