"""`liftArrangement`: lift an arrangement; when none is left the case ends and an ended
notification is due."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.over_time import lift_arrangement
from casework.profiles import Profile
from records.models import Role
from schema.context import TactContext
from schema.mutations.inputs import LiftArrangementInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.DECIDE


def roles(profile: Profile) -> tuple[Role, ...]:
    """Who the profile says takes this step."""
    return (profile.decision.deciding_role,)


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: LiftArrangementInput
) -> StepResult:
    return await take_step(info, OPERATION, reference, input, lift_arrangement, roles=roles)


field = strawberry.mutation(
    resolver=resolve,
    description=(
        "Lift an arrangement; when none is left the case ends and an ended notification is due."
    ),
)
