"""`recordConcern`: record a concern about conduct, in a neutral category."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.opening import record_concern
from schema.context import TactContext
from schema.mutations.inputs import RecordConcernInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.UPDATE_CASE


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: RecordConcernInput
) -> StepResult:
    return await take_step(info, OPERATION, reference, input, record_concern)


field = strawberry.mutation(
    resolver=resolve, description="Record a concern about conduct, in a neutral category."
)
