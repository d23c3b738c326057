"""The panel's security headers over HTTP through the app (SQLite and PostgreSQL): every page
a signed-in administrator or IG officer can reach by its links, the sign-in page and the
refusals included, carries the panel's page policy, no-store and the headers every answer
carries; the panel's static files carry the policy and may be cached."""

from __future__ import annotations

import html as markup
import re

import httpx

from api.security_headers import PANEL_POLICY
from tests.admin.conftest import sign_in

_LINKED = re.compile(r'(?:href|src)="(?:http://tact\.test)?(/admin/[^"#]*)"')
_ICON = re.compile(r'<link rel="icon" href="([^"]+)">')
_SIGNED_OUT = "/admin/logout"


def assert_secured(response: httpx.Response, *, stored: bool = False) -> None:
    """The panel's headers; `stored`: a static file, which a cache may keep."""
    where = f"{response.request.method} {response.request.url.path}"
    assert response.headers.get("content-security-policy") == PANEL_POLICY, where
    assert response.headers.get("x-content-type-options") == "nosniff", where
    assert response.headers.get("x-frame-options") == "DENY", where
    assert response.headers.get("referrer-policy") == "no-referrer", where
    if stored:
        assert "no-store" not in response.headers.get("cache-control", ""), where
    else:
        assert response.headers.get("cache-control") == "no-store", where


def linked(page: httpx.Response) -> set[str]:
    """The panel's addresses a page links to (menu, downloads, stylesheets, scripts), but
    signing out."""
    found = {markup.unescape(path) for path in _LINKED.findall(page.text)}
    return found - {_SIGNED_OUT}


async def walk(http: httpx.AsyncClient) -> list[httpx.Response]:
    """Every page and file reachable by links from the start page, each fetched once."""
    seen: set[str] = set()
    waiting = ["/admin/"]
    answers = []
    while waiting:
        path = waiting.pop()
        if path in seen:
            continue
        seen.add(path)
        answer = await http.get(path)
        assert answer.status_code == 200, path
        answers.append(answer)
        if answer.headers["content-type"].startswith("text/html"):
            waiting += sorted(linked(answer) - seen)
    return answers


async def test_every_page_of_the_panel_carries_its_headers(
    client: httpx.AsyncClient, panel_staff: None
) -> None:
    signed_out = [
        await client.get("/admin/staff"),  # sent to sign in
        await client.get("/admin/login"),
        await sign_in(client, "panel.admin", "not the password at all"),  # refused
        await client.post("/admin/login", data={"username": "panel.admin"}),  # no CSRF: 403
    ]
    assert [a.status_code for a in signed_out] == [302, 200, 400, 403]
    admin = [await sign_in(client, "panel.admin"), *await walk(client)]
    admin.append(await client.post("/admin/services/add", data={"slug": "parks"}))  # no CSRF
    admin.append(await client.get("/admin/no-such-page"))
    await client.get(_SIGNED_OUT)
    ig = [await sign_in(client, "panel.ig"), *await walk(client), await client.get("/admin/staff")]

    answers = signed_out + admin + ig
    files = [a for a in answers if a.request.url.path.startswith("/admin/statics/")]
    pages = [a for a in answers if a not in files]
    shown = {a.request.url.path for a in pages}
    assert {"/admin/staff", "/admin/access-log", "/admin/reports", "/admin/reports/csv"} <= shown
    assert {"/admin/statics/css/tact-print.css", "/admin/statics/js/tabler.min.js"} <= {
        a.request.url.path for a in files
    }
    assert [a.status_code for a in admin[-2:]] + [ig[-1].status_code] == [403, 404, 403]
    for page in pages:
        assert_secured(page)
    for file in files:
        assert_secured(file, stored=True)


async def test_the_sign_in_page_names_its_icon_among_the_panels_statics(
    client: httpx.AsyncClient,
) -> None:
    # Without an icon named, a browser asks for /favicon.ico, which answers 404 on every
    # sign-in (chromium says so on the console).
    page = await client.get("/admin/login")
    [icon] = _ICON.findall(page.text)
    assert icon.startswith("/admin/statics/")
    answer = await client.get(icon)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/svg+xml"
    assert_secured(answer, stored=True)
    assert "img-src 'self'" in PANEL_POLICY  # the page's policy lets it load
