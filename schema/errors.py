"""The one place where errors become GraphQL errors.

- Tact's own errors that are the caller's to act on (TactError subclasses in CODES) keep
  their message and gain `extensions.code`; ValidationFailed also gains `extensions.field`.
- Errors in the request itself (syntax, validation, variable values) keep graphql-core's
  message with any echoed input value cut off, and a GRAPHQL_* code. A OneOf input given
  zero or several members names the argument at fault as `extensions.field`. A variable's
  value is never quoted, not even a key or an enum name in it: the message names the
  variable and the kind of fault. With introspection off (Concealment), a message names
  only what the caller wrote and suggests nothing; one that would name more of the schema
  is replaced by a neutral one (its location still points at the fault).
- A caller over a rate limit (RateLimited) gets RATE_LIMITED and `extensions.retryAfter`.
- A stored value that fails its integrity check (DecryptionFailed: altered in the database)
  gets INTEGRITY_FAILURE with a fixed message naming no table, row or value.
- Everything else is masked: "Internal error." with code INTERNAL, no message, no trace.

Every error gets `extensions.requestId`, so a caller can quote it and an operator find the
log line. Errors are logged without messages: ids, codes and, for internal errors, the
exception's type and stack frames (see api/logging.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError, GraphQLInputObjectType, GraphQLSchema, get_named_type
from strawberry.schema.schema_converter import GraphQLCoreConverter

from records.errors import (
    DecryptionFailed,
    Forbidden,
    InvalidTransition,
    NotFound,
    RateLimited,
    TactError,
    Unauthenticated,
    ValidationFailed,
)

log = logging.getLogger("tact.graphql")

CODES: dict[type[TactError], str] = {
    NotFound: "NOT_FOUND",
    Forbidden: "FORBIDDEN",
    Unauthenticated: "UNAUTHENTICATED",
    InvalidTransition: "INVALID_TRANSITION",
    ValidationFailed: "VALIDATION_FAILED",
    RateLimited: "RATE_LIMITED",
    DecryptionFailed: "INTEGRITY_FAILURE",
}
# The caller learns that stored data failed its check, not where: the place is in the access
# log and the operator's log, under the request id.
INTEGRITY_MESSAGE = (
    "A stored record failed its integrity check, so it is not shown. The attempt is in the "
    "access log; quote the request id to your information governance officer."
)
INTERNAL = "INTERNAL"
INTERNAL_MESSAGE = "Internal error."
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
REQUEST_INVALID = "GRAPHQL_VALIDATION_FAILED"

# graphql-core quotes the offending input in some messages ("..., found: {...}",
# "...non string value: 5", Python's own parse errors after a scalar's name); that input can
# be an email address or a phone number.
_ECHOED_FOUND = re.compile(r"[;,.]?\s*found:?\s.*$", re.DOTALL | re.IGNORECASE)
_ECHOED_VALUE = re.compile(r"(cannot represent[^:]*):\s.*$", re.DOTALL)
_ONE_OF_TYPE = re.compile(r"OneOf Input Object '(\w+)' must specify exactly one key")
_ONE_OF_MEMBER = re.compile(r"Value for member field '(\w+)' must be non-null")
# A variable's value is never quoted back, not even its keys or an enum name in it: the
# message says which variable, and what kind of fault, in words of its own.
# graphql-core says where in the value the fault is (" at .arrangements[0].kind"): those
# are the type's own field names and list positions, so they are kept, as `extensions.field`.
_VARIABLE_VALUE = re.compile(r"Variable '\$(\w+)' has invalid value((?: at )?(?:\.\w+|\[\d+\])*)")
_PATH_STEP = re.compile(r"\.(\w+)|\[(\d+)\]")
# A required field left out is named too (the schema's name, not the caller's input), unless
# introspection is off: then the caller is told only where, not what the schema wants.
_REQUIRED_FIELD = re.compile(r"to include required field '(\w+)'")
_VARIABLE_FAULTS = (
    ("unknown field", "it has a field its type does not define"),
    ("does not exist in", "it is not one of the allowed values"),
    ("to be an object", "an object is expected"),
    ("not to be null", "a value is missing"),
    ("must not be null", "a value is missing"),
    ("include required field", "a required field is missing"),
    ("to be provided", "no value was given"),
    ("cannot represent", "it is not of the expected type"),
)


def code_for(error: TactError) -> str | None:
    """The GraphQL code for one of Tact's errors; None when it is not the caller's to see."""
    for cls in type(error).__mro__:
        if cls in CODES:
            return CODES[cls]
    return None


def one_of_arguments(schema: GraphQLSchema) -> dict[str, str]:
    """OneOf input type name -> the argument that takes it ("RestrictionLookup" -> "lookup"),
    read from the schema once, so a OneOf violation can name its field."""
    found: dict[str, str] = {}
    for root in (schema.query_type, schema.mutation_type):
        for field in (root.fields if root else {}).values():
            for name, argument in field.args.items():
                named = get_named_type(argument.type)
                if isinstance(named, GraphQLInputObjectType) and _is_one_of(named):
                    found.setdefault(named.name, name)
    return found


def _is_one_of(input_type: GraphQLInputObjectType) -> bool:
    # strawberry checks OneOf itself (its definition is kept in the type's extensions);
    # graphql-core's own flag covers schemas built without strawberry.
    definition = input_type.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return input_type.is_one_of or bool(getattr(definition, "is_one_of", False))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _request_error(
    message: str, one_of: Mapping[str, str], concealed: Concealment | None
) -> tuple[str, dict[str, Any]]:
    if match := _ONE_OF_TYPE.search(message):
        field = one_of.get(match.group(1), match.group(1))
        return f"{field}: give exactly one of its fields", {
            "code": CODES[ValidationFailed],
            "field": field,
        }
    if match := _ONE_OF_MEMBER.search(message):
        member = _camel(match.group(1))
        field = f"{next(iter(one_of.values()))}.{member}" if len(one_of) == 1 else member
        return f"{field}: must not be null", {"code": CODES[ValidationFailed], "field": field}
    code = PARSE_FAILED if message.startswith("Syntax Error") else REQUEST_INVALID
    if match := _VARIABLE_VALUE.match(message):
        field = match.group(1) + "".join(
            f".{name or index}" for name, index in _PATH_STEP.findall(match.group(2))
        )
        if concealed is None and (required := _REQUIRED_FIELD.search(message)):
            field += f".{required.group(1)}"
        return _variable_message(match.group(1), field, message), {"code": code, "field": field}
    message = _ECHOED_VALUE.sub(r"\1", _ECHOED_FOUND.sub("", message)).rstrip(" .:;,") + "."
    if concealed is not None:
        message = concealed.message(message).rstrip(" .:;,") + "."
    return message, {"code": code}


def _variable_message(variable: str, field: str, message: str) -> str:
    """The fault in words of its own, at the field it is in (`input.category`): never the
    value, nor a key or an enum name from it."""
    where = f" at {field}" if field != variable else ""
    for words, fault in _VARIABLE_FAULTS:
        if words in message:
            return f"Variable '${variable}' has an invalid value{where}: {fault}."
    return f"Variable '${variable}' has an invalid value{where}."


# With introspection off, a validation message may name only what the caller wrote: these
# rewrites keep the caller's own names and drop the schema's; a message that would still name
# anything else becomes _CONCEALED (its location still points at the fault).
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")
_REWRITES = (
    (re.compile(r"^'anonymous' (exceeds maximum operation depth)"), r"The operation \1"),
    (re.compile(r"^Cannot query field '(\w+)' on type '\w+'\."), r"Cannot query field '\1' here."),
    (re.compile(r"^Unknown argument '(\w+)' on field '[\w.]+'\."), r"Unknown argument '\1'."),
    (
        re.compile(r"^Argument '[^']*' of type '[^']*' is required.*"),
        "A required argument is missing.",
    ),
    (
        re.compile(r"^Field '(\w+)' of type '[^']*' must have a selection of subfields\."),
        r"Field '\1' must have a selection of subfields.",
    ),
    (
        re.compile(r"^Field '(\w+)' must not have a selection since .*"),
        r"Field '\1' must not have a selection.",
    ),
    (
        re.compile(r"^Variable '(\$\w+)' of type '[^']*' used in position expecting .*"),
        r"Variable '\1' is not of the type expected here.",
    ),
    (
        re.compile(r"^Value '(\w+)' does not exist in '\w+' enum\."),
        r"Value '\1' is not allowed here.",
    ),
    (
        re.compile(r"^Expected value of type '[^']*' not to include unknown field '(\w+)'\."),
        r"Unknown input field '\1'.",
    ),
    (
        re.compile(r"^Expected value of type '[^']*' to be an object\."),
        "An object is expected here.",
    ),
    (
        re.compile(r"^[\w ]*cannot represent.*$", re.DOTALL),
        "The value here is not of the expected type.",
    ),
)
_CONCEALED = "The query does not fit the schema here."
_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")


@dataclass(frozen=True)
class Concealment:
    """What a caller may be told with introspection off: the names they wrote (every name
    in their query text) and nothing else of the schema's (its type names)."""

    written: frozenset[str]
    type_names: frozenset[str]

    @classmethod
    def of(cls, query: str | None, type_names: frozenset[str]) -> Concealment:
        return cls(frozenset(_NAME.findall(query or "")), type_names)

    def message(self, message: str) -> str:
        message = _SUGGESTION.sub("", message)
        for pattern, replacement in _REWRITES:
            message = pattern.sub(replacement, message)
        quoted = " ".join(a or b for a, b in _QUOTED.findall(message))
        named = set(_NAME.findall(quoted))
        named |= {word for word in _NAME.findall(message) if word in self.type_names}
        return message if named <= self.written else _CONCEALED


