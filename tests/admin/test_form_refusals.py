"""A form of the panel that refuses its input shows its page again: the menu, the refusal
naming the field by the label the form shows, the field marked, and what was typed kept
(except a field naming a person), with nothing written. Over HTTP through the app, SQLite
and PostgreSQL; tests/admin/test_browser.py sees the same in Chromium."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import func, select

from authz.decisions import runtime_rules
from authz.portal_keys import list_portal_keys
from records.database import Database
from records.models import Role, Staff
from records.staff import staff_grants
from tests.admin.conftest import (
    add_panel_staff,
    marked,
    post_confirmed,
    post_form,
    refusal,
    selected,
    sign_in,
    typed,
)
from tests.admin.test_panel_http import entries
from tests.admin.test_records_pages import ig_world
from tests.api.app_fixtures import FixedClock


async def staff_count(database: Database) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Staff)) or 0)


async def test_a_duplicate_username_keeps_what_was_typed_and_names_the_field(
    client: httpx.AsyncClient, database: Database, panel_staff: None
) -> None:
    await sign_in(client, "panel.admin")
    before = await staff_count(database)
    refused = await post_form(
        client, "/admin/staff", "/admin/staff/add", username="panel.ig",
        display_name="Someone Else", job_title="Case officer", role="manager@housing",
    )  # fmt: skip
    assert refused.status_code == 400
    html = refused.text
    assert 'data-testid="page-title">Staff and roles' in html and "navbar-menu" in html
    assert refusal(html) == "Username: is already in use"
    assert marked(html) == ["add-staff-username"]
    assert typed(html, "add-staff-username") == "panel.ig"
    assert typed(html, "add-staff-display_name") == "Someone Else"
    assert typed(html, "add-staff-job_title") == "Case officer"
    assert typed(html, "add-staff-role") == "manager@housing"
    assert typed(html, "grant-username") == ""  # the other form is left as it was
    assert await staff_count(database) == before
    async with database.sessions() as session:
        kept = await staff_grants(session, "panel.ig")
    assert kept is not None and kept.grants == {(Role.IG_OFFICER, None)}


async def test_a_role_in_an_unknown_service_adds_nobody(
    client: httpx.AsyncClient, database: Database, panel_staff: None
) -> None:
    await sign_in(client, "panel.admin")
    before = await staff_count(database)
    refused = await post_form(
        client, "/admin/staff", "/admin/staff/add", username="new.officer",
        display_name="New Officer", role="manager@nowhere",
    )  # fmt: skip
    assert refused.status_code == 400
    assert refusal(refused.text) == "Role: no such service: nowhere"
    assert marked(refused.text) == ["add-staff-role"]
    assert await staff_count(database) == before  # not added without the role asked for


async def test_an_administrator_does_not_grant_a_role_to_themselves(
    client: httpx.AsyncClient, database: Database, panel_staff: None
) -> None:
    # Otherwise one person could give themselves a case role, and with it case contents.
    await sign_in(client, "panel.admin")
    refused = await post_form(
        client, "/admin/staff", "/admin/staff/grant", username="panel.admin",
        role="case_officer", service="housing",
    )  # fmt: skip
    assert refused.status_code == 400
    assert refusal(refused.text) == "Username: this is you: another administrator can"
    assert marked(refused.text) == ["grant-username"]
    async with database.sessions() as session:
        grants = await staff_grants(session, "panel.admin")
    assert grants is not None and {r for r, _ in grants.grants} == {Role.ADMIN}


async def test_granting_to_an_unknown_username_is_refused_in_the_form(
    client: httpx.AsyncClient, database: Database, panel_staff: None
) -> None:
    await sign_in(client, "panel.admin")
    refused = await post_form(
        client, "/admin/staff", "/admin/staff/grant", username="no.such.person",
        role="manager", service="housing",
    )  # fmt: skip
    assert refused.status_code == 400  # not "There is nothing at this address."
    html = refused.text
    assert refusal(html) == "Username: no member of staff with that username"
    assert marked(html) == ["grant-username"]
    assert typed(html, "grant-username") == "no.such.person"
    assert selected(html, "grant-role") == "manager"
    assert selected(html, "grant-service") == "housing"
    # the gate logged the refusal as the API would, then the page shown again
    outcomes = [e.outcome for e in await entries(database, operation="manage_staff")]
    assert outcomes[-2:] == ["not_found", "allowed"]


async def test_a_portal_key_with_an_expiry_in_the_past_is_not_made(
    client: httpx.AsyncClient, database: Database, panel_staff: None
) -> None:
    await sign_in(client, "panel.admin")
    for days in ("-5", "0", "ten"):
        refused = await post_form(
            client, "/admin/portal-keys", "/admin/portal-keys/issue",
            name="Housing web portal", services="housing", expires_in_days=days,
        )  # fmt: skip
        assert refused.status_code == 400, days
        html = refused.text
        assert refusal(html) == (
            "Expires in (days, blank: never): must be a whole number of days, 1 to 3650"
        )
        assert marked(html) == ["create-key-expires_in_days"]
        assert typed(html, "create-key-name") == "Housing web portal"
        assert typed(html, "create-key-services") == "housing"
        assert 'data-testid="secret"' not in html
    async with database.sessions() as session:
        assert await list_portal_keys(session) == []


async def test_a_hold_on_nobody_keeps_the_reason_and_names_the_field(
    client: httpx.AsyncClient, database: Database, clock: FixedClock
) -> None:
    await ig_world(database, clock())
    await sign_in(client, "ig.one")
    no_case = await post_form(
        client, "/admin/holds", "/admin/holds/place", case_ref="MC-2026-NOPE1-NOPE2",
        reason="ombudsman_investigation",
    )  # fmt: skip
    assert no_case.status_code == 400 and 'data-testid="table-holds"' in no_case.text
    assert refusal(no_case.text) == "Case reference: no case with that reference"
    assert typed(no_case.text, "place-case_ref") == "MC-2026-NOPE1-NOPE2"
    assert selected(no_case.text, "place-reason") == "ombudsman_investigation"
    # a person who is not found is named by the field, but not written back into the page
    no_person = await post_form(
        client, "/admin/holds", "/admin/holds/place", customer_email="nobody@example.org",
        reason="litigation",
    )  # fmt: skip
    assert no_person.status_code == 400
    html = no_person.text
    assert refusal(html) == "An email address recorded for them: no customer found that way"
    assert marked(html) == ["place-customer_email"]
    assert "nobody@example.org" not in html
    assert selected(html, "place-reason") == "litigation"


async def test_a_form_naming_no_one_or_two_lists_the_ways_by_their_labels(
    client: httpx.AsyncClient, database: Database, clock: FixedClock
) -> None:
    await ig_world(database, clock())
    await sign_in(client, "ig.one")
    ways = (
        "Customer reference, an email address recorded for them, a phone number recorded for them"
    )
    # a hold names a case or a customer; neither given
    hold = await post_form(client, "/admin/holds", "/admin/holds/place", reason="litigation")
    assert hold.status_code == 400
    assert refusal(hold.text) == f"Case reference: give exactly one of Case reference, {ways}"
    # a subject access request names its customer one way; two given
    both = await post_form(
        client, "/admin/subject-access", "/admin/subject-access/open", customer_ref="CUS-0001",
        customer_phone="07700 900001",
    )  # fmt: skip
    assert both.status_code == 400 and "07700" not in both.text
    assert refusal(both.text) == f"Customer reference: give exactly one of {ways}"


async def test_a_backwards_access_log_filter_keeps_the_filter_and_names_the_field(
    client: httpx.AsyncClient, database: Database, clock: FixedClock
) -> None:
    await ig_world(database, clock())
    await sign_in(client, "ig.one")
    refused = await post_form(
        client, "/admin/access-log", "/admin/access-log", actor="staff:ig.one",
        operation="read_access_log", **{"from": "2026-06-01", "to": "2026-01-01"},
    )  # fmt: skip
    assert refused.status_code == 400
    html = refused.text
    assert 'data-testid="page-title">Access log' in html and "navbar-menu" in html
    assert refusal(html) == "To (date): must not be before the From date"
    assert marked(html) == ["filter-to"]
    assert typed(html, "filter-from") == "2026-06-01"
    assert typed(html, "filter-to") == "2026-01-01"
    assert typed(html, "filter-actor") == "staff:ig.one"
    assert selected(html, "filter-operation") == "read_access_log"


async def test_an_access_log_filter_by_a_reference_that_names_no_case_is_refused(
    client: httpx.AsyncClient, database: Database, clock: FixedClock
) -> None:
    # An empty table would read as "nobody accessed it".
    await ig_world(database, clock())
    await sign_in(client, "ig.one")
    refused = await post_form(
        client, "/admin/access-log", "/admin/access-log", case_ref="MC-2026-NOPE1-NOPE2"
    )
    assert refused.status_code == 400
    assert refusal(refused.text) == "Case reference: no case with that reference"
    assert marked(refused.text) == ["filter-case_ref"]
    assert typed(refused.text, "filter-case_ref") == "MC-2026-NOPE1-NOPE2"


async def test_an_administrator_cannot_revoke_their_own_last_admin_role(
    client: httpx.AsyncClient, database: Database, panel_staff: None
) -> None:
    await add_panel_staff(database, "other.admin", Role.ADMIN)
    await sign_in(client, "panel.admin")
    refused = await post_confirmed(
        client, "/admin/staff", "/admin/staff/revoke", username="panel.admin", role="admin"
    )
    assert refused.status_code == 400 and 'data-testid="table-staff"' in refused.text
    assert refusal(refused.text) == (
        "Role: this is your own last admin role: another administrator can revoke it"
    )
    async with database.sessions() as session:
        kept = await staff_grants(session, "panel.admin")
    assert kept is not None and (Role.ADMIN, None) in kept.grants  # rolled back
    outcomes = [e.outcome for e in await entries(database, actor="staff:panel.admin")]
    assert outcomes[-2:] == ["refused", "allowed"]  # logged, then the page shown again
    assert (await client.get("/admin/staff")).status_code == 200  # still signed in
    # another administrator's role is theirs to lose
    other = await post_confirmed(
        client, "/admin/staff", "/admin/staff/revoke", username="other.admin", role="admin"
    )
    assert other.status_code == 303


async def test_a_rule_for_no_service_is_not_added(
    client: httpx.AsyncClient, database: Database, panel_staff: None
) -> None:
    await sign_in(client, "panel.admin")
    refused = await post_form(
        client, "/admin/rules", "/admin/rules/add", role="reviewer", domain="housng",
        standing="member", operation="read_reports", effect="allow",
    )  # fmt: skip
    assert refused.status_code == 400
    assert refusal(refused.text).startswith("Service: no service has that slug: give one of ")
    assert typed(refused.text, "add-rule-domain") == "housng"
    async with database.sessions() as session:
        assert await runtime_rules(session) == []


def tag(html: str, element_id: str) -> str:
    """The opening tag of the page's element with id `element_id`."""
    found = re.findall(rf'<[a-z]+\s[^>]*\bid="{re.escape(element_id)}"[^>]*>', html, re.S)
    assert len(found) == 1, f"{len(found)} elements with id {element_id}"
    return found[0]


