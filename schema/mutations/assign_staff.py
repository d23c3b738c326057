"""`assignStaff`: assign a member of staff to the case (managers of the service)."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.opening import assign_staff
from schema.context import TactContext
from schema.mutations.inputs import AssignStaffInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.ASSIGN_STAFF


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: AssignStaffInput
) -> StepResult:
    return await take_step(info, OPERATION, reference, input, assign_staff)


field = strawberry.mutation(
    resolver=resolve, description="Assign a member of staff to the case (managers of the service)."
)
