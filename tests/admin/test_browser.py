"""The panel in a real browser: Debian's chromium, headless, driven by Playwright, against a
live `tact serve` on a fresh embedded default with the demo data (tests/admin/live_server.py).

Every test runs under the panel's Content-Security-Policy and fails if chromium refuses
anything a page asks for (the `page` fixture). A screenshot of each main page is saved under
tests/artifacts/admin/ (git-ignored). Where
chromium is not installed (`apt-get install chromium`; `make test` does it when run as root)
these tests are skipped and say so.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.security_headers import PANEL_POLICY
from tests.admin.live_server import PANEL_PASSWORD, Live, live_tact

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "admin"
ADMIN_PAGES = ("staff", "services", "portal-keys", "rules", "profile", "arrangement-kinds", "cases")
IG_PAGES = (
    "access-log", "break-glass", "access-charts", "holds", "certificates",
    "retention-queue", "subject-access", "reports",
)  # fmt: skip
STATUS_QUERY = (
    '{ restrictionStatus(lookup: {customerRef: "CUS-0001"}, service: "housing") { restricted } }'
)

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed: pip install -e '.[dev]'"
)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists() or shutil.which("chromium") is None,
        reason="Chromium is not installed at /usr/bin/chromium: run `apt-get install chromium` "
        "(as root; `make test` does it) to run the admin panel's browser tests",
    ),
]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_tact(tmp_path_factory.mktemp("live")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[playwright_api.Browser]:
    with playwright_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: playwright_api.Browser) -> Iterator[playwright_api.Page]:
    """A page in a fresh context; the test fails if the browser refused anything a panel page
    asked for under its Content-Security-Policy (chromium says so on the console)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    refused: list[str] = []
    opened.on("console", lambda message: refused.extend(refusals(message.text)))
    yield opened
    context.close()
    assert not refused, f"the panel's page policy refused: {refused}"


def refusals(console_text: str) -> list[str]:
    return [console_text] if "Content Security Policy" in console_text else []


