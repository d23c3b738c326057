"""Persisted documents (schema/persisted.py) over real HTTP, on SQLite and PostgreSQL: a portal
sends a registered document's id; the answer is the one full execution gives, byte for byte,
whatever the variables, the key or the lookup; unknown ids and invalid registrations are
refused clearly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from api.app import create_app
from api.cli import main as tact
from api.runtime import Runtime
from records.models import AccessLogEntry
from schema.document_ids import DOCUMENTS, id_of
from schema.persisted import DocumentInvalid, PersistedDocuments
from schema.root import build_schema
from tests.api.app_fixtures import FixedClock, app_settings
from tests.api.portal_world import (
    EMAIL,
    PHONE,
    QUIET_EMAIL,
    REFERENCE,
    UNKNOWN_EMAIL,
    PortalWorld,
    api_key,
    build_portal_world,
)

STATUS_ID = id_of("RestrictionStatus")
STATUS_TEXT = (DOCUMENTS / "RestrictionStatus.graphql").read_text(encoding="utf-8")
# The same operation in other words: not a registered text, so it runs in full.
STATUS_IN_FULL = STATUS_TEXT + "# run in full\n"


@pytest.fixture
async def world(runtime: Runtime, clock: FixedClock) -> PortalWorld:
    return await build_portal_world(runtime, clock.now)


def _variables(lookup: Any, service: Any = "housing") -> dict[str, Any]:
    return {"lookup": lookup, "service": service}


# An address over RFC 5321's 254 characters: it answered "restricted: false".
LONG_EMAIL = "a" * 5000 + "@example.org"

CASES = {
    "restricted by email": (_variables({"email": EMAIL}), "housing"),
    "restricted by phone": (_variables({"phone": PHONE}), "housing"),
    "restricted by reference": (_variables({"customerRef": REFERENCE}), "housing"),
    "mixed-case email": (_variables({"email": EMAIL.upper()}), "housing"),
    "no arrangement": (_variables({"email": QUIET_EMAIL}), "housing"),
    "unknown person": (_variables({"email": UNKNOWN_EMAIL}), "housing"),
    "another service in scope": (_variables({"email": EMAIL}, "customer-services"), "housing"),
    "a service out of the key's scope": (_variables({"email": EMAIL}, "fire-safety"), "housing"),
    "a made-up service": (_variables({"email": EMAIL}, "no-such-service"), "housing"),
    "a key for another service": (_variables({"email": EMAIL}), "fire"),
    "no credentials": (_variables({"email": EMAIL}), None),
    "not an email address": (_variables({"email": "not an address"}), "housing"),
    "not a telephone number": (_variables({"phone": "12"}), "housing"),
    "two lookups at once": (_variables({"email": EMAIL, "phone": PHONE}), "housing"),
    "no lookup": (_variables({}), "housing"),
    "a lookup of the wrong type": (_variables({"email": 5}), "housing"),
    "service missing": ({"lookup": {"email": EMAIL}}, "housing"),
    "an empty service": (_variables({"email": EMAIL}, ""), "housing"),
    "a service in capitals": (_variables({"email": EMAIL}, "HOUSING"), "housing"),
    "a service with spaces": (_variables({"email": EMAIL}, " housing "), "housing"),
    "an email over 254 characters": (_variables({"email": LONG_EMAIL}), "housing"),
    "an email in angle brackets": (_variables({"email": f"<{EMAIL}>"}), "housing"),
    "letters in a phone number": (_variables({"phone": "07700 9OO123"}), "housing"),
    "no variables": (None, "housing"),
}


async def _post(
    client: httpx.AsyncClient, body: dict[str, Any], key: str | None, accept: str
) -> httpx.Response:
    headers = {"X-Request-ID": "same-request", "Accept": accept}
    return await client.post("/graphql", json=body, headers={**headers, **api_key_or_none(key)})


def api_key_or_none(key: str | None) -> dict[str, str]:
    return api_key(key) if key is not None else {}


@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
@pytest.mark.parametrize("case", list(CASES))
async def test_a_document_sent_by_id_answers_as_full_execution_does(
    client: httpx.AsyncClient, world: PortalWorld, case: str, accept: str
) -> None:
    variables, holder = CASES[case]
    key = {"housing": world.housing_key, "fire": world.fire_key, None: None}[holder]

    by_id = await _post(client, {"documentId": STATUS_ID, "variables": variables}, key, accept)
    in_full = await _post(client, {"query": STATUS_IN_FULL, "variables": variables}, key, accept)

    assert by_id.status_code == in_full.status_code
    assert by_id.headers["content-type"] == in_full.headers["content-type"]
    assert by_id.headers.get("retry-after") == in_full.headers.get("retry-after")
    assert by_id.content == in_full.content


MALFORMED = [
    (_variables({"email": EMAIL}, ""), "service"),
    (_variables({"email": EMAIL}, "   "), "service"),
    (_variables({"email": EMAIL}, "HOUSING"), "service"),
    (_variables({"email": EMAIL}, " housing "), "service"),
    (_variables({"email": EMAIL}, "housing_2"), "service"),
    (_variables({"email": LONG_EMAIL}), "lookup.email"),
    (_variables({"email": EMAIL.replace("@", "")}), "lookup.email"),
    (_variables({"email": f"<{EMAIL}>"}), "lookup.email"),
    (_variables({"email": EMAIL + "."}), "lookup.email"),
    (_variables({"phone": "07700 9OO123"}), "lookup.phone"),  # letter O for zero
    (_variables({"phone": "call 07700 900123"}), "lookup.phone"),
    (_variables({"phone": PHONE + "\u200b"}), "lookup.phone"),
    (_variables({"phone": "7" * 5000}), "lookup.phone"),
]


@pytest.mark.parametrize(("variables", "field"), MALFORMED)
@pytest.mark.parametrize("way", ["documentId", "query"])
async def test_malformed_portal_input_is_refused_on_its_field_without_echoing_it(
    client: httpx.AsyncClient, world: PortalWorld, way: str, variables: dict[str, Any], field: str
) -> None:
    sent = {"documentId": STATUS_ID} if way == "documentId" else {"query": STATUS_IN_FULL}
    body = {**sent, "variables": variables}
    response = await client.post("/graphql", json=body, headers=api_key(world.housing_key))

    assert response.json()["data"] is None
    (error,) = response.json()["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (
        "VALIDATION_FAILED", field
    )  # fmt: skip
    if field == "service":
        # What a slug looks like, and never which services there are.
        assert "lower-case letters, digits or hyphens" in error["message"]
        assert "customer-services" not in error["message"]
    else:
        assert variables["lookup"][field[7:]][:20] not in error["message"]


async def test_a_well_formed_made_up_service_is_still_forbidden_like_one_out_of_scope(
    client: httpx.AsyncClient, world: PortalWorld
) -> None:
    answers = []
    for service in ("no-such-service", "fire-safety"):
        body = {"documentId": STATUS_ID, "variables": _variables({"email": EMAIL}, service)}
        response = await client.post("/graphql", json=body, headers=api_key(world.housing_key))
        (error,) = response.json()["errors"]
        answers.append((error["extensions"]["code"], error["message"]))
    assert answers == [("FORBIDDEN", "not permitted: restriction_status")] * 2


async def test_the_registered_document_runs_on_its_plan_and_other_texts_do_not(
    runtime: Runtime,
) -> None:
    schema = build_schema()
    (status,) = [d for d in schema.documents if d.name == "RestrictionStatus"]
    (check,) = [d for d in schema.documents if d.name == "CheckContact"]

    assert status.plan is not None
    assert schema.documents.by_id(STATUS_ID) is status
    assert schema.documents.by_text(STATUS_TEXT) is status
    assert schema.documents.by_text(STATUS_IN_FULL) is None
    # checkContact may write (record: true): it is registered, and runs in full.
    assert check.plan is None


async def test_a_lookup_by_id_is_gated_and_logged_like_any_other(
    client: httpx.AsyncClient, world: PortalWorld, runtime: Runtime
) -> None:
    body = {"documentId": STATUS_ID, "variables": _variables({"email": EMAIL})}
    response = await client.post("/graphql", json=body, headers=api_key(world.housing_key))

    assert response.json()["data"]["restrictionStatus"]["restricted"] is True
    async with runtime.database.sessions() as session:
        entries = list(await session.scalars(select(AccessLogEntry)))
    assert {(e.operation, e.outcome, e.service) for e in entries} == {
        ("restriction_status", "allowed", "housing")
    }
    assert {e.case_id for e in entries} == {world.case_id}


async def test_an_unknown_document_id_is_refused_naming_the_field(
    client: httpx.AsyncClient, world: PortalWorld
) -> None:
    body = {"documentId": "sha256:" + "0" * 64, "variables": _variables({"email": EMAIL})}
    response = await client.post("/graphql", json=body, headers=api_key(world.housing_key))

    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "PERSISTED_DOCUMENT_NOT_FOUND"
    assert error["extensions"]["field"] == "documentId"


async def test_a_query_and_a_document_id_together_are_refused(
    client: httpx.AsyncClient, world: PortalWorld
) -> None:
    body = {"documentId": STATUS_ID, "query": STATUS_TEXT}
    response = await client.post("/graphql", json=body, headers=api_key(world.housing_key))

    assert response.status_code == 400
    assert "either `query` or `documentId`" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "text",
    ["query { restrictionStatus { nosuchfield } }\n", "query { restrictionStatus(\n"],
    ids=["does not validate", "does not parse"],
)
def test_a_registered_document_in_error_stops_start_up(tmp_path: Path, text: str) -> None:
    (tmp_path / "Broken.graphql").write_text(text)
    schema = build_schema()

    with pytest.raises(DocumentInvalid, match=r"Broken\.graphql"):
        PersistedDocuments.load(schema, [], {}, folder=tmp_path)


def test_tact_schema_documents_prints_each_id_and_text() -> None:
    result = CliRunner().invoke(tact, ["schema", "documents"])

    assert result.exit_code == 0, result.output
    assert f"# RestrictionStatus: {STATUS_ID}" in result.output
    assert STATUS_TEXT in result.output
    assert f"# CheckContact: {id_of('CheckContact')}" in result.output


@pytest.fixture
async def held_to_registered(
    runtime: Runtime,
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
    clock: FixedClock,
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with TACT_PORTAL_REGISTERED_DOCUMENTS_ONLY=true, over the same databases."""
    settings = app_settings(
        tmp_path, database_urls, key_file, portal_registered_documents_only=True
    )
    started = await Runtime.start(settings, migrate=False)
    transport = httpx.ASGITransport(app=create_app(started, clock=clock))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://tact.test") as http:
            yield http
    finally:
        await started.close()


