"""`recordEvidence`: record an entry of evidence: a contact or incident, as it happened."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.opening import record_evidence
from schema.context import TactContext
from schema.mutations.inputs import RecordEvidenceInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.UPDATE_CASE


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: RecordEvidenceInput
) -> StepResult:
    return await take_step(info, OPERATION, reference, input, record_evidence)


field = strawberry.mutation(
    resolver=resolve,
    description="Record an entry of evidence: a contact or incident, as it happened.",
)