def shot(page: playwright_api.Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: playwright_api.Page, live: Live, username: str, password: str) -> None:
    page.goto(f"{live.url}/admin/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


def add_staff(page: playwright_api.Page, live: Live, username: str, name: str) -> None:
    """Add a case officer in housing with the staff page's form."""
    page.goto(f"{live.url}/admin/staff")
    page.fill("#add-staff-username", username)
    page.fill("#add-staff-display_name", name)
    page.fill("#add-staff-role", "case_officer@housing")
    page.click("[data-testid=form-add-staff] button[type=submit]")


def menu(page: playwright_api.Page) -> str:
    return page.inner_text("#navbar-menu")


def test_each_role_signs_in_and_sees_only_its_pages(page: playwright_api.Page, live: Live) -> None:
    sign_in(page, live, "demo.admin", live.passwords["demo.admin"])
    assert page.url.rstrip("/").endswith("/admin")
    assert "Staff and roles" in menu(page) and "Access log" not in menu(page)
    shot(page, "start-admin")
    for name in ADMIN_PAGES:
        response = page.goto(f"{live.url}/admin/{name}")
        assert response is not None and response.status == 200, name
        assert response.headers["content-security-policy"] == PANEL_POLICY, name
        assert page.title() == "Tact administration"
        shot(page, name)
    page.goto(f"{live.url}/admin/logout")
    sign_in(page, live, "demo.ig-officer", live.passwords["demo.ig-officer"])
    assert "Access log" in menu(page) and "Staff and roles" not in menu(page)
    for name in IG_PAGES:
        response = page.goto(f"{live.url}/admin/{name}")
        assert response is not None and response.status == 200, name
        shot(page, name)
    refused = page.goto(f"{live.url}/admin/staff")
    assert refused is not None and refused.status == 403


def test_the_sign_in_page_loads_its_icon_and_nothing_it_asks_for_fails(
    page: playwright_api.Page, live: Live
) -> None:
    # Chromium asks for the page's icon after the page has loaded, and for /favicon.ico
    # (which answers 404) where the page names none; it says so on the console.
    answered: list[tuple[int, str]] = []
    failed: list[str] = []
    page.on("response", lambda response: answered.append((response.status, response.url)))
    page.on(
        "console",
        lambda message: failed.extend(
            [message.location["url"]] if "Failed to load resource" in message.text else []
        ),
    )
    with page.expect_response(f"{live.url}/admin/statics/img/favicon.svg", timeout=5000) as icon:
        page.goto(f"{live.url}/admin/login")
    assert icon.value.status == 200
    assert failed == [] and [url for status, url in answered if status >= 400] == []


def test_a_failed_sign_in_and_then_a_lock_out(page: playwright_api.Page, live: Live) -> None:
    sign_in(page, live, "lockout.tester", "not the password")
    assert "Sign-in did not succeed" in page.inner_text("[data-testid=sign-in-error]")
    assert page.input_value("#username") == "lockout.tester"  # kept; the password is not
    assert page.input_value("#password") == ""
    shot(page, "sign-in-refused")
    for _ in range(4):
        sign_in(page, live, "lockout.tester", "still not the password")
    sign_in(page, live, "lockout.tester", PANEL_PASSWORD)  # right, but locked now
    assert "/admin/login" in page.url
    assert "Sign-in did not succeed" in page.inner_text("[data-testid=sign-in-error]")
    assert page.goto(f"{live.url}/admin/staff") is not None
    assert "/admin/login" in page.url


def test_a_form_posted_without_its_csrf_token_is_refused(
    page: playwright_api.Page, live: Live
) -> None:
    sign_in(page, live, "demo.admin", live.passwords["demo.admin"])
    page.goto(f"{live.url}/admin/services")
    page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())")
    page.fill("#add-service-slug", "parks")
    page.fill("#add-service-name", "Parks")
    with page.expect_response(f"{live.url}/admin/services/add") as posted:
        page.click("[data-testid=form-add-service] button[type=submit]")
    assert posted.value.status == 403
    page.goto(f"{live.url}/admin/services")
    assert "parks" not in page.inner_text("[data-testid=table-services]")


def test_an_admin_adds_staff_and_a_portal_key_shown_once(
    page: playwright_api.Page, live: Live
) -> None:
    sign_in(page, live, "demo.admin", live.passwords["demo.admin"])
    add_staff(page, live, "new.officer", "New Officer")
    assert "case_officer@housing" in page.inner_text("[data-testid=table-staff]")
    page.goto(f"{live.url}/admin/portal-keys")
    page.fill("#create-key-name", "Housing web portal")
    page.fill("#create-key-services", "housing")
    page.click("[data-testid=form-create-key] button[type=submit]")
    key = page.inner_text("[data-testid=secret]").strip()
    assert key.startswith("tact_pk_")
    shot(page, "portal-key-created")
    page.goto(f"{live.url}/admin/portal-keys")
    assert key not in page.content()
    assert key.split("_")[2] in page.inner_text("[data-testid=table-keys]")  # the prefix
    answer = httpx.post(
        f"{live.url}/graphql", headers={"Authorization": f"ApiKey {key}"},
        json={"query": STATUS_QUERY},
    )  # fmt: skip
    assert answer.json()["data"]["restrictionStatus"]["restricted"] is True


