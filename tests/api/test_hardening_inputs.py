"""Issue 16, items 8 and 12 over HTTP: existence oracles closed (one answer for what exists
out of sight and for what does not; the access log keeps the truth), unchecked inputs named
as VALIDATION_FAILED, and a property-based walk over every argument of every operation that
no input answers INTERNAL.

The walk reads the operations from the schema, so an operation added later is walked too."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from api.runtime import Runtime
from records.models import AccessLogEntry
from schema.errors import one_of_types
from schema.root import build_schema
from tests.api.app_fixtures import FixedClock
from tests.api.case_world import CaseWorld, bearer, build_case_world
from tests.api.portal_world import api_key

CASE = "query($r: String!) { case(reference: $r) { reference } }"
STATUS = (
    'query($s: String!) { restrictionStatus(lookup: {customerRef: "CUS-0321"}, service: $s) '
    "{ restricted } }"
)


@pytest.fixture
async def world(runtime: Runtime, clock: FixedClock) -> CaseWorld:
    return await build_case_world(runtime, clock.now)


async def post(
    client: httpx.AsyncClient, query: str, headers: dict[str, str], **variables: Any
) -> dict[str, Any]:
    # json.dumps escapes a lone surrogate as \\ud800, as a client in any language may send it.
    response = await client.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables}),
        headers={"Content-Type": "application/json", **headers},
    )
    assert response.status_code != 500, response.text
    body: dict[str, Any] = response.json()
    return body


def without_ids(body: dict[str, Any]) -> dict[str, Any]:
    for error in body.get("errors", ()):
        error["extensions"].pop("requestId", None)
    return body


async def outcomes(runtime: Runtime) -> list[str]:
    async with runtime.database.sessions() as session:
        rows = await session.scalars(select(AccessLogEntry.outcome).order_by(AccessLogEntry.seq))
        return list(rows)


# -- 8: existence oracles --------------------------------------------------------------------


async def test_staff_get_one_answer_for_a_case_out_of_sight_and_for_no_case(
    client: httpx.AsyncClient, world: CaseWorld, runtime: Runtime
) -> None:
    fire_officer = bearer(world.tokens["officer.fire"])  # reads summaries in fire-safety only

    elsewhere = await post(client, CASE, fire_officer, r=world.case_reference)
    made_up = await post(client, CASE, fire_officer, r="MC-2026-99999-99999")

    assert without_ids(elsewhere) == without_ids(made_up)
    assert elsewhere["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await outcomes(runtime) == ["denied", "not_found"]


async def test_a_portal_gets_one_answer_for_a_service_out_of_scope_and_for_no_service(
    client: httpx.AsyncClient, world: CaseWorld, runtime: Runtime
) -> None:
    housing_portal = api_key(world.portal_key)

    out_of_scope = await post(client, STATUS, housing_portal, s="fire-safety")
    made_up = await post(client, STATUS, housing_portal, s="parking-permits")

    assert without_ids(out_of_scope) == without_ids(made_up)
    assert made_up["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await outcomes(runtime) == ["denied", "not_found"]


# -- 12: inputs that reached the database unchecked ------------------------------------------

LONE = "\ud800"
HUGE_CURSOR = base64.urlsafe_b64encode(b"access-log:99999999999999999999").decode()
LOG = (
    "query($f: AccessLogFilter, $a: String) "
    "{ accessLog(filter: $f, after: $a) { edges { cursor } } }"
)
REVIEW = "query($a: String) { breakGlassReview(after: $a) { edges { cursor } } }"
UNCHECKED = [
    (STATUS, {"s": LONE}, "s"),
    (
        'query($l: RestrictionLookup!) { restrictionStatus(lookup: $l, service: "housing") '
        "{ restricted } }",
        {"l": {"customerRef": "CUS" + LONE}},
        "l.customerRef",
    ),
    (STATUS, {"s": "housing\x00"}, "s"),  # PostgreSQL's text holds no NUL
    (LOG, {"f": {"actor": LONE}}, "f.actor"),
    (LOG, {"f": {"caseRef": LONE}}, "f.caseRef"),
    (LOG, {"f": {"operation": "read" + LONE}}, "f.operation"),
    (LOG, {"a": HUGE_CURSOR}, "after"),
    (REVIEW, {"a": HUGE_CURSOR}, "after"),
    (LOG, {"f": {"from": "9999-12-31T23:59:59-12:00"}}, "filter.from"),
    (LOG, {"f": {"to": "0001-01-01T00:00:00+14:00"}}, "filter.to"),
    # A period that ends before it begins would answer "nobody has seen it".
    (LOG, {"f": {"from": "2026-12-04T00:00:00Z", "to": "2026-12-01T00:00:00Z"}}, "filter.to"),
]


@pytest.mark.parametrize(("query", "variables", "field"), UNCHECKED)
async def test_unchecked_inputs_are_validation_failures_naming_the_field(
    client: httpx.AsyncClient,
    world: CaseWorld,
    query: str,
    variables: dict[str, Any],
    field: str,
) -> None:
    body = await post(client, query, bearer(world.tokens["ig.all"]), **variables)

    (error,) = body["errors"]
    assert error["extensions"]["code"] == "VALIDATION_FAILED", error
    assert error["extensions"]["field"] == field


async def test_a_nul_written_into_the_document_is_refused_before_anything_runs(
    client: httpx.AsyncClient, world: CaseWorld, runtime: Runtime
) -> None:
    literal = '{ restrictionStatus(lookup: {email: "a@example.org"}, service: "\\u0000") '
    body = await post(client, literal + "{ restricted } }", api_key(world.portal_key))

    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert await outcomes(runtime) == []


# -- 12: every argument of every operation ---------------------------------------------------

SCHEMA = build_schema()._schema
ONE_OF = set(one_of_types(SCHEMA))
SPECIAL_TEXT = [
    LONE,
    "",
    " ",
    "\x00",
    "x" * 5000,
    HUGE_CURSOR,
    base64.urlsafe_b64encode(b"case:9999-12-31T23:59:59-12:00|x").decode(),
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "housing",
    "MC-2026-00001-00001",
]
TEXT = st.one_of(
    st.sampled_from(SPECIAL_TEXT),
    st.text(st.characters(exclude_categories=()), max_size=40),
)
MOMENTS = st.one_of(
    st.sampled_from(["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "2026-13-01"]),
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)).map(
        lambda moment: moment.isoformat() + "+00:00"
    ),
    TEXT,
)
SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "String": TEXT,
    "ID": TEXT,
    "Int": st.one_of(st.integers(-(2**31), 2**31 - 1), st.sampled_from([0, -1, 2**31 - 1])),
    "Boolean": st.booleans(),
    "DateTime": MOMENTS,
    "Date": st.one_of(st.dates().map(dt.date.isoformat), st.sampled_from(["0000-01-01"]), TEXT),
}


def values(kind: GraphQLInputType, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of `kind`, mostly well-typed (so they reach the resolvers), some not."""
    if isinstance(kind, GraphQLNonNull):
        return _present(kind.of_type, depth)
    return st.one_of(st.none(), _present(kind, depth))


