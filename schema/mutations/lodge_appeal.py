"""`lodgeAppeal`: lodge the customer's appeal (or challenge); a late one is handled as the
profile says."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.reviews import lodge_appeal
from schema.context import TactContext
from schema.mutations.inputs import LodgeAppealInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.UPDATE_CASE


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: LodgeAppealInput
) -> StepResult:
    return await take_step(info, OPERATION, reference, input, lodge_appeal)


field = strawberry.mutation(
    resolver=resolve,
    description=(
        "Lodge the customer's appeal (or challenge); a late one is handled as the profile says."
    ),
)
