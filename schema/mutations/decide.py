"""`decide`: decide, with reasons and arrangements; the review date and the appeal deadline come
from the profile."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.deciding import decide
from casework.profiles import Profile
from records.models import Role
from schema.context import TactContext
from schema.mutations.inputs import DecideInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.DECIDE


def roles(profile: Profile) -> tuple[Role, ...]:
    """Who the profile says takes this step."""
    return (profile.decision.deciding_role,)


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: DecideInput
) -> StepResult:
    return await take_step(info, OPERATION, reference, input, decide, roles=roles)


field = strawberry.mutation(
    resolver=resolve,
    description=(
        "Decide, with reasons and arrangements; the review date and the appeal deadline come "
        "from the profile."
    ),
)
