"""Normalisation for exact-match lookups by blind index.

Two spellings of the same address, number or reference must normalise to the same text, so
that their HMACs match; different ones must not. The rules (documented in the README):

- email: Unicode NFKC, surrounding white space removed, the whole address case-folded. Dots
  and "+tags" are kept: they make different mailboxes at most providers. At most 254
  characters (RFC 5321's limit on a path); a domain of two or more dot-separated labels;
  none of the characters an address holds only in quotes (`<>()[],;:`, the double quote,
  the backslash, white space).
- phone: parsed with libphonenumber (default region GB) and written in E.164, so
  "07700 900123", "+44 7700 900123" and "(07700) 900-123" are one number. Only digits and
  the marks people write between them (`+ ( ) - . /`, spaces) are taken: libphonenumber
  would skip words ("call 07700 900123"), drop an extension ("ext 5") and read letters as
  keypad digits ("9OO" as 966), so text that is not a number found one. A number that
  cannot be parsed, or is too long or short for its country (E.164: 15 digits at most), is
  refused.
- customer reference: NFKC, upper case, with spaces, hyphens, dots and slashes removed.
"""

from __future__ import annotations

import enum
import re
import unicodedata

import phonenumbers

from records.errors import ValidationFailed

# Never in an address unquoted (RFC 5322), nor white space or a second '@'.
_NOT_IN_ADDRESS = r'@\s<>()\[\],;:"\\'
# A local part, then two or more domain labels, none empty.
_EMAIL_SHAPE = re.compile(
    rf"[^{_NOT_IN_ADDRESS}]+@[^{_NOT_IN_ADDRESS}.]+(?:\.[^{_NOT_IN_ADDRESS}.]+)+"
)
EMAIL_MAX = 254
# Digits and what people write between them (NFKC has made other spaces plain ones).
_PHONE_MARKS = re.compile(r"[\d +()\-./]+")
_REFERENCE_NOISE = re.compile(r"[\s\-./]+")


class LookupKind(enum.StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    CUSTOMER_REF = "customer_ref"


def normalise_email(value: str, field: str = "email") -> str:
    text = unicodedata.normalize("NFKC", value).strip().casefold()
    if len(text) > EMAIL_MAX:
        raise ValidationFailed(field, f"must be at most {EMAIL_MAX} characters")
    if not _EMAIL_SHAPE.fullmatch(text):
        raise ValidationFailed(field, "is not an email address")
    return _visible(text, field)


def _visible(text: str, field: str) -> str:
    """`text`, refused if it holds a control or invisible character (a zero-width space, a
    soft hyphen, BEL): such a value reads on screen as another customer's (CUS-0001, their
    email) yet finds no one by it, and slips past the rule that a detail finds one customer."""
    # isprintable() is false for every character of the "C" categories (and for spaces
    # other than ' '): one call in C for the usual value, the walk only for the rest.
    if not text.isprintable() and any(unicodedata.category(c).startswith("C") for c in text):
        raise ValidationFailed(field, "must not hold control or invisible characters")
    return text


def normalise_phone(value: str, field: str = "phone", region: str = "GB") -> str:
    text = unicodedata.normalize("NFKC", value).strip()
    if not _PHONE_MARKS.fullmatch(text):
        _visible(text, field)  # the more telling answer, when it is so
        raise ValidationFailed(
            field, "is not a telephone number: digits only, with spaces or + ( ) - . / between"
        )
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed(field, "is not a telephone number") from exc
    if not phonenumbers.is_possible_number(number):
        raise ValidationFailed(field, "is not a telephone number")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def normalise_reference(value: str, field: str = "customerRef") -> str:
    text = _REFERENCE_NOISE.sub("", unicodedata.normalize("NFKC", value)).upper()
    if not text or len(text) > 64:
        raise ValidationFailed(field, "must be 1 to 64 characters")
    return _visible(text, field)


def normalise(kind: LookupKind, value: str, field: str | None = None) -> str:
    if kind is LookupKind.EMAIL:
        return normalise_email(value, field or "email")
    if kind is LookupKind.PHONE:
        return normalise_phone(value, field or "phone")
    return normalise_reference(value, field or "customerRef")
