"""`unassignStaff`: end a member of staff's assignment to the case (managers of the service)."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.opening import unassign_staff
from schema.context import TactContext
from schema.mutations.inputs import UnassignStaffInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.UNASSIGN_STAFF


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: UnassignStaffInput
) -> StepResult:
    return await take_step(info, OPERATION, reference, input, unassign_staff)


field = strawberry.mutation(
    resolver=resolve,
    description="End a member of staff's assignment to the case, with reasons (managers of the "
    "service): their access to it through that assignment ends with their next request.",
)
