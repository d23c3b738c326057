"""Fixtures of the admin panel tests: the app over a real runtime (tests/api/app_fixtures.py),
staff who may sign in, and a signed-in httpx client."""

from __future__ import annotations

import html as markup
import re

import httpx
import pytest

from records.database import Database
from records.models import Role, Service, utcnow
from records.sign_in import set_password
from records.staff import add_staff, grant_role
from tests.api.app_fixtures import app, client, clock, runtime  # noqa: F401

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_FORM = re.compile(r'<form method="post" action="([^"]*)"[^>]*>(.*?)</form>', re.S)
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
_NOTICE = re.compile(r'data-testid="notice">\s*<div>([^<]*)</div>')


async def add_panel_staff(database: Database, username: str, role: Role) -> None:
    async with database.sessions() as session, session.begin():
        now = utcnow()
        await add_staff(session, username=username, display_name="Panel Tester", now=now)
        await grant_role(session, username=username, role=role, service=None, now=now)
        await set_password(session, username, PASSWORD, now)


@pytest.fixture
async def panel_staff(database: Database) -> None:
    """An administrator, an IG officer and a housing service; passwords set."""
    async with database.sessions() as session, session.begin():
        session.add(Service(slug="housing", name="Housing"))
    await add_panel_staff(database, "panel.admin", Role.ADMIN)
    await add_panel_staff(database, "panel.ig", Role.IG_OFFICER)


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def sign_in(
    http: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    page = await http.get("/admin/login")
    return await http.post(
        "/admin/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
    )


async def post_form(http: httpx.AsyncClient, page: str, action: str, **data: str) -> httpx.Response:
    """Post a form of `page` the way a browser would: with the page's CSRF token."""
    shown = await http.get(page)
    return await http.post(action, data={**data, "csrf_token": csrf_of(shown.text)})


def buttons_to(html: str, action: str) -> list[dict[str, str]]:
    """What each form of the page that posts to `action` (a path) sends: its hidden fields."""
    return [
        {name: markup.unescape(value) for name, value in _HIDDEN.findall(inner)}
        for to, inner in _FORM.findall(html)
        if to.endswith(action)
    ]


async def ask(http: httpx.AsyncClient, page: str, action: str, **data: str) -> httpx.Response:
    """Press the button of `page` that posts `data` to `action` (a change confirmed first,
    admin/confirm.py): the page asking, as a browser would get it."""
    shown = (await http.get(page)).text
    [button] = [sent for sent in buttons_to(shown, action) if data.items() <= sent.items()]
    return await http.post(action, data=button)


async def post_confirmed(
    http: httpx.AsyncClient, page: str, action: str, **data: str
) -> httpx.Response:
    """Press the button of `page` that posts `data` to `action`, then confirm on the page
    that asks: the answer to the confirmation."""
    asking = await ask(http, page, action, **data)
    assert asking.status_code == 200, asking.text
    [confirmed] = buttons_to(asking.text, action)
    return await http.post(action, data=confirmed)


def typed(html: str, input_id: str) -> str:
    """The value an input of the page holds."""
    found = re.search(rf'id="{re.escape(input_id)}"[^>]*?value="([^"]*)"', html, re.S)
    assert found, f"no input {input_id}"
    return found.group(1)


def selected(html: str, select_id: str) -> str:
    found = re.search(rf'id="{re.escape(select_id)}".*?</select>', html, re.S)
    assert found, f"no select {select_id}"
    option = re.search(r'<option value="([^"]*)" selected>', found.group(0))
    return option.group(1) if option else ""


def refusal(html: str) -> str:
    found = _NOTICE.search(html)
    assert found, "the page says nothing"
    return found.group(1)


def marked(html: str) -> list[str]:
    """The ids of the fields marked at fault."""
    return re.findall(r'id="([^"]+)"[^>]*aria-invalid="true"', html, re.S)
