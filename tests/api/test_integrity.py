"""A sealed value altered in the database, over real HTTP on SQLite and PostgreSQL: the caller
gets INTEGRITY_FAILURE and nothing of the record, the access log says `integrity_failure`
and which sealed value (ids only), not `error`, and `tact audit verify` still finds the
chain intact (the log was not what was altered)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from api.runtime import Runtime
from records.models import AccessLogEntry, Arrangement, Case
from tests.api.app_fixtures import FixedClock
from tests.api.case_world import CaseWorld, Person, bearer, build_case_world
from tests.api.portal_world import api_key
from tests.api.test_cases import CASE_DETAIL, post
from tests.api.test_fast_path import ask
from tests.cli import tact, tact_env

PERSON = Person()


@pytest.fixture
async def world(runtime: Runtime, clock: FixedClock) -> CaseWorld:
    return await build_case_world(runtime, clock.now, PERSON)


def altered(sealed: bytes) -> bytes:
    """One bit of the ciphertext flipped, past the format byte and the nonce: what an edit
    of the stored bytes, or a bad restore, leaves behind."""
    at = len(sealed) // 2 + 7
    return sealed[:at] + bytes([sealed[at] ^ 0x01]) + sealed[at + 1 :]


async def alter(runtime: Runtime, column: Any, row_id: uuid.UUID) -> None:
    """Rewrite one stored ciphertext with a plain UPDATE, outside Tact's code."""
    table = column.class_
    async with runtime.database.sessions() as session, session.begin():
        sealed = await session.scalar(select(column).where(table.id == row_id))
        assert sealed is not None
        await session.execute(
            update(table).where(table.id == row_id).values({column.key: altered(sealed)})
        )


async def entries(runtime: Runtime, operation: str) -> list[AccessLogEntry]:
    async with runtime.database.sessions() as session:
        query = select(AccessLogEntry).where(AccessLogEntry.operation == operation)
        return list((await session.scalars(query.order_by(AccessLogEntry.seq))).all())


def assert_told_integrity_failure(response: httpx.Response, data: object) -> None:
    body = response.json()
    assert body.get("data") == data, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INTEGRITY_FAILURE"
    assert error["extensions"]["requestId"] == response.headers["X-Request-ID"]
    assert error["message"].startswith("A stored record failed its integrity check")
    for leaked in ("Traceback", "sealed", PERSON.name, PERSON.case_summary, PERSON.email):
        assert leaked not in response.text


async def test_a_case_read_after_its_summary_was_altered_is_logged_as_an_integrity_failure(
    client: httpx.AsyncClient,
    world: CaseWorld,
    runtime: Runtime,
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
) -> None:
    headers = bearer(world.tokens["officer.assigned"])
    before = await post(client, CASE_DETAIL, headers, reference=world.case_reference)
    assert before["data"]["case"]["detail"]["summary"] == PERSON.case_summary

    await alter(runtime, Case.summary_sealed, world.case_id)
    response = await client.post(
        "/graphql",
        json={"query": CASE_DETAIL, "variables": {"reference": world.case_reference}},
        headers=headers,
    )

    assert response.status_code == 200
    # The case's office reference (no contents) still answers; its file does not.
    assert_told_integrity_failure(
        response, {"case": {"reference": world.case_reference, "detail": None}}
    )
    allowed, failed = await entries(runtime, "read_case")
    assert allowed.outcome == "allowed"
    assert (failed.outcome, failed.case_id, failed.actor) == (
        "integrity_failure", world.case_id, "staff:officer.assigned",
    )  # fmt: skip
    assert failed.fields == f"cases.summary {world.case_id}"
    assert failed.request_id == response.headers["X-Request-ID"]
    # The IG officer finds it by its outcome, and the chain still verifies: the case's data
    # was altered, not the log.
    env = tact_env(database_urls, key_file, tmp_path, TACT_JWKS=None)
    shown = await tact(env, "audit", "show", "--outcome", "integrity_failure")
    assert shown.exit_code == 0, shown.output
    assert "integrity_failure" in shown.output and "cases.summary" in shown.output
    verified = await tact(env, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert verified.output.startswith("OK: ")


async def test_a_portal_lookup_of_an_altered_arrangement_answers_no_data(
    client: httpx.AsyncClient, world: CaseWorld, runtime: Runtime
) -> None:
    async with runtime.database.sessions() as session:
        arrangement_ids = list(
            await session.scalars(
                select(Arrangement.id).where(Arrangement.case_id == world.case_id)
            )
        )
    await alter(runtime, Arrangement.parameters_sealed, arrangement_ids[0])

    response = await ask(client, {"email": PERSON.email}, headers=api_key(world.portal_key))

    assert response.status_code == 200
    assert_told_integrity_failure(response, None)
    [failed] = await entries(runtime, "restriction_status")
    assert (failed.outcome, failed.case_id) == ("integrity_failure", world.case_id)
    assert failed.fields == f"arrangements.parameters {arrangement_ids[0]}"
