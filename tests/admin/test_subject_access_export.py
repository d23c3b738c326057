"""A subject access export from the panel, for an IG officer without shell or API access:
the customer named by reference, email or phone (posted, found by blind index), everything
held about them downloaded as the readable HTML document or as JSON, made by the function
the API's subjectAccessExport uses, through the gate as SUBJECT_ACCESS_EXPORT on the
customer and logged so. An administrator is refused, alike for a customer who exists and one
who does not, and learns nothing. Over HTTP through the app, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import httpx

from api.runtime import Runtime
from records.database import Database
from records.models import Role
from tests.admin.conftest import add_panel_staff, marked, post_form, refusal, sign_in
from tests.admin.test_panel_http import entries
from tests.admin.test_records_pages import ig_world
from tests.api.app_fixtures import FixedClock
from tests.retention.world import add_case

PAGE, EXPORT = "/admin/subject-access", "/admin/subject-access/export"


async def test_an_ig_officer_downloads_a_customers_records_and_an_admin_is_refused(
    client: httpx.AsyncClient, database: Database, runtime: Runtime, clock: FixedClock
) -> None:
    # Given a customer with a case, known by their reference and their email address
    world = await ig_world(database, clock())
    case_id = await add_case(database, runtime.vault, world, ends_on=[dt.date(2026, 9, 1)])
    canaries, customer_id = world.canaries[case_id], world.customers[case_id]
    await add_panel_staff(database, "panel.admin", Role.ADMIN)
    await sign_in(client, "ig.one")

    # When the IG officer asks for the readable document, naming them by reference
    document = await post_form(
        client, PAGE, EXPORT, customer_ref=canaries["reference"], format="html"
    )

    # Then it downloads, named by the customer's id, never shown as a page of the panel
    assert document.status_code == 200
    assert document.headers["content-type"].startswith("text/html")
    day = clock().date().isoformat()
    assert document.headers["content-disposition"] == (
        f'attachment; filename="tact-subject-access-{customer_id}-{day}.html"'
    )
    assert document.headers["cache-control"] == "no-store"
    for held in ("name", "reference", "email", "summary", "evidence"):
        assert canaries[held] in document.text, held
    assert world.references[case_id] in document.text

    # And as JSON, naming them by email instead: everything held, in the API's format
    exported = await post_form(
        client, PAGE, EXPORT, customer_email=canaries["email"].upper(), format="json"
    )
    assert exported.status_code == 200
    assert exported.headers["content-disposition"].endswith(f'-{day}.json"')
    held = exported.json()
    assert held["format"] == "tact.subject_access_export.v1"
    assert held["customer"]["id"] == str(customer_id)
    assert [c["file"]["summary"]["reference"] for c in held["cases"]] == [world.references[case_id]]
    assert "staff:ig.one" in held["seen_by"]  # the first export is among who saw the record

    # And each export is logged against the customer, as the API's is
    logged = await entries(database, actor="staff:ig.one", operation="subject_access_export")
    assert [(e.outcome, e.customer_id) for e in logged if e.customer_id] == [
        ("allowed", customer_id),
        ("allowed", customer_id),
    ]

    # When the reference finds nobody, or no format is chosen: the page again, the field named,
    # what was typed not written back, the refusal logged
    unknown = await post_form(client, PAGE, EXPORT, customer_ref="CUS-NOBODY", format="json")
    assert unknown.status_code == 400
    assert refusal(unknown.text) == "Customer reference: no customer found that way"
    assert marked(unknown.text) == ["export-customer_ref"] and "CUS-NOBODY" not in unknown.text
    [*_, refused, again] = await entries(database, actor="staff:ig.one")
    assert (refused.operation, refused.outcome) == ("subject_access_export", "refused")
    assert (again.outcome, again.customer_id) == ("allowed", None)  # the page shown again
    formatless = await post_form(client, PAGE, EXPORT, customer_ref=canaries["reference"])
    assert formatless.status_code == 400 and refusal(formatless.text).startswith("Format:")

    # When an administrator posts the same form, for that customer or for nobody
    await sign_in(client, "panel.admin")
    before = len(await entries(database, actor="staff:panel.admin"))
    answers = [
        await post_form(client, "/admin/staff", EXPORT, customer_ref=ref, format="json")
        for ref in (canaries["reference"], "CUS-NOBODY")
    ]

    # Then both are the same refusal, holding nothing of the customer, and logged as denied
    assert [a.status_code for a in answers] == [403, 403]
    assert answers[0].text == answers[1].text
    assert canaries["name"] not in answers[0].text and str(customer_id) not in answers[0].text
    denied = (await entries(database, actor="staff:panel.admin"))[before:]
    assert [(e.operation, e.outcome) for e in denied if e.operation != "manage_staff"] == [
        ("subject_access_export", "denied"),
        ("subject_access_export", "denied"),
    ]
