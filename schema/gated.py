"""What the records-management and subject-access resolvers share: the gate for this
request, ids parsed naming their field, a case found by reference (or NOTHING, refused as
a case the caller may not see), an id shown or null."""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from authz.gate import NOTHING, Access, Target
from authz.operations import Operation
from records.case_files import find_case_id
from records.errors import ValidationFailed
from schema.context import TactContext


async def case_or_nothing(session: AsyncSession, reference: str) -> uuid.UUID:
    """The case's id, or NOTHING, which the gate refuses as it refuses a case the caller
    may not see."""
    case_id = await find_case_id(session, reference)
    await session.rollback()
    return case_id or NOTHING


def gated(
    context: TactContext, session: AsyncSession, operation: Operation, target: Target
) -> AbstractAsyncContextManager[Access]:
    """The gate, for this request's actor and request id."""
    return context.gate.access(
        session, context.actor, operation, target, request_id=context.request_id
    )


def parse_id(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationFailed(field, "is not an id") from None


def shown_id(value: uuid.UUID | None) -> strawberry.ID | None:
    return strawberry.ID(str(value)) if value else None
