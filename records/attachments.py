"""A case's attachments: the files of evidence kept on it (a saved email, a photo, a call note
as a PDF), each sealed under the case's data key, its filename and its content alike, so they
are destroyed with the case (docs/workflow.md, "Attachments").

The list (filename, media type, size, when, by whom, the evidence entry) is read with the
case's file; the content only one attachment at a time, by `open_content`. Whether the
caller may see either is decided before these are called (authz's gate), never here.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from records.errors import NotFound
from records.models import Attachment, EvidenceEntry, Staff, as_utc
from records.vault import FieldCipher, Vault, owner_of

TABLE = "attachments"


@dataclass(frozen=True)
class AttachmentView:
    """One attachment as the case file lists it: never its content."""

    id: uuid.UUID
    evidence_id: uuid.UUID | None
    filename: str
    media_type: str
    size_bytes: int
    added_at: dt.datetime
    added_by: str | None  # the member of staff's display name (a work identity)


@dataclass(frozen=True)
class AttachmentContent:
    view: AttachmentView
    content: bytes


async def add_attachment(
    session: AsyncSession,
    vault: Vault,
    case_id: uuid.UUID,
    *,
    evidence_id: uuid.UUID | None,
    filename: str,
    media_type: str,
    content: bytes,
    added_by: uuid.UUID | None,
    now: dt.datetime,
) -> Attachment:
    """The attachment's row, filename and content sealed under the case's data key, each
    bound to its row and column."""
    attachment_id = uuid.uuid4()
    cipher = await vault.cipher("case", case_id)
    row = Attachment(
        id=attachment_id,
        case_id=case_id,
        evidence_id=evidence_id,
        filename_sealed=cipher.seal(TABLE, "filename", attachment_id, filename),
        media_type=media_type,
        size_bytes=len(content),
        content_sealed=cipher.seal_bytes(TABLE, "content", attachment_id, content),
        added_at=now,
        added_by=added_by,
    )
    session.add(row)
    return row


async def delete_attachment(
    session: AsyncSession, case_id: uuid.UUID, attachment_id: uuid.UUID
) -> bool:
    """Delete the case's attachment, its row and sealed content together, in the caller's
    transaction; False when the case has no such attachment (another case's is left alone)."""
    deleted = await session.execute(
        delete(Attachment).where(Attachment.id == attachment_id, Attachment.case_id == case_id)
    )
    return bool(getattr(deleted, "rowcount", 0))


async def evidence_on_case(
    session: AsyncSession, case_id: uuid.UUID, evidence_id: uuid.UUID
) -> bool:
    found = await session.scalar(
        select(EvidenceEntry.id).where(
            EvidenceEntry.id == evidence_id, EvidenceEntry.case_id == case_id
        )
    )
    return found is not None


def _listed() -> Select[*tuple[Any, ...]]:
    """Everything the list shows, with who added each (their display name, as the timeline)."""
    return select(
        Attachment.id,
        Attachment.case_id,
        Attachment.evidence_id,
        Attachment.filename_sealed,
        Attachment.media_type,
        Attachment.size_bytes,
        Attachment.added_at,
        Staff.display_name,
    ).outerjoin(Staff, Staff.id == Attachment.added_by)


async def attachment_views(
    session: AsyncSession, ciphers: dict[str, FieldCipher], case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[AttachmentView]]:
    """The attachments of each case, oldest first, filenames opened; contents left sealed
    and unread."""
    found: dict[uuid.UUID, list[AttachmentView]] = defaultdict(list)
    rows = await session.execute(
        _listed()
        .where(Attachment.case_id.in_(case_ids))
        .order_by(Attachment.added_at, Attachment.id)
    )
    for row in rows:
        found[row.case_id].append(_view(ciphers[owner_of("case", row.case_id)], row))
    return found


async def open_content(
    session: AsyncSession, vault: Vault, case_id: uuid.UUID, attachment_id: uuid.UUID
) -> AttachmentContent:
    """One attachment of the case, its content opened. NotFound when the case has no such
    attachment (another case's is not found either)."""
    row = (
        await session.execute(
            _listed()
            .add_columns(Attachment.content_sealed)
            .where(Attachment.id == attachment_id, Attachment.case_id == case_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("no such attachment on this case")
    cipher = await vault.cipher("case", case_id)
    content = cipher.open_bytes(TABLE, "content", row.id, row.content_sealed)
    return AttachmentContent(view=_view(cipher, row), content=content)


def _view(cipher: FieldCipher, row: Row[Any]) -> AttachmentView:
    return AttachmentView(
        id=row.id,
        evidence_id=row.evidence_id,
        filename=cipher.open(TABLE, "filename", row.id, row.filename_sealed),
        media_type=row.media_type,
        size_bytes=row.size_bytes,
        added_at=as_utc(row.added_at),
        added_by=row.display_name,
    )
