"""`requestReview`: record the customer's request for a review (limited per period where the
profile says)."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.reviews import request_review
from schema.context import TactContext
from schema.mutations.inputs import RequestReviewInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.UPDATE_CASE


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: RequestReviewInput
) -> StepResult:
    return await take_step(info, OPERATION, reference, input, request_review)


field = strawberry.mutation(
    resolver=resolve,
    description=(
        "Record the customer's request for a review (limited per period where the profile says)."
    ),
)
