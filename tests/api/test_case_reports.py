"""`caseReports` over real HTTP with real staff tokens: the panel's period figures
(casework/reports.py, `period_figures`) for the staff who hold read_reports. A housing
manager gets housing's figures only, an IG officer every service's, each equal to what
`period_figures` gives (the IG officer's also to the panel's CSV rows); a case officer and a
portal key are refused; every read is logged as read_reports; a bad period is refused naming
the field."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from admin.report_csv import csv_rows
from api.runtime import Runtime
from api.staff_tokens import LocalSigningKey
from casework.reports import Count, period_figures, report_figures
from records.models import AccessLogEntry, Role
from records.staff import add_staff, grant_role
from tests.api.app_fixtures import FixedClock
from tests.api.case_world import CaseWorld, bearer, build_case_world
from tests.api.portal_world import api_key

REPORTS = """
query Reports($from: Date!, $to: Date!) {
  caseReports(from: $from, to: $to) {
    from to
    services {
      service name decisions { label count } concerns { label count }
      casesByState { label count } arrangementsByKind { label count }
      reviewsAndAppealsPerMonth { month counts { label count } }
    }
  }
}
"""


@pytest.fixture
async def world(runtime: Runtime, clock: FixedClock) -> CaseWorld:
    world = await build_case_world(runtime, clock.now)
    async with runtime.database.sessions() as session, session.begin():
        await add_staff(session, username="manager.housing", display_name="M", now=clock.now)
        await grant_role(
            session, username="manager.housing", role=Role.MANAGER, service="housing",
            now=clock.now,
        )  # fmt: skip
    settings = runtime.settings
    local = LocalSigningKey.load_or_create(settings.resolved_local_signing_key_file)
    world.tokens["manager.housing"] = local.issue(
        "manager.housing", issuer=settings.jwt_issuer, audience=settings.jwt_audience,
        now=clock.now, lifetime=dt.timedelta(minutes=15),
    )  # fmt: skip
    return world


async def post(
    client: httpx.AsyncClient, headers: dict[str, str], first: dt.date, last: dt.date
) -> dict[str, Any]:
    variables = {"from": first.isoformat(), "to": last.isoformat()}
    response = await client.post(
        "/graphql", json={"query": REPORTS, "variables": variables}, headers=headers
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [
        (".".join(map(str, e.get("path") or [])), e["extensions"]["code"],
         e["extensions"].get("field"))
        for e in body.get("errors", [])
    ]  # fmt: skip


def labelled(counts: list[Count], service: str) -> list[dict[str, Any]]:
    return [{"label": c.category, "count": c.count} for c in counts if c.service == service]


async def expected(runtime: Runtime, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    """What `report_figures` gives, per service, in the API's shape."""
    async with runtime.database.sessions() as session:
        figures = await report_figures(session, first, last, runtime.profile)
    period = figures.period
    return [
        {
            "service": slug, "name": name,
            "decisions": labelled(period.decisions, slug),
            "concerns": labelled(period.opened, slug),
            "casesByState": labelled(figures.states, slug),
            "arrangementsByKind": labelled(figures.kinds, slug),
            "reviewsAndAppealsPerMonth": [
                {"month": month.isoformat(),
                 "counts": labelled([c for c in figures.per_month if c.month == month], slug)}
                for month in figures.months
            ],
        }
        for slug, name in period.services
    ]  # fmt: skip


async def logged(runtime: Runtime) -> Counter[tuple[str, str | None, str]]:
    async with runtime.database.sessions() as session:
        rows = await session.execute(
            select(AccessLogEntry.operation, AccessLogEntry.service, AccessLogEntry.outcome)
        )
        return Counter(tuple(row) for row in rows)  # type: ignore[misc]


def period(clock: FixedClock) -> tuple[dt.date, dt.date]:
    today = clock.now.date()
    return today - dt.timedelta(days=365), today


