"""`addAttachment`'s and `removeAttachment`'s steps: a file of evidence kept on the case
(docs/workflow.md, "Attachments"). Its content travels base64 in the request's JSON; the step
decodes it, checks its size and that it is what its media type claims, and seals it and its
filename under the case's data key. The timeline's event keeps the attachment's id, media type
and size: never its filename or content. Removing one deletes its row and sealed content in
the step's transaction; its event keeps the id and the reason, from a short list.
"""

from __future__ import annotations

import base64
import binascii
import uuid

from casework import step_models as m
from casework.media_types import matches
from casework.steps import StepRun, begin, finish
from records.attachments import add_attachment as add_row
from records.attachments import delete_attachment, evidence_on_case
from records.case_steps import CaseEvent, Step
from records.errors import ValidationFailed


def encoded_length(size: int) -> int:
    """The length of `size` bytes in padded base64: what a request carries for them."""
    return 4 * ((size + 2) // 3)


async def add_attachment(
    run: StepRun, case_id: uuid.UUID, given: m.AddAttachment, *, max_bytes: int
) -> CaseEvent:
    begun = await begin(run, case_id, Step.ATTACHMENT_ADDED)
    content = _decoded(given.content, max_bytes)
    if not matches(given.media_type, content):
        raise ValidationFailed("input.content", f"the content is not of type {given.media_type}")
    if given.evidence_id is not None and not await evidence_on_case(
        run.session, case_id, given.evidence_id
    ):
        raise ValidationFailed("input.evidenceId", "no such entry of evidence on this case")
    row = await add_row(
        run.session, run.vault, case_id, evidence_id=given.evidence_id,
        filename=given.filename, media_type=given.media_type, content=content,
        added_by=run.actor_id, now=run.clock(),
    )  # fmt: skip
    return await finish(
        run, begun, Step.ATTACHMENT_ADDED, None, attachment_id=str(row.id),
        evidence_id=str(given.evidence_id) if given.evidence_id else None,
        media_type=given.media_type, size_bytes=len(content),
    )  # fmt: skip


async def remove_attachment(
    run: StepRun, case_id: uuid.UUID, given: m.RemoveAttachment
) -> CaseEvent:
    begun = await begin(run, case_id, Step.ATTACHMENT_REMOVED)
    if not await delete_attachment(run.session, case_id, given.attachment_id):
        raise ValidationFailed("input.attachmentId", "no such attachment on this case")
    return await finish(run, begun, Step.ATTACHMENT_REMOVED, given)


def _decoded(text: str, max_bytes: int) -> bytes:
    """The content's bytes; refused, naming `input.content`, when it is not base64, empty or
    larger than `max_bytes` (checked on the text first, so an oversized file is not decoded)."""
    too_large = ValidationFailed(
        "input.content", f"the file is larger than the limit of {max_bytes} bytes"
    )
    if len(text) > encoded_length(max_bytes):
        raise too_large
    try:
        content = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValidationFailed("input.content", "the content is not base64") from None
    if not content:
        raise ValidationFailed("input.content", "the file is empty")
    if len(content) > max_bytes:
        raise too_large
    return content
