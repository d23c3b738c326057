"""A customer's postal address, as it is kept and as a letter is addressed with it.

An address is one contact detail of kind ADDRESS, sealed under the customer's key like an
email: its lines, one a line, the postcode after them (`address_text`). A UK address ends
with its postcode, which is required and checked; an address abroad ends with its country's
ISO 3166-1 alpha-2 code ("IE"), its postal code before it if it has one, free-form. The two
cannot be confused: a UK postcode is never two letters. So the addresses kept before
addresses abroad were taken read as they always did, and are UK ones.

It has no blind index and finds no one: people share addresses (a household, a hostel, a
care home), so it is no key to a customer, and an HMAC of an address could be tested against
the whole postcode file by anyone holding the index key. Two spellings of one address are
told apart only by opening the customer's own addresses and comparing their normal forms
(`address_key`).

Which address a letter goes to (`letter_address`): the preferred one, else the only one. A
letter abroad prints the country's name in capitals on its last line, as Royal Mail asks for
international post (`country_name`: English names from libphonenumber's table of regions,
already a dependency for phone numbers).

Its shape is checked in two places that keep to the limits here: a step's input
(casework/step_models.py `PostalAddress`) and a cell of an imported register
(`address_from_cell`).
"""

from __future__ import annotations

import functools
import importlib.util
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import phonenumbers

from records.customers import ContactView
from records.errors import ValidationFailed
from records.free_text import has_control_characters
from records.models import ContactKind

# An address above its postcode: one to MAX_LINES lines (house and street, locality, town) of
# at most MAX_LINE_LENGTH characters each.
MAX_LINES = 6
MAX_LINE_LENGTH = 100
# An address abroad: its postal code, if it has one, as the country writes it ("D02 X285",
# "28001", "1012 AB"); the longest are about ten characters.
MAX_POSTAL_CODE_LENGTH = 16
# Where an address is when no country is given.
HOME_COUNTRY = "GB"

# The shape of a UK postcode (outward code, inward code), spaces aside; GIR 0AA is Girobank's.
_POSTCODE = re.compile(r"^(?:GIR0AA|[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2})$")
_SPACES = re.compile(r"\s+")
# What separates the lines of an address written in one cell of a file.
_CELL_LINES = re.compile(r"\r\n|[\r\n;]")
# Codes libphonenumber's table still lists that ISO 3166-1 has withdrawn.
_WITHDRAWN = frozenset({"AN"})


@functools.cache
def _country_names() -> Mapping[str, Mapping[str, str]]:
    """libphonenumber's table of country names by code (`phonenumbers.geodata.locale`), read
    from its own file. Imported as a module, it first imports its package,
    `phonenumbers.geodata`, which loads the place names of every number prefix: half a
    second at every start of the CLI and the server, for a table that takes a hundredth of
    that. Its one import, `from ..util import u`, needs `phonenumbers` alone."""
    path = Path(phonenumbers.__file__).parent / "geodata" / "locale.py"
    spec = importlib.util.spec_from_file_location("phonenumbers.geodata.locale", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"libphonenumber's table of country names is not at {path}")
    table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(table)
    names: Mapping[str, Mapping[str, str]] = table.LOCALE_DATA
    return names


def country_name(code: str) -> str | None:
    """The English name of the country with this ISO 3166-1 alpha-2 code ("IE": "Ireland");
    None for a code that names no country."""
    names = _country_names().get(code) if code not in _WITHDRAWN else None
    if not names:
        return None
    name = names.get("en", "")
    # The table writes "*aa" where a language's name is that of language "aa".
    return names.get(name[1:]) if name.startswith("*") else name


def normal_country(value: str) -> str | None:
    """A country code as ISO 3166-1 writes it, upper case ("ie" -> "IE"); None where it is
    not the code of a country."""
    code = unicodedata.normalize("NFKC", value).strip().upper()
    return code if len(code) == 2 and country_name(code) else None


