"""`attachment(reference, id)`: one attachment of a case with its content, base64 (what
`addAttachment` took). A read of the case's full file, so READ_CASE through the gate, one
attachment at a time: its access-log entry names the attachment (`fields`
`attachment:<id>`), where the case file's list (`Case.detail.attachments`) only names them.
"""

from __future__ import annotations

import base64
import uuid
from typing import Annotated

import strawberry

from authz.gate import NOTHING, Target
from authz.operations import Operation
from records.attachments import open_content
from records.case_files import find_case_id
from schema.case_types import Attachment
from schema.context import TactContext


@strawberry.type(description="One attachment with its content.")
class AttachmentFile:
    attachment: Attachment
    content: str = strawberry.field(description="The file's bytes, base64 (RFC 4648, padded).")


async def resolve_attachment(
    info: strawberry.Info[TactContext, None],
    reference: str,
    id: uuid.UUID,
    break_glass_reason: Annotated[
        str | None,
        strawberry.argument(
            description="As for `Case.detail`: why someone outside the need-to-know set reads it."
        ),
    ] = None,
) -> AttachmentFile:
    context = info.context
    async with context.sessions() as session:
        case_id = await find_case_id(session, reference) or NOTHING
        async with context.gate.access(
            session, context.actor, Operation.READ_CASE, Target(case_id=case_id),
            request_id=context.request_id, reason=break_glass_reason,
        ) as access:  # fmt: skip
            access.touched(case_id=case_id, fields=f"attachment:{id}")
            found = await open_content(access.session, context.vault, case_id, id)
    return AttachmentFile(
        attachment=Attachment.from_view(found.view),
        content=base64.b64encode(found.content).decode("ascii"),
    )


@strawberry.type
class AttachmentQuery:
    attachment: AttachmentFile = strawberry.field(
        resolver=resolve_attachment,
        description="One attachment of a case, with its content: a logged read of the case.",
    )
