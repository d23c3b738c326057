"""The case reports' CSV: the period's figures exactly as the page shows them, every 0
written out (admin/report_csv.py), a cell never read as a formula; and over HTTP (SQLite and
PostgreSQL) an IG officer downloads it from the page's link for the period shown, through the
same gate and with the same access-log entry as the page, while an administrator is refused
and logged as on the page."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

import httpx
import pytest

from admin.report_csv import HEADER, csv_filename, csv_rows, csv_text, inert
from api.runtime import Runtime
from authz.log_verify import verify
from casework.reports import CONCERN_LABELS, Count, PeriodFigures, decision_labels
from records.database import Database
from records.models import AccessLogEntry, Role, Service
from tests.admin.conftest import add_panel_staff, post_form, sign_in
from tests.admin.test_panel_http import entries
from tests.admin.test_reports import DECISIONS_THIS_YEAR, OPENED_THIS_YEAR, report_world, table
from tests.api.app_fixtures import FixedClock

_LINK = re.compile(r'href="([^"]+)" data-testid="link-csv"')
_ROW = re.compile(r"<tr>\s*<td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>\s*</tr>")

FIGURES = PeriodFigures(
    dt.date(2025, 4, 1),
    dt.date(2026, 3, 31),
    (("housing", "Housing, and homes"), ("parks", "=HYPERLINK(\"x\")")),
    [Count("housing", "warning_issued", 2), Count("housing", "decided", 0),
     Count("parks", "warning_issued", 0), Count("parks", "decided", 0)],
    [Count("housing", "contact_volume", 1), Count("parks", "contact_volume", 0)],
)  # fmt: skip


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_a_spreadsheet_would_evaluate_is_made_text(start: str) -> None:
    assert inert(f"{start}1+1") == f"'{start}1+1"


def test_plain_cells_are_left_as_they_are() -> None:
    for cell in ("housing", "review_decided: lift", "0", "12", "2025-04-01", "Fire & rescue"):
        assert inert(cell) == cell


def test_the_rows_are_the_header_then_every_figure_with_its_period_and_service() -> None:
    rows = csv_rows(FIGURES)
    assert rows[0] == HEADER == (
        "period_from", "period_to", "table", "service", "service_name", "category", "count",
    )  # fmt: skip
    period = ("2025-04-01", "2026-03-31")
    assert rows[1:] == [
        (*period, "decisions", "housing", "Housing, and homes", "warning_issued", "2"),
        (*period, "decisions", "housing", "Housing, and homes", "decided", "0"),
        (*period, "decisions", "parks", '\'=HYPERLINK("x")', "warning_issued", "0"),
        (*period, "decisions", "parks", '\'=HYPERLINK("x")', "decided", "0"),
        (*period, "cases_opened", "housing", "Housing, and homes", "contact_volume", "1"),
        (*period, "cases_opened", "parks", '\'=HYPERLINK("x")', "contact_volume", "0"),
    ]


def test_the_text_reads_back_as_the_same_rows_and_the_name_says_the_period() -> None:
    text = csv_text(csv_rows(FIGURES))
    assert text.startswith("period_from,period_to,table,")
    assert text.count("\r\n") == 7  # one header row, six figures, RFC 4180 line ends
    assert list(map(tuple, csv.reader(io.StringIO(text)))) == csv_rows(FIGURES)
    assert csv_filename(FIGURES.first, FIGURES.last) == (
        "tact-case-reports-2025-04-01-to-2026-03-31.csv"
    )


def _shown(page: str, name: str) -> list[tuple[str, ...]]:
    return [tuple(map(html.unescape, row)) for row in _ROW.findall(table(page, name))]


def _same_figures(shown: list[tuple[str, ...]], downloaded: dict[tuple[str, str], int]) -> None:
    for service, category, count in shown:
        if category.startswith("none in this period"):
            assert not any(v for (s, _), v in downloaded.items() if s == service), service
        else:
            assert downloaded[(service, category)] == int(count), (service, category)


async def _download(client: httpx.AsyncClient, page: str) -> httpx.Response:
    [link] = _LINK.findall(page)
    return await client.get(html.unescape(link))


def _logged(entry: AccessLogEntry) -> tuple[object, ...]:
    """What an access-log entry says, besides when, its place in the chain and the request."""
    return (
        entry.actor, entry.role, entry.operation, entry.service, entry.case_id,
        entry.customer_id, entry.fields, entry.outcome, entry.reason,
    )  # fmt: skip


async def test_an_ig_officer_downloads_the_figures_shown_logged_as_the_page_is(
    client: httpx.AsyncClient, database: Database, runtime: Runtime, clock: FixedClock
) -> None:
    # Given the report world and a service with nothing at all, its name like a formula
    await report_world(database, runtime, clock)
    async with database.sessions() as session, session.begin():
        session.add(Service(slug="parks", name="=Parks, and leisure"))
    await sign_in(client, "ig.one")

    # When the IG officer opens the page and follows its CSV link
    page = (await client.get("/admin/reports")).text
    got = await _download(client, page)

    # Then a UTF-8 CSV named for the default period
    assert got.status_code == 200
    assert got.headers["content-type"] == "text/csv; charset=utf-8"
    assert got.headers["content-disposition"] == (
        'attachment; filename="tact-case-reports-2025-04-01-to-2026-03-02.csv"'
    )
    header, *rows = list(csv.reader(io.StringIO(got.content.decode("utf-8"))))
    assert tuple(header) == HEADER
    assert {tuple(r[:3]) for r in rows} == {
        ("2025-04-01", "2026-03-02", "decisions"), ("2025-04-01", "2026-03-02", "cases_opened"),
    }  # fmt: skip
    decisions = {(r[3], r[5]): int(r[6]) for r in rows if r[2] == "decisions"}
    opened = {(r[3], r[5]): int(r[6]) for r in rows if r[2] == "cases_opened"}
    # every service with every label: what was counted, and 0 for the rest
    services = ("fire-safety", "housing", "parks")
    labels = decision_labels(runtime.profile)
    assert [k for k in decisions] == [(s, label) for s in services for label in labels]
    assert [k for k in opened] == [(s, label) for s in services for label in CONCERN_LABELS]
    assert {k: v for k, v in decisions.items() if v} == DECISIONS_THIS_YEAR
    assert {k: v for k, v in opened.items() if v} == OPENED_THIS_YEAR
    assert {r[4] for r in rows if r[3] == "parks"} == {"'=Parks, and leisure"}
    assert {r[4] for r in rows if r[3] == "housing"} == {"Housing"}
    # the very figures the page shows: each of its lines, a quiet service's as all 0
    shown = _shown(page, "decisions")
    assert len(shown) == 2 * len(labels) + 1  # parks on one line
    assert ("parks", "none in this period: 0 for every outcome", "0") in shown
    _same_figures(shown, decisions)
    _same_figures(_shown(page, "concerns"), opened)

    # And the download left the same access-log entry as the page view, and the log verifies
    viewed, downloaded = await entries(database, actor="staff:ig.one")
    assert _logged(downloaded) == _logged(viewed)
    assert (viewed.operation, viewed.outcome, viewed.role) == (
        "read_reports", "allowed", "ig_officer",
    )  # fmt: skip
    assert downloaded.request_id and downloaded.request_id != viewed.request_id
    async with database.sessions() as session:
        assert (await verify(session, runtime.gate.signer)).ok


async def test_the_link_keeps_a_posted_period_and_a_bad_one_is_refused(
    client: httpx.AsyncClient, database: Database, runtime: Runtime, clock: FixedClock
) -> None:
    await report_world(database, runtime, clock)
    await sign_in(client, "ig.one")
    period = {"from": "2024-01-01", "to": "2024-12-31"}
    posted = await post_form(client, "/admin/reports", "/admin/reports", **period)
    got = await _download(client, posted.text)
    assert got.headers["content-disposition"].endswith(
        'filename="tact-case-reports-2024-01-01-to-2024-12-31.csv"'
    )
    rows = list(csv.reader(io.StringIO(got.text)))[1:]
    assert {(r[0], r[1]) for r in rows} == {("2024-01-01", "2024-12-31")}
    counted = {(r[2], r[3], r[5]): r[6] for r in rows if r[6] != "0"}
    assert counted == {
        ("decisions", "housing", "warning_issued"): "1",
        ("cases_opened", "housing", "repeat_matter"): "1",
    }

    bad = await client.get("/admin/reports/csv", params={"from": "2024-12-31", "to": "2024-01-01"})
    assert bad.status_code == 400 and "from: must not be after the last day" in bad.text


async def test_an_administrator_is_refused_the_csv_and_logged_as_on_the_page(
    client: httpx.AsyncClient, database: Database, clock: FixedClock
) -> None:
    assert (await client.get("/admin/reports/csv")).status_code == 302  # not signed in
    await add_panel_staff(database, "panel.admin", Role.ADMIN)
    await sign_in(client, "panel.admin")
    page = await client.get("/admin/reports")
    got = await client.get("/admin/reports/csv")
    assert (page.status_code, got.status_code) == (403, 403)
    assert "text/csv" not in got.headers["content-type"]
    on_page, on_csv = await entries(database, actor="staff:panel.admin")
    assert _logged(on_csv) == _logged(on_page)
    assert (on_csv.operation, on_csv.outcome) == ("read_reports", "denied")
