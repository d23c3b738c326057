"""A reference that matches nothing gets the answer a reference out of the caller's sight
gets (FORBIDDEN, with the same message), on every path that takes one: the workflow
mutations, screening a contact, holds, approvals of destruction and subject access. Over real
HTTP with staff tokens, as a case officer or an IG officer would send them; the access log
still tells the two apart (denied or not_found). Otherwise staff could learn which case and
customer references exist in services they may not see."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from api.runtime import Runtime
from records.models import AccessLogEntry
from tests.api.app_fixtures import FixedClock
from tests.api.case_world import CaseWorld, Person, bearer, build_case_world

MADE_UP_CASE = "MC-2026-AAAAA-AAAAA"
MADE_UP_CUSTOMER = "CUS-9999"
ISSUE_WARNING = """mutation W($reference: String!) {
  issueWarning(reference: $reference, input: {reasons: "The contact described."}) { case { state } }
}"""
RECORD_CONCERN = """mutation C($reference: String!) {
  recordConcern(reference: $reference, input: {category: CONTACT_VOLUME, description: "Calls."}) {
    case { state } }
}"""
SCREEN = """mutation S($id: ID!) {
  markContactScreened(input: {contactId: $id, newMatter: false}) { contactId }
}"""
PLACE_HOLD = """mutation H($reference: String!) {
  placeHold(caseRef: $reference, reason: "ombudsman_investigation") { id }
}"""
REQUEST_APPROVAL = """mutation A($reference: String!) {
  requestDestructionApproval(caseRef: $reference) { id }
}"""
EXPORT = (
    """query E($reference: String!) { subjectAccessExport(customerRef: $reference) { json } }"""
)
OPEN_SAR = """mutation O($reference: String!) {
  openSubjectAccessRequest(customerRef: $reference) { id }
}"""


@pytest.fixture
async def world(runtime: Runtime, clock: FixedClock) -> CaseWorld:
    return await build_case_world(runtime, clock.now, Person())


async def refusal(
    client: httpx.AsyncClient, who: str, world: CaseWorld, document: str, **variables: Any
) -> tuple[str, str]:
    """The one error's code and message; the answer holds no data."""
    response = await client.post(
        "/graphql",
        json={"query": document, "variables": variables},
        headers=bearer(world.tokens[who]),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None, body
    (error,) = body["errors"]
    return error["extensions"]["code"], error["message"]


async def outcomes(runtime: Runtime) -> Counter[tuple[str, str]]:
    async with runtime.database.sessions() as session:
        rows = await session.execute(select(AccessLogEntry.operation, AccessLogEntry.outcome))
        return Counter((operation, outcome) for operation, outcome in rows)


@pytest.mark.parametrize(
    "document", [ISSUE_WARNING, RECORD_CONCERN], ids=["issueWarning", "recordConcern"]
)
async def test_a_workflow_step_on_a_made_up_case_is_refused_like_one_out_of_sight(
    client: httpx.AsyncClient, world: CaseWorld, runtime: Runtime, document: str
) -> None:
    # A fire-safety case officer asks about the housing case, and about no case at all.
    elsewhere = await refusal(
        client, "officer.fire", world, document, reference=world.case_reference
    )
    made_up = await refusal(client, "officer.fire", world, document, reference=MADE_UP_CASE)

    assert elsewhere == made_up == ("FORBIDDEN", "not permitted: update_case")
    assert await outcomes(runtime) == {
        ("update_case", "denied"): 1,
        ("update_case", "not_found"): 1,
    }


async def test_screening_a_made_up_contact_is_refused_and_logged_as_not_found(
    client: httpx.AsyncClient, world: CaseWorld, runtime: Runtime
) -> None:
    made_up = await refusal(
        client, "officer.assigned", world, SCREEN, id="00000000-0000-4000-8000-000000000001"
    )

    assert made_up == ("FORBIDDEN", "not permitted: update_case")
    assert await outcomes(runtime) == {("update_case", "not_found"): 1}


@pytest.mark.parametrize(
    ("document", "operation"),
    [(PLACE_HOLD, "manage_holds"), (REQUEST_APPROVAL, "approve_destruction")],
    ids=["placeHold", "requestDestructionApproval"],
)
async def test_records_management_on_a_made_up_case_is_refused_and_logged(
    client: httpx.AsyncClient, world: CaseWorld, runtime: Runtime, document: str, operation: str
) -> None:
    # A case officer may not manage holds or approvals: a real case and no case look alike.
    real = await refusal(client, "officer.fire", world, document, reference=world.case_reference)
    made_up = await refusal(client, "officer.fire", world, document, reference=MADE_UP_CASE)
    # An IG officer, who may, is refused a case that is not there, without learning more.
    ig_made_up = await refusal(client, "ig.all", world, document, reference=MADE_UP_CASE)

    assert real == made_up == ig_made_up == ("FORBIDDEN", f"not permitted: {operation}")
    # The officer holds no role that may: refused before any case is looked at, both times.
    assert await outcomes(runtime) == {(operation, "denied"): 2, (operation, "not_found"): 1}


@pytest.mark.parametrize(
    "document", [EXPORT, OPEN_SAR], ids=["subjectAccessExport", "openSubjectAccessRequest"]
)
async def test_subject_access_for_a_made_up_customer_is_refused_like_one_out_of_sight(
    client: httpx.AsyncClient, world: CaseWorld, runtime: Runtime, document: str
) -> None:
    real = await refusal(client, "officer.fire", world, document, reference=Person().reference)
    made_up = await refusal(client, "officer.fire", world, document, reference=MADE_UP_CUSTOMER)
    ig_made_up = await refusal(client, "ig.all", world, document, reference=MADE_UP_CUSTOMER)

    assert real == made_up == ig_made_up == ("FORBIDDEN", "not permitted: subject_access_export")
    assert await outcomes(runtime) == {
        ("subject_access_export", "denied"): 2,
        ("subject_access_export", "not_found"): 1,
    }
