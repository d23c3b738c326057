"""`recordSafeguards`: record the safeguards checklist the profile names; a decision needs it."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.opening import record_safeguards
from schema.context import TactContext
from schema.mutations.inputs import RecordSafeguardsInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.UPDATE_CASE


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: RecordSafeguardsInput
) -> StepResult:
    return await take_step(info, OPERATION, reference, input, record_safeguards)


field = strawberry.mutation(
    resolver=resolve,
    description="Record the safeguards checklist the profile names; a decision needs it.",
)
