"""GraphQL over HTTP at Tact's edge: reading a request body, and the shape of refusals.

The body is read here rather than by strawberry, so that whatever arrives (JSON `null`, a
number, 30,000 nested brackets, a 5,000-digit integer, invalid UTF-8, a batch, variables
nested a thousand deep, a lone surrogate in a string) is a 400 with a JSON GraphQL error,
never a 500. Only a well-formed single request reaches the schema.

Media types (GraphQL over HTTP): a client whose Accept prefers
`application/graphql-response+json` gets that type, and a request error (parse, validation,
variable coercion: no field ran) is a 400 without a `data` entry; `application/json` keeps
the classic behaviour (200, `"data": null`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from starlette.responses import JSONResponse
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
# Input objects in this schema nest two or three levels; lists of them one more.
MAX_VARIABLE_DEPTH = 16
BAD_REQUEST = "BAD_REQUEST"
_CODES_BY_STATUS = {400: BAD_REQUEST, 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


class BadRequest(Exception):
    """A request refused before the schema sees it; `field` names a variable's path."""

    def __init__(
        self, message: str, *, code: str = BAD_REQUEST, field: str | None = None, status: int = 400
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        self.status = status


def read_request(
    body: bytes, registered: Callable[[str], str | None] = lambda _id: None
) -> GraphQLRequestData:
    """The one GraphQL request in a POST body, or BadRequest saying what is wrong with it.
    A persisted document (schema/persisted.py) is sent as `documentId` instead of `query`;
    `registered` gives a registered document's text by its id."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("the body is not UTF-8 text") from None
    except (ValueError, RecursionError):
        # RecursionError: nesting deeper than the parser goes; ValueError also covers an
        # integer over Python's digit limit.
        raise BadRequest("the body is not a JSON document Tact can read") from None
    if isinstance(data, list):
        raise BadRequest("one operation per request: batches are not accepted")
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object with a `query` or a `documentId`")
    query, variables = data.get("query"), data.get("variables")
    operation_name, extensions = data.get("operationName"), data.get("extensions")
    if "documentId" in data:
        query = _registered_text(data["documentId"], query, registered)
    if not isinstance(query, str):
        raise BadRequest("give a `query` (a string) or a registered `documentId`")
    if not isinstance(variables, dict | None) or not isinstance(extensions, dict | None):
        raise BadRequest("`variables` and `extensions` must be objects when given")
    if not isinstance(operation_name, str | None):
        raise BadRequest("`operationName` must be a string when given")
    _check_values(variables or {})
    return GraphQLRequestData(
        query=query, variables=variables, operation_name=operation_name, extensions=extensions
    )


def _registered_text(wanted: object, query: object, registered: Callable[[str], str | None]) -> str:
    if query is not None:
        raise BadRequest("send either `query` or `documentId`, not both")
    if not isinstance(wanted, str):
        raise BadRequest("`documentId` must be a string", field="documentId")
    text = registered(wanted)
    if text is None:
        raise BadRequest(
            "no registered document has this id (`tact schema documents` lists them)",
            code="PERSISTED_DOCUMENT_NOT_FOUND",
            field="documentId",
        )
    return text


def _check_values(variables: Mapping[str, Any]) -> None:
    """Depth, and text that is not storable Unicode (a lone surrogate, a NUL).
    Iterative, so depth costs no stack. The error names the variable's path, never a value."""
    pending: list[tuple[str, Any, int]] = [(name, value, 1) for name, value in variables.items()]
    while pending:
        path, value, depth = pending.pop()
        if depth > MAX_VARIABLE_DEPTH:
            raise BadRequest(f"variables nest at most {MAX_VARIABLE_DEPTH} levels deep")
        if isinstance(value, str):
            if not _is_unicode(value):
                raise BadRequest(f"{path}: is not valid text", code="VALIDATION_FAILED", field=path)
        elif isinstance(value, dict):
            for key, item in value.items():
                if not _is_unicode(key):
                    raise BadRequest(
                        f"{path}: is not valid text", code="VALIDATION_FAILED", field=path
                    )
                pending.append((f"{path}.{key}", item, depth + 1))
        elif isinstance(value, list):
            pending.extend((path, item, depth + 1) for item in value)


def _is_unicode(text: str) -> bool:
    """Storable text: encodable as UTF-8 (no lone surrogate) and without NUL, which
    PostgreSQL's text type cannot hold."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def error_response(
    message: str,
    *,
    status: int,
    code: str | None = None,
    field: str | None = None,
    request_id: str | None = None,
    headers: Mapping[str, str] | None = None,
    media_type: str = JSON,
) -> JSONResponse:
    """A GraphQL-shaped refusal: {"errors": [{"message", "extensions": {code, ...}}]}."""
    extensions: dict[str, Any] = {"code": code or _CODES_BY_STATUS.get(status, BAD_REQUEST)}
    if field is not None:
        extensions["field"] = field
    if request_id is not None:
        extensions["requestId"] = request_id
    return JSONResponse(
        {"errors": [{"message": message, "extensions": extensions}]},
        status_code=status,
        headers=dict(headers or {}),
        media_type=media_type,
    )


def refusal(refused: Exception, request_id: str) -> JSONResponse:
    """The JSON answer to a BadRequest, or to one of strawberry's own HTTP refusals."""
    if isinstance(refused, BadRequest):
        return error_response(
            refused.message,
            status=refused.status,
            code=refused.code,
            field=refused.field,
            request_id=request_id,
        )
    status = int(getattr(refused, "status_code", 400))
    reason = str(getattr(refused, "reason", "the request was refused"))
    return error_response(reason, status=status, request_id=request_id)


def preferred_media_type(accept: str) -> str:
    """GRAPHQL_RESPONSE when the Accept header ranks it above application/json, else JSON."""
    ranks: dict[str, float] = {}
    for part in accept.split(","):
        kind, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranks[kind.lower()] = max(quality, ranks.get(kind.lower(), 0.0))
    graphql, json_rank = ranks.get(GRAPHQL_RESPONSE, 0.0), ranks.get(JSON, 0.0)
    return GRAPHQL_RESPONSE if graphql > 0 and graphql >= json_rank else JSON


def is_request_error(result: ExecutionResult) -> bool:
    """No field ran: the document failed to parse or validate, or a variable to coerce."""
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or ())
    )
