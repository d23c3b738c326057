"""Free text as people read it: how many characters are visible, and which characters a
free-text field refuses outright. For every rule like "say why, in at least 20 characters".

Text is counted after NFKC normalisation. Letters, digits, punctuation and symbols count;
a run of whitespace between them counts as one; what cannot be seen does not count: format
characters (zero-width spaces and joiners, direction marks), combining marks (an accent is
part of the letter before it, not a character of its own), unassigned code points. Control
characters (NUL and the like; tab and line breaks excepted) and lone surrogates are refused.
"""

from __future__ import annotations

import unicodedata

_SEEN = ("L", "N", "P", "S")  # Unicode major categories of visible characters
_ALLOWED_CONTROLS = frozenset("\t\n\r")


def visible_length(text: str) -> int:
    """Visible characters in `text`, with each run of whitespace between them counting one."""
    count, pending_space = 0, False
    for char in unicodedata.normalize("NFKC", text):
        if unicodedata.category(char)[0] in _SEEN:
            count += 1 + pending_space
            pending_space = False
        elif char.isspace():
            pending_space = count > 0
    return count


def has_control_characters(text: str) -> bool:
    """Does `text` hold a control character (tab and line breaks excepted) or a lone
    surrogate? Such text is refused outright, whatever its length."""
    return any(
        (category := unicodedata.category(char)) == "Cs"
        or (category == "Cc" and char not in _ALLOWED_CONTROLS)
        for char in text
    )