def test_an_admin_cannot_open_case_contents(page: playwright_api.Page, live: Live) -> None:
    sign_in(page, live, "demo.admin", live.passwords["demo.admin"])
    page.goto(f"{live.url}/admin/cases")
    table = page.locator("[data-testid=table-cases]")
    cases = live.cases()
    assert all(reference in table.inner_text() for _, reference in cases)
    assert table.locator("a").count() == 0  # nothing to follow
    for case_id, _ in cases[:3]:
        for path in (f"cases/{case_id}", f"case/details/{case_id}", f"cases/details/{case_id}"):
            response = page.goto(f"{live.url}/admin/{path}")
            assert response is not None and response.status == 404, path
    for name in ADMIN_PAGES:
        page.goto(f"{live.url}/admin/{name}")
        shown = page.content()
        assert "alex.demo@example.org" not in shown and "Alex Demo" not in shown
        assert "Managed contact case opened" not in shown


def test_an_ig_officer_filters_by_person_verifies_and_sees_the_charts(
    page: playwright_api.Page, live: Live
) -> None:
    httpx.post(
        f"{live.url}/graphql", headers={"Authorization": f"ApiKey {live.portal_key}"},
        json={"query": STATUS_QUERY},
    ).raise_for_status()  # fmt: skip
    sign_in(page, live, "demo.ig-officer", live.passwords["demo.ig-officer"])
    page.goto(f"{live.url}/admin/access-log")
    page.fill("#filter-customer_ref", "cus 0001")  # another spelling of CUS-0001
    page.click("[data-testid=form-filter] button[type=submit]")
    rows = page.inner_text("[data-testid=table-entries]")
    assert "restriction_status" in rows and "portal:" in rows
    assert "/admin/access-log" in page.url and "0001" not in page.url
    shot(page, "access-log-by-person")
    page.click("[data-testid=form-verify] button[type=submit]")
    assert page.inner_text("[data-testid=notice]").startswith("OK:")
    shot(page, "access-log-verified")
    page.goto(f"{live.url}/admin/access-charts")
    assert page.locator("[data-testid=chart] svg").count() == 4
    assert page.locator("[data-testid=chart] svg rect").count() > 0
    shot(page, "access-charts")


def test_a_refused_form_shows_its_page_again_with_what_was_typed(
    page: playwright_api.Page, live: Live
) -> None:
    sign_in(page, live, "demo.admin", live.passwords["demo.admin"])
    page.goto(f"{live.url}/admin/staff")
    page.fill("#add-staff-username", "demo.ig-officer")  # taken
    page.fill("#add-staff-display_name", "Second Officer")
    page.fill("#add-staff-role", "case_officer@housing")
    page.click("[data-testid=form-add-staff] button[type=submit]")
    assert page.inner_text("[data-testid=page-title]") == "Staff and roles"
    assert "Staff and roles" in menu(page)
    assert page.inner_text("[data-testid=notice]") == "Username: is already in use"
    assert page.locator("#add-staff-username.is-invalid").is_visible()
    assert page.inner_text("[data-testid=field-error]") == "is already in use"
    assert page.input_value("#add-staff-display_name") == "Second Officer"
    assert page.input_value("#add-staff-role") == "case_officer@housing"
    shot(page, "staff-refused")
    page.fill("#add-staff-username", "second.officer")  # corrected, nothing else retyped
    page.click("[data-testid=form-add-staff] button[type=submit]")
    assert "second.officer" in page.inner_text("[data-testid=table-staff]")


def test_revoking_a_role_is_confirmed_on_a_page_of_its_own(
    page: playwright_api.Page, live: Live
) -> None:
    sign_in(page, live, "demo.admin", live.passwords["demo.admin"])
    add_staff(page, live, "confirm.tester", "Casey Confirm")
    row = page.locator("[data-testid=table-staff] tr", has_text="Casey Confirm (confirm.tester)")
    revoke = row.get_by_role("button", name="Revoke case_officer@housing")
    question = (
        "Revoke Casey Confirm (confirm.tester)'s role case_officer@housing? "
        "What it allows them ends at once."
    )
    revoke.click()
    assert page.inner_text("[data-testid=page-title]") == "Confirm"
    assert page.get_by_text(question).is_visible()
    shot(page, "confirm-revoke")
    page.click("[data-testid=cancel]")  # cancelled: nothing changes
    assert page.url == f"{live.url}/admin/staff"
    assert "case_officer@housing" in row.inner_text()
    revoke.click()
    page.click("[data-testid=form-confirm] button[type=submit]")  # confirmed: revoked
    assert page.url == f"{live.url}/admin/staff"
    assert "no roles" in row.inner_text()


