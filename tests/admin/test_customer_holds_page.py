"""The admin panel's holds page places a hold on a customer (found as subject access finds
them, posted, never in an address) or on a case, lists it by the customer's id (never a name
or reference), gated and logged against the customer, and releases it; bad input is refused
naming its field. Over HTTP through the app, SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re

import httpx

from records.customers import NewContact
from records.database import Database
from records.models import ContactKind, Role
from records.vault import Vault
from tests.admin.conftest import add_panel_staff, post_confirmed, post_form, refusal, sign_in
from tests.admin.test_panel_http import entries
from tests.admin.test_records_pages import SHOWN, cells, ig_world
from tests.api.app_fixtures import FixedClock
from tests.retention.world import add_case, add_caseless_customer

_RELEASE = re.compile(
    r'action="[^"]*/admin/holds/release".*?name="id" value="([0-9a-f-]{36})"', re.S
)


async def test_an_ig_officer_holds_and_releases_a_customer_in_the_panel(
    client: httpx.AsyncClient, database: Database, vault: Vault, clock: FixedClock
) -> None:
    # Given a customer with a case and a customer with no case known by phone
    world = await ig_world(database, clock())
    case_id = await add_case(database, vault, world, ends_on=[dt.date(2020, 2, 29)])
    customer_ref = world.canaries[case_id]["reference"]
    caseless = await add_caseless_customer(
        database, vault, "Canaryfay Quillhold", NewContact(ContactKind.PHONE, "07700 900912"),
        dt.datetime(2025, 1, 10, 9, tzinfo=dt.UTC),
    )  # fmt: skip
    await sign_in(client, "ig.one")

    # When the IG officer names a case and a customer at once, or gives free text as reason
    both = await post_form(
        client, "/admin/holds", "/admin/holds/place", case_ref=world.references[case_id],
        customer_ref=customer_ref, reason="litigation",
    )  # fmt: skip
    assert both.status_code == 400 and "case_ref" in both.text and customer_ref not in both.text
    free = await post_form(
        client, "/admin/holds", "/admin/holds/place", customer_phone="07700 900912",
        reason="Canary asked us to",
    )  # fmt: skip
    assert free.status_code == 400 and "reason" in free.text and "Canary" not in free.text

    # When they hold the customer with no case by phone number
    placed = await post_form(
        client, "/admin/holds", "/admin/holds/place", customer_phone="07700 900912",
        reason="litigation",
    )  # fmt: skip
    assert placed.status_code == 303 and "07700" not in placed.headers["location"]

    # Then the holds page lists it by the customer's id, with a release button
    page = (await client.get("/admin/holds")).text
    assert cells(f"customer {caseless}", "litigation", "placed", SHOWN["ig.one"]) in page
    assert "Canaryfay" not in page and "900912" not in page
    logged = await entries(database, actor="staff:ig.one", operation="manage_holds")
    assert ("allowed", caseless) in [(e.outcome, e.customer_id) for e in logged]

    # When they release it
    (hold_id,) = _RELEASE.findall(page)
    unasked = await post_form(client, "/admin/holds", "/admin/holds/release", id=hold_id)
    assert unasked.status_code == 409 and "needs confirming" in refusal(unasked.text)
    assert f"customer {caseless}" in (await client.get("/admin/holds")).text  # still held
    released = await post_confirmed(client, "/admin/holds", "/admin/holds/release", id=hold_id)
    assert released.status_code == 303

    # Then it is no longer in force
    assert f"customer {caseless}" not in (await client.get("/admin/holds")).text


async def test_a_second_hold_for_the_same_reason_is_refused_on_the_holds_page(
    client: httpx.AsyncClient, database: Database, vault: Vault, clock: FixedClock
) -> None:
    # Given a case held for litigation from the panel
    world = await ig_world(database, clock())
    case_id = await add_case(database, vault, world, ends_on=[dt.date(2020, 2, 29)])
    reference = world.references[case_id]
    await sign_in(client, "ig.one")
    placed = await post_form(
        client, "/admin/holds", "/admin/holds/place", case_ref=reference, reason="litigation"
    )
    assert placed.status_code == 303
    (hold_id,) = _RELEASE.findall((await client.get("/admin/holds")).text)

    # When the IG officer places it again
    again = await post_form(
        client, "/admin/holds", "/admin/holds/place", case_ref=reference, reason="litigation"
    )

    # Then the holds page says so, naming the hold in force, and lists that one only
    assert again.status_code == 409
    said = refusal(again.text)
    assert "litigation hold is already in force on this case" in said and hold_id in said
    assert _RELEASE.findall((await client.get("/admin/holds")).text) == [hold_id]


async def test_an_administrator_placing_a_hold_learns_nothing_of_whether_it_names_anyone(
    client: httpx.AsyncClient, database: Database, vault: Vault, clock: FixedClock
) -> None:
    # Given a case and its customer, and an administrator signed in to the panel
    world = await ig_world(database, clock())
    case_id = await add_case(database, vault, world, ends_on=[dt.date(2020, 2, 29)])
    customer_ref = world.canaries[case_id]["reference"]
    await add_panel_staff(database, "panel.admin", Role.ADMIN)
    await sign_in(client, "panel.admin")
    before = len(await entries(database, actor="staff:panel.admin"))

    # When they post the holds form naming the case, a case that is not there, the customer
    # and a customer who is not there
    answers = [
        await post_form(client, "/admin/staff", "/admin/holds/place", reason="litigation", **named)
        for named in (
            {"case_ref": world.references[case_id]},
            {"case_ref": "MC-2026-NOPE1-NOPE2"},
            {"customer_ref": customer_ref},
            {"customer_ref": "CUS-NOBODY"},
        )
    ]

    # Then all four are the same refusal, holding nothing of either, each logged as denied
    assert [a.status_code for a in answers] == [403] * 4
    assert len({a.text for a in answers}) == 1
    assert customer_ref not in answers[0].text and str(case_id) not in answers[0].text
    denied = (await entries(database, actor="staff:panel.admin"))[before:]
    assert [(e.operation, e.outcome) for e in denied if e.operation != "manage_staff"] == [
        ("manage_holds", "denied")
    ] * 4
