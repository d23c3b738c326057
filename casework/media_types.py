"""What may be attached to a case, and the cheap check that a file is what it claims to be.

The allow-list is what officers keep as evidence (docs/workflow.md, "Attachments"): PDFs,
common photos, plain text and saved emails. Each type is checked by its first bytes (its
"magic number") or, for the text types, by what text must hold; nothing is parsed further.
A type that cannot be checked this cheaply (Word documents, HEIC photos) is not listed.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# The largest file kept, unless TACT_ATTACHMENT_MAX_BYTES says otherwise: a phone's photo or
# a scanned letter of a few pages fits. Here, with what may be attached, so that the settings
# read it without importing the attachment step (and the step inputs, at every start).
DEFAULT_MAX_BYTES = 5 * 1024 * 1024

# A saved email (.eml) opens with a header field: a name of printable characters but the
# colon, then a colon (RFC 5322 2.2).
_HEADER_FIELD = re.compile(rb"[!-9;-~]+:")


def _is_text(content: bytes) -> bool:
    """UTF-8 (ASCII included) and no NUL: what a text file is, cheaply."""
    if b"\x00" in content:
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_email(content: bytes) -> bool:
    # Not `_is_text`: an email may carry 8-bit text in a legacy character set.
    return b"\x00" not in content and _HEADER_FIELD.match(content) is not None


_CHECKS: dict[str, Callable[[bytes], bool]] = {
    "application/pdf": lambda content: content.startswith(b"%PDF-"),
    "image/jpeg": lambda content: content.startswith(b"\xff\xd8\xff"),
    "image/png": lambda content: content.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/gif": lambda content: content[:6] in (b"GIF87a", b"GIF89a"),
    "image/webp": lambda content: content[:4] == b"RIFF" and content[8:12] == b"WEBP",
    "text/plain": _is_text,
    "message/rfc822": _is_email,
}

MEDIA_TYPES = tuple(_CHECKS)


def matches(media_type: str, content: bytes) -> bool:
    """Does `content` look like `media_type` (one of MEDIA_TYPES)?"""
    return _CHECKS[media_type](content)
