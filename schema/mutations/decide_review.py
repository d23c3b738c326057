"""`decideReview`: decide a review: lift, modify, continue or extend, with the next review date."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.reviews import decide_review
from schema.context import TactContext
from schema.mutations.inputs import DecideReviewInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.DECIDE_APPEAL


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: DecideReviewInput
) -> StepResult:
    return await take_step(info, OPERATION, reference, input, decide_review)


field = strawberry.mutation(
    resolver=resolve,
    description="Decide a review: lift, modify, continue or extend, with the next review date.",
)