def normal_postcode(value: str) -> str | None:
    """A postcode as Royal Mail writes it, upper case with one space before the inward code
    ("ex1 2ab" -> "EX1 2AB"); None where it is not the shape of a UK postcode."""
    compact = _SPACES.sub("", unicodedata.normalize("NFKC", value)).upper()
    if not _POSTCODE.match(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


def address_text(lines: Sequence[str], postcode: str | None, country: str = HOME_COUNTRY) -> str:
    """What is sealed: the lines, the postcode (if any), and for an address abroad its
    country's code, one a line. A UK address is written as it was before there were others."""
    abroad = [country] if country != HOME_COUNTRY else []
    return "\n".join([*lines, *([postcode] if postcode else []), *abroad])


def address_country(text: str) -> str:
    """The country of an address as it is sealed (`address_text`): the code on its last line
    for one abroad, else the UK's."""
    last = text.rstrip().rsplit("\n", 1)[-1].strip()
    return last if len(last) == 2 and country_name(last) else HOME_COUNTRY


def address_from_cell(cell: str, field: str) -> str:
    """An address written in one cell of an imported register (`tact customers import`), as
    the text sealed (`address_text`): its lines separated by line breaks (a spreadsheet's
    multi-line cell, quoted in the CSV) or by ";", then the postcode. An address abroad ends
    with its country's code after its lines and postal code ("Calle Mayor 1;28013 Madrid;ES");
    "GB" after a UK postcode is allowed and dropped. Spaces around each line are dropped and
    empty lines skipped (a register's empty "address 2" column, joined). The lines and the
    postcode are held to what a step's input is held to; a bad one is refused naming `field`
    and which part is at fault, never what the cell says."""
    parts = [part.strip() for part in _CELL_LINES.split(cell)]
    found = [part for part in parts if part]
    country = normal_country(found[-1]) if len(found) > 1 else None
    if country is not None and country != HOME_COUNTRY:
        # Abroad: its postal code, free-form, is one of its lines, as a letter prints it.
        lines = _cell_lines(field, found[:-1], MAX_LINES + 1, "before the country")
        return address_text(lines, None, country)
    if country == HOME_COUNTRY:
        found = found[:-1]
    *lines, last = found or [""]
    if not lines:
        raise ValidationFailed(
            field,
            "needs the address's lines and then its postcode, separated by ';' or line breaks",
        )
    postcode = normal_postcode(last)
    if postcode is None:
        raise ValidationFailed(
            field,
            "its last line is not a UK postcode (the postcode comes last) nor, for an address "
            "abroad, a country code (ISO 3166-1 alpha-2, such as IE or ES)",
        )
    return address_text(_cell_lines(field, lines, MAX_LINES, "above the postcode"), postcode)


def _cell_lines(field: str, lines: list[str], most: int, where: str) -> list[str]:
    if len(lines) > most:
        raise ValidationFailed(field, f"has more than {most} lines {where}")
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_LENGTH:
            raise ValidationFailed(
                field, f"line {number} is longer than {MAX_LINE_LENGTH} characters"
            )
        if has_control_characters(line):
            raise ValidationFailed(field, f"line {number} holds a control character")
    return lines


def address_key(text: str) -> str:
    """An address's normal form, so that the same address typed twice is one: each line
    without its spaces and with its case folded ("1 Example St" is "1 example  st", and
    "ZZ1 1ZZ" is "zz11zz"). Never stored."""
    lines = (_SPACES.sub("", unicodedata.normalize("NFKC", line)) for line in text.splitlines())
    return "\n".join(line.casefold() for line in lines if line)


def letter_address(contacts: Iterable[ContactView]) -> tuple[str, ...]:
    """The lines a letter to the customer is addressed with: their preferred address, else
    their only one; none where they have none (or several and none preferred). An address
    abroad ends with its country's name in capitals, in place of its code."""
    addresses = [c for c in contacts if c.kind is ContactKind.ADDRESS]
    chosen = [c for c in addresses if c.preferred] or (addresses if len(addresses) == 1 else [])
    if not chosen:
        return ()
    return printed_address(chosen[0].value)


def printed_address(text: str) -> tuple[str, ...]:
    """An address as it is sealed (`address_text`), as a letter prints it."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    country = address_country(text)
    if country != HOME_COUNTRY:
        lines[-1] = (country_name(country) or country).upper()
    return tuple(lines)
