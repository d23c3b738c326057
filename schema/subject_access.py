"""GraphQL for subject access requests, for IG officers: open a request (which holds every
case of the customer from destruction until it is complete), export everything held about
the customer (JSON and a readable HTML document), and mark the request complete.

Every resolver goes through the gate as SUBJECT_ACCESS_EXPORT on the customer, so each
export is logged against the person it is about.
"""

from __future__ import annotations

import datetime as dt

import strawberry

from authz.gate import Target
from authz.operations import Operation
from casework.subject_access import as_html, as_json, subject_access_document
from records.errors import NotFound
from records.holds import complete_subject_access, open_subject_access
from records.retention_tables import SubjectAccessRequest
from schema.context import TactContext
from schema.gated import gated, parse_id
from schema.person import CustomerRef, Email, Phone, customer_named
from schema.shaped import shaped


@strawberry.type(name="SubjectAccessRequest")
class SubjectAccessRequestType:
    id: strawberry.ID
    opened_by: str
    opened_at: dt.datetime
    completed_at: dt.datetime | None

    @classmethod
    def from_record(cls, row: SubjectAccessRequest) -> SubjectAccessRequestType:
        return shaped(cls, row, id=strawberry.ID(str(row.id)))


@strawberry.type(name="SubjectAccessExport")
class SubjectAccessExportType:
    json: str = strawberry.field(description="Everything held, machine-readable.")
    html: str = strawberry.field(description="The same, as a readable document.")


# Who a request is about: schema/person.py (exactly one of the three).


async def resolve_subject_access_export(
    info: strawberry.Info[TactContext, None],
    customer_ref: CustomerRef = None,
    email: Email = None,
    phone: Phone = None,
) -> SubjectAccessExportType:
    context = info.context
    async with context.sessions() as session:
        customer_id = await customer_named(session, context.vault, customer_ref, email, phone)
        async with gated(
            context, session, Operation.SUBJECT_ACCESS_EXPORT, Target(customer_id=customer_id)
        ) as access:
            document = await subject_access_document(access.session, context.vault, customer_id)
            return SubjectAccessExportType(json=as_json(document), html=as_html(document))


async def resolve_open_subject_access_request(
    info: strawberry.Info[TactContext, None],
    customer_ref: CustomerRef = None,
    email: Email = None,
    phone: Phone = None,
) -> SubjectAccessRequestType:
    context = info.context
    async with context.sessions() as session:
        customer_id = await customer_named(session, context.vault, customer_ref, email, phone)
        async with gated(
            context, session, Operation.SUBJECT_ACCESS_EXPORT, Target(customer_id=customer_id)
        ) as access:
            row = await open_subject_access(
                access.session, customer_id, access.actor.label, context.clock()
            )
            return SubjectAccessRequestType.from_record(row)


async def resolve_complete_subject_access_request(
    info: strawberry.Info[TactContext, None], request_id: strawberry.ID
) -> SubjectAccessRequestType:
    context = info.context
    wanted = parse_id(str(request_id), "requestId")
    async with context.sessions() as session:
        row = await session.get(SubjectAccessRequest, wanted)
        customer_id = row.customer_id if row is not None else None
        await session.rollback()
        if customer_id is None:
            raise NotFound("no such subject access request")
        async with gated(
            context, session, Operation.SUBJECT_ACCESS_EXPORT, Target(customer_id=customer_id)
        ) as access:
            done = await complete_subject_access(
                access.session, wanted, access.actor.label, context.clock()
            )
            return SubjectAccessRequestType.from_record(done)


@strawberry.type
class SubjectAccessQuery:
    subject_access_export: SubjectAccessExportType = strawberry.field(
        resolver=resolve_subject_access_export,
        description="Everything Tact holds about one customer.",
    )


@strawberry.type
class SubjectAccessMutation:
    open_subject_access_request: SubjectAccessRequestType = strawberry.mutation(
        resolver=resolve_open_subject_access_request,
        description="Open a subject access request: holds the customer's cases. Refused "
        "(INVALID_TRANSITION) while one for the customer is open, naming its id and the day "
        "it was opened: complete that one first.",
    )
    complete_subject_access_request: SubjectAccessRequestType = strawberry.mutation(
        resolver=resolve_complete_subject_access_request,
        description="Mark a subject access request complete: its hold ends.",
    )
