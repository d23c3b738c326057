"""`case`, `Case.detail` and `cases` over real HTTP, on SQLite and PostgreSQL: the GraphQL
layer hands each role its field set (portals and frontline nothing here, admins and IG
officers the summary, the assigned team the full file, break-glass with a reason), and every
attempt leaves its access-log entry. The gate's whole matrix is walked in tests/authz; these
tests check that the resolvers ask it for the right operation and show only what it allowed.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from api.runtime import Runtime
from authz.access_log import REASON_DESTROYED
from records.models import AccessLogEntry
from tests.api.app_fixtures import FixedClock
from tests.api.case_world import NAMED_OFFICER, CaseWorld, Person, bearer, build_case_world
from tests.api.portal_world import api_key

PERSON = Person()
REASON = "Safeguarding referral from the police; the assigned officer is away today."

CASE = """
query Case($reference: String!) {
  case(reference: $reference) {
    reference state service openedAt updatedAt restrictionsEndedOn
    arrangements { kind state startsOn endsOn nextReviewOn }
  }
}
"""
CASE_DETAIL = """
query CaseDetail($reference: String!, $reason: String) {
  case(reference: $reference) {
    reference
    detail(breakGlassReason: $reason) {
      customer {
        kind name reference notes communicationNeeds
        contactDetails { kind value preferred }
      }
      summary
      concerns { category description recordedAt }
      evidence { channel occurredOn summary hsIncidentRef }
      arrangements {
        kind state services namedOfficer handlingInstructions parameters startsOn endsOn
      }
    }
  }
}
"""
REVIEW = """
query { breakGlassReview(first: 10) { edges { node { actor outcome reason } } } }
"""
CASES = """
query Cases($filter: CaseFilter, $first: Int!, $after: String) {
  cases(filter: $filter, first: $first, after: $after) {
    edges { cursor node { reference service state } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


@pytest.fixture
async def world(runtime: Runtime, clock: FixedClock) -> CaseWorld:
    return await build_case_world(runtime, clock.now, PERSON)


async def post(
    client: httpx.AsyncClient, document: str, headers: dict[str, str], **variables: Any
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": document, "variables": variables}, headers=headers
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (".".join(str(p) for p in e.get("path") or []), e["extensions"]["code"])
        for e in body.get("errors", [])
    ]


async def outcomes(runtime: Runtime) -> Counter[tuple[str, str]]:
    """(operation, outcome) of every access-log entry."""
    async with runtime.database.sessions() as session:
        rows = await session.execute(select(AccessLogEntry.operation, AccessLogEntry.outcome))
        return Counter((operation, outcome) for operation, outcome in rows)


async def test_the_assigned_case_officer_reads_the_full_file(
    client: httpx.AsyncClient, world: CaseWorld, runtime: Runtime
) -> None:
    headers = bearer(world.tokens["officer.assigned"])
    body = await post(client, CASE_DETAIL, headers, reference=world.case_reference)

    assert "errors" not in body
    detail = body["data"]["case"]["detail"]
    customer = detail["customer"]
    assert (customer["kind"], customer["name"], customer["reference"], customer["notes"]) == (
        "INDIVIDUAL", PERSON.name, PERSON.reference, PERSON.note,
    )  # fmt: skip
    assert customer["communicationNeeds"] == PERSON.needs
    assert customer["contactDetails"] == [
        {"kind": "EMAIL", "value": PERSON.email, "preferred": True},
        {"kind": "PHONE", "value": PERSON.phone, "preferred": False},
    ]
    assert detail["summary"] == PERSON.case_summary
    assert [(c["category"], c["description"]) for c in detail["concerns"]] == [
        ("CONTACT_VOLUME", PERSON.concern)
    ]
    assert detail["evidence"] == [
        {
            "channel": "PHONE",
            "occurredOn": "2025-12-22",
            "summary": PERSON.evidence,
            "hsIncidentRef": "HS-V1-0042",
        }
    ]
    named, premises = detail["arrangements"]
    assert (named["kind"], named["namedOfficer"], named["services"]) == (
        "NAMED_OFFICER", NAMED_OFFICER, ["housing"],
    )  # fmt: skip
    assert NAMED_OFFICER in named["handlingInstructions"]
    assert premises["kind"] == "PREMISES_EXCLUSION"
    assert premises["services"] == ["customer-services", "housing"]
    assert premises["parameters"] == {
        "premises": [PERSON.premises], "permanent": False, "healthAndSafety": True,
    }  # fmt: skip
    # The summary and the full read are two accesses, each with its own entry and field set.
    async with runtime.database.sessions() as session:
        entries = (await session.scalars(select(AccessLogEntry).order_by(AccessLogEntry.seq))).all()
    assert [(e.operation, e.outcome, e.fields, e.case_id) for e in entries] == [
        ("read_case_summary", "allowed", "summary", world.case_id),
        ("read_case", "allowed", "full", world.case_id),
    ]


async def test_the_summary_holds_reference_state_service_and_dates_only(
    client: httpx.AsyncClient, world: CaseWorld
) -> None:
    body = await post(
        client, CASE, bearer(world.tokens["admin.all"]), reference=world.case_reference
    )

    assert body == {
        "data": {
            "case": {
                "reference": world.case_reference,
                "state": "DECIDED",
                "service": "housing",
                "openedAt": "2026-01-01T09:30:00+00:00",
                "updatedAt": "2026-01-01T09:30:00+00:00",
                "restrictionsEndedOn": None,
                "arrangements": [
                    {"kind": "NAMED_OFFICER", "state": "ACTIVE", "startsOn": "2026-01-31",
                     "endsOn": None, "nextReviewOn": "2026-07-30"},
                    {"kind": "PREMISES_EXCLUSION", "state": "ACTIVE", "startsOn": "2026-01-31",
                     "endsOn": "2027-01-31", "nextReviewOn": None},
                ],
            }
        }
    }  # fmt: skip


async def test_an_admin_gets_the_summary_and_is_refused_the_file(
    client: httpx.AsyncClient, world: CaseWorld, runtime: Runtime
) -> None:
    headers = bearer(world.tokens["admin.all"])
    body = await post(client, CASE_DETAIL, headers, reference=world.case_reference)
    # Not even by breaking glass: admins hold no case contents.
    glass = await post(client, CASE_DETAIL, headers, reference=world.case_reference, reason=REASON)

    for answer in (body, glass):
        assert answer["data"] == {"case": {"reference": world.case_reference, "detail": None}}
        assert codes(answer) == [("case.detail", "FORBIDDEN")]
    assert PERSON.name not in str(body) + str(glass)
    assert await outcomes(runtime) == {
        ("read_case_summary", "allowed"): 2,
        ("read_case", "denied"): 2,
    }


async def test_an_ig_officer_reads_the_file_only_by_breaking_glass_with_a_reason(
    client: httpx.AsyncClient, world: CaseWorld, runtime: Runtime
) -> None:
    headers = bearer(world.tokens["ig.all"])
    plain = await post(client, CASE_DETAIL, headers, reference=world.case_reference)
    short = await post(client, CASE_DETAIL, headers, reference=world.case_reference, reason="audit")
    glass = await post(client, CASE_DETAIL, headers, reference=world.case_reference, reason=REASON)

    assert plain["data"]["case"] == {"reference": world.case_reference, "detail": None}
    assert codes(plain) == [("case.detail", "FORBIDDEN")]
    assert short["data"]["case"]["detail"] is None
    assert short["errors"][0]["extensions"]["field"] == "breakGlassReason"
    assert codes(short) == [("case.detail", "VALIDATION_FAILED")]
    # The reason is kept and shown to IG officers: the label guard reads it like any text.
    labelled = "Checking the file of this vexatious customer for the annual audit"
    labels = await post(
        client, CASE_DETAIL, headers, reference=world.case_reference, reason=labelled
    )
    assert labels["data"]["case"]["detail"] is None
    assert labels["errors"][0]["extensions"]["field"] == "breakGlassReason"
    assert "vexatious" in labels["errors"][0]["message"]
    assert "errors" not in glass
    assert glass["data"]["case"]["detail"]["customer"]["name"] == PERSON.name
    assert await outcomes(runtime) == {
        ("read_case_summary", "allowed"): 4,
        ("read_case", "denied"): 3,
        ("read_case", "break_glass"): 1,
    }
    async with runtime.database.sessions() as session:
        opened = await session.scalar(
            select(AccessLogEntry).where(AccessLogEntry.outcome == "break_glass")
        )
    assert opened is not None
    assert (opened.actor, opened.fields, opened.case_id) == ("staff:ig.all", "full", world.case_id)
    # The reason is staff's free text: stored sealed under the case's key, read back for review.
    assert opened.reason is None and opened.reason_sealed is not None
    assert REASON.encode() not in bytes(opened.reason_sealed)
    review = await post(client, REVIEW, headers)
    reasons = [edge["node"]["reason"] for edge in review["data"]["breakGlassReview"]["edges"]]
    assert reasons == [REASON]


GLASS_CASE = """
query GlassCase($reference: String!, $reason: String) {
  case(reference: $reference, breakGlassReason: $reason) {
    reference
    detail { customer { name } }
  }
}
"""


async def test_staff_of_another_service_open_one_case_only_by_breaking_glass_on_it(
    client: httpx.AsyncClient, world: CaseWorld, runtime: Runtime
) -> None:
    headers = bearer(world.tokens["officer.fire"])
    refused = await post(client, GLASS_CASE, headers, reference=world.case_reference)
    opened = await post(client, GLASS_CASE, headers, reference=world.case_reference, reason=REASON)

    assert refused["data"] == {"case": None} and codes(refused) == [("case", "FORBIDDEN")]
    assert "errors" not in opened
    assert opened["data"]["case"]["detail"]["customer"]["name"] == PERSON.name
    # The summary and the full read are each a break-glass entry with the reason.
    assert await outcomes(runtime) == {
        ("read_case_summary", "denied"): 1,
        ("read_case", "break_glass"): 2,
    }


@pytest.mark.parametrize("who", ["portal", "frontline", "no credentials"])
async def test_portals_frontline_and_anonymous_callers_get_no_case_query(
    client: httpx.AsyncClient, world: CaseWorld, runtime: Runtime, who: str
) -> None:
    headers = {
        "portal": api_key(world.portal_key),
        "frontline": bearer(world.tokens["frontline.housing"]),
        "no credentials": {},
    }[who]
    known = await post(client, CASE_DETAIL, headers, reference=world.case_reference)
    unknown = await post(client, CASE, headers, reference="MC-2026-00000-00000")
    listed = await post(client, CASES, headers, first=5)

    assert known["data"] == {"case": None} and codes(known) == [("case", "FORBIDDEN")]
    # Refused before the reference is looked up: they cannot tell whether a case exists.
    assert unknown["data"] == {"case": None} and codes(unknown) == [("case", "FORBIDDEN")]
    assert listed["data"] is None and codes(listed) == [("cases", "FORBIDDEN")]
    assert await outcomes(runtime) == {("read_case_summary", "denied"): 3}


async def test_a_case_officer_of_another_service_gets_nothing_about_the_case(
    client: httpx.AsyncClient, world: CaseWorld, runtime: Runtime
) -> None:
    headers = bearer(world.tokens["officer.fire"])
    body = await post(client, CASE_DETAIL, headers, reference=world.case_reference)
    listed = await post(client, CASES, headers, first=20)

    assert body["data"] == {"case": None} and codes(body) == [("case", "FORBIDDEN")]
    # Their own service's case only.
    nodes = [edge["node"] for edge in listed["data"]["cases"]["edges"]]
    assert nodes == [
        {"reference": world.fire_case_reference, "service": "fire-safety", "state": "OPEN"}
    ]
    assert await outcomes(runtime) == {
        ("read_case_summary", "denied"): 1,
        ("read_case_summary", "allowed"): 1,
    }


async def test_an_unknown_reference_is_answered_as_a_case_out_of_sight_and_logged_as_not_found(
    client: httpx.AsyncClient, world: CaseWorld, runtime: Runtime
) -> None:
    body = await post(client, CASE, bearer(world.tokens["ig.all"]), reference="MC-2026-00000-00000")

    assert body["data"] == {"case": None} and codes(body) == [("case", "FORBIDDEN")]
    assert await outcomes(runtime) == {("read_case_summary", "not_found"): 1}


async def test_cases_pages_newest_first_filters_and_logs_each_case_shown(
    client: httpx.AsyncClient, world: CaseWorld, runtime: Runtime
) -> None:
    headers = bearer(world.tokens["ig.all"])
    first = await post(client, CASES, headers, first=1)
    page = first["data"]["cases"]
    second = await post(client, CASES, headers, first=1, after=page["pageInfo"]["endCursor"])
    housing = await post(client, CASES, headers, first=5, filter={"service": "housing"})
    still_open = await post(client, CASES, headers, first=5, filter={"state": "OPEN"})

    def references(body: dict[str, Any]) -> list[str]:
        return [edge["node"]["reference"] for edge in body["data"]["cases"]["edges"]]

    assert references(first) == [world.fire_case_reference]  # opened 10 days ago, then 60
    assert page["pageInfo"]["hasNextPage"] is True
    assert references(second) == [world.case_reference]
    assert second["data"]["cases"]["pageInfo"]["hasNextPage"] is False
    assert references(housing) == [world.case_reference]
    assert references(still_open) == [world.fire_case_reference]
    # One entry per case shown, each naming its case.
    assert await outcomes(runtime) == {("read_case_summary", "allowed"): 4}
    async with runtime.database.sessions() as session:
        shown = (await session.scalars(select(AccessLogEntry.case_id))).all()
    assert shown.count(world.case_id) == 2


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"first": 0}, "first"),
        ({"first": 101}, "first"),
        ({"first": 5, "after": "bm90"}, "after"),
    ],
    ids=["first too small", "first too large", "foreign cursor"],
)
async def test_cases_input_is_checked_with_field_named_errors(
    client: httpx.AsyncClient,
    world: CaseWorld,
    runtime: Runtime,
    variables: dict[str, Any],
    field: str,
) -> None:
    body = await post(client, CASES, bearer(world.tokens["ig.all"]), **variables)

    assert body["data"] is None
    (error,) = body["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (
        "VALIDATION_FAILED",
        field,
    )
    assert await outcomes(runtime) == {("read_case_summary", "refused"): 1}