async def test_a_housing_manager_gets_housings_figures_only(
    client: httpx.AsyncClient, world: CaseWorld, runtime: Runtime, clock: FixedClock
) -> None:
    first, last = period(clock)
    body = await post(client, bearer(world.tokens["manager.housing"]), first, last)

    assert "errors" not in body
    reports = body["data"]["caseReports"]
    assert (reports["from"], reports["to"]) == (first.isoformat(), last.isoformat())
    every = await expected(runtime, first, last)
    housing = [s for s in every if s["service"] == "housing"]
    assert reports["services"] == housing
    # Counted, zeros included: the housing case's concern, every decision at 0.
    assert sum(c["count"] for c in housing[0]["concerns"]) >= 1
    assert housing[0]["decisions"] and all(c["count"] == 0 for c in housing[0]["decisions"])
    # Now: the one housing case, decided, with its arrangements; every other state at 0.
    states = {c["label"]: c["count"] for c in housing[0]["casesByState"]}
    assert {label for label, n in states.items() if n} == {"decided"} and "open" in states
    assert sum(c["count"] for c in housing[0]["arrangementsByKind"]) >= 1
    # Every month of the period, oldest first, each with every step at 0 (none was taken).
    months = housing[0]["reviewsAndAppealsPerMonth"]
    assert [m["month"] for m in months][:2] == [first.replace(day=1).isoformat(), "2025-04-01"]
    assert len(months) == 13 and all(c["count"] == 0 for m in months for c in m["counts"])
    assert "appeal_lodged" in {c["label"] for c in months[0]["counts"]}
    assert await logged(runtime) == {("read_reports", "housing", "allowed"): 1}


async def test_an_ig_officer_sees_every_service(
    client: httpx.AsyncClient, world: CaseWorld, runtime: Runtime, clock: FixedClock
) -> None:
    first, last = period(clock)
    body = await post(client, bearer(world.tokens["ig.all"]), first, last)

    services = body["data"]["caseReports"]["services"]
    assert services == await expected(runtime, first, last)
    assert {s["service"] for s in services} == {"housing", "customer-services", "fire-safety"}
    # The same rows as the panel's CSV download of the period (admin/report_csv.py).
    async with runtime.database.sessions() as session:
        panel = csv_rows(await period_figures(session, first, last, runtime.profile))[1:]
    period_cells = (first.isoformat(), last.isoformat())
    rows = [
        (*period_cells, table, s["service"], s["name"], c["label"], str(c["count"]))
        for table, key in (("decisions", "decisions"), ("cases_opened", "concerns"))
        for s in services
        for c in s[key]
    ]
    assert rows == panel
    assert await logged(runtime) == {("read_reports", None, "allowed"): 1}


async def test_a_manager_of_two_services_gets_both_each_logged(
    client: httpx.AsyncClient, world: CaseWorld, runtime: Runtime, clock: FixedClock
) -> None:
    async with runtime.database.sessions() as session, session.begin():
        await grant_role(
            session, username="manager.housing", role=Role.MANAGER, service="fire-safety",
            now=clock.now,
        )  # fmt: skip
    first, last = period(clock)
    body = await post(client, bearer(world.tokens["manager.housing"]), first, last)

    every = await expected(runtime, first, last)
    assert body["data"]["caseReports"]["services"] == [
        s for s in every if s["service"] in {"housing", "fire-safety"}
    ]
    assert await logged(runtime) == {
        ("read_reports", "housing", "allowed"): 1,
        ("read_reports", "fire-safety", "allowed"): 1,
    }


@pytest.mark.parametrize("who", ["case officer", "portal key"])
async def test_a_case_officer_and_a_portal_key_are_refused(
    client: httpx.AsyncClient, world: CaseWorld, runtime: Runtime, clock: FixedClock, who: str
) -> None:
    headers = {
        "case officer": bearer(world.tokens["officer.assigned"]),
        "portal key": api_key(world.portal_key),
    }[who]
    first, last = period(clock)
    body = await post(client, headers, first, last)

    assert body["data"] is None
    assert codes(body) == [("caseReports", "FORBIDDEN", None)]
    assert await logged(runtime) == {("read_reports", None, "denied"): 1}


@pytest.mark.parametrize(
    ("days_back", "days_on", "field"),
    [
        (10, -20, "to"),  # `to` before `from`
        (10, 1, "to"),  # ends after today
        (5 * 366 + 1, 0, "from"),  # longer than five years
    ],
)
async def test_a_bad_period_is_refused_naming_the_field(
    client: httpx.AsyncClient, world: CaseWorld, runtime: Runtime, clock: FixedClock,
    days_back: int, days_on: int, field: str,
) -> None:  # fmt: skip
    today = clock.now.date()
    first = today - dt.timedelta(days=days_back)
    last = today + dt.timedelta(days=days_on)
    body = await post(client, bearer(world.tokens["manager.housing"]), first, last)

    assert body["data"] is None
    assert codes(body) == [("caseReports", "VALIDATION_FAILED", field)]
