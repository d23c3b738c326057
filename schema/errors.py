"""The one place where errors become GraphQL errors.

- Tact's own errors that are the caller's to act on (TactError subclasses in CODES) keep
  their message and gain `extensions.code`; ValidationFailed also gains `extensions.field`.
- Errors in the request itself (syntax, validation, variable values) keep graphql-core's
  message with any echoed input value cut off, and a GRAPHQL_* code. A OneOf input given
  zero or several members names the argument at fault as `extensions.field`.
- Everything else is masked: "Internal error." with code INTERNAL, no message, no trace.

Every error gets `extensions.requestId`, so a caller can quote it and an operator find the
log line. Errors are logged without messages: ids, codes and, for internal errors, the
exception's type and stack frames (see api/logging.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from graphql import GraphQLError, GraphQLInputObjectType, GraphQLSchema, get_named_type
from strawberry.schema.schema_converter import GraphQLCoreConverter

from records.errors import (
    Forbidden,
    InvalidTransition,
    NotFound,
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
}
INTERNAL = "INTERNAL"
INTERNAL_MESSAGE = "Internal error."
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
REQUEST_INVALID = "GRAPHQL_VALIDATION_FAILED"

# graphql-core quotes the offending input in some messages ("..., found: {...}",
# "...non string value: 5"); that input can be an email address or a phone number.
_ECHOED_FOUND = re.compile(r"[;,]?\s*found:?\s.*$", re.DOTALL)
_ECHOED_VALUE = re.compile(r"(cannot represent[^:]*value):\s.*$", re.DOTALL)
_ONE_OF_TYPE = re.compile(r"OneOf Input Object '(\w+)' must specify exactly one key")
_ONE_OF_MEMBER = re.compile(r"Value for member field '(\w+)' must be non-null")


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


def _request_error(message: str, one_of: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    message = _ECHOED_VALUE.sub(r"\1", _ECHOED_FOUND.sub("", message)).rstrip(" .:;,") + "."
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
    return message, {"code": code}


def present(error: GraphQLError, one_of: Mapping[str, str], request_id: str | None) -> GraphQLError:
    """The error as the caller sees it."""
    original = error.original_error
    extensions: dict[str, Any]
    if isinstance(original, TactError) and (code := code_for(original)) is not None:
        message, extensions = original.message, {"code": code}
        if isinstance(original, ValidationFailed):
            extensions["field"] = original.field
    elif original is None or isinstance(original, GraphQLError):
        message, extensions = _request_error(error.message, one_of)
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
    errors: list[GraphQLError], one_of: Mapping[str, str], context: object
) -> list[GraphQLError]:
    request_id = _request_id(context)
    return [present(error, one_of, request_id) for error in errors]