def present(
    error: GraphQLError,
    one_of: Mapping[str, str],
    request_id: str | None,
    concealed: Concealment | None = None,
) -> GraphQLError:
    """The error as the caller sees it. With `concealed` (introspection off), request
    errors name nothing of the schema the caller did not write, and suggest nothing."""
    original = error.original_error
    extensions: dict[str, Any]
    if isinstance(original, TactError) and (code := code_for(original)) is not None:
        message, extensions = original.message, {"code": code}
        if isinstance(original, DecryptionFailed):
            message = INTEGRITY_MESSAGE
        if isinstance(original, ValidationFailed):
            extensions["field"] = original.field
        if isinstance(original, RateLimited):
            extensions["retryAfter"] = original.retry_after
    elif original is None or isinstance(original, GraphQLError):
        message, extensions = _request_error(error.message, one_of, concealed)
    else:
        message, extensions = INTERNAL_MESSAGE, {"code": INTERNAL}
    if request_id is not None:
        extensions["requestId"] = request_id
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


def _request_id(context: object) -> str | None:
    value = getattr(context, "request_id", None)
    return value if isinstance(value, str) else None


def log_errors(errors: list[GraphQLError], context: object) -> None:
    """Operator's log: codes, paths and ids; never messages, variables or query text."""
    request_id = _request_id(context)
    for error in errors:
        original = error.original_error
        path = ".".join(str(p) for p in error.path) if error.path else None
        if original is None or isinstance(original, GraphQLError):
            log.info(
                "graphql request refused",
                extra={"event": "graphql_request_refused", "request_id": request_id},
            )
        elif isinstance(original, TactError) and code_for(original) is not None:
            log.info(
                "graphql error",
                extra={
                    "event": "graphql_error",
                    "code": code_for(original),
                    "path": path,
                    "request_id": request_id,
                },
            )
        else:
            log.error(
                "graphql internal error",
                exc_info=(type(original), original, original.__traceback__),
                extra={"event": "graphql_internal_error", "path": path, "request_id": request_id},
            )


def present_all(
    errors: list[GraphQLError],
    one_of: Mapping[str, str],
    context: object,
    concealed: Concealment | None = None,
) -> list[GraphQLError]:
    request_id = _request_id(context)
    return [present(error, one_of, request_id, concealed) for error in errors]
