"""Free text as people read it: how many characters are visible, and which characters a
free-text field refuses outright. For every rule like "say why, in at least 20 characters".

Text is counted after NFKC normalisation. Letters, digits, punctuation and symbols count;
a run of whitespace between them counts as one; what cannot be seen does not count: format
characters (zero-width spaces and joiners, direction marks), combining marks (an accent is
part of the letter before it, not a character of its own), unassigned code points. Control
characters (NUL and the like; tab and line breaks excepted) and lone surrogates are refused.

And how long: `Text` (reasons, grounds, descriptions, findings) and `ShortText` (a name, a
role, one entry of a list: premises, matters, teams) are the two sizes of free text a step
takes, arrangement parameters included, and `MAX_ITEMS` the most entries a list in a step
takes: limits said once, so that no field is left without one.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, Field

TEXT_MAX = 4000
SHORT_TEXT_MAX = 200
MAX_ITEMS = 20

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


def _not_blank(text: str) -> str:
    # Reasons, grounds and descriptions are the record the policies ask for: spaces alone are
    # none, and would pass a length check.
    if not text.strip():
        raise ValueError("must not be blank")
    return text


Text = Annotated[str, Field(min_length=1, max_length=TEXT_MAX), AfterValidator(_not_blank)]
ShortText = Annotated[
    str, Field(min_length=1, max_length=SHORT_TEXT_MAX), AfterValidator(_not_blank)
]


def in_our_words(error: Any) -> str:
    """A length, bound or number check's message in Tact's words ("must have at least 1
    item", "must be at most 100"), not pydantic's ("List should have at least 1 item after
    validation, not 0"); a check of our own says its own words."""
    ctx, kind = error.get("ctx") or {}, error["type"]
    if kind in ("string_too_short", "string_too_long"):
        low, high = ctx.get("min_length"), ctx.get("max_length")
        return "must not be empty" if low == 1 else f"must be {_count(low, high, 'character')}"
    if kind in ("too_short", "too_long"):
        return f"must have {_count(ctx.get('min_length'), ctx.get('max_length'), 'item')}"
    if kind in ("greater_than_equal", "less_than_equal"):
        return f"must be at {'least' if 'ge' in ctx else 'most'} {ctx.get('ge', ctx.get('le'))}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "must be a whole number"
    return str(error["msg"]).removeprefix("Value error, ")


def _count(low: int | None, high: int | None, noun: str) -> str:
    if low is not None:
        return f"at least {low} {noun}{'s' if low != 1 else ''}"
    return f"at most {high} {noun}{'s' if high != 1 else ''}"
