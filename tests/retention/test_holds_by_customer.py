"""A customer's holds listed over HTTP as an IG officer: `retentionHolds` by customerRef,
email or phone lists the holds on the customer and on each case of theirs, each naming what it
holds, each once, paged as a connection; no other customer's; gated and logged against the
customer's id; naming nobody or two at once is refused naming the field."""

from __future__ import annotations

import datetime as dt

import httpx

from api.runtime import Runtime
from tests.api.app_fixtures import FixedClock
from tests.retention.test_customer_holds import PLACE, _hold_entries
from tests.retention.test_graphql import ask, nodes, token
from tests.retention.test_pages import pages
from tests.retention.world import add_case, build_world

OPEN_REQUEST = """mutation Open($customerRef: String) {
  openSubjectAccessRequest(customerRef: $customerRef) { id } }"""
HOLDS = """query Holds($caseRef: String, $customerRef: String, $email: String, $phone: String,
  $first: Int! = 20, $after: String) {
  retentionHolds(caseRef: $caseRef, customerRef: $customerRef, email: $email, phone: $phone,
    first: $first, after: $after) {
    edges { cursor node { id reason automatic customerId caseReference } }
    pageInfo { hasNextPage endCursor } } }"""


async def test_an_ig_officer_lists_a_customers_holds_and_those_on_each_case_of_theirs(
    runtime: Runtime, client: httpx.AsyncClient, clock: FixedClock
) -> None:
    # Given a customer with a case in housing and one in fire safety, and another customer
    world = await build_world(runtime.database, clock.now)
    db, vault = runtime.database, runtime.vault
    first_case = await add_case(db, vault, world, ends_on=[dt.date(2020, 2, 29)])
    customer = world.customers[first_case]
    customer_ref, email = (world.canaries[first_case][k] for k in ("reference", "email"))
    second_case = await add_case(
        db, vault, world, ends_on=[None], customer_id=customer, service="fire-safety"
    )
    other_case = await add_case(db, vault, world, ends_on=[dt.date(2020, 2, 29)])
    first_ref, second_ref, other_ref = (
        world.references[c] for c in (first_case, second_case, other_case)
    )
    ig_one, manager = (token(runtime, name, clock.now) for name in ("ig.one", "manager.housing"))

    # And holds on the customer, on each of their cases, and on the other customer's case
    async def place(reason: str, **named: str) -> str:
        answer = await ask(client, ig_one, PLACE, reason=reason, **named)
        hold_id: str = answer["data"]["placeHold"]["id"]
        return hold_id

    on_customer = await place("litigation", customerRef=customer_ref)
    on_first = await place("ombudsman_investigation", caseRef=first_ref)
    on_second = await place("open_complaint", caseRef=second_ref)
    await place("litigation", caseRef=other_ref)
    opened = await ask(client, ig_one, OPEN_REQUEST, customerRef=customer_ref)
    assert "errors" not in opened, opened

    before = len(await _hold_entries(runtime.database, customer))  # placing the holds of theirs

    # When an IG officer lists the customer's holds by their reference
    listed = nodes(await ask(client, ig_one, HOLDS, customerRef=customer_ref), "retentionHolds")

    # Then each hold of theirs is there once, saying what it names, by reason, automatic first
    shown = [
        (n["reason"], n["id"], n["automatic"], n["customerId"], n["caseReference"]) for n in listed
    ]
    assert shown == [
        ("litigation", on_customer, False, str(customer), None),
        ("ombudsman_investigation", on_first, False, None, first_ref),
        ("open_complaint", on_second, False, None, second_ref),
        ("subject_access_request", None, True, str(customer), None),
    ]
    # And by email the same customer's list is the same
    by_email = nodes(await ask(client, ig_one, HOLDS, email=email), "retentionHolds")
    assert by_email == listed
    # And paged one at a time, the pages walk the same list
    walked = await pages(client, ig_one, HOLDS, "retentionHolds", customerRef=customer_ref, first=1)
    assert [page[0] for page in walked] == listed and all(len(p) == 1 for p in walked)
    # And each listing was gated and logged against the customer's id, the paged walk once
    # per page
    lists = 2 + len(walked)
    logged = await _hold_entries(runtime.database, customer)
    assert logged[before:] == [("staff:ig.one", "allowed")] * lists
    # And a case's list says which case its own holds name (the customer's hold names them)
    on_case = nodes(await ask(client, ig_one, HOLDS, caseRef=first_ref), "retentionHolds")
    assert [(n["reason"], n["customerId"], n["caseReference"]) for n in on_case] == [
        ("litigation", str(customer), None),
        ("ombudsman_investigation", None, first_ref),
        ("subject_access_request", None, first_ref),
    ]

    # When a manager asks, or nobody or two at once is named
    refused = await ask(client, manager, HOLDS, customerRef=customer_ref)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    logged = await _hold_entries(runtime.database, customer)
    assert logged[-1] == ("staff:manager.housing", "denied")
    for wrong in (
        {},
        {"caseRef": first_ref, "customerRef": customer_ref},
        {"email": email, "phone": "01"},
    ):
        said = await ask(client, ig_one, HOLDS, **wrong)
        (error,) = said["errors"]
        assert (error["extensions"]["code"], error["extensions"]["field"]) == (
            "VALIDATION_FAILED",
            "caseRef",
        ), said
        assert email not in error["message"]
    # And a customer reference that names nobody is refused as one the caller may not see
    unknown = await ask(client, ig_one, HOLDS, customerRef="CUS-NOBODY-1")
    assert unknown["errors"][0]["extensions"]["code"] == "FORBIDDEN"
