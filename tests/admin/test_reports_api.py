"""`caseReports` gives every figure of the panel's reports page, over real HTTP, on cases made
through the workflow's own step functions (tests/admin/test_reports.py, `report_world`): an
IG officer signs in to the panel and reads the page for a period, then asks the API for the
same period with a bearer token; the cases by state, the arrangements by kind and the reviews
and appeals per month the API gives are the page's rows, with every other label, and every
month of the period, at 0. A housing manager, who cannot sign in to the panel, gets housing's
figures only, the same as the IG officer's housing figures."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from api.runtime import Runtime
from api.staff_tokens import LocalSigningKey
from casework.reports import STATE_LABELS, review_and_appeal_labels
from records.database import Database
from records.models import AccessLogEntry
from tests.admin.conftest import sign_in
from tests.admin.test_reports import headers, report_world, table
from tests.api.app_fixtures import FixedClock
from tests.api.case_world import bearer

FIRST, LAST = dt.date(2026, 1, 1), dt.date(2026, 3, 2)  # the clock's day: 2 March 2026
MONTHS = ["2026-01-01", "2026-02-01", "2026-03-01"]
REPORTS = """
query Reports($from: Date!, $to: Date!) {
  caseReports(from: $from, to: $to) {
    services {
      service
      casesByState { label count }
      arrangementsByKind { label count }
      reviewsAndAppealsPerMonth { month counts { label count } }
    }
  }
}
"""
_ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
_CELL = re.compile(r"<td>(.*?)</td>", re.S)

Rows = dict[tuple[str, str, str], int]  # (month "YYYY-MM" or "", service, label) -> count


def panel_rows(page: str, name: str) -> Rows:
    """The page's table `name` as its (month, service, category) -> count, the month ""
    where the table has no Month column; every row fills every column."""
    rows: Rows = {}
    by_month = headers(page, name)[0] == "Month"
    for row in _ROW.findall(table(page, name)):
        cells = _CELL.findall(row)
        if cells:
            assert len(cells) == len(headers(page, name)) and all(cells), (name, cells)
            month, service, category, count = cells if by_month else ("", *cells)
            rows[(month, service, category)] = int(count)
    return rows


def api_rows(services: list[dict[str, Any]], key: str) -> Rows:
    """The API's counts under `key`, every one, 0 included, keyed as the page's rows."""
    if key != "reviewsAndAppealsPerMonth":
        return {("", s["service"], c["label"]): c["count"] for s in services for c in s[key]}
    return {
        (m["month"][:7], s["service"], c["label"]): c["count"]
        for s in services
        for m in s[key]
        for c in m["counts"]
    }


def readme_query() -> str:
    """The query the README prints for a manager's reports."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    (query,) = re.findall(r"```graphql\n(\{ caseReports.*?)```", readme, flags=re.S)
    return str(query)


def token(runtime: Runtime, username: str, now: dt.datetime) -> dict[str, str]:
    settings = runtime.settings
    local = LocalSigningKey.load_or_create(settings.resolved_local_signing_key_file)
    return bearer(
        local.issue(
            username, issuer=settings.jwt_issuer, audience=settings.jwt_audience, now=now,
            lifetime=dt.timedelta(minutes=15),
        )
    )  # fmt: skip


