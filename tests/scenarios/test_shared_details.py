"""Customers who share a detail, from a register imported before the rule that a detail finds
one customer: `tact customers duplicates` lists them in groups (the kind, each customer's id,
their cases' references and states; never a value, a name or the blind index), through the
gate and into the access log; the portal, asking over HTTP by the shared email, is told the
restricted customer's arrangements whichever customer the database returns first; the case
officer of the customer it is not theirs removes it with `recordContactDetails`, and the group
is gone; so does the reference group, once one of the two customers has a case to take the
step on."""

from __future__ import annotations

import datetime as dt
import getpass
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from records.contact_details import add_contact
from records.customers import NewContact, NewCustomer, create_customers
from records.lookup import LookupKind
from records.models import AccessLogEntry, Case, ContactKind, CustomerKind
from tests.cli import tact, tact_env
from tests.scenarios.conftest import WalkFactory
from tests.scenarios.test_contact_details import (
    DETAILS,
    EMAIL,
    OTHER_EMAIL,
    PROFILE,
    _restricted_customer,
    _status,
)
from tests.scenarios.world import CHECK, Walk, mutation

SHARED_PHONE = "07700 900777"
SHARED_REF = "CUS-9"
TWIN_EMAIL = "twin.two@example.org"


async def test_customers_sharing_a_detail_are_listed_answered_for_and_resolved(
    walk_factory: WalkFactory, database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> None:
    env = tact_env(database_urls, key_file, tmp_path, TACT_JWKS=None, TACT_PROFILE=PROFILE)
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await _restricted_customer(walk)
        morgan_case = walk.reference
        none = await tact(env, "customers", "duplicates")
        assert (none.exit_code, none.stdout) == (0, "no customers share a detail\n"), none.output

        sam_case = await _sam_holding_morgans_email(walk)
        listed = await tact(env, "customers", "duplicates")

        assert listed.exit_code == 0, listed.output
        *groups, advice = [json.loads(line) for line in listed.stdout.splitlines()]
        assert [(g["group"], g["kind"]) for g in groups] == [
            (1, "reference"),
            (2, "email"),
            (3, "phone"),
        ]
        # The email group: Morgan (added first, their case decided) and Sam (a case open).
        shared = groups[1]["customers"]
        assert [c["cases"] for c in shared] == [
            [{"case": morgan_case, "state": "decided"}],
            [{"case": sam_case, "state": "open"}],
        ]
        assert groups[0]["customers"][0]["cases"] == [] == groups[2]["customers"][1]["cases"]
        assert set(advice["next"]) == {"reference", "email", "phone"}
        assert all("recordContactDetails" in advice["next"][kind] for kind in advice["next"])
        for value in (
            EMAIL,
            OTHER_EMAIL,
            "Morgan Sample",
            "Sam Other",
            SHARED_REF,
            "900777",
            _hex(walk),
        ):
            assert value.casefold() not in listed.output.casefold()
        logged = await _logged(walk)
        assert {actor for actor, _, _ in logged} == {f"system:{getpass.getuser()}"}
        listed_ids = {c["customer"] for g in groups for c in g["customers"]}
        # The first listing, of none, is logged too: one entry naming no one.
        assert {customer for _, customer, _ in logged} == listed_ids | {"None"}
        assert {case for _, _, case in logged} >= {morgan_case, sam_case}

        # An IG officer in every service may list them; a case officer may not.
        as_ig = await tact(env, "customers", "duplicates", "--as", "helpdesk")
        refused = await tact(env, "customers", "duplicates", "--as", "officer")
        assert as_ig.stdout == listed.stdout
        assert refused.exit_code == 1 and refused.stdout == ""

        # The portal finds both by the email, and is told Morgan's arrangements.
        status = await _status(walk, email=EMAIL)
        assert status["restricted"] is True
        kinds = {a["kind"] for a in status["arrangements"]}
        assert kinds == {"PREMISES_EXCLUSION", "CONTACT_CHANNEL"}
        assert (await _checked(walk, EMAIL))["outcome"] == "DECLINE"

        # A case opened by the shared email or reference is refused on that field, naming no
        # one: opening it for either customer could be for the wrong person.
        for given, field in ((EMAIL, "email"), (SHARED_REF, "customerRef")):
            shared = await walk.open_refused("helpdesk", {field: given}, service="fire-safety")
            assert shared.field == f"input.customer.{field}"
            assert "more than one customer" in shared.message
            assert given.casefold() not in shared.message.casefold()

        # Sam's case officer removes the email from Sam: not refused by the rule it restores.
        await walk.graphql(
            "officer", mutation(DETAILS), reference=sam_case, input={"remove": [{"email": EMAIL}]}
        )
        after = await tact(env, "customers", "duplicates")
        assert [json.loads(line).get("kind") for line in after.stdout.splitlines()] == [
            "reference",
            "phone",
            None,
        ]
        assert (await _status(walk, email=EMAIL))["restricted"] is True
        assert (await _status(walk, email=OTHER_EMAIL))["restricted"] is False
        # Resolved, the email opens a case for Morgan, the one customer it now finds.
        opened = await walk.open("helpdesk", {"email": EMAIL}, service="fire-safety")
        assert opened["event"]["details"]["customerCreated"] is False

        # The reference group: a case for the second twin (by their own email), and the
        # reference removed from them there, with theirs added in its place.
        twin = await walk.open("helpdesk", {"email": TWIN_EMAIL}, service="fire-safety")
        assert twin["event"]["details"]["customerCreated"] is False
        await walk.step(
            "helpdesk", DETAILS, remove=[{"customerRef": SHARED_REF}],
            add=[{"customerRef": "CUS-10"}],
        )  # fmt: skip
        after = await tact(env, "customers", "duplicates")
        assert [json.loads(line).get("kind") for line in after.stdout.splitlines()] == [
            "phone",
            None,
        ]
        # The reference now finds one customer: a case opens for the first twin by it.
        first = await walk.open("helpdesk", {"customerRef": SHARED_REF}, service="fire-safety")
        assert first["event"]["details"]["customerCreated"] is False
        assert first["case"]["reference"] != twin["case"]["reference"]


async def _sam_holding_morgans_email(walk: Walk) -> str:
    """Rows as an import before the rule wrote them: Sam, given Morgan's email as well as
    his own, with a case open in housing; and two customers without a case sharing a
    reference and a phone number (the second with an email of their own). Returns Sam's case
    reference."""
    runtime = walk.runtime
    sam = NewCustomer(
        CustomerKind.INDIVIDUAL,
        "Sam Other",
        reference="CUS-SAM",
        contacts=(NewContact(ContactKind.EMAIL, OTHER_EMAIL),),
    )
    twins = [
        NewCustomer(
            CustomerKind.INDIVIDUAL,
            name,
            reference=SHARED_REF,
            contacts=(NewContact(ContactKind.PHONE, SHARED_PHONE), *own),
        )
        for name, own in (
            ("Twin One", ()),
            ("Twin Two", (NewContact(ContactKind.EMAIL, TWIN_EMAIL),)),
        )
    ]
    async with runtime.database.sessions() as session, session.begin():
        sam_id, *_ = await create_customers(session, runtime.vault, [sam])
        await create_customers(session, runtime.vault, twins)
        digest = runtime.vault.blind_index(LookupKind.EMAIL, EMAIL)
        await add_contact(session, runtime.vault, sam_id, ContactKind.EMAIL, EMAIL, digest)
    opened = await walk.open("officer", {"customerRef": "CUS-SAM"})
    reference: str = opened["case"]["reference"]
    return reference


async def _checked(walk: Walk, email: str) -> dict[str, Any]:
    """The portal's checkContact for a call to housing from `email`."""
    contact = {"lookup": {"email": email}, "service": "housing", "channel": "PHONE"}
    response = await walk.client.post(
        "/graphql",
        json={"query": CHECK, "variables": {"contact": contact}},
        headers={"Authorization": f"ApiKey {walk.portal_key}"},
    )
    checked: dict[str, Any] = response.json()["data"]["checkContact"]
    return checked


def _hex(walk: Walk) -> str:
    return walk.runtime.vault.blind_index(LookupKind.EMAIL, EMAIL).hex()


async def _logged(walk: Walk) -> list[tuple[str, str, str | None]]:
    """The access log's find_shared_details entries: (actor, customer id, case reference)."""
    async with walk.runtime.database.sessions() as session:
        rows = await session.execute(
            select(AccessLogEntry.actor, AccessLogEntry.customer_id, Case.reference)
            .outerjoin(Case, Case.id == AccessLogEntry.case_id)
            .where(AccessLogEntry.operation == "find_shared_details")
        )
        return [(actor, str(customer), case) for actor, customer, case in rows]
