"""Deactivating a member of staff who leaves, from the panel's staff page, over HTTP through
the app on SQLite and PostgreSQL: asked first (admin/confirm.py), their panel session ends
at their next request, the page shows them inactive and Activate brings them back; an
administrator cannot deactivate themselves, and the last administrator is kept (the rule
`tact staff revoke` keeps, shared with `tact staff deactivate`)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from records.database import Database
from records.models import Role, Staff, StaffRole
from tests.admin.conftest import (
    add_panel_staff,
    ask,
    buttons_to,
    post_confirmed,
    refusal,
    sign_in,
)
from tests.cli import tact, tact_env
from tests.scenarios.world import at_once


async def test_a_leaver_is_deactivated_from_the_panel_and_signed_out_at_once(
    app: Starlette,
    client: httpx.AsyncClient,
    database: Database,
    panel_staff: None,
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
) -> None:
    await add_panel_staff(database, "second.admin", Role.ADMIN)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tact.test") as theirs:
        await sign_in(theirs, "second.admin")
        assert (await theirs.get("/admin/staff")).status_code == 200
        await sign_in(client, "panel.admin")

        asked = await post_confirmed(
            client, "/admin/staff", "/admin/staff/deactivate", username="second.admin"
        )
        assert asked.status_code == 200, asked.text
        assert refusal(asked.text) == "second.admin deactivated."
        assert asked.text.count("<td>inactive</td>") == 1
        # Their session ends at their next request: back to the sign-in page.
        after = await theirs.get("/admin/staff", follow_redirects=False)
        assert after.status_code in (302, 303)
        assert "/admin/login" in after.headers["location"]
        assert (await sign_in(theirs, "second.admin")).status_code == 400

    # Not oneself, nor the last administrator.
    mine = await post_confirmed(
        client, "/admin/staff", "/admin/staff/deactivate", username="panel.admin"
    )
    assert mine.status_code == 400
    assert refusal(mine.text) == "Username: this is you: another administrator can"
    env = tact_env(database_urls, key_file, tmp_path, TACT_JWKS=None)
    last = await tact(env, "staff", "deactivate", "panel.admin")
    assert last.exit_code == 1
    assert "username: this would leave no administrator" in last.output

    # Activated again (no question: it gives access back, it takes none away).
    page = (await client.get("/admin/staff")).text
    [button] = [b for b in buttons_to(page, "/admin/staff/activate")]
    assert button["username"] == "second.admin"
    done = await client.post("/admin/staff/activate", data=button)
    assert done.status_code == 303
    async with httpx.AsyncClient(transport=transport, base_url="http://tact.test") as theirs:
        assert (await sign_in(theirs, "second.admin")).status_code == 302


@pytest.mark.parametrize(
    ("action", "fields", "table", "done", "refused_on"),
    [
        ("/admin/staff/deactivate", {}, "staff", 200, "Username"),
        ("/admin/staff/revoke", {"role": "admin"}, "staff_roles", 303, "Role"),
    ],
)
async def test_two_administrators_taking_each_others_access_at_once_leave_one(
    app: Starlette,
    client: httpx.AsyncClient,
    database: Database,
    panel_staff: None,
    action: str,
    fields: dict[str, str],
    table: str,
    done: int,
    refused_on: str,
) -> None:
    """Each of the two administrators confirms the other's deactivation (or the revocation of
    their admin role), and the two posts arrive at once: each step's check for another
    administrator would find the other still one unless the checks take turns, and both
    would go, leaving no administrator."""
    await add_panel_staff(database, "second.admin", Role.ADMIN)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tact.test") as theirs:
        confirmations = []
        for http, me, other in (
            (client, "panel.admin", "second.admin"),
            (theirs, "second.admin", "panel.admin"),
        ):
            await sign_in(http, me)
            asking = await ask(http, "/admin/staff", action, username=other, **fields)
            [confirmed] = buttons_to(asking.text, action)
            confirmations.append(http.post(action, data=confirmed))
        answers = await at_once(database.engine, table, confirmations)

    assert sorted(a.status_code for a in answers) == [done, 400], [a.text for a in answers]
    refused = next(a for a in answers if a.status_code == 400)
    assert refusal(refused.text) == f"{refused_on}: this would leave no administrator"
    async with database.sessions() as session:
        admins = await session.scalars(
            select(Staff.username)
            .join(StaffRole, StaffRole.staff_id == Staff.id)
            .where(StaffRole.role == Role.ADMIN, Staff.active.is_(True))
        )
        assert len(set(admins)) == 1


async def test_a_leaver_deactivated_by_two_administrators_in_turn_is_deactivated_once(
    app: Starlette, client: httpx.AsyncClient, database: Database, panel_staff: None
) -> None:
    """Two administrators each confirm the leaver's deactivation: the second is told that
    nothing changed, not that they deactivated them."""
    await add_panel_staff(database, "second.admin", Role.ADMIN)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tact.test") as theirs:
        confirmations = []
        for http, me in ((client, "panel.admin"), (theirs, "second.admin")):
            await sign_in(http, me)
            asking = await ask(http, "/admin/staff", "/admin/staff/deactivate", username="panel.ig")
            [confirmed] = buttons_to(asking.text, "/admin/staff/deactivate")
            confirmations.append((http, confirmed))
        first, again = [
            await http.post("/admin/staff/deactivate", data=confirmed)
            for http, confirmed in confirmations
        ]
    assert (first.status_code, refusal(first.text)) == (200, "panel.ig deactivated.")
    assert (again.status_code, refusal(again.text)) == (200, "panel.ig was inactive already.")
    assert again.text.count("<td>inactive</td>") == 1
