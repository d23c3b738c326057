"""`scheduleReview`: schedule a review of the arrangements."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.reviews import schedule_review
from schema.context import TactContext
from schema.mutations.inputs import ScheduleReviewInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.UPDATE_CASE


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: ScheduleReviewInput
) -> StepResult:
    return await take_step(info, OPERATION, reference, input, schedule_review)


field = strawberry.mutation(resolver=resolve, description="Schedule a review of the arrangements.")
