"""Arrangement kinds: typed parameters checked per kind with field-named errors, and neutral
handling instructions that always keep emergency contact open."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from api.demo_data import PARAMETERS as SAMPLES
from casework.arrangements import (
    EMERGENCY_NOTE,
    PARAMETERS,
    handling_instructions,
    parameters_table,
    validate_parameters,
)
from casework.steps import camel_keys
from records.errors import ValidationFailed
from records.models import ArrangementKind

LABEL_WORDS = ("vexatious", "persistent", "resource intensive", "abusive", "unreasonable")


def test_every_kind_has_typed_parameters() -> None:
    assert set(PARAMETERS) == set(ArrangementKind)
    assert set(SAMPLES) == set(ArrangementKind)


@pytest.mark.parametrize("kind", list(ArrangementKind))
def test_valid_parameters_are_stored_as_json(kind: ArrangementKind) -> None:
    stored = validate_parameters(kind, SAMPLES[kind])

    assert json.loads(json.dumps(stored)) == stored
    assert validate_parameters(kind, stored) == stored


@pytest.mark.parametrize("kind", list(ArrangementKind))
def test_camel_case_keys_are_stored_as_snake_case_keys_are(kind: ArrangementKind) -> None:
    """The API's spelling (what answers give back) and the old one store the same thing."""
    snake = SAMPLES[kind]

    assert validate_parameters(kind, camel_keys(snake)) == validate_parameters(kind, snake)


@pytest.mark.parametrize(
    ("kind", "raw", "stored"),
    [
        (ArrangementKind.CONTACT_CHANNEL, {"channels": ["LETTER", "web_form"]}, ["letter", "web_form"]),  # noqa: E501
        (ArrangementKind.ELECTRONIC_BLOCK, {"channels": ["TEXT_MESSAGE"]}, ["text_message"]),
        (ArrangementKind.CONTACT_VOLUME, {"limit": 1, "period": "day", "channel": "PHONE"}, "phone"),  # noqa: E501
    ],
)  # fmt: skip
def test_channels_are_taken_as_the_enum_spells_them_and_stored_in_lower_case(
    kind: ArrangementKind, raw: dict[str, Any], stored: Any
) -> None:
    key = "channel" if kind is ArrangementKind.CONTACT_VOLUME else "channels"

    assert validate_parameters(kind, raw)[key] == stored


