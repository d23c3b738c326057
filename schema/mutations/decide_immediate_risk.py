"""`decideImmediateRisk`: decide on an immediate risk, without a warning: flagged, short-term
(with its end date), with a full assessment then due and the full decision after it."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.deciding import decide_immediate_risk
from casework.profiles import Profile
from records.models import Role
from schema.context import TactContext
from schema.mutations.inputs import DecideImmediateRiskInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.DECIDE_IMMEDIATE_RISK


def roles(profile: Profile) -> tuple[Role, ...]:
    """Who the profile says takes this step."""
    return (profile.decision.immediate_risk_role,)


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: DecideImmediateRiskInput
) -> StepResult:
    return await take_step(info, OPERATION, reference, input, decide_immediate_risk, roles=roles)


field = strawberry.mutation(
    resolver=resolve,
    description=(
        "Decide on an immediate risk, without a warning: flagged and short-term, until its end "
        "date or the full decision that follows the full assessment then due."
    ),
)
