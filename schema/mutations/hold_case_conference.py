"""`holdCaseConference`: record a case conference: attendees by role, the evidence considered,
the recommendation."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.opening import hold_case_conference
from schema.context import TactContext
from schema.mutations.inputs import HoldCaseConferenceInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.UPDATE_CASE


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: HoldCaseConferenceInput
) -> StepResult:
    return await take_step(info, OPERATION, reference, input, hold_case_conference)


field = strawberry.mutation(
    resolver=resolve,
    description=(
        "Record a case conference: attendees by role, the evidence considered, the recommendation."
    ),
)