async def test_a_portal_held_to_registered_documents_runs_those_and_nothing_else(
    held_to_registered: httpx.AsyncClient, world: PortalWorld
) -> None:
    headers = {**api_key(world.housing_key), "Accept": "application/graphql-response+json"}
    variables = _variables({"email": EMAIL})

    by_id = await held_to_registered.post(
        "/graphql", json={"documentId": STATUS_ID, "variables": variables}, headers=headers
    )
    by_text = await held_to_registered.post(
        "/graphql", json={"query": STATUS_TEXT, "variables": variables}, headers=headers
    )
    other = await held_to_registered.post(
        "/graphql", json={"query": STATUS_IN_FULL, "variables": variables}, headers=headers
    )

    assert by_id.json()["data"]["restrictionStatus"]["restricted"] is True
    assert by_text.content == by_id.content
    assert other.status_code == 400
    assert "data" not in other.json()
    (error,) = other.json()["errors"]
    assert error["extensions"]["code"] == "PERSISTED_DOCUMENT_REQUIRED"
    assert "NAMED_OFFICER" not in other.text


async def test_callers_without_a_portal_key_are_not_held_to_registered_documents(
    held_to_registered: httpx.AsyncClient, world: PortalWorld, runtime: Runtime
) -> None:
    """The setting is about portal keys: anyone else's document runs (here, and denied by
    the gate, with no credentials at all)."""
    body = {"query": STATUS_IN_FULL, "variables": _variables({"email": EMAIL})}
    response = await held_to_registered.post("/graphql", json=body)

    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
