"""Calendar days are the UK's (docs/workflow.md, "Days"), over HTTP as staff take the steps.
From late March to late October the UK is on BST, an hour ahead of UTC, so 23:30 UTC on 1
June is 00:30 on 2 June: a decision taken then is dated 2 June, its appeal deadline counted
from 2 June and its letter says so; an appeal received "today" at 00:30 BST on 1 July is
received on 1 July and counts in July in the reports; the nightly sweep and the retention
dates go by the UK day too. In winter (GMT) the UK day is the UTC one."""

from __future__ import annotations

import datetime as dt

from api.cli_cases import sweep
from casework.deadlines import appeal_deadline
from casework.profiles import load_profile
from tests.scenarios.conftest import WalkFactory
from tests.scenarios.world import (
    LETTERS_ONLY,
    NAMED_OFFICER,
    Walk,
    decision,
    notify,
    prelude,
    safeguards,
)

PROFILE = "cumbria-frs"  # a challenge within 14 calendar days of the decision (2.2)
SUMMER_NIGHT = dt.datetime(2026, 6, 1, 23, 30, tzinfo=dt.UTC)  # 00:30 BST on 2 June
WINTER_NIGHT = dt.datetime(2026, 1, 12, 23, 30, tzinfo=dt.UTC)  # 23:30 GMT on 12 January
REPORTS = (
    "query R($from: Date!, $to: Date!) { caseReports(from: $from, to: $to) { services "
    "{ service reviewsAndAppealsPerMonth { month counts { label count } } } } }"
)
PREVIEW = (
    "query P($asOf: Date) { retentionPreview(asOf: $asOf, first: 100) "
    "{ edges { node { caseReference rule triggerOn archiveOn destroyOn } } } }"
)


async def warned(walk: Walk, email: str = "morgan.sample@example.org") -> None:
    """A Cumbria case ready for a decision: warned, the warning's letter sent, safeguards met."""
    await prelude(walk, email)
    await walk.step("officer", "recordSafeguards", checks=safeguards(PROFILE))
    await walk.step("officer", "issueWarning", reasons="Contact above what the team answers.")
    await notify(walk, "WARNING")


async def decide_today(walk: Walk) -> dict[str, object]:
    """A decision for a year from today (no startsOn given): its event's details."""
    restrictions = decision(dt.date(2000, 1, 1), NAMED_OFFICER, LETTERS_ONLY)
    del restrictions["startsOn"], restrictions["consulted"]  # Cumbria's manager decides alone
    decided = await walk.step("decider", "decide", **restrictions)
    details: dict[str, object] = decided["event"]["details"]
    return details


def appeal(received_on: str) -> dict[str, str]:
    return {"receivedOn": received_on, "against": "DECISION", "grounds": "Disputed."}


async def test_a_decision_at_half_past_midnight_bst_is_dated_that_uk_day(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, SUMMER_NIGHT.date()) as walk:
        await warned(walk)
        walk.at(SUMMER_NIGHT)
        details = await decide_today(walk)
        assert details["startsOn"] == "2026-06-02"
        assert details["appealDeadline"] == "2026-06-16"  # 14 days from 2 June, not 1 June
        assert appeal_deadline(load_profile(PROFILE), dt.date(2026, 6, 2)) == dt.date(2026, 6, 16)

        # The letter sent that night is dated 2 June, today in the UK, and gives that deadline.
        sent = await walk.step(
            "officer", "recordNotification", subject="DECISION", sentOn="2026-06-02",
            format="LETTER",
        )  # fmt: skip
        assert sent["event"]["details"]["sentOn"] == "2026-06-02"
        assert "by 16 June 2026" in sent["event"]["details"]["letter"]

        # A challenge received on the last day is in time, not refused as late.
        walk.on(dt.date(2026, 6, 16))
        lodged = await walk.step("officer", "lodgeAppeal", **appeal("2026-06-16"))
        assert lodged["event"]["step"] == "APPEAL_LODGED"
        assert lodged["event"]["details"]["deadline"] == "2026-06-16"
        assert lodged["event"]["details"]["late"] is False


async def test_in_winter_the_uk_day_is_the_utc_day(walk_factory: WalkFactory) -> None:
    async with walk_factory(PROFILE, WINTER_NIGHT.date()) as walk:
        await warned(walk)
        walk.at(WINTER_NIGHT)
        details = await decide_today(walk)
        assert (details["startsOn"], details["appealDeadline"]) == ("2026-01-12", "2026-01-26")
        await notify(walk, "DECISION")
        # 13 January has not begun in the UK: a challenge received then is in the future.
        refused = await walk.refused("officer", "lodgeAppeal", **appeal("2026-01-13"))
        assert (refused.code, refused.field) == ("VALIDATION_FAILED", "input.receivedOn")
        assert "future" in refused.message


async def test_an_appeal_lodged_at_half_past_midnight_on_1_july_counts_in_july(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 6, 22)) as walk:
        await warned(walk)
        await decide_today(walk)
        await notify(walk, "DECISION")
        walk.at(dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC))  # 00:30 BST on 1 July
        # Received today, 1 July in the UK: not in the future.
        lodged = await walk.step("officer", "lodgeAppeal", **appeal("2026-07-01"))
        assert lodged["event"]["details"]["receivedOn"] == "2026-07-01"

        walk.on(dt.date(2026, 8, 3))

        async def lodged(first: str, last: str) -> dict[str, int]:
            answer = await walk.graphql("helpdesk", REPORTS, **{"from": first, "to": last})
            (housing,) = [s for s in answer["caseReports"]["services"] if s["service"] == "housing"]
            return {
                month["month"]: count["count"]
                for month in housing["reviewsAndAppealsPerMonth"]
                for count in month["counts"]
                if count["label"] == "appeal_lodged"
            }

        assert await lodged("2026-06-01", "2026-07-31") == {"2026-06-01": 0, "2026-07-01": 1}
        assert await lodged("2026-06-01", "2026-06-30") == {"2026-06-01": 0}
        assert await lodged("2026-07-01", "2026-07-01") == {"2026-07-01": 1}


async def test_the_sweep_and_the_retention_dates_go_by_the_uk_day(
    walk_factory: WalkFactory,
) -> None:
    """An arrangement that ended on 31 March has run out at 00:30 BST on 1 April; a case
    closed with no action then closed on 1 April, and its six years count from that day."""
    async with walk_factory("cambridgeshire-cc", dt.date(2026, 3, 2)) as walk:
        await prelude(walk)
        decided = await walk.step(
            "manager", "decideImmediateRisk", risk="Threats made to staff at reception.",
            reasons="Staff safety.", startsOn="2026-03-02", endsOn="2026-03-31",
            arrangements=[{"kind": "NAMED_OFFICER", "namedOfficer": "officer"}],
        )  # fmt: skip
        ended = decided["case"]["reference"]
        await prelude(walk, "alex.sample@example.org")
        walk.at(dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC))  # 00:30 BST on 1 April
        await walk.step("officer", "closeNoAction", reasons="Recorded elsewhere.")
        closed = walk.reference

        swept = await sweep(walk.runtime, walk.clock)
        assert (swept.expired, swept.ended) == ({ended: 1}, [ended])

        edges = (await walk.graphql("helpdesk", PREVIEW, asOf="2032-04-01"))["retentionPreview"]
        (node,) = [e["node"] for e in edges["edges"] if e["node"]["caseReference"] == closed]
        assert (node["triggerOn"], node["destroyOn"]) == ("2026-04-01", "2032-04-01")
