"""The period reports an annual report needs (warnings, decisions, reviews and appeals by
outcome, closures with no action; cases opened by concern category), counted over cases made
through the workflow's own step functions, on SQLite and PostgreSQL, every service with every
decision and category (0 where none), and shown on the panel's reports page for a posted
period, the field at fault named on bad input."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import httpx

from api.runtime import Runtime
from casework import step_models as m
from casework.deciding import decide
from casework.opening import (
    assign_staff,
    issue_warning,
    open_case,
    record_concern,
    record_safeguards,
)
from casework.reports import (
    CONCERN_LABELS,
    NO_CONCERN,
    Count,
    cases_opened_by_concern,
    decision_labels,
    decisions_in_period,
    period_figures,
)
from casework.steps import StepRun
from records.database import Database
from records.models import ArrangementKind, AssignmentRelation, ConcernCategory
from tests.admin.conftest import post_form, sign_in, typed
from tests.admin.test_records_pages import cells, ig_world, workflow_cases
from tests.api.app_fixtures import FixedClock
from tests.retention.world import RetentionWorld

EARLIER = dt.datetime(2024, 6, 3, 10, tzinfo=dt.UTC)  # before the default period


async def _warned_and_decided(
    database: Database, runtime: Runtime, world: RetentionWorld, clock: FixedClock
) -> uuid.UUID:
    """A housing case with concerns of two categories, warned, then decided in full."""
    async with database.sessions() as session, session.begin():
        run = StepRun(session, runtime.vault, runtime.profile, clock, world.staff["dm.housing"])
        lookup = m.CustomerLookup(customer_ref="CUS-REPORT-2", name="Period Tester")
        case, _ = await open_case(run, "housing", m.OpenCase(customer=lookup))
        for category in (ConcernCategory.CONTACT_VOLUME, ConcernCategory.CONDUCT_TOWARDS_STAFF):
            await record_concern(run, case.id, m.RecordConcern(category=category))
        await assign_staff(
            run, case.id,
            m.AssignStaff(username="dm.housing", relation=AssignmentRelation.DECISION_MAKER),
        )  # fmt: skip
        checks = [m.SafeguardCheck(item=s, met=True) for s in runtime.profile.decision.safeguards]
        await record_safeguards(run, case.id, m.RecordSafeguards(checks=checks))
        await issue_warning(run, case.id, m.IssueWarning(reasons="The contact logged"))
        arrangement = m.NewArrangement(
            kind=ArrangementKind.NAMED_OFFICER, named_officer="dm.housing"
        )
        decision = m.Decide(
            reasons="Contact went on", arrangements=[arrangement], duration_months=6
        )
        await decide(run, case.id, decision)
        return case.id


async def _warned_earlier(database: Database, runtime: Runtime, world: RetentionWorld) -> None:
    """A housing case opened and warned in 2024, outside the default period."""
    async with database.sessions() as session, session.begin():
        then = FixedClock(EARLIER)
        run = StepRun(session, runtime.vault, runtime.profile, then, world.staff["dm.housing"])
        lookup = m.CustomerLookup(customer_ref="CUS-REPORT-3", name="Earlier Tester")
        case, _ = await open_case(run, "housing", m.OpenCase(customer=lookup))
        concern = m.RecordConcern(category=ConcernCategory.REPEAT_MATTER)
        await record_concern(run, case.id, concern)
        await issue_warning(run, case.id, m.IssueWarning(reasons="The same matter again"))


async def report_world(database: Database, runtime: Runtime, clock: FixedClock) -> RetentionWorld:
    """Today: housing has one case decided in full after a warning, and one decided on an
    immediate risk, reviewed (continue) and appealed (confirmed); fire safety one closed
    with no action and no concern. In 2024: one housing case warned."""
    world = await ig_world(database, clock())
    await workflow_cases(database, runtime, world, clock)
    await _warned_and_decided(database, runtime, world, clock)
    await _warned_earlier(database, runtime, world)
    return world


def keyed(counts: list[Count]) -> dict[tuple[str, str], int]:
    return {(c.service, c.category): c.count for c in counts}


DECISIONS_THIS_YEAR = {
    ("fire-safety", "closed_no_action"): 1,
    ("housing", "warning_issued"): 1,
    ("housing", "decided"): 1,
    ("housing", "decided_immediate_risk"): 1,
    ("housing", "review_decided: continue"): 1,
    ("housing", "appeal_decided: confirmed"): 1,
}
OPENED_THIS_YEAR = {
    ("fire-safety", NO_CONCERN): 1,
    ("housing", "contact_volume"): 2,
    ("housing", "conduct_towards_staff"): 1,
}


async def test_period_counts_match_cases_made_through_the_workflow(
    database: Database, runtime: Runtime, clock: FixedClock
) -> None:
    await report_world(database, runtime, clock)
    today = clock().date()
    year_ago = today - dt.timedelta(days=365)
    async with database.sessions() as session:
        decisions = await decisions_in_period(session, year_ago, today)
        opened = await cases_opened_by_concern(session, year_ago, today)
        since_2024 = await decisions_in_period(session, EARLIER.date(), today)
        opened_since = await cases_opened_by_concern(session, EARLIER.date(), today)
        before = await decisions_in_period(session, EARLIER.date(), EARLIER.date())
        after = await cases_opened_by_concern(session, today + dt.timedelta(days=1), today)
    assert keyed(decisions) == DECISIONS_THIS_YEAR
    # by service, then in the order a case takes its steps
    assert [c.category for c in decisions if c.service == "housing"] == [
        "warning_issued", "decided", "decided_immediate_risk",
        "review_decided: continue", "appeal_decided: confirmed",
    ]  # fmt: skip
    assert keyed(opened) == OPENED_THIS_YEAR
    assert keyed(since_2024) == {**DECISIONS_THIS_YEAR, ("housing", "warning_issued"): 2}
    assert keyed(opened_since) == {**OPENED_THIS_YEAR, ("housing", "repeat_matter"): 1}
    assert keyed(before) == {("housing", "warning_issued"): 1}  # both ends of a day included
    assert after == []


async def test_the_period_figures_give_every_service_every_label_with_0_where_none(
    database: Database, runtime: Runtime, clock: FixedClock
) -> None:
    await report_world(database, runtime, clock)
    today = clock().date()
    async with database.sessions() as session:
        figures = await period_figures(session, today.replace(day=1), today, runtime.profile)
        quiet = await period_figures(session, dt.date(2023, 1, 1), dt.date(2023, 12, 31),
                                     runtime.profile)  # fmt: skip
    assert figures.services == (("fire-safety", "Fire-Safety"), ("housing", "Housing"))
    labels = decision_labels(runtime.profile)
    for service in ("fire-safety", "housing"):
        shown = [c.category for c in figures.decisions if c.service == service]
        assert shown == list(labels), service
        opened = [c.category for c in figures.opened if c.service == service]
        assert opened == list(CONCERN_LABELS), service
    # what was counted, and 0 for everything else
    assert {k: v for k, v in keyed(figures.decisions).items() if v} == DECISIONS_THIS_YEAR
    assert {k: v for k, v in keyed(figures.opened).items() if v} == OPENED_THIS_YEAR
    assert keyed(figures.decisions)[("fire-safety", "warning_issued")] == 0
    assert keyed(figures.opened)[("housing", "repeat_matter")] == 0
    assert (quiet.first, quiet.last) == (dt.date(2023, 1, 1), dt.date(2023, 12, 31))
    assert len(quiet.decisions) == 2 * len(labels)
    assert {c.count for c in (*quiet.decisions, *quiet.opened)} == {0}


QUIET_DECISIONS = "none in this period: 0 for every outcome"
QUIET_OPENED = "none in this period: 0 for every category"


def table(page: str, name: str) -> str:
    return page.split(f'data-testid="table-{name}"')[1].split("</table>")[0]


def headers(page: str, name: str) -> list[str]:
    return re.findall(r"<th>(.*?)</th>", table(page, name))


async def test_the_reports_page_shows_the_period_figures_for_a_posted_period(
    client: httpx.AsyncClient, database: Database, runtime: Runtime, clock: FixedClock
) -> None:
    await report_world(database, runtime, clock)
    await sign_in(client, "ig.one")
    page = (await client.get("/admin/reports")).text
    assert page.count('data-testid="chart"') == 5
    assert 'value="2025-04-01"' in page and 'value="2026-03-02"' in page  # the default period
    decisions, opened = table(page, "decisions"), table(page, "concerns")
    for (service, category), count in DECISIONS_THIS_YEAR.items():
        assert cells(service, category, str(count)) in decisions, category
    for (service, category), count in OPENED_THIS_YEAR.items():
        assert cells(service, category, str(count)) in opened, category
    # none is shown as 0, not left out
    assert cells("housing", "repeat_matter", "0") in opened
    assert cells("fire-safety", "contact_volume", "0") in opened
    assert cells("housing", "review_decided: lift", "0") in decisions
    assert cells("housing", "closed_no_action", "0") in decisions
    assert cells("fire-safety", "warning_issued", "0") in decisions

    posted = await post_form(
        client, "/admin/reports", "/admin/reports", **{"from": "2024-01-01", "to": "2024-12-31"}
    )
    assert posted.status_code == 200
    decisions_2024 = table(posted.text, "decisions")
    assert cells("housing", "warning_issued", "1") in decisions_2024
    assert cells("housing", "decided", "0") in decisions_2024
    # a service with none at all is one line that says so
    assert cells("fire-safety", QUIET_DECISIONS, "0") in decisions_2024
    assert decisions_2024.count("<td>fire-safety</td>") == 1
    assert cells("housing", "repeat_matter", "1") in table(posted.text, "concerns")
    assert cells("fire-safety", QUIET_OPENED, "0") in table(posted.text, "concerns")
    assert "2024-01-01 to 2024-12-31" in posted.text

    empty = await post_form(
        client, "/admin/reports", "/admin/reports", **{"from": "2023-01-01", "to": "2023-12-31"}
    )
    for service in ("fire-safety", "housing"):
        assert cells(service, QUIET_DECISIONS, "0") in table(empty.text, "decisions")
        assert cells(service, QUIET_OPENED, "0") in table(empty.text, "concerns")


async def test_a_bad_period_is_refused_naming_the_field_at_fault(
    client: httpx.AsyncClient, database: Database, clock: FixedClock
) -> None:
    await ig_world(database, clock())
    await sign_in(client, "ig.one")
    for given, said in (
        ({"from": "March"}, "From (first day): must be a date, YYYY-MM-DD"),
        ({"to": "2026-02-30"}, "To (last day): must be a date, YYYY-MM-DD"),
        ({"from": "2026-03-02", "to": "2026-03-01"},
         "From (first day): must not be after the last day"),
        ({"from": "2019-01-01", "to": "2026-03-01"},
         "From (first day): the period is at most 60 months"),
    ):  # fmt: skip
        bad = await post_form(client, "/admin/reports", "/admin/reports", **given)
        assert bad.status_code == 400 and said in bad.text, given
        # the reports page again, the period as typed kept in its form
        assert 'data-testid="page-title">Case reports' in bad.text, given
        for name, value in given.items():
            assert typed(bad.text, f"period-{name}") == value, given
