"""A mistake in a request's variables is named by field, as the README's examples send
everything as variables: `extensions.field` says where in the value the fault is, and the
message says what kind of fault, never quoting the value, a key or an enum name from it.
Over real HTTP with the credentials a portal and a case officer use."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.runtime import Runtime
from tests.api.app_fixtures import FixedClock
from tests.api.case_world import CaseWorld, Person, bearer, build_case_world
from tests.api.portal_world import api_key

STATUS = """query S($lookup: RestrictionLookup!, $service: String!) {
  restrictionStatus(lookup: $lookup, service: $service) { restricted } }"""
OPEN = """mutation O($service: String!, $input: OpenCaseInput!) {
  openCase(service: $service, input: $input) { case { reference } } }"""
CONCERN = """mutation C($reference: String!, $input: RecordConcernInput!) {
  recordConcern(reference: $reference, input: $input) { case { state } } }"""
DECIDE = """mutation D($reference: String!, $input: DecideInput!) {
  decide(reference: $reference, input: $input) { case { state } } }"""


@pytest.fixture
async def world(runtime: Runtime, clock: FixedClock) -> CaseWorld:
    return await build_case_world(runtime, clock.now, Person())


async def fault(
    client: httpx.AsyncClient, document: str, headers: dict[str, str], **variables: Any
) -> tuple[str, str | None, str]:
    """(code, field, message) of the request's one error; nothing ran."""
    response = await client.post(
        "/graphql", json={"query": document, "variables": variables}, headers=headers
    )
    body = response.json()
    assert body.get("data") is None, body
    (error,) = body["errors"]
    return error["extensions"]["code"], error["extensions"].get("field"), error["message"]


async def test_a_portal_lookup_names_the_variable_left_out_and_the_lookup_spelt_wrong(
    client: httpx.AsyncClient, world: CaseWorld
) -> None:
    key = api_key(world.portal_key)
    no_service = await fault(client, STATUS, key, lookup={"email": "someone@example.org"})
    wrong_key = await fault(client, STATUS, key, lookup={"mail": "x4417"}, service="housing")

    assert no_service == (
        "GRAPHQL_VALIDATION_FAILED",
        "service",
        "Variable '$service' has an invalid value: no value was given.",
    )
    code, field, message = wrong_key
    assert (code, field) == ("GRAPHQL_VALIDATION_FAILED", "lookup")
    assert message == (
        "Variable '$lookup' has an invalid value: it has a field its type does not define."
    )


async def test_a_staff_mutation_names_the_field_at_fault_inside_its_input(
    client: httpx.AsyncClient, world: CaseWorld
) -> None:
    officer = bearer(world.tokens["officer.assigned"])
    reference = world.case_reference
    empty = await fault(client, OPEN, officer, service="housing", input={})
    category = await fault(
        client, CONCERN, officer, reference=reference,
        input={"category": "ANNOYING", "description": "Calls."},
    )  # fmt: skip
    kind = await fault(
        client, DECIDE, officer, reference=reference,
        input={
            "reasons": "The contact described.",
            "arrangements": [{"kind": "BAN", "parameters": {}}],
        },
    )  # fmt: skip

    # Introspection is off (the default): what the schema wants there is not named.
    assert empty == (
        "GRAPHQL_VALIDATION_FAILED",
        "input",
        "Variable '$input' has an invalid value: a required field is missing.",
    )
    assert category[:2] == ("GRAPHQL_VALIDATION_FAILED", "input.category")
    assert category[2] == (
        "Variable '$input' has an invalid value at input.category: "
        "it is not one of the allowed values."
    )
    assert kind[:2] == ("GRAPHQL_VALIDATION_FAILED", "input.arrangements.0.kind")
    for _, _, message in (empty, category, kind):
        assert "ANNOYING" not in message and "BAN" not in message
