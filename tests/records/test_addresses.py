"""Postal addresses (records/addresses.py): postcodes written as Royal Mail writes them, one
address typed two ways is one, an address in one cell of an imported register is read and
checked as a step's input is, and the address a letter goes to is the preferred one, else
the only one. An address abroad ends with its country's code, which a letter prints as the
country's name in capitals; a UK address is kept as it always was."""

from __future__ import annotations

import uuid

import pytest

from records.addresses import (
    address_country,
    address_from_cell,
    address_key,
    address_text,
    country_name,
    letter_address,
    normal_country,
    normal_postcode,
)
from records.customers import ContactView
from records.errors import ValidationFailed
from records.models import ContactKind


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ("zz1 1zz", "ZZ1 1ZZ"),
        (" ZZ11ZZ ", "ZZ1 1ZZ"),
        ("sw1a 1aa", "SW1A 1AA"),
        ("M1  1AE", "M1 1AE"),
        ("gir 0aa", "GIR 0AA"),
        ("\uff3a\uff3a1 1ZZ", "ZZ1 1ZZ"),  # full width
    ],
)
def test_a_postcode_is_written_as_royal_mail_writes_it(given: str, written: str) -> None:
    assert normal_postcode(given) == written


@pytest.mark.parametrize("given", ["", "ZZ1", "12345", "ZZ1 1Z", "ZZ1 1ZZ X", "Z-Z1 1ZZ"])
def test_what_is_not_a_uk_postcode_is_none(given: str) -> None:
    assert normal_postcode(given) is None


@pytest.mark.parametrize(
    "cell",
    [
        "1 Example Street;Exampletown;zz11zz",
        " 1 Example Street ; Exampletown ; ZZ1 1ZZ ",
        "1 Example Street\nExampletown\nZZ1 1ZZ",
        "1 Example Street\r\n\r\nExampletown\r\nZZ1 1ZZ\r\n",  # an empty line skipped
        "1 Example Street;;Exampletown;ZZ1 1ZZ;",
    ],
)
def test_an_address_in_one_cell_is_its_lines_then_its_postcode(cell: str) -> None:
    assert address_from_cell(cell, "row 1 address") == "1 Example Street\nExampletown\nZZ1 1ZZ"


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("ZZ1 1ZZ", "needs the address's lines and then its postcode"),
        (" ; ", "needs the address's lines and then its postcode"),
        ("1 Example Street;Exampletown", "its last line is not a UK postcode"),
        ("ZZ1 1ZZ;1 Example Street", "its last line is not a UK postcode"),
        ("1 Example Street;Exampletown;XX", "nor, for an address abroad, a country code"),
        ("1 Example Street;Exampletown;GB", "its last line is not a UK postcode"),
        ("IE", "needs the address's lines and then its postcode"),
        ("1 Example Street;" * 8 + "IE", "has more than 7 lines before the country"),
        ("1 Example Street;" + "x" * 101 + ";IE", "line 2 is longer than 100 characters"),
        ("1 Example Street;" * 7 + "ZZ1 1ZZ", "has more than 6 lines above the postcode"),
        ("1 Example Street;" + "x" * 101 + ";ZZ1 1ZZ", "line 2 is longer than 100 characters"),
        ("1 Example\x00Street;ZZ1 1ZZ", "line 1 holds a control character"),
    ],
)
def test_a_bad_address_in_a_cell_is_refused_naming_the_part_never_the_text(
    cell: str, reason: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        address_from_cell(cell, "row 4 address")
    assert refused.value.field == "row 4 address"
    assert reason in refused.value.message
    assert "Example" not in refused.value.message and "ZZ1" not in refused.value.message


def test_one_address_typed_two_ways_is_one() -> None:
    typed = address_text(["1 Example Street", "Exampletown"], "ZZ1 1ZZ")
    again = address_text(["1  example street ", "EXAMPLETOWN"], "ZZ11ZZ")
    other = address_text(["2 Example Street", "Exampletown"], "ZZ1 1ZZ")
    assert typed == "1 Example Street\nExampletown\nZZ1 1ZZ"
    assert address_key(typed) == address_key(again) != address_key(other)


def _address(text: str, preferred: bool = False) -> ContactView:
    return ContactView(uuid.uuid4(), ContactKind.ADDRESS, text, preferred)


def test_a_letter_goes_to_the_preferred_address_else_the_only_one() -> None:
    email = ContactView(uuid.uuid4(), ContactKind.EMAIL, "a@example.org", True)
    home, other = "1 Example Street\nZZ1 1ZZ", "2 Example Road\nZZ2 2ZZ"
    assert letter_address([email, _address(other), _address(home, True)]) == (
        "1 Example Street",
        "ZZ1 1ZZ",
    )
    # The only address (an imported one is not marked preferred) is the one.
    assert letter_address([email, _address(other)]) == ("2 Example Road", "ZZ2 2ZZ")
    # Several and none preferred, or none at all: no address.
    assert letter_address([_address(home), _address(other)]) == ()
    assert letter_address([email]) == ()


@pytest.mark.parametrize(
    ("given", "code"),
    [("IE", "IE"), (" es ", "ES"), ("gb", "GB"), ("UK", None), ("XX", None), ("IRL", None)],
)
def test_a_country_is_its_iso_code(given: str, code: str | None) -> None:
    assert normal_country(given) == code


@pytest.mark.parametrize(
    ("cell", "text"),
    [
        ("1 Main Street;Dublin 2;D02 X285;ie", "1 Main Street\nDublin 2\nD02 X285\nIE"),
        ("Calle Mayor 1\n28013 Madrid\nES", "Calle Mayor 1\n28013 Madrid\nES"),
        # GB after a UK postcode says what is said without it.
        ("1 Example Street;Exampletown;zz11zz;GB", "1 Example Street\nExampletown\nZZ1 1ZZ"),
    ],
)
def test_an_address_abroad_in_one_cell_ends_with_its_country(cell: str, text: str) -> None:
    assert address_from_cell(cell, "row 1 address") == text


def test_an_address_abroad_is_kept_with_its_country_and_a_uk_one_as_before() -> None:
    dublin = address_text(["1 Main Street", "Dublin 2"], "D02 X285", "IE")
    madrid = address_text(["Calle Mayor 1", "28013 Madrid"], None, "ES")
    home = address_text(["1 Example Street"], "ZZ1 1ZZ", "GB")
    assert dublin == "1 Main Street\nDublin 2\nD02 X285\nIE"
    assert madrid == "Calle Mayor 1\n28013 Madrid\nES"
    assert home == "1 Example Street\nZZ1 1ZZ"
    assert [address_country(t) for t in (dublin, madrid, home)] == ["IE", "ES", "GB"]
    # One street in two countries is two addresses.
    assert address_key(address_text(["1 Main Street"], None, "IE")) != address_key(
        address_text(["1 Main Street"], None, "US")
    )


def test_a_letter_abroad_ends_with_the_countrys_name_in_capitals() -> None:
    dublin = _address("1 Main Street\nDublin 2\nD02 X285\nIE", True)
    assert letter_address([dublin]) == ("1 Main Street", "Dublin 2", "D02 X285", "IRELAND")
    assert letter_address([_address("Calle Mayor 1\n28013 Madrid\nES")])[-1] == "SPAIN"
    assert country_name("CI") == "C\u00f4te d'Ivoire" and country_name("AN") is None
