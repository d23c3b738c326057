"""Issue 16, items 1-4, 13 and 15 through the app over HTTP: documents measured after fragment
expansion, costly operations capped per document, validation messages that name only what
the caller wrote, errors that never quote a variable's value, malformed bodies answered 400
in JSON, and the graphql-response+json media type."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType
from starlette.types import Receive, Scope, Send

from api.edge import Edge
from api.rate_limits import RateLimiter
from api.runtime import Runtime
from api.settings import Settings
from schema.root import build_schema
from tests.api.test_app import log_count

STATUS = 'restrictionStatus(lookup: {email: "a@example.org"}, service: "housing")'


def fragment_bomb(levels: int = 12) -> str:
    """Each fragment spreads the next three times: 3**levels copies of the last one."""
    lines = [f"query {{ {STATUS} {{ ...F0 }} }}"]
    for level in range(levels):
        nxt = f"...F{level + 1}"
        lines.append(f"fragment F{level} on RestrictionStatus {{ {nxt} {nxt} {nxt} }}")
    lines.append(f"fragment F{levels} on RestrictionStatus {{ restricted service }}")
    return "\n".join(lines)


async def post(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, **kw: Any
) -> httpx.Response:
    return await client.post("/graphql", json={"query": query, "variables": variables}, **kw)


def messages(response: httpx.Response) -> list[str]:
    return [error["message"] for error in response.json()["errors"]]


# -- 1 and 13: what a document may ask for ---------------------------------------------------


async def test_a_fragment_bomb_is_refused_by_its_size_after_expansion(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    bomb = fragment_bomb()
    assert len(bomb) < 1000

    response = await post(client, bomb)

    (message,) = messages(response)
    assert "1062883 fields once its fragments are expanded" in message
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert await log_count(runtime) == 0


async def test_verify_runs_at_most_once_per_document(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    twice = "{ a: verifyAccessLog { ok } b: verifyAccessLog { ok } }"
    once = "{ verifyAccessLog { ok } }"

    refused = await post(client, twice)
    asked = await post(client, once)

    assert "operations cost 40; at most 30" in messages(refused)[0]
    assert await log_count(runtime) == 1  # only the single verify reached the gate
    assert asked.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # no credentials


async def test_six_access_log_pages_in_one_document_are_refused(client: httpx.AsyncClient) -> None:
    pages = " ".join(f"p{i}: accessLog(first: 500) {{ edges {{ cursor }} }}" for i in range(7))

    response = await post(client, "{ " + pages + " }")

    assert "operations cost 35" in messages(response)[0]


# -- 2: with introspection off, nothing of the schema the caller did not write ---------------


def schema_names() -> set[str]:
    """Every type, field, argument, input field and enum value name of the schema."""
    graphql_schema = build_schema()._schema
    names: set[str] = set()
    for name, kind in graphql_schema.type_map.items():
        if name.startswith("__"):
            continue
        names.add(name)
        if isinstance(kind, GraphQLObjectType):
            for field_name, field in kind.fields.items():
                names.add(field_name)
                names.update(field.args)
        elif isinstance(kind, GraphQLInputObjectType):
            names.update(kind.fields)
        elif isinstance(kind, GraphQLEnumType):
            names.update(kind.values)
    return names


PROBES = [
    '{ restrictionStatus(lookp: {email: "a@example.org"}, service: "housing") { restricted } }',
    "{ cases(filter: {state: OPE}) { edges { cursor } } }",
    "{ cases(filter: {stat: OPEN}) { edges { cursor } } }",
    "query($f: CaseCustomr) { cases { edges { cursor } } }",
    '{ case(reference: "MC-1") { detail { nme } } }',
    '{ case(reference: "MC-1") { ... on CaseDetail { notes } } }',
    "{ case { reference } }",
    '{ case(reference: "MC-1") }',
    '{ case(reference: "MC-1") { reference { x } } }',
    "query($r: Int) { case(reference: $r) { reference } }",
    '{ restrictionStatus(lookup: "x", service: "housing") { restricted } }',
    '{ accessLog(filter: {from: "alex"}) { edges { cursor } } }',
    "{ cases(first: 99999999999) { edges { cursor } } }",
    "{ restrictionStatus { restricted } }",
]


@pytest.mark.parametrize("query", PROBES)
async def test_validation_names_only_what_the_caller_wrote(
    client: httpx.AsyncClient, query: str
) -> None:
    hidden = schema_names() - set(re.findall(r"\w+", query))
    # Names with a capital (types, camelCase fields, enum values) anywhere; plain lower-case
    # names (which are also English words: "value", "field") when quoted.
    distinctive = {name for name in hidden if not name.islower()}

    response = await post(client, query)

    for message in messages(response):
        quoted = " ".join(re.findall(r"'([^']*)'", message))
        assert "Did you mean" not in message
        assert not set(re.findall(r"\w+", message)) & distinctive, message
        assert not set(re.findall(r"\w+", quoted)) & hidden, message


async def test_a_misspelt_argument_is_named_without_a_suggestion(
    client: httpx.AsyncClient,
) -> None:
    response = await post(client, PROBES[0])

    assert messages(response) == ["Unknown argument 'lookp'.", "A required argument is missing."]


# -- 3: no error quotes any part of a variable's value --------------------------------------

LOOKUP = (
    "query($l: RestrictionLookup!) "
    '{ restrictionStatus(lookup: $l, service: "housing") { restricted } }'
)
ECHOES = [
    (LOOKUP, {"l": {"emial": "alex.demo@example.org"}}, ["emial", "alex", "example"]),
    (LOOKUP, {"l": {"Email": "ALEX.DEMO@EXAMPLE.ORG"}}, ["Email", "ALEX", "EXAMPLE"]),
    (LOOKUP, {"l": "alex.demo@example.org"}, ["alex", "example"]),
    (LOOKUP, {"l": {"email": 4417}}, ["4417"]),
    (
        "query($f: DateTime) { accessLog(filter: {from: $f}) { edges { cursor } } }",
        {"f": "alex"},
        ["alex", "invalid literal", "int()"],
    ),
    (
        "query($s: CaseState) { cases(filter: {state: $s}) { edges { cursor } } }",
        {"s": "OPE"},
        ["OPE", "OPEN"],
    ),
    (
        "query($n: Int) { cases(first: $n) { edges { cursor } } }",
        {"n": "seventeen-4417"},
        ["seventeen", "4417"],
    ),
]


@pytest.mark.parametrize(("query", "variables", "parts"), ECHOES)
async def test_no_error_quotes_a_variables_value(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], parts: list[str]
) -> None:
    response = await post(client, query, variables)

    text = json.dumps(response.json()["errors"])
    assert response.json()["errors"]
    for part in parts:
        assert part not in text


# -- 4: malformed bodies are 400 with a JSON GraphQL error -----------------------------------

MALFORMED = {
    "null": b"null",
    "string": b'"x"',
    "number": b"123",
    "true": b"true",
    "nested 5,000": b"[" * 5000 + b"]" * 5000,
    "nested 30,000": b'{"query": ' + b"[" * 30000 + b"]" * 30000 + b"}",
    "5,000 digits": b'{"query": "{ __typename }", "variables": {"n": ' + b"7" * 5000 + b"}}",
    "invalid UTF-8": b'{"query": "{ \xff\xfe }"}',
    "variables 1,000 deep": (
        b'{"query": "query($l: RestrictionLookup!) { restrictionStatus(lookup: $l, service: '
        b'\\"housing\\") { restricted } }", "variables": {"l": '
        + b'{"email": ' * 1000
        + b'"x"'
        + b"}" * 1000
        + b"}}"
    ),
    "query not a string": b'{"query": 5}',
    "variables not an object": b'{"query": "{ __typename }", "variables": [1]}',
    "batch": b'[{"query": "{ __typename }"}, {"query": "{ __typename }"}]',
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_malformed_body_gets_400_in_json(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]


@pytest.mark.parametrize("body", [b"null", b"{}", b'{"variables": {}}'])
async def test_a_body_without_an_operation_says_both_ways_to_send_one(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await client.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )

    (error,) = response.json()["errors"]
    assert response.status_code == 400
    assert "`query`" in error["message"] and "`documentId`" in error["message"]


# -- 15: application/graphql-response+json ---------------------------------------------------

GRAPHQL_RESPONSE = "application/graphql-response+json"


@pytest.mark.parametrize("query", ["{ restrictionStatus(", "{ nothingHere }"])
async def test_request_errors_are_400_without_data_for_the_graphql_media_type(
    client: httpx.AsyncClient, query: str
) -> None:
    prefers = {"Accept": f"{GRAPHQL_RESPONSE}, application/json;q=0.9"}

    modern = await post(client, query, headers=prefers)
    classic = await post(client, query, headers={"Accept": "application/json"})

    assert modern.status_code == 400
    assert modern.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert "data" not in modern.json() and modern.json()["errors"]
    assert classic.status_code == 200
    assert classic.headers["content-type"].startswith("application/json")
    assert classic.json()["data"] is None


async def test_a_field_error_stays_200_with_data_for_the_graphql_media_type(
    client: httpx.AsyncClient,
) -> None:
    response = await post(
        client, "{ verifyAccessLog { ok } }", headers={"Accept": GRAPHQL_RESPONSE}
    )

    assert response.status_code == 200
    assert "data" in response.json()
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# -- 4: whatever escapes the app is still a JSON answer with its request id -------------------


async def test_an_escaped_exception_is_a_json_500_with_the_request_id() -> None:
    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("alex.demo@example.org")

    app = Edge(
        broken,
        limiter=RateLimiter(Settings()),
        known_paths=["/graphql"],
        api_paths=["/graphql"],
        guarded_paths=["/graphql"],
        budget_seconds=10,
        max_body_bytes=1024,
        hsts=True,
        cors_origins=[],
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://tact.test") as http:
        response = await http.post("/graphql", json={"query": "{ __typename }"})

    assert response.status_code == 500
    (error,) = response.json()["errors"]
    assert error == {
        "message": "Internal error.",
        "extensions": {"code": "INTERNAL", "requestId": response.headers["x-request-id"]},
    }
    assert "alex" not in response.text
