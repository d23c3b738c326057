"""`closeNoAction`: close the case with no action."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.opening import close_no_action
from schema.context import TactContext
from schema.mutations.inputs import CloseNoActionInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.UPDATE_CASE


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: CloseNoActionInput
) -> StepResult:
    return await take_step(info, OPERATION, reference, input, close_no_action)


field = strawberry.mutation(resolver=resolve, description="Close the case with no action.")
