"""The one place where errors become GraphQL errors.

- Tact's own errors that are the caller's to act on (TactError subclasses in CODES) keep
  their message and gain `extensions.code`; ValidationFailed also gains `extensions.field`.
- Errors in the request itself (syntax, validation, variable values) keep graphql-core's
  message with any echoed input value cut off, and a GRAPHQL_* code. A OneOf input given
  zero or several members, or a null one, is VALIDATION_FAILED naming where it is in the
  caller's input as `extensions.field` (`lookup`, `contact.lookup.email`). A variable's
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

from graphql import (
    BREAK,
    ArgumentNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLSchema,
    Node,
    NullValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    Visitor,
    parse,
    visit,
)
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
# A OneOf fault, as graphql-core words it (in a variable, after the path to it, or in the
# query text) and as strawberry's own rule does (in the query text).
_ONE_OF = re.compile(
    r"Within OneOf Input Object type '(\w+)'|OneOf Input Object '(\w+)' must specify"
    r"|Field '(\w+)\.\w+' must be non-null"
)
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


def one_of_types(schema: GraphQLSchema) -> dict[str, frozenset[str]]:
    """OneOf input type name -> its members ("RestrictionLookup" -> email, phone,
    customerRef). Each is marked OneOf for graphql-core too (strawberry keeps the mark in its
    own definition), so graphql-core refuses a variable's OneOf fault itself, saying where
    in the variable it is, before strawberry's check, which says nothing of where."""
    found: dict[str, frozenset[str]] = {}
    for named in schema.type_map.values():
        if isinstance(named, GraphQLInputObjectType) and _is_one_of(named):
            named.is_one_of = True
            found[named.name] = frozenset(named.fields)
    return found


def _is_one_of(input_type: GraphQLInputObjectType) -> bool:
    # strawberry checks OneOf itself (its definition is kept in the type's extensions);
    # graphql-core's own flag covers schemas built without strawberry.
    definition = input_type.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return input_type.is_one_of or bool(getattr(definition, "is_one_of", False))


class _PathTo(Visitor):
    """Where the input object at `start` in the query text is, by argument and field names
    (`contact.lookup`)."""

    def __init__(self, start: int) -> None:
        super().__init__()
        self.start = start
        self.path: str | None = None

    def enter_object_value(
        self, node: ObjectValueNode, _key: Any, parent: Any, _path: Any, ancestors: Any
    ) -> Any:
        if node.loc is None or node.loc.start != self.start:
            return None
        named = (n for n in (*ancestors, parent) if isinstance(n, ArgumentNode | ObjectFieldNode))
        self.path = ".".join(n.name.value for n in named)
        return BREAK


def _one_of_literal(nodes: list[Node] | None) -> str | None:
    """The field at fault of a OneOf input object written in the query text: the object, or
    its one member when that member is null. None when the error has no such object."""
    node = nodes[0] if nodes else None
    if not isinstance(node, ObjectValueNode) or node.loc is None:
        return None
    finder = _PathTo(node.loc.start)
    visit(parse(node.loc.source), finder)
    if finder.path is None:
        return None
    if len(node.fields) == 1 and isinstance(node.fields[0].value, NullValueNode):
        return f"{finder.path}.{node.fields[0].name.value}"
    return finder.path


def _one_of_fault(
    message: str, nodes: list[Node] | None, one_of: Mapping[str, frozenset[str]]
) -> tuple[str, dict[str, Any]] | None:
    """A OneOf fault as VALIDATION_FAILED naming where it is; None for any other error."""
    if not (match := _ONE_OF.search(message)):
        return None
    if variable := _VARIABLE_VALUE.match(message):
        field = _variable_field(variable)
    else:
        field = _one_of_literal(nodes) or next(name for name in match.groups() if name)
    members = one_of.get(next(name for name in match.groups() if name), frozenset())
    fault = (
        "must not be null"
        if field.rpartition(".")[2] in members
        else "give exactly one of its fields"
    )
    return f"{field}: {fault}", {"code": CODES[ValidationFailed], "field": field}


def _variable_field(match: re.Match[str]) -> str:
    """`contact.lookup` from "Variable '$contact' has invalid value at .lookup"."""
    return match.group(1) + "".join(
        f".{name or index}" for name, index in _PATH_STEP.findall(match.group(2))
    )


def _request_error(
    error: GraphQLError, one_of: Mapping[str, frozenset[str]], concealed: Concealment | None
) -> tuple[str, dict[str, Any]]:
    message = error.message
    if one_of_fault := _one_of_fault(message, error.nodes, one_of):
        return one_of_fault
    code = PARSE_FAILED if message.startswith("Syntax Error") else REQUEST_INVALID
    if match := _VARIABLE_VALUE.match(message):
        field = _variable_field(match)
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
    one_of: Mapping[str, frozenset[str]],
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
        message, extensions = _request_error(error, one_of, concealed)
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
    one_of: Mapping[str, frozenset[str]],
    context: object,
    concealed: Concealment | None = None,
) -> list[GraphQLError]:
    """Each error as the caller sees it, the first one said of each place only: a OneOf fault
    in the query text is reported by graphql-core and by strawberry alike, and one whose only
    field is unknown is also reported as having none."""
    request_id = _request_id(context)
    shown: dict[tuple[str, str], GraphQLError] = {}
    for error in errors:
        presented = present(error, one_of, request_id, concealed)
        where = (presented.extensions or {}).get("field") or presented.message
        shown.setdefault((str(where), repr(presented.locations)), presented)
    return list(shown.values())