@pytest.mark.parametrize(
    ("kind", "raw", "field"),
    [
        # Named as the caller spelt them, whichever spelling that was.
        (
            ArrangementKind.PREMISES_EXCLUSION,
            {"premises": ["a"], "healthAndSafty": True},
            "parameters.healthAndSafty",
        ),
        (
            ArrangementKind.PREMISES_EXCLUSION,
            {"premises": ["a"], "foo_bar": 1},
            "parameters.foo_bar",
        ),
        (
            ArrangementKind.CONTACT_SCHEDULE,
            {"days": ["monday"], "from_time": "soon", "toTime": "10:00"},
            "parameters.from_time",
        ),
        (
            ArrangementKind.CONTACT_SCHEDULE,
            {"days": ["monday"], "fromTime": "soon", "toTime": "10:00"},
            "parameters.fromTime",
        ),
        (
            ArrangementKind.CONTACT_SCHEDULE,
            {"days": ["monday"], "toTime": "10:00"},
            "parameters.fromTime",
        ),
        (ArrangementKind.ELECTRONIC_BLOCK, {"channels": ["LETTER"]}, "parameters.channels.0"),
        (ArrangementKind.CONTACT_CHANNEL, {}, "parameters.channels"),
        (ArrangementKind.CONTACT_CHANNEL, {"channels": []}, "parameters.channels"),
        (
            ArrangementKind.CONTACT_CHANNEL,
            {"channels": ["carrier pigeon"]},
            "parameters.channels.0",
        ),
        (ArrangementKind.CALL_DURATION, {"minutes": 0}, "parameters.minutes"),
        (ArrangementKind.CONTACT_VOLUME, {"limit": 3, "period": "fortnight"}, "parameters.period"),
        (ArrangementKind.NAMED_OFFICER, {"officer": "someone"}, "parameters.officer"),
        (
            ArrangementKind.CONTACT_SCHEDULE,
            {"days": ["funday"], "from_time": "09:00", "to_time": "10:00"},
            "parameters.days.0",
        ),
    ],
)
def test_bad_parameters_name_the_field_and_do_not_echo_it(
    kind: ArrangementKind, raw: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        validate_parameters(kind, raw)

    assert refused.value.field == field
    for value in ("carrier pigeon", "someone", "funday", "fortnight"):
        assert value not in refused.value.message


@pytest.mark.parametrize("kind", list(ArrangementKind))
def test_instructions_are_neutral_and_keep_emergency_contact_open(kind: ArrangementKind) -> None:
    text = handling_instructions(kind, validate_parameters(kind, SAMPLES[kind]), "Jo Example")

    assert text.endswith(EMERGENCY_NOTE)
    for word in LABEL_WORDS:
        assert word not in text.lower()


def test_named_officer_and_deputy_are_named() -> None:
    text = handling_instructions(ArrangementKind.NAMED_OFFICER, {}, "Jo Example", "Robin Example")

    assert text.startswith("Pass the contact to Jo Example (or Robin Example when they are away).")


def test_without_an_officer_contact_ended_or_suspended_is_not_routed_to_one() -> None:
    # As checkContact answers (DECLINE; FILE for the case officer), never "the named officer".
    ended = handling_instructions(ArrangementKind.CONTACT_TERMINATION, {})
    suspended = handling_instructions(ArrangementKind.SUSPENDED_CONTACT, {})

    assert "named officer" not in ended and "Contact is not taken." in ended
    assert "named officer" not in suspended and "case officer" in suspended
    assert "through Sam Officer" in handling_instructions(
        ArrangementKind.CONTACT_TERMINATION, {}, "Sam Officer"
    )


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        (
            ArrangementKind.CONTACT_CHANNEL,
            {"channels": ["letter", "email", "in_person"]},
            "Contact is by letter, email or in person only.",
        ),
        (
            ArrangementKind.CONTACT_SCHEDULE,
            {"days": ["tuesday"], "from_time": "10:00", "to_time": "12:30"},
            "Contact is taken on tuesday between 10:00 and 12:30.",
        ),
        (
            ArrangementKind.CONTACT_VOLUME,
            {"limit": 2, "period": "week", "channel": "phone"},
            "Up to 2 contact(s) per week by phone are answered;",
        ),
        (
            ArrangementKind.PREMISES_EXCLUSION,
            {"premises": ["Example Road station"], "health_and_safety": True},
            "not to attend the listed premises (health and safety).",
        ),
    ],
)
def test_instructions_carry_the_parameters(
    kind: ArrangementKind, raw: dict[str, Any], expected: str
) -> None:
    assert expected in handling_instructions(kind, validate_parameters(kind, raw))


def test_premises_names_stay_out_of_the_instructions() -> None:
    raw = {"premises": ["12 Example Street, the customer's home"]}

    text = handling_instructions(
        ArrangementKind.PREMISES_EXCLUSION,
        validate_parameters(ArrangementKind.PREMISES_EXCLUSION, raw),
    )

    assert "Example Street" not in text


def test_the_documented_list_of_parameters_is_the_models() -> None:
    """docs/workflow.md lists each kind's parameters, their types and whether required: the
    table there is the one made from the models, so it cannot drift from what is checked."""
    docs = (Path(__file__).parents[2] / "docs" / "workflow.md").read_text()
    table = docs.split("<!-- parameters: from casework/arrangements.parameters_table -->\n")[1]

    assert table.split("<!-- /parameters -->")[0] == parameters_table()
    row = "| `PREMISES_EXCLUSION` | `healthAndSafety` | `true` or `false` | no, default `false` |"
    assert row in table
