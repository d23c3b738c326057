"""The reports page in a real browser (headless Debian chromium, as tests/admin/test_browser.py):
an IG officer signs in to a live `tact serve` over the demo data, sets a period in the form
and sees the period's decisions and cases opened by concern category, each figure the same as
a count read straight from the embedded default's file and every other one shown as 0; then
downloads the same figures as CSV from the page's link (logged as a page view is), and prints
the page without its menu."""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
from pathlib import Path

from tests.admin.live_server import Live
from tests.admin.test_browser import browser, live, page, playwright_api, pytestmark, shot
from tests.admin.test_browser import sign_in as browser_sign_in

__all__ = ["browser", "live", "page", "pytestmark"]  # the fixtures, and the skip when no chromium

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
    browser_sign_in(page, live, "demo.ig-officer", live.passwords["demo.ig-officer"])
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