# -- the reports page ---------------------------------------------------------------------
# An IG officer sets a period in the form and sees the period's decisions and cases opened by
# concern category, each figure the same as a count read straight from the embedded default's
# file and every other one shown as 0; then downloads the same figures as CSV from the page's
# link (logged as a page view is), and prints the page without its menu. In this file, with
# the other browser tests, so one live Tact and one chromium serve them all (each took about
# 25 s to start, and a second file started its own).

_DECISIONS = (
    "'warning_issued', 'decided', 'decided_immediate_risk', 'review_decided', "
    "'appeal_decided', 'closed_no_action'"
)


def _counted(live: Live, sql: str, first: dt.date, last: dt.date) -> set[tuple[str, str, str]]:
    with sqlite3.connect(live.folder / "tact-data" / "cases.db") as db:
        rows = db.execute(sql, (first.isoformat(), last.isoformat()))
        return {(slug, name, str(count)) for slug, name, count in rows}


def _decisions(live: Live, first: dt.date, last: dt.date) -> set[tuple[str, str, str]]:
    return _counted(
        live,
        "SELECT s.slug, e.step || coalesce(': ' || e.outcome, ''), count(*) FROM case_events e"
        " JOIN cases c ON c.id = e.case_id JOIN services s ON s.id = c.service_id"
        f" WHERE e.step IN ({_DECISIONS}) AND date(e.at) BETWEEN ? AND ? GROUP BY 1, 2",
        first, last,
    )  # fmt: skip


def _opened(live: Live, first: dt.date, last: dt.date) -> set[tuple[str, str, str]]:
    return _counted(
        live,
        "SELECT s.slug, coalesce(k.category, 'no_concern_recorded'), count(DISTINCT c.id)"
        " FROM cases c JOIN services s ON s.id = c.service_id"
        " LEFT JOIN concerns k ON k.case_id = c.id"
        " WHERE date(c.opened_at) BETWEEN ? AND ? GROUP BY 1, 2",
        first, last,
    )  # fmt: skip


def _read_reports(live: Live) -> int:
    """How many access-log entries say demo.ig-officer read the reports."""
    with sqlite3.connect(live.folder / "tact-data" / "cases.db") as db:
        sql = (
            "SELECT count(*) FROM access_log WHERE actor = 'staff:demo.ig-officer'"
            " AND operation = 'read_reports' AND outcome = 'allowed'"
        )
        return int(db.execute(sql).fetchone()[0])


def _table(page: playwright_api.Page, name: str) -> set[tuple[str, str, str]]:
    rows = page.locator(f"[data-testid=table-{name}] tbody tr")
    shown = set()
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td").all_inner_texts()
        if len(cells) == 3:
            shown.add((cells[0], cells[1], cells[2]))
    return shown


