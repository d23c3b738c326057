"""`removeAttachment`: take a file added by mistake off the case, its content deleted, not
hidden (docs/workflow.md, "Attachments")."""

from __future__ import annotations

import strawberry

from casework.attachments import remove_attachment
from schema.context import TactContext
from schema.mutations import add_attachment
from schema.mutations.inputs import RemoveAttachmentInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

# Whoever may add a file to the case may take one added by mistake off it.
OPERATION = add_attachment.OPERATION


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: RemoveAttachmentInput
) -> StepResult:
    return await take_step(info, OPERATION, reference, input, remove_attachment)


field = strawberry.mutation(
    resolver=resolve,
    description=(
        "Remove an attachment added by mistake: its file and content are deleted; the "
        "timeline keeps its id and the reason."
    ),
)
