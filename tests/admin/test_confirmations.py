"""Changes that cannot be undone or that take access away are confirmed first, on a page of
their own (admin/confirm.py), over HTTP through the app on SQLite and PostgreSQL: the button
gets the question, the question's button makes the change, and a post without the
confirmation, or with one for other fields or an earlier session, changes nothing. (Holds,
destruction approval and subject access are confirmed in their own pages' tests.)"""

from __future__ import annotations

import httpx

from authz.decisions import Rule, add_rule, runtime_rules
from authz.portal_keys import create_portal_key, list_portal_keys
from records.database import Database
from records.models import Role, utcnow
from records.staff import staff_grants
from tests.admin.conftest import (
    add_panel_staff,
    ask,
    buttons_to,
    post_confirmed,
    post_form,
    refusal,
    sign_in,
)
from tests.admin.test_panel_http import entries

NOT_CONFIRMED = (
    "Nothing was changed: this change needs confirming first. Use its button on this page."
)


async def roles_of(database: Database, username: str) -> set[tuple[Role, str | None]]:
    async with database.sessions() as session:
        held = await staff_grants(session, username)
    assert held is not None
    return set(held.grants)


async def test_revoking_a_role_asks_first_naming_the_member_of_staff(
    client: httpx.AsyncClient, database: Database, panel_staff: None
) -> None:
    await add_panel_staff(database, "other.ig", Role.IG_OFFICER)
    await sign_in(client, "panel.admin")
    staff = (await client.get("/admin/staff")).text
    assert "<td>Panel Tester (other.ig)</td>" in staff  # the display name, with the username
    before = len(await entries(database))

    asking = await ask(client, "/admin/staff", "/admin/staff/revoke", username="other.ig")
    assert asking.status_code == 200
    assert (
        "Revoke Panel Tester (other.ig)&#39;s role ig_officer (every service)? "
        "What it allows them ends at once." in asking.text
    )
    assert 'href="http://tact.test/admin/staff" data-testid="cancel"' in asking.text
    assert await roles_of(database, "other.ig") == {(Role.IG_OFFICER, None)}  # not yet
    # the one entry is the page the button is on: asking read nothing more
    assert [e.operation for e in (await entries(database))[before:]] == ["manage_staff"]

    done = await post_confirmed(client, "/admin/staff", "/admin/staff/revoke", username="other.ig")
    assert done.status_code == 303
    assert await roles_of(database, "other.ig") == set()


async def test_a_post_without_its_confirmation_changes_nothing(
    client: httpx.AsyncClient, database: Database, panel_staff: None
) -> None:
    await add_panel_staff(database, "other.ig", Role.IG_OFFICER)
    await add_panel_staff(database, "third.ig", Role.IG_OFFICER)
    await sign_in(client, "panel.admin")
    before = len(await entries(database))
    # posted as a crafted form would be: the page's fields and token, no confirmation
    crafted = await post_form(
        client, "/admin/staff", "/admin/staff/revoke", username="other.ig", role="ig_officer"
    )
    assert crafted.status_code == 409 and 'data-testid="table-staff"' in crafted.text
    assert refusal(crafted.text) == NOT_CONFIRMED
    # a confirmation made for another member's role does not revoke this one's
    asking = await ask(client, "/admin/staff", "/admin/staff/revoke", username="third.ig")
    [confirmed] = buttons_to(asking.text, "/admin/staff/revoke")
    other = await client.post("/admin/staff/revoke", data={**confirmed, "username": "other.ig"})
    assert other.status_code == 409 and refusal(other.text) == NOT_CONFIRMED
    # nor does one from before signing in again
    await sign_in(client, "panel.admin")
    stale = await post_form(client, "/admin/staff", "/admin/staff/revoke", **confirmed)
    assert stale.status_code == 409 and refusal(stale.text) == NOT_CONFIRMED
    assert await roles_of(database, "other.ig") == {(Role.IG_OFFICER, None)}
    assert await roles_of(database, "third.ig") == {(Role.IG_OFFICER, None)}
    revoking = [e for e in (await entries(database))[before:] if e.outcome != "allowed"]
    assert revoking == []  # nothing was tried, so nothing was refused or logged as changed


async def test_a_confirmation_is_used_once(
    client: httpx.AsyncClient, database: Database, panel_staff: None
) -> None:
    """Sent again (back and resend, or a page kept in the browser's history), a confirmation
    changes nothing: once the role is given back, the old one does not take it away again
    unasked."""
    await add_panel_staff(database, "other.ig", Role.IG_OFFICER)
    await sign_in(client, "panel.admin")
    asking = await ask(client, "/admin/staff", "/admin/staff/revoke", username="other.ig")
    [confirmed] = buttons_to(asking.text, "/admin/staff/revoke")
    assert (await client.post("/admin/staff/revoke", data=confirmed)).status_code == 303
    again = await client.post("/admin/staff/revoke", data=confirmed)
    assert again.status_code == 409 and refusal(again.text) == NOT_CONFIRMED

    given_back = await post_form(
        client, "/admin/staff", "/admin/staff/grant", username="other.ig", role="ig_officer"
    )
    assert given_back.status_code == 303
    replayed = await client.post("/admin/staff/revoke", data=confirmed)
    assert replayed.status_code == 409 and refusal(replayed.text) == NOT_CONFIRMED
    assert await roles_of(database, "other.ig") == {(Role.IG_OFFICER, None)}
    # Asked again, it is confirmed and done as before.
    done = await post_confirmed(client, "/admin/staff", "/admin/staff/revoke", username="other.ig")
    assert done.status_code == 303
    assert await roles_of(database, "other.ig") == set()


async def test_revoking_a_portal_key_and_removing_a_rule_ask_first(
    client: httpx.AsyncClient, database: Database, panel_staff: None
) -> None:
    rule = Rule("reviewer", "housing", "member", "read_reports", "allow")
    async with database.sessions() as session, session.begin():
        issued = await create_portal_key(
            session, name="Housing web portal", services=["housing"], now=utcnow()
        )
        await add_rule(session, rule, utcnow())
    await sign_in(client, "panel.admin")

    crafted = await post_form(
        client, "/admin/portal-keys", "/admin/portal-keys/revoke", prefix=issued.prefix
    )
    assert crafted.status_code == 409 and refusal(crafted.text) == NOT_CONFIRMED
    asking = await ask(client, "/admin/portal-keys", "/admin/portal-keys/revoke")
    assert (
        f"Revoke portal key {issued.prefix} (Housing web portal)? Every request made with it "
        "is refused from then on. This cannot be undone." in asking.text
    )
    async with database.sessions() as session:
        [key] = await list_portal_keys(session)
    assert key.revoked_at is None
    done = await post_confirmed(client, "/admin/portal-keys", "/admin/portal-keys/revoke")
    assert done.status_code == 303
    async with database.sessions() as session:
        [key] = await list_portal_keys(session)
    assert key.revoked_at is not None

    crafted = await post_form(
        client, "/admin/rules", "/admin/rules/remove", **{
            name: getattr(rule, name)
            for name in ("role", "domain", "standing", "operation", "effect")
        }
    )  # fmt: skip
    assert crafted.status_code == 409 and refusal(crafted.text) == NOT_CONFIRMED
    asking = await ask(client, "/admin/rules", "/admin/rules/remove")
    assert f"Remove the rule {rule.line()}?" in asking.text
    async with database.sessions() as session:
        assert await runtime_rules(session) == [rule]
    assert (await post_confirmed(client, "/admin/rules", "/admin/rules/remove")).status_code == 303
    async with database.sessions() as session:
        assert await runtime_rules(session) == []