def text_of(html: str, element_id: str) -> str:
    found = re.search(rf'\bid="{re.escape(element_id)}"[^>]*>([^<]*)<', html)
    assert found, f"no element {element_id}"
    return found.group(1)


def described_by(html: str, element_id: str) -> list[str]:
    found = re.search(r'aria-describedby="([^"]*)"', tag(html, element_id))
    return found.group(1).split() if found else []


async def test_a_refused_input_points_at_its_error_and_its_hint_by_id(
    client: httpx.AsyncClient, database: Database, panel_staff: None
) -> None:
    # Given the staff page, whose role field has a hint under it
    await sign_in(client, "panel.admin")
    shown = (await client.get("/admin/staff")).text
    assert described_by(shown, "add-staff-role") == ["add-staff-role-hint"]
    assert text_of(shown, "add-staff-role-hint").startswith("ROLE for every service")
    assert "aria-invalid" not in tag(shown, "add-staff-role")
    # When a role in an unknown service is refused
    refused = await post_form(
        client, "/admin/staff", "/admin/staff/add", username="new.officer",
        display_name="New Officer", role="manager@nowhere",
    )  # fmt: skip
    html = refused.text
    # Then the role input is marked at fault and a screen reader reads its error, then its
    # hint, with it; a field not at fault and without a hint points at nothing
    assert refused.status_code == 400
    assert 'aria-invalid="true"' in tag(html, "add-staff-role")
    assert described_by(html, "add-staff-role") == ["add-staff-role-error", "add-staff-role-hint"]
    assert text_of(html, "add-staff-role-error") == "no such service: nowhere"
    assert described_by(html, "add-staff-username") == []


async def test_the_column_of_row_buttons_has_a_header_read_aloud(
    client: httpx.AsyncClient, database: Database, panel_staff: None
) -> None:
    await sign_in(client, "panel.admin")
    page = (await client.get("/admin/staff")).text
    assert 'name="csrf_token"' in page.split('data-testid="table-')[1]  # rows with buttons
    assert '<th><span class="visually-hidden">Actions</span></th>' in page
    assert "<th></th>" not in page