def _not_zero(shown: set[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
    return {row for row in shown if row[2] != "0"}


def _downloaded(path: Path) -> dict[str, set[tuple[str, str, str]]]:
    """The CSV's non-zero figures by table, as (service, category, count)."""
    with path.open(encoding="utf-8", newline="") as text:
        rows = list(csv.DictReader(text))
    return {
        table: {(r["service"], r["category"], r["count"]) for r in rows
                if r["table"] == table and r["count"] != "0"}
        for table in ("decisions", "cases_opened")
    }  # fmt: skip


def test_an_ig_officer_sets_a_period_and_sees_its_figures(
    page: playwright_api.Page, live: Live
) -> None:
    sign_in(page, live, "demo.ig-officer", live.passwords["demo.ig-officer"])
    page.goto(f"{live.url}/admin/reports")
    today = dt.datetime.now(dt.UTC).date()  # the server's clock, in UTC
    assert page.input_value("#period-to") == today.isoformat()
    first = today - dt.timedelta(days=2 * 365)
    page.fill("#period-from", first.isoformat())
    page.fill("#period-to", today.isoformat())
    page.click("[data-testid=form-period] button[type=submit]")
    assert page.input_value("#period-from") == first.isoformat()
    assert f"{first.isoformat()} to {today.isoformat()}" in page.inner_text("body")
    decisions, opened = _decisions(live, first, today), _opened(live, first, today)
    assert any(category == "warning_issued" for _, category, _ in decisions)  # the demo has some
    shown_decisions, shown_opened = _table(page, "decisions"), _table(page, "concerns")
    assert _not_zero(shown_decisions) == decisions
    assert _not_zero(shown_opened) == opened
    # and every other outcome and category as 0, not left out
    assert any(count == "0" for _, _, count in shown_decisions)
    assert any(count == "0" for _, _, count in shown_opened)
    assert page.locator("[data-testid=chart] svg").count() == 5
    shot(page, "reports-period")

    logged = _read_reports(live)
    with page.expect_download() as started:
        page.click("[data-testid=link-csv]")
    download = started.value
    assert download.suggested_filename == (
        f"tact-case-reports-{first.isoformat()}-to-{today.isoformat()}.csv"
    )
    assert _downloaded(Path(download.path())) == {"decisions": decisions, "cases_opened": opened}
    assert _read_reports(live) == logged + 1

    page.emulate_media(media="print")
    assert page.locator("aside.navbar").is_hidden()
    assert page.locator("[data-testid=link-csv]").is_hidden()
    assert page.locator("[data-testid=form-period] button").is_hidden()
    assert page.locator("[data-testid=page-title]").is_visible()
    assert page.locator("[data-testid=table-decisions]").is_visible()
    shot(page, "reports-print")
    page.emulate_media(media="screen")

    page.fill("#period-from", today.isoformat())
    page.fill("#period-to", first.isoformat())
    with page.expect_response(f"{live.url}/admin/reports") as posted:
        page.click("[data-testid=form-period] button[type=submit]")
    assert posted.value.status == 400
    assert page.inner_text("[data-testid=notice]") == (
        "From (first day): must not be after the last day"
    )
    assert page.input_value("#period-from") == today.isoformat()  # kept as typed
    assert page.input_value("#period-to") == first.isoformat()
    assert page.locator("#navbar-menu").is_visible()


def test_an_ig_officer_downloads_a_subject_access_export(
    page: playwright_api.Page, live: Live
) -> None:
    sign_in(page, live, "demo.ig-officer", live.passwords["demo.ig-officer"])
    page.goto(f"{live.url}/admin/subject-access")
    page.fill("#export-customer_ref", "cus 0001")  # another spelling of CUS-0001
    page.select_option("#export-format", "json")
    with page.expect_download() as started:
        page.click("[data-testid=form-export] button[type=submit]")
    download = started.value
    assert download.suggested_filename.startswith("tact-subject-access-")
    assert download.suggested_filename.endswith(".json")
    held = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert held["customer"]["reference"] == "CUS-0001"
    assert held["customer"]["id"] in download.suggested_filename  # named by id, not reference
    assert held["cases"]  # the demo's cases of theirs, in full
    with sqlite3.connect(live.folder / "tact-data" / "cases.db") as db:
        sql = (
            "SELECT outcome FROM access_log WHERE actor = 'staff:demo.ig-officer'"
            " AND operation = 'subject_access_export' AND customer_id IS NOT NULL"
        )
        assert [row[0] for row in db.execute(sql)] == ["allowed"]  # logged against them
    assert "/admin/subject-access" in page.url and "0001" not in page.url
    shot(page, "subject-access-export")
