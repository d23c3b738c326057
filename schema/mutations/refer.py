"""`refer`: refer the case for assessment or decision, with its referral pack."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.opening import refer
from schema.context import TactContext
from schema.mutations.inputs import ReferInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.UPDATE_CASE


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: ReferInput
) -> StepResult:
    return await take_step(info, OPERATION, reference, input, refer)


field = strawberry.mutation(
    resolver=resolve,
    description="Refer the case for assessment or decision, with its referral pack.",
)
