"""A customer's new email or phone number, over HTTP. The customer has arrangements in force
(a health-and-safety premises exclusion among them); they write from a new address, and the
portal asking by it is told nothing is restricted until the case officer records it
(`recordContactDetails`); then the portal is told the arrangements and how to handle the
contact, and after the address is removed, nothing again. Refusals name their field, never
echo the value and write nothing; front-line staff and the portal may not change details;
every attempt is in the access log. `openCase` for a customer found by one detail adds the
others given, or refuses one another customer has. One new email given to two customers at
once goes to one; the other is refused. Two steps on two cases of one customer, each taking
away a different last way to find or name them at once, leave one: the second is refused;
two addresses added at once (a step and `openCase`) leave one of them preferred."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import func, select

from records.customer_import import import_customers
from records.customers import NewContact, NewCustomer
from records.database import Database
from records.errors import ValidationFailed
from records.lookup import LookupKind
from records.models import Case, ContactDetail, ContactKind, CustomerKind
from tests.scenarios.conftest import WalkFactory
from tests.scenarios.test_name_not_given import EXPORT
from tests.scenarios.world import OPEN_CASE, Refused, Walk, at_once, mutation, prelude

PROFILE = "cambridgeshire-cc"
EMAIL = "morgan.sample@example.org"
NEW_EMAIL = "m.sample.new@example.net"
PHONE = "07700 900123"
OTHER_EMAIL = "sam.other@example.org"
HS_EXCLUSION = {
    "kind": "PREMISES_EXCLUSION",
    "parameters": {"premises": ["Shire Hall reception"], "health_and_safety": True},
}
DETAILS = "recordContactDetails"
LETTERS = {"kind": "CONTACT_CHANNEL", "parameters": {"channels": ["letter"]}}
STATUS = (
    "query Status($lookup: RestrictionLookup!, $service: String!) { restrictionStatus("
    "lookup: $lookup, service: $service) { restricted arrangements { kind handlingInstructions } "
    "} }"
)


async def test_a_new_email_finds_the_customer_once_recorded(walk_factory: WalkFactory) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await _restricted_customer(walk)
        assert (await _status(walk, email=NEW_EMAIL))["restricted"] is False
        logged = len(await walk.updates_logged())

        done = await walk.step("officer", "recordContactDetails", add=[{"email": NEW_EMAIL}])
        assert done["event"]["step"] == "CONTACT_DETAILS_RECORDED"
        assert done["event"]["details"] == {"added": {"email": 1}, "removed": {}}
        assert NEW_EMAIL not in str(await walk.timeline("manager"))

        # Found however the portal spells it: the lookup's own normalising.
        status = await _status(walk, email="  M.Sample.NEW@Example.net ")
        assert status["restricted"] is True
        kinds = {a["kind"]: a["handlingInstructions"] for a in status["arrangements"]}
        assert set(kinds) == {"PREMISES_EXCLUSION", "CONTACT_CHANNEL"}
        assert all(kinds.values())

        # A correction: the new number in, the new address out, in one step.
        await walk.step(
            "manager", "recordContactDetails", add=[{"phone": PHONE}],
            remove=[{"email": NEW_EMAIL.upper()}],
        )  # fmt: skip
        assert (await _status(walk, email=NEW_EMAIL))["restricted"] is False
        assert (await _status(walk, phone="+44 7700 900123"))["restricted"] is True
        assert (await _status(walk, email=EMAIL))["restricted"] is True

        newest_first = (await walk.updates_logged())[: len(await walk.updates_logged()) - logged]
        assert newest_first == [("staff:manager", "allowed"), ("staff:officer", "allowed")]


async def test_refusals_name_the_field_and_write_nothing(walk_factory: WalkFactory) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await walk.open("officer", {"email": OTHER_EMAIL, "name": "Sam Other"})
        await _restricted_customer(walk)
        before = await _written(walk)
        logged = len(await walk.updates_logged())
        refusals = [
            ({"add": [{"email": "not an address"}]}, "input.add.0.email", "not an email"),
            ({"add": [{"phone": "12"}]}, "input.add.0.phone", "not a telephone"),
            ({"add": [{"email": EMAIL}]}, "input.add.0.email", "already recorded for this"),
            ({"add": [{"email": OTHER_EMAIL}]}, "input.add.0.email", "another customer"),
            # Reads as Sam's address on screen: refused, not kept as a new one.
            ({"add": [{"email": OTHER_EMAIL.replace("@", "\u200b@")}]},
             "input.add.0.email", "invisible"),
            ({"remove": [{"email": OTHER_EMAIL}]}, "input.remove.0.email", "not recorded"),
            ({"remove": [{"email": EMAIL}]}, "input.remove", "no way to find"),
            ({"add": [{"email": NEW_EMAIL}, {"email": NEW_EMAIL.upper()}]},
             "input.add.1.email", "given twice"),
            ({"add": [{"email": NEW_EMAIL, "phone": PHONE}]}, "input.add.0.email", "one per"),
            ({}, "input.add", "add or one to remove"),
        ]  # fmt: skip
        for given, field, words in refusals:
            refused = await walk.refused("officer", "recordContactDetails", **given)
            assert (refused.code, refused.field) == ("VALIDATION_FAILED", field), given
            assert words in refused.message, refused.message
            for value in (EMAIL, OTHER_EMAIL, NEW_EMAIL, "not an address"):
                assert value.casefold() not in refused.message.casefold()
        assert await _written(walk) == before

        denied = await walk.refused("frontline", "recordContactDetails", add=[{"email": NEW_EMAIL}])
        assert denied.code == "FORBIDDEN"
        portal = await walk.refused_to_portal("recordContactDetails", add=[{"email": NEW_EMAIL}])
        assert portal["extensions"]["code"] == "FORBIDDEN"
        assert await _written(walk) == before
        assert (await _status(walk, email=NEW_EMAIL))["restricted"] is False

        entries = await walk.updates_logged()
        newest_first = entries[: len(entries) - logged]
        (portal_actor, portal_outcome), *rest = newest_first
        assert portal_actor.startswith("portal:") and portal_outcome == "denied"
        assert rest == [("staff:frontline", "denied")] + [("staff:officer", "refused")] * len(
            refusals
        )


async def test_open_case_adds_the_details_a_found_customer_lacks(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await walk.open("officer", {"email": OTHER_EMAIL, "name": "Sam Other", "phone": PHONE})
        await _restricted_customer(walk)
        before = await _written(walk)
        # Their case in progress is in housing: a case in fire safety, by a manager there.
        fire = {"who": "helpdesk", "service": "fire-safety"}
        refused = await walk.open_refused(customer={"email": EMAIL, "phone": PHONE}, **fire)
        assert (refused.code, refused.field) == ("VALIDATION_FAILED", "input.customer.phone")
        assert "another customer" in refused.message
        assert await _written(walk) == before

        again = await walk.open(customer={"email": EMAIL, "phone": "07700 900456"}, **fire)
        assert again["event"]["details"]["customerCreated"] is False
        assert again["event"]["details"]["contactDetailsAdded"] == {"phone": 1}
        assert (await _status(walk, phone="+447700900456"))["restricted"] is True
        # Closed, and opened once more with the same details: nothing more to add.
        await walk.step("helpdesk", "closeNoAction", reasons="Opened to record the new number.")
        third = await walk.open(customer={"email": EMAIL, "phone": "07700 900456"}, **fire)
        assert "contactDetailsAdded" not in third["event"]["details"]


async def test_two_customers_given_one_new_email_at_once_one_is_refused(
    database: Database, walk_factory: WalkFactory
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        sam = await walk.open("officer", {"email": OTHER_EMAIL, "name": "Sam Other"})
        morgan = await walk.open("officer", {"email": EMAIL, "name": "Morgan Sample"})
        refs = [sam["case"]["reference"], morgan["case"]["reference"]]
        # On PostgreSQL the first is held at its insert of the address: without the lock on
        # it, the second would find no one holding it too and wait beside it, and both
        # would add it.
        both = [_add_email(walk, ref, NEW_EMAIL) for ref in refs]
        answers = await at_once(database.engine, "contact_details", both)

        refused = [a for a in answers if isinstance(a, Refused)]
        assert len(refused) == 1 and refused[0].field == "input.add.0.email"
        assert "another customer" in refused[0].message
        async with walk.runtime.database.sessions() as session:
            holders = await session.scalar(
                select(func.count()).where(
                    ContactDetail.digest
                    == walk.runtime.vault.blind_index(LookupKind.EMAIL, NEW_EMAIL)
                )
            )
        assert holders == 1


async def test_a_case_opened_during_an_import_naming_its_email_leaves_one_holder(
    database: Database, walk_factory: WalkFactory
) -> None:
    """A bulk import gives an email to a customer while `openCase` names the same email for
    someone new. On PostgreSQL both are held at their write of the email: without the
    register's lock (which the import holds and `openCase` takes shared), each would have
    found no one holding it, and the portal would find two customers. With it, whichever is
    second finds the first's: the case opens for the imported customer, or the import is
    refused naming its row."""
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        runtime = walk.runtime
        row = NewCustomer(
            CustomerKind.INDIVIDUAL,
            "Imported Person",
            contacts=(NewContact(ContactKind.EMAIL, NEW_EMAIL, label="email"),),
        )

        async def imported() -> int | ValidationFailed:
            async with runtime.database.sessions() as session:
                try:
                    count = await import_customers(session, runtime.vault, [row])
                except ValidationFailed as refused:
                    return refused
                await session.commit()
                return count

        async def opened() -> dict[str, Any] | Refused:
            try:
                return await walk.open("officer", {"email": NEW_EMAIL, "name": "Morgan Sample"})
            except Refused as refused:
                return refused

        import_answer, open_answer = await at_once(
            database.engine, "contact_details", [imported(), opened()]
        )

        assert not isinstance(open_answer, Refused)
        if isinstance(import_answer, ValidationFailed):
            assert import_answer.field == "row 1 email"
        else:
            assert import_answer == 1
            assert open_answer["event"]["details"]["customerCreated"] is False
        async with runtime.database.sessions() as session:
            holders = await session.scalar(
                select(func.count(func.distinct(ContactDetail.customer_id))).where(
                    ContactDetail.digest == runtime.vault.blind_index(LookupKind.EMAIL, NEW_EMAIL)
                )
            )
        assert holders == 1


async def test_two_steps_removing_a_customers_last_two_details_at_once_leave_one(
    database: Database, walk_factory: WalkFactory
) -> None:
    """Morgan has an email and a phone number and no reference, and a case in housing and one
    in fire safety. Removing the email on one and the phone number on the other at once could
    each count two ways to find them, one left after its own removal, and leave none."""
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        morgan = {"email": EMAIL, "phone": PHONE, "name": "Morgan Sample"}
        housing = (await walk.open("officer", morgan))["case"]["reference"]
        fire = await _opened_in_fire_safety(walk, {"email": EMAIL})
        # On PostgreSQL each is held at its delete: without the lock on the customer, each
        # would have counted both details before either went.
        both = [
            _taken(walk, "officer", DETAILS, housing, remove=[{"email": EMAIL}]),
            _taken(walk, "helpdesk", DETAILS, fire, remove=[{"phone": PHONE}]),
        ]
        answers = await at_once(database.engine, "contact_details", both)

        refused = [a for a in answers if isinstance(a, Refused)]
        assert len(refused) == 1 and refused[0].field == "input.remove"
        assert "no way to find the customer" in refused[0].message
        async with walk.runtime.database.sessions() as session:
            left = await session.scalar(select(func.count()).select_from(ContactDetail))
        assert left == 1


async def test_removing_the_last_email_and_withholding_the_name_at_once_leave_one_known(
    database: Database, walk_factory: WalkFactory
) -> None:
    """Morgan, with a reference, is named and has one email. Removing the email (the reference
    is left, and the name says who they are) and recording the name as not given (the email
    says who they are) are each allowed alone; at once, one is refused, whichever is second."""
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        morgan = {"email": EMAIL, "name": "Morgan Sample", "customerRef": "CUS-77"}
        housing = (await walk.open("officer", morgan))["case"]["reference"]
        fire = await _opened_in_fire_safety(walk, {"customerRef": "CUS-77"})
        # On PostgreSQL one is held at its delete of the email, the other at its write of the
        # name: without the lock on the customer, each would have seen the other's detail.
        both = [
            _taken(walk, "officer", DETAILS, housing, remove=[{"email": EMAIL}]),
            _taken(walk, "helpdesk", "recordCustomerName", fire, nameWithheld=True),
        ]
        answers = await at_once(database.engine, "contact_details, customers", both)

        refused = [a for a in answers if isinstance(a, Refused)]
        assert len(refused) == 1 and refused[0].field in ("input.remove", "input.nameWithheld")
        exported = await walk.graphql("helpdesk", EXPORT, ref="CUS-77")
    customer = json.loads(exported["subjectAccessExport"]["json"])["customer"]
    emails = [c for c in customer["contacts"] if c["kind"] == "email"]
    # Exactly one of the two was done: the email removed, or the name recorded as not given.
    assert (customer["name"], len(emails)) in {("Morgan Sample", 0), (None, 1)}


async def test_two_addresses_added_at_once_one_is_preferred(
    database: Database, walk_factory: WalkFactory
) -> None:
    """Morgan has no address. A step on their housing case adds one while `openCase` in fire
    safety, finding them by email, adds another: each is the first, so each would be made the
    one letters go to, unless the second waits for the first (the customer's row, held by
    both) and then finds one preferred already."""
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        housing = await walk.open("officer", {"email": EMAIL, "name": "Morgan Sample"})
        home = {"lines": ["1 Example Street", "Exampletown"], "postcode": "ZZ1 1ZZ"}
        other = {"lines": ["3 Sample Road", "Sampleton"], "postcode": "ZZ2 2ZZ"}
        fire = {"customer": {"email": EMAIL, "address": other}}
        both = [
            _taken(walk, "officer", DETAILS, housing["case"]["reference"], add=[{"address": home}]),
            walk.graphql("helpdesk", OPEN_CASE, service="fire-safety", input=fire),
        ]
        answers = await at_once(database.engine, "contact_details", both)

        assert not [a for a in answers if isinstance(a, Refused)]
        async with walk.runtime.database.sessions() as session:
            preferred = await session.scalars(
                select(ContactDetail.preferred).where(ContactDetail.kind == ContactKind.ADDRESS)
            )
            assert sorted(preferred) == [False, True]


async def _opened_in_fire_safety(walk: Walk, customer: dict[str, str]) -> str:
    """A second case for the customer, in fire safety, opened by a manager there."""
    opened = await walk.open("helpdesk", customer, service="fire-safety")
    reference: str = opened["case"]["reference"]
    return reference


async def _taken(
    walk: Walk, who: str, step: str, reference: str, **given: Any
) -> dict[str, Any] | Refused:
    """The step `step` with input `given` on the case `reference`; its refusal, if refused."""
    try:
        return await walk.graphql(who, mutation(step), reference=reference, input=given)
    except Refused as refused:
        return refused


async def _add_email(walk: Walk, reference: str, email: str) -> dict[str, Any] | Refused:
    return await _taken(walk, "officer", "recordContactDetails", reference, add=[{"email": email}])


async def _restricted_customer(walk: Walk) -> None:
    """Morgan Sample (EMAIL) with an immediate-risk decision in force in housing."""
    await prelude(walk, EMAIL)
    await walk.step(
        "manager", "decideImmediateRisk", risk="Threats made to staff at reception.",
        reasons="Staff safety.", startsOn="2026-03-02", endsOn="2026-04-30",
        arrangements=[HS_EXCLUSION, LETTERS],
    )  # fmt: skip
    assert (await _status(walk, email=EMAIL))["restricted"] is True


async def _status(walk: Walk, **lookup: str) -> dict[str, Any]:
    response = await walk.client.post(
        "/graphql",
        json={"query": STATUS, "variables": {"lookup": lookup, "service": "housing"}},
        headers={"Authorization": f"ApiKey {walk.portal_key}"},
    )
    status: dict[str, Any] = response.json()["data"]["restrictionStatus"]
    return status


async def _written(walk: Walk) -> tuple[int, int, int]:
    """Contact details, cases, and steps on the walk's case."""
    async with walk.runtime.database.sessions() as session:
        details = await session.scalar(select(func.count()).select_from(ContactDetail))
        cases = await session.scalar(select(func.count()).select_from(Case))
    steps = len(await walk.timeline("officer"))
    return details or 0, cases or 0, steps
