"""`addAttachment`: keep a file of evidence on the case (a saved email, a photo, a call note as
a PDF), its content base64 in the request (docs/workflow.md, "Attachments")."""

from __future__ import annotations

import functools

import strawberry

from authz.operations import Operation
from casework.attachments import add_attachment
from schema.context import TactContext
from schema.mutations.inputs import AddAttachmentInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

# The same rule as recordEvidence: the file grows, as it does with an entry of evidence.
OPERATION = Operation.UPDATE_CASE


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: AddAttachmentInput
) -> StepResult:
    limit = info.context.attachment_max_bytes
    action = functools.partial(add_attachment, max_bytes=limit)
    return await take_step(info, OPERATION, reference, input, action)


field = strawberry.mutation(
    resolver=resolve,
    description=(
        "Keep a file of evidence on the case: PDF, JPEG, PNG, GIF, WebP, plain text or a saved "
        "email (.eml), its content base64, up to the server's limit "
        "(TACT_ATTACHMENT_MAX_BYTES, 5 MiB by default)."
    ),
)
