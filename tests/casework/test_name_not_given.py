"""A customer whose name is not given: the lookup's `name_withheld` and what it refuses,
naming the field (over HTTP: tests/scenarios/test_name_not_given.py), and every letter's
greeting when there is no name to print."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from casework import step_models as m
from casework.letters import LetterFacts, render_letter
from casework.profiles import load_profile, profile_names

EMAIL = "no.name.given@example.org"
ON = dt.date(2026, 3, 2)


@pytest.mark.parametrize(
    "given",
    [
        {"email": EMAIL, "name_withheld": True},
        {"phone": "07700 900123", "name_withheld": True},
        # A reference the council gave them, beside the contact detail they are known by.
        {"email": EMAIL, "customer_ref": "RCT-A2-7", "name_withheld": True},
    ],
)
def test_a_name_withheld_with_an_email_or_phone_is_accepted(given: dict[str, Any]) -> None:
    lookup = m.CustomerLookup.model_validate(given)
    assert lookup.name_withheld is True and lookup.name is None


def test_a_name_is_not_withheld_unless_said() -> None:
    assert m.CustomerLookup.model_validate({"email": EMAIL}).name_withheld is False


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({"email": EMAIL, "name": "Someone Sample", "name_withheld": True}, "not both"),
        ({"customer_ref": "RCT-A2-7", "name_withheld": True}, "email or a phone number"),
    ],
)
def test_a_contradiction_is_refused_naming_name_withheld(given: dict[str, Any], says: str) -> None:
    with pytest.raises(ValidationError) as refused:
        m.CustomerLookup.model_validate(given)
    message = str(refused.value.errors(include_input=False)[0]["msg"])
    assert message.removeprefix("Value error, ").startswith("nameWithheld: ")
    assert says in message
    assert EMAIL not in message and "Someone Sample" not in message


@pytest.mark.parametrize("name", profile_names())
def test_every_profiles_letter_greets_a_customer_without_a_name_plainly(name: str) -> None:
    """Every letter starts from the one heading (letters/_heading.txt.j2): the letter that
    restrictions ended, which needs no step's details, stands for them all here; the warning
    and decision letters are read over HTTP in tests/scenarios/test_name_not_given.py."""
    facts = LetterFacts(
        reference="MC-2026-ABCDE-FGHJK", customer_name=None, sent_on=ON, details={}, step_on=ON
    )

    letter = render_letter(load_profile(name), m.NotificationSubject.ENDED, facts)

    assert "\n\nDear correspondent,\n" in letter
    assert "Dear ," not in letter and "None" not in letter
