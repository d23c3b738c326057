"""Late appeals over HTTP, as staff lodge them. Cumbria (2.2: a challenge "within 14 days",
no late route) refuses one: the refusal is a step on the case with the date received and the
deadline missed, shown on the timeline, counted in the reports, owing the customer a letter,
and holding nothing back from retention. Portsmouth (5.2.7: the council "reserves the right
not to consider" a late appeal) lets the officer hear one for a recorded reason, and
otherwise takes it as a request for review, owing the customer a letter saying so and who
undertakes the review. Input at fault is refused, naming the field, with nothing written."""

from __future__ import annotations

import datetime as dt
from typing import Any

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

START = dt.date(2026, 3, 2)  # the decision; Cumbria's window closes on 16 March
REPORTS = (
    "query R($from: Date!, $to: Date!) { caseReports(from: $from, to: $to) "
    "{ services { service decisions { label count } } } }"
)
PREVIEW = (
    "query P($asOf: Date) { retentionPreview(asOf: $asOf, first: 100) "
    "{ edges { node { caseReference action holds { reason } } } } }"
)


async def cumbria_decided(walk: Walk, months: int = 12) -> None:
    """A Cumbria case decided on START, its letter sent: warned first, safeguards met."""
    await prelude(walk)
    await walk.step("officer", "recordSafeguards", checks=safeguards("cumbria-frs"))
    await walk.step("officer", "issueWarning", reasons="Contact above what the team answers.")
    await notify(walk, "WARNING")
    restrictions = decision(START, NAMED_OFFICER, LETTERS_ONLY, durationMonths=months)
    del restrictions["consulted"]  # Cumbria's senior manager decides alone
    await walk.step("decider", "decide", **restrictions)
    await notify(walk, "DECISION")


def appeal(received_on: str, **extra: Any) -> dict[str, Any]:
    return {"receivedOn": received_on, "against": "DECISION", "grounds": "Disputed.", **extra}


