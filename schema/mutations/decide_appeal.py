"""`decideAppeal`: decide an appeal, independently of the decision, with one of the profile's
outcomes."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.profiles import Profile
from casework.reviews import decide_appeal
from records.models import Role
from schema.context import TactContext
from schema.mutations.inputs import DecideAppealInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.DECIDE_APPEAL


def roles(profile: Profile) -> tuple[Role, ...]:
    """Who the profile says takes this step."""
    return tuple(profile.appeal.deciding_roles)


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: DecideAppealInput
) -> StepResult:
    return await take_step(info, OPERATION, reference, input, decide_appeal, roles=roles)


field = strawberry.mutation(
    resolver=resolve,
    description=(
        "Decide an appeal, independently of the decision, with one of the profile's outcomes."
    ),
)
