"""Opaque page cursors: "<prefix><sort key>|<row id>", base64url. A list pages by (sort key,
id), so equal sort keys still page exactly once; a list with a unique integer sequence (the
access log) pages by "<prefix><seq>" alone. A cursor from another list, or mangled, is
VALIDATION_FAILED on `after`; a page size out of the list's bounds is VALIDATION_FAILED on
`first`."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from collections.abc import Callable
from typing import TypeVar

from strawberry.relay import PageInfo

from records.errors import ValidationFailed
from records.models import as_utc

K = TypeVar("K")


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def _decode(prefix: str, cursor: str) -> str | None:
    """The text after `prefix` in a cursor of this list, None when it is no such cursor."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return text.removeprefix(prefix) if text.startswith(prefix) else None


def _not_a_cursor() -> ValidationFailed:
    return ValidationFailed("after", "is not a cursor from this list")


def check_first(first: int, maximum: int) -> None:
    """Refuse a page size outside 1..`maximum` (the list's bound), naming `first`."""
    if not 1 <= first <= maximum:
        raise ValidationFailed("first", f"must be between 1 and {maximum}")


def encode_cursor(prefix: str, key: str, row_id: uuid.UUID) -> str:
    return _encode(f"{prefix}{key}|{row_id}")


def decode_cursor(prefix: str, cursor: str, parse: Callable[[str], K]) -> tuple[K, uuid.UUID]:
    """The (sort key, row id) a cursor of this list holds, its key read by `parse`."""
    text = _decode(prefix, cursor)
    if text is not None:
        key, _, row_id = text.partition("|")
        try:
            return parse(key), uuid.UUID(row_id)
        except (ValueError, OverflowError):  # a key past year 9999 once in UTC: no cursor
            pass
    raise _not_a_cursor()


def utc_moment(key: str) -> dt.datetime:
    """A sort key that is a moment, as the list's column holds it (UTC)."""
    return as_utc(dt.datetime.fromisoformat(key))


def encode_seq_cursor(prefix: str, seq: int) -> str:
    return _encode(f"{prefix}{seq}")


def decode_seq_cursor(prefix: str, cursor: str, maximum: int) -> int:
    """The sequence number a cursor of this list holds; one above `maximum` (the column's
    bound) is no cursor of ours."""
    text = _decode(prefix, cursor)
    if text is not None:
        try:
            seq = int(text)
        except ValueError:
            seq = -1
        if 0 <= seq <= maximum:
            return seq
    raise _not_a_cursor()


def forward_page(cursors: list[str], end_cursor: str | None) -> PageInfo:
    """PageInfo of a forward-only page: `end_cursor` is the last row's cursor when more rows
    follow (None on the last page)."""
    return PageInfo(
        has_next_page=end_cursor is not None,
        has_previous_page=False,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=end_cursor,
    )


def shown_page(cursors: list[str], has_next: bool) -> PageInfo:
    """PageInfo of a forward-only page whose end cursor is its last shown row's, on the last
    page too (the lists that page by what the caller was shown)."""
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=False,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )
