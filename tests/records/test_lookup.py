"""Blind-index normalisation, property-tested through `Vault.blind_index`: spellings of one
email, phone number or customer reference meet on one index; different ones never do
(records/lookup.py states the rules)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import create_async_engine

from records.crypto import KeyRing
from records.errors import ValidationFailed
from records.keystore import KeyStore
from records.lookup import LookupKind, normalise_reference
from records.vault import Vault

# Blind indexes need only the key ring; the store is never connected to.
VAULT = Vault(
    KeyRing.from_document(KeyRing.generate()),
    KeyStore(create_async_engine("sqlite+aiosqlite://")),
)
EMAIL, PHONE, REF = LookupKind.EMAIL, LookupKind.PHONE, LookupKind.CUSTOMER_REF


def index(kind: LookupKind, value: str) -> bytes:
    return VAULT.blind_index(kind, value)


# -- strategies ---------------------------------------------------------------------------

ascii_word = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
local_part = st.builds(
    lambda first, rest: first + rest,
    ascii_word,
    st.text("abcdefghijklmnopqrstuvwxyz0123456789._+-", max_size=12),
)
domain = st.builds(
    lambda labels, tld: ".".join([*labels, tld]),
    st.lists(ascii_word, min_size=1, max_size=3),
    st.sampled_from(["org", "uk", "gov.uk", "example", "com"]),
)
emails = st.builds(lambda local, dom: f"{local}@{dom}", local_part, domain)
white_space = st.text(" \t\n\r\u00a0\u3000", max_size=3)


def fullwidth(text: str) -> str:
    """ASCII written in its full-width compatibility forms, which NFKC folds back."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@st.composite
def respelt_emails(draw: st.DrawFn) -> tuple[str, str]:
    """(email, the same email with changed case, full-width characters and white space)."""
    email = draw(emails)
    upper = draw(st.lists(st.booleans(), min_size=len(email), max_size=len(email)))
    wide = draw(st.lists(st.booleans(), min_size=len(email), max_size=len(email)))
    chars = []
    for c, up, fw in zip(email, upper, wide, strict=True):
        c = c.upper() if up else c
        chars.append(fullwidth(c) if fw else c)
    return email, draw(white_space) + "".join(chars) + draw(white_space)


subscriber = st.text("0123456789", min_size=6, max_size=6)


def uk_mobile_spellings(digits: str) -> list[str]:
    """One UK mobile number (07700 + six digits) as people write it."""
    head, tail = digits[:3], digits[3:]
    return [
        f"07700 {digits}",
        f"+44 7700 {digits}",
        f"(07700) {head}-{tail}",
        f"0044 7700 {digits}",
        f"07700{digits}",
        f"+44 (0)7700 {head} {tail}",
        f" 07700-{head}-{tail} ",
        fullwidth(f"07700{digits}"),
    ]


