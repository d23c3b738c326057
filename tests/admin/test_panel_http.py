"""The panel over HTTP through the app (SQLite and PostgreSQL): sign-in, lock-out, CSRF,
idle timeout, the gate and the access log behind every page, and no case contents."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import httpx
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from admin.panel import PanelConfig, PanelParts
from admin.views import mount_panel
from api.runtime import Runtime
from authz.log_verify import verify
from records.database import Database
from records.models import AccessLogEntry, Case, Role, Staff, StaffRole
from records.sign_in import MAX_FAILURES
from tests.admin.conftest import (
    PASSWORD,
    add_panel_staff,
    csrf_of,
    post_confirmed,
    post_form,
    sign_in,
)
from tests.api.app_fixtures import FixedClock


async def entries(database: Database, **where: str) -> list[AccessLogEntry]:
    async with database.sessions() as session:
        statement = select(AccessLogEntry).order_by(AccessLogEntry.seq)
        for name, value in where.items():
            statement = statement.where(getattr(AccessLogEntry, name) == value)
        return list((await session.scalars(statement)).all())


async def test_pages_need_a_sign_in(client: httpx.AsyncClient, panel_staff: None) -> None:
    response = await client.get("/admin/staff")
    assert response.status_code == 302
    assert response.headers["location"].endswith("/admin/login")


async def test_the_session_cookie_is_http_only_strict_and_scoped_to_the_panel(
    client: httpx.AsyncClient, panel_staff: None
) -> None:
    response = await sign_in(client, "panel.admin")
    assert response.status_code == 302
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/admin" in cookie
    assert "secure" not in cookie  # development: served over plain HTTP on localhost


async def test_a_wrong_password_and_an_unknown_name_get_the_same_neutral_answer(
    client: httpx.AsyncClient, panel_staff: None
) -> None:
    wrong = await sign_in(client, "panel.admin", "not the password at all")
    unknown = await sign_in(client, "nobody.here", "not the password at all")
    assert wrong.status_code == unknown.status_code == 400
    assert "Sign-in did not succeed" in wrong.text
    # each keeps the username as typed, so a mistyped password is all there is to type again
    assert 'value="panel.admin"' in wrong.text and 'value="nobody.here"' in unknown.text
    assert "not the password" not in wrong.text
    assert wrong.text.replace("panel.admin", "") == unknown.text.replace("nobody.here", "")


async def test_repeated_failures_lock_the_account_even_against_the_right_password(
    client: httpx.AsyncClient, panel_staff: None, clock: FixedClock
) -> None:
    for _ in range(MAX_FAILURES):
        assert (await sign_in(client, "panel.admin", "wrong password, again")).status_code == 400
    locked = await sign_in(client, "panel.admin", PASSWORD)
    assert locked.status_code == 400
    assert "Sign-in did not succeed" in locked.text
    clock.now += dt.timedelta(minutes=16)  # the lock has passed
    assert (await sign_in(client, "panel.admin", PASSWORD)).status_code == 302


async def test_sign_in_without_the_csrf_token_is_refused(
    client: httpx.AsyncClient, panel_staff: None
) -> None:
    await client.get("/admin/login")
    response = await client.post(
        "/admin/login", data={"username": "panel.admin", "password": PASSWORD}
    )
    assert response.status_code == 403
    assert (await client.get("/admin/staff")).status_code == 302  # not signed in


async def test_a_form_without_the_csrf_token_changes_nothing(
    client: httpx.AsyncClient, panel_staff: None, database: Database
) -> None:
    await sign_in(client, "panel.admin")
    response = await client.post("/admin/services/add", data={"slug": "parks", "name": "Parks"})
    assert response.status_code == 403
    done = await post_form(
        client, "/admin/services", "/admin/services/add", slug="parks", name="Parks"
    )
    assert done.status_code == 303
    assert "parks" in (await client.get("/admin/services")).text


async def test_an_idle_session_ends(
    client: httpx.AsyncClient, panel_staff: None, clock: FixedClock
) -> None:
    await sign_in(client, "panel.admin")
    clock.now += dt.timedelta(minutes=10)
    assert (await client.get("/admin/staff")).status_code == 200
    clock.now += dt.timedelta(minutes=16)
    ended = await client.get("/admin/staff")
    assert ended.status_code == 303 and ended.headers["location"].endswith("/admin/login")
    # the sign-in page says why, and signing in again returns to the page asked for
    said = (await client.get("/admin/login")).text
    assert "You were signed out after 15 minutes without activity." in said
    back = await sign_in(client, "panel.admin")
    assert back.status_code == 303 and back.headers["location"] == "/admin/staff"
    assert "without activity" not in (await client.get("/admin/login")).text  # said once


async def test_a_form_sent_after_the_idle_timeout_returns_to_its_page_and_changes_nothing(
    client: httpx.AsyncClient, panel_staff: None, clock: FixedClock
) -> None:
    await sign_in(client, "panel.admin")
    shown = await client.get("/admin/services")
    clock.now += dt.timedelta(minutes=16)
    sent = await client.post(
        "/admin/services/add",
        data={"slug": "parks", "name": "Parks", "csrf_token": csrf_of(shown.text)},
    )
    assert sent.status_code == 303 and sent.headers["location"].endswith("/admin/login")
    refused = await sign_in(client, "panel.admin", "not the password")  # a slip on the way
    assert "A form you had sent then was not saved: enter it again." in refused.text
    back = await sign_in(client, "panel.admin")
    assert back.headers["location"] == "/admin/services"  # the page the form is on
    assert "parks" not in (await client.get("/admin/services")).text
    # a form posted to a page itself (the access log's filter) returns to that page
    await sign_in(client, "panel.ig")
    clock.now += dt.timedelta(minutes=16)
    await client.post("/admin/access-log", data={"actor": "panel.admin"})
    assert (await sign_in(client, "panel.ig")).headers["location"] == "/admin/access-log"
    # but only for the one whose session ended: another goes to the start page
    clock.now += dt.timedelta(minutes=16)
    await client.get("/admin/access-log")
    assert (await sign_in(client, "panel.admin")).headers["location"].endswith("/admin/")
    # after signing out, or for a first sign-in, the start page as before
    await client.get("/admin/logout")
    assert (await sign_in(client, "panel.admin")).headers["location"].endswith("/admin/")


async def test_staff_without_a_panel_role_cannot_sign_in(
    client: httpx.AsyncClient, database: Database, panel_staff: None
) -> None:
    await add_panel_staff(database, "housing.worker", Role.CASE_OFFICER)
    assert (await sign_in(client, "housing.worker")).status_code == 400


async def test_a_page_view_is_decided_and_logged_by_the_gate(
    client: httpx.AsyncClient, panel_staff: None, database: Database, runtime: Runtime
) -> None:
    await sign_in(client, "panel.admin")
    assert (await client.get("/admin/staff")).status_code == 200
    [entry] = await entries(database, actor="staff:panel.admin", operation="manage_staff")
    assert (entry.outcome, entry.role, entry.fields) == ("allowed", "admin", "admin")
    async with database.sessions() as session:
        assert (await verify(session, runtime.gate.signer)).ok


async def test_each_role_sees_only_its_pages_and_the_gate_refuses_the_others(
    client: httpx.AsyncClient, panel_staff: None, database: Database
) -> None:
    await sign_in(client, "panel.ig")
    start = (await client.get("/admin/")).text
    assert "Access log" in start and "Staff and roles" not in start
    assert (await client.get("/admin/staff")).status_code == 403
    [denied] = await entries(database, actor="staff:panel.ig", operation="manage_staff")
    assert denied.outcome == "denied"
    assert (await client.get("/admin/access-log")).status_code == 200


async def test_the_last_administrator_keeps_the_admin_role(
    client: httpx.AsyncClient, panel_staff: None, database: Database
) -> None:
    await sign_in(client, "panel.admin")
    refused = await post_confirmed(
        client, "/admin/staff", "/admin/staff/revoke", username="panel.admin", role="admin"
    )
    assert refused.status_code == 400
    assert "no administrator" in refused.text
    assert 'data-testid="table-staff"' in refused.text  # the staff page again, saying why
    async with database.sessions() as session:
        held = await session.scalar(
            select(func.count())
            .select_from(StaffRole)
            .join(Staff)
            .where(Staff.username == "panel.admin", StaffRole.role == Role.ADMIN)
        )
    assert held == 1


async def test_no_address_opens_a_case(
    client: httpx.AsyncClient, panel_staff: None, database: Database
) -> None:
    await sign_in(client, "panel.admin")
    case_id = uuid.uuid4()
    for path in (
        f"/admin/cases/{case_id}",
        f"/admin/case/details/{case_id}",
        f"/admin/cases/details/{case_id}",
        "/admin/case/list",
        f"/admin/case/edit/{case_id}",
        f"/admin/staff/details/{case_id}",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Case)) == 0


async def test_a_new_portal_key_is_shown_once_and_listed_by_prefix(
    client: httpx.AsyncClient, panel_staff: None, database: Database
) -> None:
    await sign_in(client, "panel.admin")
    created = await post_form(
        client, "/admin/portal-keys", "/admin/portal-keys/issue",
        name="Housing web portal", services="housing", expires_in_days="30",
    )  # fmt: skip
    assert created.status_code == 200, created.text
    [key] = re.findall(r"tact_pk_[a-z0-9]{10}_[A-Za-z0-9_-]{43}", created.text)
    listed = (await client.get("/admin/portal-keys")).text
    assert key not in listed and key.split("_")[2] in listed


async def test_ig_officers_see_holds_and_certificates_through_the_gate(
    client: httpx.AsyncClient, panel_staff: None, database: Database
) -> None:
    await sign_in(client, "panel.ig")
    for path in ("/admin/holds", "/admin/certificates"):
        assert (await client.get(path)).status_code == 200, path
    operations = [e.operation for e in await entries(database, actor="staff:panel.ig")]
    assert operations == ["manage_holds", "approve_destruction"]
    await sign_in(client, "panel.admin")
    assert (await client.get("/admin/holds")).status_code == 403


async def test_every_form_of_the_panel_refuses_a_post_without_its_csrf_token(
    client: httpx.AsyncClient, app: Starlette, panel_staff: None, database: Database
) -> None:
    [panel] = [r.app for r in app.routes if isinstance(r, Mount) and r.path == "/admin"]
    posts = [
        r.path
        for r in panel.routes  # type: ignore[attr-defined]
        if isinstance(r, Route) and "POST" in (r.methods or ()) and "{" not in r.path
    ]
    assert {"/login", "/staff/add", "/portal-keys/issue", "/rules/add", "/access-log"} <= set(posts)
    await sign_in(client, "panel.admin")
    before = len(await entries(database))
    for path in posts:
        response = await client.post(f"/admin{path}", data={"username": "x", "slug": "x"})
        assert response.status_code == 403, path
    assert len(await entries(database)) == before  # refused before anything ran


async def test_the_session_cookie_is_secure_outside_development() -> None:
    async def never() -> PanelParts:
        raise AssertionError("the sign-in page needs no data")

    app = Starlette()
    config = PanelConfig("s" * 64, FixedClock(), dt.timedelta(minutes=15), https_only=True)
    mount_panel(app, never, config)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://tact.test") as http:
        cookie = (await http.get("/admin/login")).headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
