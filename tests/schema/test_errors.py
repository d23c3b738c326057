"""schema/errors.py: Tact's errors keep their code (and field), request errors lose any
echoed input, anything else is masked; the operator's log holds no messages."""

from __future__ import annotations

import json
import logging

import pytest
from graphql import GraphQLError

from api.logging import JsonFormatter
from records.errors import (
    DecryptionFailed,
    Forbidden,
    InvalidTransition,
    KeyMaterialError,
    NotFound,
    TactError,
    Unauthenticated,
    ValidationFailed,
)
from schema.errors import Concealment, log_errors, present


class NarrowerForbidden(Forbidden):
    """Stands for a subclass another area might raise."""


def located(original: Exception | None, message: str = "raw message") -> GraphQLError:
    return GraphQLError(message, path=["restrictionStatus"], original_error=original)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (NotFound("case MC-2026-ABC123 not found"), "NOT_FOUND"),
        (Forbidden("not permitted: read_case"), "FORBIDDEN"),
        (NarrowerForbidden("not permitted"), "FORBIDDEN"),
        (Unauthenticated("the credentials presented were not accepted"), "UNAUTHENTICATED"),
        (InvalidTransition("a closed case cannot be warned"), "INVALID_TRANSITION"),
        (ValidationFailed("lookup.email", "is not an email address"), "VALIDATION_FAILED"),
    ],
)
def test_the_callers_errors_keep_message_and_gain_a_code(error: TactError, code: str) -> None:
    shown = present(located(error), {}, "req-9")

    assert shown.message == error.message
    assert shown.extensions is not None
    assert shown.extensions["code"] == code
    assert shown.extensions["requestId"] == "req-9"
    assert shown.path == ["restrictionStatus"]


def test_a_validation_error_names_its_field() -> None:
    shown = present(
        located(ValidationFailed("lookup.phone", "is not a telephone number")), {}, None
    )

    assert shown.extensions == {"code": "VALIDATION_FAILED", "field": "lookup.phone"}


def test_a_value_that_fails_its_integrity_check_has_its_own_code_and_names_no_place() -> None:
    failed = DecryptionFailed(
        "arrangements.parameters_sealed of row 42 failed to decrypt",
        place="arrangements.parameters_sealed 42",
    )
    shown = present(located(failed), {}, "req-1")

    assert shown.extensions == {"code": "INTEGRITY_FAILURE", "requestId": "req-1"}
    assert shown.message.startswith("A stored record failed its integrity check")
    assert "arrangements" not in shown.message and "42" not in shown.message
    assert shown.original_error is None


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("alex.demo@example.org broke something"),
        KeyError("customers.name"),
        KeyMaterialError("the key file does not match"),
        TactError("a plain TactError"),
    ],
)
def test_everything_else_is_masked(error: Exception) -> None:
    shown = present(located(error), {}, "req-1")

    assert shown.message == "Internal error."
    assert shown.extensions == {"code": "INTERNAL", "requestId": "req-1"}
    assert shown.original_error is None


@pytest.mark.parametrize(
    ("message", "kept", "field"),
    [
        (
            "Variable '$l' has invalid value at .email: String cannot represent a non string "
            "value: 4417",
            "Variable '$l' has an invalid value at l.email: it is not of the expected type.",
            "l.email",
        ),
        (
            "Variable '$l' has invalid value: Expected value of type 'RestrictionLookup' not to "
            "include unknown field 'bogus', found: {'bogus': 'x4417'}.",
            "Variable '$l' has an invalid value: it has a field its type does not define.",
            "l",
        ),
        (
            "Variable '$i' has invalid value at .arrangements[2].kind: Value 'x4417' does not "
            "exist in 'ArrangementKind' enum.",
            "Variable '$i' has an invalid value at i.arrangements.2.kind: it is not one of the "
            "allowed values.",
            "i.arrangements.2.kind",
        ),
    ],
)
def test_request_errors_name_the_field_and_lose_the_input_they_quote(
    message: str, kept: str, field: str
) -> None:
    shown = present(located(None, message), {}, None)

    assert shown.message == kept
    assert "4417" not in shown.message
    assert shown.extensions == {"code": "GRAPHQL_VALIDATION_FAILED", "field": field}


def test_a_required_field_left_out_is_named_unless_introspection_is_off() -> None:
    message = (
        "Variable '$input' has invalid value at .customer: Expected value of type "
        "'CustomerLookupInput' to include required field 'email', found: {'x4417': 1}."
    )

    shown = present(located(None, message), {}, None)
    concealed = present(located(None, message), {}, None, Concealment.of("{ x }", frozenset()))

    assert shown.extensions["field"] == "input.customer.email"
    assert shown.message == (
        "Variable '$input' has an invalid value at input.customer.email: a required field is "
        "missing."
    )
    assert concealed.extensions["field"] == "input.customer"
    assert "email" not in concealed.message and "4417" not in concealed.message


@pytest.mark.parametrize(
    ("path", "field", "fault"),
    [
        ("", "lookup", "give exactly one of its fields"),
        (" at .lookup", "contact.lookup", "give exactly one of its fields"),
        (" at .lookup.email", "contact.lookup.email", "must not be null"),
    ],
)
def test_a_one_of_violation_in_a_variable_names_where_it_is(
    path: str, field: str, fault: str
) -> None:
    variable = field.split(".")[0]
    message = (
        f"Variable '${variable}' has invalid value{path}: Within OneOf Input Object type "
        "'RestrictionLookup', exactly one field must be specified, and the value for that "
        "field must be non-null."
    )
    members = {"RestrictionLookup": frozenset({"email", "phone", "customerRef"})}

    shown = present(located(None, message), members, None)

    assert shown.message == f"{field}: {fault}"
    assert shown.extensions == {"code": "VALIDATION_FAILED", "field": field}


def test_the_log_holds_codes_and_frames_never_messages(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tact.graphql")
    try:
        raise RuntimeError("alex.demo@example.org")
    except RuntimeError as exc:
        internal = exc
    errors = [
        located(internal),
        located(NotFound("case MC-1 not found")),
        located(None, "found: 'alex.demo@example.org'"),
    ]

    log_errors(errors, None)

    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records]
    assert [line["event"] for line in lines] == [
        "graphql_internal_error",
        "graphql_error",
        "graphql_request_refused",
    ]
    assert lines[0]["exception"]["type"] == "RuntimeError"
    assert lines[1]["code"] == "NOT_FOUND"
    assert "alex.demo" not in json.dumps(lines)