reference_part = st.text("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=1, max_size=6)
references = st.lists(reference_part, min_size=1, max_size=4)
separators = st.lists(st.sampled_from([" ", "-", "--", " - ", ".", "/", "\t"]), max_size=4)


# -- email --------------------------------------------------------------------------------


@given(respelt_emails())
def test_equivalent_emails_match(pair: tuple[str, str]) -> None:
    email, respelt = pair
    assert index(EMAIL, respelt) == index(EMAIL, email)


@given(st.sampled_from(["josé", "zoë", "åsa", "ﬁona"]), domain)
def test_nfkc_equivalent_emails_match(local: str, dom: str) -> None:
    composed = unicodedata.normalize("NFC", f"{local}@{dom}")
    decomposed = unicodedata.normalize("NFD", f"{local}@{dom}")
    plain = unicodedata.normalize("NFKC", f"{local}@{dom}")  # the ligature "ﬁ" becomes "fi"
    assert index(EMAIL, decomposed) == index(EMAIL, composed) == index(EMAIL, plain)
    assert index(EMAIL, composed.upper()) == index(EMAIL, composed)


@given(emails, emails)
def test_different_emails_do_not_match(first: str, second: str) -> None:
    assume(first != second)  # lower-case ASCII already: different text, different mailbox
    assert index(EMAIL, first) != index(EMAIL, second)


@given(emails)
def test_dots_and_tags_make_a_different_mailbox(email: str) -> None:
    local, dom = email.split("@")
    for other in (f"{local}.x@{dom}", f"{local}+x@{dom}", f"{local}@x{dom}"):
        assert index(EMAIL, other) != index(EMAIL, email)


@pytest.mark.parametrize(
    "value",
    [
        "", "   ", "no-at-sign", "a@b", "two words@example.org", "a@@b.org",
        "<a@example.org>", "a@example..org", "a@example.org.", "a@.example.org",
        "a@example.org;b", "a,b@example.org", '"a"@example.org', "a@[192.0.2.1]",
        "a" * 243 + "@example.org",  # 255 characters
    ],
)  # fmt: skip
def test_invalid_emails_are_refused_naming_the_field(value: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        index(EMAIL, value)
    assert caught.value.field == "email"
    with pytest.raises(ValidationFailed) as caught:
        VAULT.blind_index(EMAIL, value, field="lookup.email")
    assert caught.value.field == "lookup.email"


def test_an_email_is_at_most_254_characters_and_the_refusal_does_not_echo_it() -> None:
    longest = "a" * 242 + "@example.org"
    assert len(longest) == 254
    index(EMAIL, longest)
    with pytest.raises(ValidationFailed) as caught:
        VAULT.blind_index(EMAIL, "a" + longest, field="lookup.email")
    assert caught.value.message == "lookup.email: must be at most 254 characters"


@given(emails)
def test_an_address_of_any_usual_shape_is_taken(email: str) -> None:
    assert index(EMAIL, email) == index(EMAIL, f" {email.upper()} ")


# -- phone --------------------------------------------------------------------------------


@given(subscriber)
def test_spellings_of_one_uk_phone_number_match(digits: str) -> None:
    spellings = uk_mobile_spellings(digits)
    expected = index(PHONE, spellings[0])
    for spelling in spellings[1:]:
        assert index(PHONE, spelling) == expected, spelling


def test_the_examples_from_the_issue_match() -> None:
    digests = {
        index(PHONE, v)
        for v in ("07700 900123", "+44 7700 900123", "(07700) 900-123", "0044 7700 900123")
    }
    assert len(digests) == 1


@given(subscriber, subscriber, st.data())
def test_different_phone_numbers_do_not_match(first: str, second: str, data: st.DataObject) -> None:
    assume(first != second)
    one = data.draw(st.sampled_from(uk_mobile_spellings(first)))
    other = data.draw(st.sampled_from(uk_mobile_spellings(second)))
    assert index(PHONE, one) != index(PHONE, other)


def test_the_same_digits_in_another_country_are_another_number() -> None:
    assert index(PHONE, "+353 20 7946 0123") != index(PHONE, "020 7946 0123")
    assert index(PHONE, "020 7946 0123") == index(PHONE, "+44 20 7946 0123")


@pytest.mark.parametrize(
    "value",
    [
        "", "not a number", "12", "07700 9001234567", "+",
        # libphonenumber would find a number in each: words skipped, letters read as keypad
        # digits, an extension dropped, an invisible character ignored.
        "call 07700 900123", "07700 9OO123", "+44 800 FLOWERS", "07700 900123 ext 5",
        "tel:+447700900123", "07700 900123\u200b", "\u202e07700 900123",
        "7" * 5000, "+44 7700 900123 4567 8901",  # over E.164's 15 digits
    ],
)  # fmt: skip
def test_invalid_phone_numbers_are_refused_naming_the_field(value: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        index(PHONE, value)
    assert caught.value.field == "phone"
    with pytest.raises(ValidationFailed) as caught:
        VAULT.blind_index(PHONE, value, field="lookup.phone")
    assert caught.value.field == "lookup.phone"


# -- customer reference -------------------------------------------------------------------


@given(references, separators, st.data())
def test_references_written_with_spaces_hyphens_and_case_match(
    parts: list[str], seps: list[str], data: st.DataObject
) -> None:
    compact = "".join(parts)
    written = parts[0]
    for i, part in enumerate(parts[1:]):
        written += (seps[i] if i < len(seps) else "") + part
    lower = data.draw(st.lists(st.booleans(), min_size=len(written), max_size=len(written)))
    written = "".join(c.lower() if lo else c for c, lo in zip(written, lower, strict=True))
    assert index(REF, f" {written} ") == index(REF, compact)


@given(references, references)
def test_different_references_do_not_match(first: list[str], second: list[str]) -> None:
    assume("".join(first) != "".join(second))
    assert index(REF, "-".join(first)) != index(REF, " ".join(second))


@pytest.mark.parametrize("value", ["", "   ", " - / . ", "X" * 65])
def test_invalid_references_are_refused_naming_the_field(value: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        index(REF, value)
    assert caught.value.field == "customerRef"


# -- kinds are kept apart ----------------------------------------------------------------


def test_one_text_as_two_kinds_gives_two_indexes() -> None:
    # "ab12" normalises to itself as a reference shape; the kind keeps the indexes apart.
    assert VAULT.ring.blind_index("email", "AB12") != VAULT.ring.blind_index("customer_ref", "AB12")
    assert index(REF, "AB12") == VAULT.ring.blind_index("customer_ref", "AB12")


def test_every_control_or_invisible_character_is_refused_in_a_reference() -> None:
    # The check asks str.isprintable() first and walks categories only when it is false, so
    # this holds only while every character of the "C" categories is unprintable: all of them.
    hidden = [c for c in map(chr, range(0x110000)) if unicodedata.category(c).startswith("C")]
    assert not any(c.isprintable() for c in hidden)
    kept = [c for c in hidden if not c.isspace()]  # white space is dropped from a reference
    for character in [*kept[::97], "\u200b", "\xad", "\x07", "\ufeff"]:
        with pytest.raises(ValidationFailed, match="control or invisible"):
            normalise_reference(f"CUS{character}0001")