async def test_a_made_up_service_is_refused_as_one_out_of_scope_and_a_non_slug_by_its_field(
    client: httpx.AsyncClient, world: CaseWorld, runtime: Runtime
) -> None:
    made_up = await post(
        client, CASES, bearer(world.tokens["ig.all"]), first=5, filter={"service": "parking"}
    )
    not_a_slug = await post(
        client, CASES, bearer(world.tokens["ig.all"]), first=5, filter={"service": "Housing "}
    )

    assert made_up["data"] is None and codes(made_up) == [("cases", "FORBIDDEN")]
    assert not_a_slug["data"] is None
    assert not_a_slug["errors"][0]["extensions"]["field"] == "filter.service"
    # Which services there are is not told apart; the log keeps the truth.
    assert await outcomes(runtime) == {("read_case_summary", "not_found"): 1}


async def test_a_break_glass_reason_is_destroyed_with_its_case(
    client: httpx.AsyncClient, world: CaseWorld, runtime: Runtime
) -> None:
    """Sealed under the case's key, the reason goes when the key is shredded; the entry (ids,
    outcome) stays and still verifies."""
    headers = bearer(world.tokens["ig.all"])
    await post(client, CASE_DETAIL, headers, reference=world.case_reference, reason=REASON)

    await runtime.vault.shred("case", world.case_id)
    review = await post(client, REVIEW, headers)
    verified = await post(client, "query { verifyAccessLog { ok } }", headers)

    nodes = [edge["node"] for edge in review["data"]["breakGlassReview"]["edges"]]
    assert nodes == [
        {"actor": "staff:ig.all", "outcome": "break_glass", "reason": REASON_DESTROYED}
    ]
    assert verified["data"] == {"verifyAccessLog": {"ok": True}}
