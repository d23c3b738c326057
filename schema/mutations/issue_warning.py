"""`issueWarning`: warn, or take the profile's step one (SPOC proposal and contact arrangement)."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.opening import issue_warning
from schema.context import TactContext
from schema.mutations.inputs import IssueWarningInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.UPDATE_CASE


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: IssueWarningInput
) -> StepResult:
    return await take_step(info, OPERATION, reference, input, issue_warning)


field = strawberry.mutation(
    resolver=resolve,
    description="Warn, or take the profile's step one (SPOC proposal and contact arrangement).",
)
