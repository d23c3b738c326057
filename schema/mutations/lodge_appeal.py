"""`lodgeAppeal`: lodge the customer's appeal (or challenge); a late one is handled as the
profile says, and a refused one is still a step on the case (`APPEAL_REFUSED_LATE`)."""

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
        "Lodge the customer's appeal (or challenge). A late one is handled as the profile "
        "says: heard for `lateHeardReason` where the profile allows, taken as a request for "
        "review, or refused; a refusal is recorded as the step APPEAL_REFUSED_LATE (received "
        "date, deadline) and a LATE_APPEAL letter falls due."
    ),
)
