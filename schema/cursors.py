"""Opaque page cursors: "<prefix><sort key>|<row id>", base64url. A list pages by (sort key,
id), so equal sort keys still page exactly once. A cursor from another list, or mangled, is
VALIDATION_FAILED on `after`."""

from __future__ import annotations

import base64
import binascii
import uuid

from strawberry.relay import PageInfo

from records.errors import ValidationFailed


def encode_cursor(prefix: str, key: str, row_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{prefix}{key}|{row_id}".encode()).decode()


def decode_cursor(prefix: str, cursor: str) -> tuple[str, uuid.UUID]:
    """The (sort key, row id) a cursor of this list holds."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        if text.startswith(prefix):
            key, _, row_id = text.removeprefix(prefix).partition("|")
            return key, uuid.UUID(row_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ValidationFailed("after", "is not a cursor from this list")


def forward_page(cursors: list[str], end_cursor: str | None) -> PageInfo:
    """PageInfo of a forward-only page: `end_cursor` is the last row's cursor when more rows
    follow (None on the last page)."""
    return PageInfo(
        has_next_page=end_cursor is not None,
        has_previous_page=False,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=end_cursor,
    )
