"""IG officers' pages with real entries behind them: a break-glass opening whose sealed
reason the review opens, and a verify that names the first bad entry after tampering."""

from __future__ import annotations

import httpx
from sqlalchemy import update

from api.runtime import Runtime
from authz.gate import Target
from authz.operations import Operation
from records.cases import create_case
from records.database import Database
from records.models import AccessLogEntry, Role, utcnow
from tests.admin.conftest import add_panel_staff, post_form, sign_in
from tests.authz.world import add_staff, build_world, staff_actor

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