def _present(kind: GraphQLInputType, depth: int) -> st.SearchStrategy[Any]:
    if isinstance(kind, GraphQLList):
        return st.lists(values(kind.of_type, depth + 1), max_size=3)
    if isinstance(kind, GraphQLEnumType):
        return st.one_of(st.sampled_from(sorted(kind.values)), TEXT)
    if isinstance(kind, GraphQLInputObjectType):
        return _input_object(kind, depth)
    if isinstance(kind, GraphQLScalarType):
        return SCALARS.get(kind.name, st.one_of(TEXT, st.integers(), st.dictionaries(TEXT, TEXT)))
    raise TypeError(kind)


def _input_object(kind: GraphQLInputObjectType, depth: int) -> st.SearchStrategy[Any]:
    if depth > 3:
        return st.just({})
    fields = {name: values(field.type, depth + 1) for name, field in kind.fields.items()}
    if kind.name in ONE_OF:
        return st.sampled_from(sorted(fields)).flatmap(
            lambda name: _present(kind.fields[name].type, depth + 1).map(lambda v: {name: v})
        )
    required = {n: s for n, s in fields.items() if isinstance(kind.fields[n].type, GraphQLNonNull)}
    optional = {n: s for n, s in fields.items() if n not in required}
    return st.fixed_dictionaries(required, optional=optional)


def operations(root: GraphQLObjectType | None) -> list[tuple[str, str, GraphQLField]]:
    kind = "mutation" if root is SCHEMA.mutation_type else "query"
    return [(kind, name, field) for name, field in (root.fields.items() if root else ())]


def document(kind: str, name: str, field: GraphQLField) -> str:
    declared = ", ".join(f"${arg}: {field.args[arg].type}" for arg in field.args)
    passed = ", ".join(f"{arg}: ${arg}" for arg in field.args)
    selection = (
        "" if isinstance(get_named_type(field.type), GraphQLScalarType) else "{ __typename }"
    )
    head = f"{kind} Walk({declared})" if declared else kind
    call = f"{name}({passed})" if passed else name
    return f"{head} {{ {call} {selection} }}"


def arguments(field: GraphQLField) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({arg: values(a.type) for arg, a in field.args.items()})


CALLERS = ["ig.all", "officer.assigned", "admin.all", "frontline.housing", "portal"]
QUERIES = operations(SCHEMA.query_type)
MUTATIONS = operations(SCHEMA.mutation_type)
WALK = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def walk(client: httpx.AsyncClient, world: CaseWorld, ops: list[Any]) -> Callable[[], None]:
    """A hypothesis search over `ops`. It runs in a worker thread (hypothesis drives plain
    functions); each request is sent on the test's event loop, where the app lives."""
    loop = asyncio.get_running_loop()

    @WALK
    @given(data=st.data())
    def search(data: st.DataObject) -> None:
        kind, name, field = data.draw(st.sampled_from(ops))
        caller = data.draw(st.sampled_from(CALLERS))
        headers = api_key(world.portal_key) if caller == "portal" else bearer(world.tokens[caller])
        variables = data.draw(arguments(field))
        sent = post(client, document(kind, name, field), headers, **variables)
        body = asyncio.run_coroutine_threadsafe(sent, loop).result()
        codes = [e["extensions"]["code"] for e in body.get("errors", ())]
        assert "INTERNAL" not in codes, (name, body)

    return search


async def test_no_query_input_answers_internal(client: httpx.AsyncClient, world: CaseWorld) -> None:
    await asyncio.to_thread(walk(client, world, QUERIES))


@pytest.mark.skipif(not MUTATIONS, reason="the schema has no mutations")
async def test_no_mutation_input_answers_internal(
    client: httpx.AsyncClient, world: CaseWorld
) -> None:
    await asyncio.to_thread(walk(client, world, MUTATIONS))
