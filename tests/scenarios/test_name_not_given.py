"""A customer whose name is not given, over HTTP (RCT Appendix 2, 6: correspondence from
someone who will not say who they are may still lead to restricted contact): a case opened
for them by email alone with `nameWithheld`, taken to a decision; the case shows the name as
not given, the letters greet them without a blank, and the portal asking by that email is
told of the arrangements like anyone else's. Contradictions are refused naming the field,
writing nothing; a later lookup by their email finds them and opens their case."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import func, select

from records.models import Case, Customer
from tests.scenarios.conftest import WalkFactory
from tests.scenarios.world import (
    LETTERS_ONLY,
    NAMED_OFFICER,
    STAGE_ONE,
    Walk,
    decision,
    notify,
    safeguards,
)

PROFILE = "rhondda-cynon-taf"
EMAIL = "no.name.given@example.org"
STATUS = (
    "query Status($lookup: RestrictionLookup!, $service: String!) { restrictionStatus("
    "lookup: $lookup, service: $service) { restricted arrangements { kind } } }"
)
CUSTOMER = (
    "query C($r: String!) { case(reference: $r) { detail { customer "
    "{ name reference contactDetails { kind value } } } } }"
)
EXPORT = "query E($ref: String!) { subjectAccessExport(customerRef: $ref) { json html } }"


async def test_a_customer_known_only_by_email_is_restricted_like_anyone(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, dt.date(2027, 3, 19)) as walk:
        refusals = {
            "input.customer.nameWithheld": (
                {"email": EMAIL, "name": "Someone Sample", "nameWithheld": True},
                {"customerRef": "RCT-A2-1", "nameWithheld": True},
            ),
            "input.customer.name": ({"email": EMAIL},),
        }
        for field, customers in refusals.items():
            for customer in customers:
                refused = await walk.open_refused("officer", customer)
                assert (refused.code, refused.field) == ("VALIDATION_FAILED", field), customer
                assert EMAIL not in refused.message and "RCT-A2-1" not in refused.message
        assert await _counts(walk) == (0, 0)  # nothing written

        opened = await walk.open("officer", {"email": EMAIL, "nameWithheld": True})
        assert opened["event"]["details"]["customerCreated"] is True
        assert "nameWithheld" not in json.dumps(opened["event"]["details"])  # the customer's
        assert await _customer(walk) == {
            "name": None,
            "reference": None,
            "contactDetails": [{"kind": "EMAIL", "value": EMAIL}],
        }
        # RCT Appendix 2, 6: the follow-up correspondence escalates.
        await walk.step(
            "officer", "recordEvidence", channel="EMAIL", occurredOn="2027-03-01",
            summary="Twelve emails in one day, after the request to give a name.",
        )  # fmt: skip
        await walk.step(
            "officer", "recordConcern", category="CONTACT_VOLUME",
            description="Emails to elected Members several times a day.",
        )  # fmt: skip
        await walk.step("manager", "assignStaff", username="decider", relation="DECISION_MAKER")
        await walk.step("officer", "recordSafeguards", checks=safeguards(PROFILE))
        await walk.step("manager", "issueWarning", **STAGE_ONE)
        await notify(walk, "WARNING")
        await walk.step("decider", "decide", **decision(walk.today, NAMED_OFFICER, LETTERS_ONLY))
        await notify(walk, "DECISION")

        for letter in await _letters(walk):
            assert "\nDear correspondent,\n" in letter
            assert "Dear ," not in letter and "None" not in letter

        status = await _status(walk, EMAIL)
        assert status["restricted"] is True
        assert {a["kind"] for a in status["arrangements"]} == {"NAMED_OFFICER", "CONTACT_CHANNEL"}
        assert (await _status(walk, "someone.else@example.org"))["restricted"] is False

        # Found again by their email, whatever is said of the name: their case in progress is
        # named, for the new concern to go on it, and the name is not changed (openCase never
        # changes a name; recordCustomerName does, tests/scenarios/test_customer_name.py).
        for customer in ({"email": EMAIL, "nameWithheld": True}, {"email": EMAIL, "name": "X Y"}):
            again = await walk.open_refused("officer", customer)
            assert (again.field, walk.reference in again.message) == ("input.customer", True)
            assert (await _customer(walk))["name"] is None
        assert await _counts(walk) == (1, 1)


async def test_a_subject_access_export_says_the_name_was_not_given(
    walk_factory: WalkFactory,
) -> None:
    """Where the council gave the person a reference beside their email (the export finds a
    customer by reference), the export says the name was not given, never a blank."""
    async with walk_factory(PROFILE, dt.date(2027, 3, 19)) as walk:
        given = {"email": EMAIL, "customerRef": "RCT-A2-7", "nameWithheld": True}
        assert (await walk.open("officer", given))["event"]["details"]["customerCreated"]
        exported = (await walk.graphql("helpdesk", EXPORT, ref="RCT-A2-7"))["subjectAccessExport"]
    assert json.loads(exported["json"])["customer"]["name"] is None
    assert "<dt>Name</dt><dd>not given</dd>" in exported["html"]
    assert "None" not in exported["html"]


async def _counts(walk: Walk) -> tuple[int, int]:
    async with walk.runtime.database.sessions() as session:
        customers = await session.scalar(select(func.count()).select_from(Customer))
        cases = await session.scalar(select(func.count()).select_from(Case))
    return customers or 0, cases or 0


async def _customer(walk: Walk) -> dict[str, Any]:
    data = await walk.graphql("officer", CUSTOMER, r=walk.reference)
    customer: dict[str, Any] = data["case"]["detail"]["customer"]
    return customer


async def _letters(walk: Walk) -> list[str]:
    events = await walk.timeline("officer")
    kept = [e["details"]["letter"] for e in events if e["step"] == "NOTIFICATION_RECORDED"]
    assert len(kept) == 2  # the warning and the decision
    return kept


async def _status(walk: Walk, email: str) -> dict[str, Any]:
    response = await walk.client.post(
        "/graphql",
        json={"query": STATUS, "variables": {"lookup": {"email": email}, "service": "housing"}},
        headers={"Authorization": f"ApiKey {walk.portal_key}"},
    )
    status: dict[str, Any] = response.json()["data"]["restrictionStatus"]
    return status
