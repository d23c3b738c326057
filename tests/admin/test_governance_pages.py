"""IG officers' pages with real entries behind them: a break-glass opening whose sealed
reason the review opens, and a verify that names the first bad entry after tampering."""

from __future__ import annotations

import html as markup
import re

import httpx
from sqlalchemy import update

from api.runtime import Runtime
from authz.gate import Target
from authz.operations import Operation
from records.cases import create_case
from records.database import Database
from records.models import AccessLogEntry, Role, utcnow
from tests.admin.conftest import add_panel_staff, post_form, refusal, sign_in
from tests.admin.test_panel_http import entries
from tests.admin.test_records_pages import ig_world
from tests.api.app_fixtures import FixedClock
from tests.authz.world import add_staff, build_world, staff_actor
from tests.retention.world import add_case

REASON = "Urgent safeguarding referral; the case officer is on leave this week."


async def test_the_break_glass_review_opens_the_reason_and_verify_names_a_changed_entry(
    client: httpx.AsyncClient, database: Database, runtime: Runtime
) -> None:
    async with database.sessions() as session:
        world = await build_world(session)
        officer_id = await add_staff(session, "officer.fire")
        # Beside the world's housing case, which has no data key to seal a reason under.
        case = await create_case(
            session, runtime.vault, service_id=world.services["customer-services"],
            customer_id=world.customer_id, opened_at=utcnow(),
        )  # fmt: skip
        case_id, reference = case.id, case.reference
        await session.commit()
    await add_panel_staff(database, "panel.ig", Role.IG_OFFICER)
    outsider = staff_actor("officer.fire", officer_id, (Role.CASE_OFFICER, "fire-safety"))
    async with (
        database.sessions() as session,
        runtime.gate.access(
            session, outsider, Operation.READ_CASE, Target(case_id=case_id), reason=REASON
        ),
    ):
        pass

    await sign_in(client, "panel.ig")
    review = (await client.get("/admin/break-glass")).text
    shown = "Officer officer.fire (officer.fire)"  # the display name, with the username
    assert REASON in review and reference in review and shown in review
    assert REASON not in (await client.get("/admin/access-log")).text  # only in the review
    # the actor filter takes the username as shown (the log records "staff:officer.fire")
    theirs = await post_form(client, "/admin/access-log", "/admin/access-log", actor="officer.fire")
    assert theirs.text.count(shown) == 1 and "break_glass" in theirs.text

    assert "OK:" in (await post_form(client, "/admin/access-log", "/admin/access-log/verify")).text
    async with database.sessions() as session, session.begin():
        await session.execute(
            update(AccessLogEntry).where(AccessLogEntry.seq == 1).values(actor="staff:someone")
        )
    failed = await post_form(client, "/admin/access-log", "/admin/access-log/verify")
    assert "FAILED at entry seq 1" in failed.text


ROWS = re.compile(r"<tr>\s*<td>(\d+)</td>")
OLDER = re.compile(
    r'<form method="post" action="([^"]+)" data-testid="more-entries">(.*?)</form>', re.S
)


def older_button(html: str, table: str) -> tuple[str, dict[str, list[str]]]:
    """The "older entries" button under a table: where it posts and what (each name may
    come more than once)."""
    button = rf'<form method="post" action="([^"]+)" data-testid="more-{table}">(.*?)</form>'
    found = re.search(button, html, re.S)
    assert found, "no button for older entries"
    sent: dict[str, list[str]] = {}
    for name, value in re.findall(
        r'<input type="hidden" name="([^"]+)" value="([^"]*)">', found[2]
    ):
        sent.setdefault(name, []).append(markup.unescape(value))
    return found[1], sent


async def test_a_log_longer_than_a_page_says_so_and_shows_the_older_entries(
    client: httpx.AsyncClient, database: Database, runtime: Runtime, clock: FixedClock
) -> None:
    # Given a case whose customer has a reference, opened 103 times by breaking the glass:
    # more than a page of 100
    world = await ig_world(database, clock())
    case_id = await add_case(database, runtime.vault, world, ends_on=[None])
    customer_ref = world.canaries[case_id]["reference"]
    async with database.sessions() as session, session.begin():
        officer_id = await add_staff(session, "officer.fire")
    reader = staff_actor("officer.fire", officer_id, (Role.CASE_OFFICER, "fire-safety"))
    for _ in range(103):
        async with (
            database.sessions() as session,
            runtime.gate.access(
                session, reader, Operation.READ_CASE, Target(case_id=case_id), reason=REASON
            ),
        ):
            pass
    reads = [e.seq for e in await entries(database, actor="staff:officer.fire")]
    assert len(reads) == 103
    await sign_in(client, "ig.one")

    # When the IG officer asks who has seen the person's record
    first = await post_form(
        client, "/admin/access-log", "/admin/access-log", customer_ref=customer_ref,
        operation="read_case",
    )  # fmt: skip

    # Then the page says it shows the newest 100 of more, and a button asks for the rest,
    # keeping the filter and the person by their id, never their reference
    assert first.status_code == 200
    assert [int(s) for s in ROWS.findall(first.text)] == sorted(reads, reverse=True)[:100]
    assert "More entries match than the 100 shown here" in refusal(first.text)
    action, sent = older_button(first.text, "entries")
    assert customer_ref not in str(sent)
    assert sent["person_id"] == [str(world.customers[case_id])]
    assert sent["operation"] == ["read_case"] and sent["before"] == [str(sorted(reads)[3])]
    rest = await client.post(action, data=sent)
    assert rest.status_code == 200
    assert [int(s) for s in ROWS.findall(rest.text)] == sorted(reads, reverse=True)[100:]
    assert "More entries match" not in rest.text and 'data-testid="more-entries"' not in rest.text
    assert f"about customer id {world.customers[case_id]}," in rest.text

    # And the break-glass review pages the same way
    review = await client.get("/admin/break-glass")
    assert len(ROWS.findall(review.text)) == 100 and "More entries match" in review.text
    action, sent = older_button(review.text, "break-glass")
    older = await client.post(action, data=sent)
    assert [int(s) for s in ROWS.findall(older.text)] == sorted(reads, reverse=True)[100:]
    assert older.text.count(REASON) == 3
