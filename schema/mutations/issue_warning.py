"""`issueWarning`: warn, or take the profile's step one (SPOC proposal and contact arrangement)."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.opening import issue_warning
from casework.profiles import Profile
from records.models import Role
from schema.context import TactContext
from schema.mutations.inputs import IssueWarningInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.UPDATE_CASE


def roles(profile: Profile) -> tuple[Role, ...]:
    """Who the profile says issues it (RCT: the Head of Service; Portsmouth: the manager)."""
    return (profile.warning.issuing_role,) if profile.warning.issuing_role else ()


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: IssueWarningInput
) -> StepResult:
    # Where the profile names no one, whoever may work on the case (UPDATE_CASE) warns.
    named = info.context.profile.warning.issuing_role is not None
    return await take_step(
        info, OPERATION, reference, input, issue_warning, roles=roles if named else None
    )


field = strawberry.mutation(
    resolver=resolve,
    description="Warn, or take the profile's step one (SPOC proposal and contact arrangement).",
)
