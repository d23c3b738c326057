"""Screening in GraphQL: `screeningQueue(service, first, after)`, the filed contacts nobody
has read yet and how long each has waited, oldest first; and `markContactScreened`
(schema/mutations/screen_contact.py).

The queue shows a contact's matter, which is case contents, so it is asked as READ_CASE over
the service: rows are limited in SQL to the cases the caller may read, then each is checked
as the gate would check it alone, and each case shown is logged.
"""

from __future__ import annotations

import datetime as dt
import uuid

import strawberry
from strawberry.relay import PageInfo

from authz.gate import Target
from authz.operations import Operation
from records.contacts import QueueEntry, service_id_of, unscreened
from records.models import Channel
from schema.context import TactContext
from schema.cursors import check_first, decode_cursor, encode_cursor, forward_page, utc_moment
from schema.mutations import screen_contact
from schema.service_scope import one_answer_for_services
from schema.shaped import shaped

MAX_FIRST = 100
_PREFIX = "screening:"


@strawberry.type(description="A filed contact waiting to be read for any new matter.")
class ScreeningEntry:
    contact_id: strawberry.ID
    case_reference: str
    channel: Channel
    contacted_at: dt.datetime
    waiting_days: int = strawberry.field(description="Whole days since the contact was made.")
    matter: str | None = strawberry.field(description="What the contact was about, as given.")

    @classmethod
    def from_entry(cls, entry: QueueEntry, now: dt.datetime) -> ScreeningEntry:
        return shaped(
            cls,
            entry,
            contact_id=strawberry.ID(str(entry.contact_id)),
            waiting_days=max((now - entry.contacted_at).days, 0),
        )


@strawberry.type
class ScreeningEdge:
    cursor: str
    node: ScreeningEntry


@strawberry.type
class ScreeningConnection:
    edges: list[ScreeningEdge]
    page_info: PageInfo


async def resolve_screening_queue(
    info: strawberry.Info[TactContext, None],
    service: str,
    first: int = 20,
    after: str | None = None,
) -> ScreeningConnection:
    ctx = info.context
    with one_answer_for_services(Operation.READ_CASE, service):
        async with (
            ctx.sessions() as session,
            ctx.gate.access(
                session,
                ctx.actor,
                Operation.READ_CASE,
                Target(service=service),
                request_id=ctx.request_id,
            ) as access,
        ):
            check_first(first, MAX_FIRST)
            position = _position(after)
            rows = await unscreened(
                access.session,
                ctx.vault,
                service_id=await service_id_of(access.session, service),
                visible=access.visible_cases(),
                after=position,
                limit=first + 1,
            )
            admitted = set(await access.admit([row.case_id for row in rows[:first]]))
    shown = [row for row in rows[:first] if row.case_id in admitted]
    now = ctx.clock()
    edges = [
        ScreeningEdge(cursor=_cursor(r), node=ScreeningEntry.from_entry(r, now)) for r in shown
    ]
    end = _cursor(rows[first - 1]) if len(rows) > first else None
    return ScreeningConnection(edges=edges, page_info=forward_page([e.cursor for e in edges], end))


def _cursor(entry: QueueEntry) -> str:
    return encode_cursor(_PREFIX, entry.contacted_at.isoformat(), entry.contact_id)


def _position(cursor: str | None) -> tuple[dt.datetime, uuid.UUID] | None:
    if cursor is None:
        return None
    return decode_cursor(_PREFIX, cursor, utc_moment)


@strawberry.type
class ScreeningQuery:
    screening_queue: ScreeningConnection = strawberry.field(
        resolver=resolve_screening_queue,
        description=(
            "Filed contacts in a service not yet read for new matters, oldest first, with how "
            "long each has waited. Only contacts on cases the caller may read are shown."
        ),
    )


@strawberry.type
class ScreeningMutation:
    mark_contact_screened = screen_contact.field