async def test_cumbria_records_a_late_challenge_it_refuses_and_owes_a_letter(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory("cumbria-frs", START) as walk:
        await cumbria_decided(walk)
        walk.on(dt.date(2026, 3, 20))
        before = await walk.timeline("manager")
        faults = [
            (appeal("2026-03-21"), "input.receivedOn", "must not be in the future"),
            (appeal("2026-03-01"), "input.receivedOn", "before the decision"),
            (appeal("2026-03-18") | {"against": "WARNING"}, "input.against", "no appeal"),
            (appeal("2026-03-18", lateHeardReason="In hospital."), "input.lateHeardReason", ""),
        ]
        for given, field, words in faults:
            refused = await walk.refused("officer", "lodgeAppeal", **given)
            assert (refused.code, refused.field) == ("VALIDATION_FAILED", field)
            assert words in refused.message
        assert await walk.timeline("manager") == before  # nothing written

        refused_late = await walk.step("officer", "lodgeAppeal", **appeal("2026-03-18"))
        event = refused_late["event"]
        assert event["step"] == "APPEAL_REFUSED_LATE"
        assert event["details"]["receivedOn"] == "2026-03-18"
        assert event["details"]["deadline"] == "2026-03-16"
        assert event["details"]["late"] is True
        assert refused_late["case"]["state"] == "DECIDED"  # beside the state
        assert (await walk.timeline("manager"))[-1]["step"] == "APPEAL_REFUSED_LATE"
        # No appeal is open to decide; the customer is owed the letter saying why.
        nothing = await walk.refused("reviewer", "decideAppeal", outcome="CONFIRMED", reasons="x")
        assert (nothing.code, nothing.message) == ("INVALID_TRANSITION", "lodge the appeal first")
        due = [(d["kind"], d["dueOn"]) for d in await walk.deadlines("manager")]
        assert ("LATE_APPEAL_NOTIFICATION", "2026-03-20") in due
        assert not [kind for kind, _ in due if kind == "APPEAL_DECISION"]

        sent = await walk.step(
            "officer", "recordNotification", subject="LATE_APPEAL", sentOn="2026-03-20",
            format="LETTER",
        )  # fmt: skip
        letter = sent["event"]["details"]["letter"]
        assert "your request for a review arrived after the time limit" in letter
        assert "on 18 March 2026" in letter and "it ended on 16 March 2026" in letter
        assert "it has not been considered" in letter
        due = [d["kind"] for d in await walk.deadlines("manager")]
        assert "LATE_APPEAL_NOTIFICATION" not in due

        # Counted as its own kind, apart from the appeals decided.
        reports = await walk.graphql(
            "helpdesk", REPORTS, **{"from": "2026-03-01", "to": "2026-03-20"}
        )
        housing = next(s for s in reports["caseReports"]["services"] if s["service"] == "housing")
        counts = {c["label"]: c["count"] for c in housing["decisions"]}
        assert counts["appeal_refused_late"] == 1
        assert sum(n for label, n in counts.items() if label.startswith("appeal_decided")) == 0


async def test_a_refused_late_challenge_holds_nothing_back_from_retention(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory("cumbria-frs", START) as walk:
        await cumbria_decided(walk, months=1)  # ends 2 April
        walk.on(dt.date(2026, 5, 4))
        refused = await walk.step("officer", "lodgeAppeal", **appeal("2026-05-04"))
        assert refused["event"]["step"] == "APPEAL_REFUSED_LATE"
        assert refused["case"]["state"] == "ENDED"  # the arrangements ran out first

        async def planned() -> list[tuple[str, list[dict[str, str]]]]:
            edges = (await walk.graphql("helpdesk", PREVIEW))["retentionPreview"]["edges"]
            items = [e["node"] for e in edges]
            return [
                (i["action"], i["holds"]) for i in items if i["caseReference"] == walk.reference
            ]

        # No appeal is open, so no hold; only the letters owed keep it from being archived.
        assert await planned() == [("letter_owed", [])]
        await notify(walk, "ENDED")
        assert await planned() == [("letter_owed", [])]
        await notify(walk, "LATE_APPEAL")
        assert await planned() == [("archive", [])]


async def portsmouth_decided(walk: Walk) -> None:
    """A Portsmouth case decided on START, its letter sent; the appeal window closes on 30
    March (5.2.7: 28 days)."""
    await prelude(walk)
    await walk.step("officer", "recordSafeguards", checks=safeguards("portsmouth-cc"))
    await walk.step(
        "manager", "issueWarning", reasons="Step one: the contact described.",
        spoc="officer", agreedArrangement="One call a week to the named officer.",
    )  # fmt: skip
    await notify(walk, "WARNING")
    await walk.step("manager", "refer", reasons="No change.", referralPack=["contact log"])
    await walk.step("decider", "decide", **decision(START, NAMED_OFFICER, LETTERS_ONLY))
    await notify(walk, "DECISION")


async def test_portsmouth_hears_a_late_appeal_for_a_recorded_reason(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory("portsmouth-cc", START) as walk:
        await portsmouth_decided(walk)

        walk.on(dt.date(2026, 3, 20))  # within 28 days: no reason to hear it late
        in_time = await walk.refused(
            "officer", "lodgeAppeal", **appeal("2026-03-20", lateHeardReason="Not needed.")
        )
        assert (in_time.code, in_time.field) == ("VALIDATION_FAILED", "input.lateHeardReason")

        walk.on(dt.date(2026, 4, 8))  # the window closed on 30 March
        reason = "The customer was in hospital from 20 March to 6 April."
        heard = await walk.step(
            "officer", "lodgeAppeal", **appeal("2026-04-07", lateHeardReason=reason)
        )
        details = heard["event"]["details"]
        assert heard["event"]["step"] == "APPEAL_LODGED"
        assert (details["late"], details["deadline"]) == (True, "2026-03-30")
        assert details["lateHeardReason"] == reason
        due = [(d["kind"], d["dueOn"]) for d in await walk.deadlines("manager")]
        assert ("APPEAL_DECISION", "2026-05-05") in due
        decided = await walk.step(
            "reviewer", "decideAppeal", outcome="CONFIRMED", reasons="The decision stands."
        )
        assert decided["event"]["step"] == "APPEAL_DECIDED"


async def test_portsmouth_tells_the_customer_a_late_appeal_is_taken_as_a_review(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory("portsmouth-cc", START) as walk:
        await portsmouth_decided(walk)
        walk.on(dt.date(2026, 4, 8))  # the window closed on 30 March
        redirected = await walk.step("officer", "lodgeAppeal", **appeal("2026-04-07"))
        details = redirected["event"]["details"]
        assert redirected["event"]["step"] == "REVIEW_REQUESTED"
        assert details["redirectedLateAppeal"] is True
        assert (details["against"], details["deadline"]) == ("decision", "2026-03-30")
        due = [(d["kind"], d["dueOn"]) for d in await walk.deadlines("manager")]
        assert ("LATE_APPEAL_NOTIFICATION", "2026-04-08") in due

        sent = await walk.step(
            "officer", "recordNotification", subject="LATE_APPEAL", sentOn="2026-04-08",
            format="LETTER",
        )  # fmt: skip
        assert sent["event"]["details"]["lateAppealNotificationMet"] is True
        letter = " ".join(sent["event"]["details"]["letter"].split())
        assert "your appeal arrived after the time limit" in letter
        assert "on 7 April 2026" in letter and "it ended on 30 March 2026" in letter
        assert "referred to the review process" in letter
        assert "we will consider it as a request for a review of the decision" in letter
        assert "The review will be undertaken by the city helpdesk manager." in letter
        assert "has not been considered" not in letter
        due = [(d["kind"], d["dueOn"]) for d in await walk.deadlines("manager")]
        assert "LATE_APPEAL_NOTIFICATION" not in [kind for kind, _ in due]


async def test_a_review_the_customer_asks_for_owes_no_late_appeal_letter(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory("portsmouth-cc", START) as walk:
        await portsmouth_decided(walk)
        walk.on(dt.date(2026, 3, 20))
        await walk.step("officer", "requestReview", receivedOn="2026-03-20", grounds="Asked.")
        due = [d["kind"] for d in await walk.deadlines("manager")]
        assert "LATE_APPEAL_NOTIFICATION" not in due
        sent = await walk.step(
            "officer", "recordNotification", subject="LATE_APPEAL", sentOn="2026-03-20",
            format="LETTER",
        )  # fmt: skip
        assert "letter" not in sent["event"]["details"]  # no late appeal to write about
