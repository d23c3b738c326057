"""`decideReview`: decide a review: lift, modify, continue or extend, with the next review date,
by the role the profile names for reviews (apart from appeals), on the recommendation the
profile's reviews are made on (RCT 7.3-7.4), or for a new issue (RCT 9.1)."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.profiles import Profile
from casework.reviews import decide_review
from records.models import Role
from schema.context import TactContext
from schema.mutations.inputs import DecideReviewInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.DECIDE_REVIEW


def roles(profile: Profile) -> tuple[Role, ...]:
    """Who the profile says decides a review (Portsmouth 5.2.6: the city helpdesk manager)."""
    return tuple(profile.review.deciding_roles)


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: DecideReviewInput
) -> StepResult:
    return await take_step(info, OPERATION, reference, input, decide_review, roles=roles)


field = strawberry.mutation(
    resolver=resolve,
    description=(
        "Decide a review: lift, modify, continue or extend, with the next review date. Taken "
        "by the profile's role for reviews, independently of the decision where it says so, "
        "saying who was consulted where the profile reviews in consultation, and recording "
        "the recommendation it decides on (endorsed or not) where the profile names who "
        "recommends. A review for a new issue (`trigger`) keeps the review already due."
    ),
)
