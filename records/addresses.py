"""A customer's postal address, as it is kept and as a letter is addressed with it.

An address is one contact detail of kind ADDRESS, sealed under the customer's key like an
email: its lines, one a line, the postcode last (`address_text`). It has no blind index and
finds no one: people share addresses (a household, a hostel, a care home), so it is no key
to a customer, and an HMAC of an address could be tested against the whole postcode file by
anyone holding the index key. Two spellings of one address are told apart only by opening
the customer's own addresses and comparing their normal forms (`address_key`).

Which address a letter goes to (`letter_address`): the preferred one, else the only one.

Its shape is checked in two places that keep to the limits here: a step's input
(casework/step_models.py `PostalAddress`) and a cell of an imported register
(`address_from_cell`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from records.customers import ContactView
from records.errors import ValidationFailed
from records.free_text import has_control_characters
from records.models import ContactKind

# An address above its postcode: one to MAX_LINES lines (house and street, locality, town) of
# at most MAX_LINE_LENGTH characters each.
MAX_LINES = 6
MAX_LINE_LENGTH = 100

# The shape of a UK postcode (outward code, inward code), spaces aside; GIR 0AA is Girobank's.
_POSTCODE = re.compile(r"^(?:GIR0AA|[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2})$")
_SPACES = re.compile(r"\s+")
# What separates the lines of an address written in one cell of a file.
_CELL_LINES = re.compile(r"\r\n|[\r\n;]")


def normal_postcode(value: str) -> str | None:
    """A postcode as Royal Mail writes it, upper case with one space before the inward code
    ("ex1 2ab" -> "EX1 2AB"); None where it is not the shape of a UK postcode."""
    compact = _SPACES.sub("", unicodedata.normalize("NFKC", value)).upper()
    if not _POSTCODE.match(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


def address_text(lines: Sequence[str], postcode: str) -> str:
    """What is sealed: the lines and then the postcode, one a line."""
    return "\n".join([*lines, postcode])


def address_from_cell(cell: str, field: str) -> str:
    """An address written in one cell of an imported register (`tact customers import`), as
    the text sealed (`address_text`): its lines separated by line breaks (a spreadsheet's
    multi-line cell, quoted in the CSV) or by ";", the postcode last. Spaces around each line
    are dropped and empty lines skipped (a register's empty "address 2" column, joined). The
    lines and the postcode are held to what a step's input is held to; a bad one is refused
    naming `field` and which part is at fault, never what the cell says."""
    parts = [part.strip() for part in _CELL_LINES.split(cell)]
    *lines, last = [part for part in parts if part] or [""]
    if not lines:
        raise ValidationFailed(
            field,
            "needs the address's lines and then its postcode, separated by ';' or line breaks",
        )
    postcode = normal_postcode(last)
    if postcode is None:
        raise ValidationFailed(
            field, "its last line is not a UK postcode (the postcode comes last)"
        )
    if len(lines) > MAX_LINES:
        raise ValidationFailed(field, f"has more than {MAX_LINES} lines above the postcode")
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_LENGTH:
            raise ValidationFailed(
                field, f"line {number} is longer than {MAX_LINE_LENGTH} characters"
            )
        if has_control_characters(line):
            raise ValidationFailed(field, f"line {number} holds a control character")
    return address_text(lines, postcode)


def address_key(text: str) -> str:
    """An address's normal form, so that the same address typed twice is one: each line
    without its spaces and with its case folded ("1 Example St" is "1 example  st", and
    "ZZ1 1ZZ" is "zz11zz"). Never stored."""
    lines = (_SPACES.sub("", unicodedata.normalize("NFKC", line)) for line in text.splitlines())
    return "\n".join(line.casefold() for line in lines if line)


def letter_address(contacts: Iterable[ContactView]) -> tuple[str, ...]:
    """The lines a letter to the customer is addressed with: their preferred address, else
    their only one; none where they have none (or several and none preferred)."""
    addresses = [c for c in contacts if c.kind is ContactKind.ADDRESS]
    chosen = [c for c in addresses if c.preferred] or (addresses if len(addresses) == 1 else [])
    if not chosen:
        return ()
    return tuple(line.strip() for line in chosen[0].value.splitlines() if line.strip())