async def reports(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    variables = {"from": FIRST.isoformat(), "to": LAST.isoformat()}
    response = await client.post(
        "/graphql", json={"query": REPORTS, "variables": variables}, headers=headers
    )
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    services: list[dict[str, Any]] = body["data"]["caseReports"]["services"]
    return services


async def logged(database: Database, actor: str) -> list[tuple[str, str | None, str]]:
    async with database.sessions() as session:
        rows = await session.execute(
            select(AccessLogEntry.operation, AccessLogEntry.service, AccessLogEntry.outcome)
            .where(AccessLogEntry.actor == actor)
            .order_by(AccessLogEntry.seq)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_the_api_gives_the_panels_figures_every_other_label_and_month_at_0(
    client: httpx.AsyncClient, database: Database, runtime: Runtime, clock: FixedClock
) -> None:
    await report_world(database, runtime, clock)
    await sign_in(client, "ig.one")
    page = (await client.get(f"/admin/reports?from={FIRST}&to={LAST}")).text
    ig = await reports(client, token(runtime, "ig.one", clock()))

    assert [s["service"] for s in ig] == ["fire-safety", "housing"]
    # Cases by state and arrangements by kind count what is there now: the API gives them no
    # month, so neither has a Month column (it was there, empty on every row).
    assert headers(page, "cases") == ["Service", "State", "Count"]
    assert headers(page, "arrangements") == ["Service", "Kind", "Count"]
    assert headers(page, "reviews") == ["Month", "Service", "Category", "Count"]
    for name, key in (
        ("cases", "casesByState"),
        ("arrangements", "arrangementsByKind"),
        ("reviews", "reviewsAndAppealsPerMonth"),
    ):
        panel, api = panel_rows(page, name), api_rows(ig, key)
        assert panel, name  # the data has some of each
        assert {k: n for k, n in api.items() if n} == panel, name
    # What the workflow made: two housing cases decided, one warned (in 2024), one fire
    # safety case closed; a named officer on each decided case; this month's review and
    # appeal of the case decided on an immediate risk.
    api = api_rows(ig, "casesByState")
    assert api[("", "housing", "decided")] == 2 and api[("", "housing", "warned")] == 1
    assert api[("", "fire-safety", "closed_no_action")] == 1
    assert api[("", "fire-safety", "open")] == 0
    assert api_rows(ig, "arrangementsByKind")[("", "housing", "named_officer")] == 2
    per_month = api_rows(ig, "reviewsAndAppealsPerMonth")
    for step in ("review_requested", "review_decided: continue", "appeal_lodged",
                 "appeal_decided: confirmed"):  # fmt: skip
        assert per_month[("2026-03", "housing", step)] == 1, step
    # Every state, every step in every month of the period for each service, 0 where none:
    # January and February had none and read 0.
    labels = list(review_and_appeal_labels(runtime.profile))
    for service in ig:
        assert [c["label"] for c in service["casesByState"]] == list(STATE_LABELS)
        assert [m["month"] for m in service["reviewsAndAppealsPerMonth"]] == MONTHS
        for month in service["reviewsAndAppealsPerMonth"]:
            assert [c["label"] for c in month["counts"]] == labels
    assert {n for (month, _, _), n in per_month.items() if month < "2026-03"} == {0}

    # A housing manager cannot sign in to the panel; over the API they get housing's
    # figures, the IG officer's for housing, and nothing of fire safety's.
    manager = await reports(client, token(runtime, "manager.housing", clock()))
    assert manager == [s for s in ig if s["service"] == "housing"]
    assert await logged(database, "staff:manager.housing") == [
        ("read_reports", "housing", "allowed")
    ]
    # the panel's page and the API's read, each logged as read_reports
    assert await logged(database, "staff:ig.one") == [("read_reports", None, "allowed")] * 2


async def test_the_readmes_reports_query_runs_as_printed_for_a_manager(
    client: httpx.AsyncClient, database: Database, runtime: Runtime, clock: FixedClock
) -> None:
    await report_world(database, runtime, clock)
    manager = token(runtime, "manager.housing", clock())
    response = await client.post("/graphql", json={"query": readme_query()}, headers=manager)

    body = response.json()
    assert "errors" not in body, body
    (housing,) = body["data"]["caseReports"]["services"]
    assert housing["service"] == "housing"
    months = housing["reviewsAndAppealsPerMonth"]
    assert [m["month"] for m in months] == [f"2025-{n:02}-01" for n in range(1, 13)]
    states = {c["label"]: c["count"] for c in housing["casesByState"]}
    assert states["decided"] == 2
