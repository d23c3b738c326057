"""`recordAssessment`: record the named assessor's assessment (also the full assessment due
after an immediate-risk decision)."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.opening import record_assessment
from schema.context import TactContext
from schema.mutations.inputs import RecordAssessmentInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.UPDATE_CASE


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: RecordAssessmentInput
) -> StepResult:
    return await take_step(info, OPERATION, reference, input, record_assessment)


field = strawberry.mutation(
    resolver=resolve,
    description=(
        "Record the named assessor's assessment (also the full assessment due after an "
        "immediate-risk decision)."
    ),
)
