"""`extendArrangement`: extend an arrangement in force to a later end date, with reasons."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.over_time import extend_arrangement
from casework.profiles import Profile
from records.models import Role
from schema.context import TactContext
from schema.mutations.inputs import ExtendArrangementInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.DECIDE


def roles(profile: Profile) -> tuple[Role, ...]:
    """Who the profile says takes this step."""
    return (profile.decision.deciding_role,)


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: ExtendArrangementInput
) -> StepResult:
    return await take_step(info, OPERATION, reference, input, extend_arrangement, roles=roles)


field = strawberry.mutation(
    resolver=resolve,
    description="Extend an arrangement in force to a later end date, with reasons.",
)
