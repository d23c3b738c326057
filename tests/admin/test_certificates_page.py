"""The destruction certificates page, for an IG officer asked "was case MC-2026-... destroyed,
and when?" years and thousands of destructions later: the certificates a page of 100 at a
time, the button under the table showing older ones (as the access log pages), and one
case's certificate found by its reference; a reference with none is refused naming the
field. Over HTTP through the app, on SQLite and PostgreSQL; each page a logged read."""

from __future__ import annotations

import datetime as dt
import re

import httpx
from sqlalchemy import select

from admin.page import when
from api.cli_retention import _run
from api.runtime import Runtime
from records.database import Database
from records.retention_tables import DestructionCertificate
from tests.admin.conftest import marked, post_form, refusal, sign_in
from tests.admin.test_governance_pages import older_button
from tests.admin.test_panel_http import entries
from tests.admin.test_records_pages import cells, ig_world
from tests.api.app_fixtures import FixedClock
from tests.retention.world import add_case

ROWS = re.compile(r"<tr>\s*<td>(MC-\d{4}-[A-Z0-9-]+)</td>")


async def test_an_ig_officer_pages_the_certificates_and_finds_one_by_its_case_reference(
    client: httpx.AsyncClient, database: Database, runtime: Runtime, clock: FixedClock
) -> None:
    # Given 101 cases destroyed by the job (more than a page of 100) and one not destroyed
    world = await ig_world(database, clock())
    retention = runtime.profile.retention.model_copy(update={"approval_required": False})
    runtime.profile = runtime.profile.model_copy(update={"retention": retention})
    gone = [
        await add_case(database, runtime.vault, world, ends_on=[dt.date(2019, 3, 1)])
        for _ in range(101)
    ]
    live = await add_case(database, runtime.vault, world, ends_on=[dt.date(2026, 9, 1)])
    assert (await _run(runtime, clock().date(), tty=False)).count("destroyed") == 101
    await sign_in(client, "ig.one")

    # When the IG officer opens the certificates page
    first = await client.get("/admin/certificates")

    # Then it shows 100, says more match, and a button under the table shows the rest
    assert first.status_code == 200
    shown = ROWS.findall(first.text)
    assert len(shown) == 100
    assert "More certificates match than the 100 shown here" in refusal(first.text)
    action, sent = older_button(first.text, "certificates")
    rest = await client.post(action, data=sent)
    assert rest.status_code == 200
    older = ROWS.findall(rest.text)
    assert sorted(shown + older) == sorted(world.references[c] for c in gone)
    assert 'data-testid="more-certificates"' not in rest.text

    # When they ask for one case's certificate by its reference, as typed
    reference = world.references[gone[57]]
    found = await post_form(
        client, "/admin/certificates", "/admin/certificates", case_ref=f" {reference.lower()} "
    )

    # Then that one certificate is shown, with when it was destroyed
    assert found.status_code == 200
    assert ROWS.findall(found.text) == [reference]
    async with database.sessions() as session:
        destroyed = await session.scalar(
            select(DestructionCertificate.destroyed_at).where(
                DestructionCertificate.case_reference == reference
            )
        )
    assert cells("2025-03-01") in found.text  # due six years after its restriction ended
    assert cells(when(destroyed)) in found.text

    # And a reference of a case not destroyed, or a mistyped one, is refused naming the field
    for asked in (world.references[live], "MC-2020-AAAAA-AAAAA"):
        refused = await post_form(
            client, "/admin/certificates", "/admin/certificates", case_ref=asked
        )
        assert refused.status_code == 400
        assert refusal(refused.text) == (
            "Case reference: no destruction certificate for that reference"
        )
        assert marked(refused.text) == ["find-case_ref"] and not ROWS.findall(refused.text)

    # And a mangled "older" button is refused naming its field, nothing shown
    mangled = await post_form(client, "/admin/certificates", "/admin/certificates", after="x")
    assert mangled.status_code == 400 and not ROWS.findall(mangled.text)

    # Each page is a logged read of the certificates
    read = [(e.operation, e.outcome) for e in await entries(database, actor="staff:ig.one")]
    assert read[-9:] == [("approve_destruction", "allowed")] * 9
