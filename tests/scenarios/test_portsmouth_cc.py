"""Portsmouth City Council's process, end to end over HTTP: step one with a single point of
contact and a contact arrangement, the referral pack, a decision by the assistant director,
a recorded decision not to write, one customer-requested review per period (a late appeal
counts as one) undertaken by the city helpdesk manager in consultation (5.2.6), an appeal
within 28 days decided independently by the director (confirmed / amended / removed), and
the end of the arrangements with the "ended" notification."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.scenarios.conftest import WalkFactory
from tests.scenarios.world import (
    CHECKED,
    CLOSED_REPAIR,
    LETTERS_ONLY,
    NAMED_OFFICER,
    Walk,
    contact_battery,
    decision,
    notify,
    prelude,
    safeguards,
)

PROFILE = "portsmouth-cc"
# 5.2.6: the review is undertaken "in consultation with the assistant director of corporate
# services and/or the City Solicitor (or appropriate deputy)".
CONSULTED = "Assistant director of corporate services"
ATTEMPTS = (
    "query L($filter: AccessLogFilter) { accessLog(filter: $filter) "
    "{ edges { node { actor outcome } } } }"
)


async def review_attempts(walk: Walk) -> list[tuple[str, str]]:
    """Who tried to decide a review of the case, and how each attempt ended, oldest first."""
    data = await walk.graphql(
        "helpdesk", ATTEMPTS, filter={"caseRef": walk.reference, "operation": "decide_review"}
    )
    newest_first = data["accessLog"]["edges"]
    return [(e["node"]["actor"], e["node"]["outcome"]) for e in reversed(newest_first)]


async def review_by_the_city_helpdesk_manager(walk: Walk) -> dict[str, Any]:
    """5.2.6: "The review will be undertaken by the city helpdesk manager" (a manager assigned
    to the case as its reviewer), "in consultation with the assistant director of corporate
    services and/or the City Solicitor". The director of corporate services decides appeals
    (5.2.7), not reviews; nor does the service's own manager. Answers the review's step."""
    continued = {"outcome": "CONTINUE", "reasons": "No change yet.", "consulted": CONSULTED}
    for who in ("reviewer", "helpdesk", "manager"):
        not_theirs = await walk.refused(who, "decideReview", **continued)
        assert not_theirs.code == "FORBIDDEN", who
    await walk.step("manager", "assignStaff", username="helpdesk", relation="REVIEWER")
    for who in ("reviewer", "manager"):
        still_not = await walk.refused(who, "decideReview", **continued)
        assert still_not.code == "FORBIDDEN", who
    # Assigned, the city helpdesk manager still says who was consulted.
    alone = await walk.refused(
        "helpdesk", "decideReview", outcome="CONTINUE", reasons="No change yet."
    )
    assert (alone.code, alone.field) == ("VALIDATION_FAILED", "input.consulted")
    assert "City Solicitor" in alone.message
    reviewed = await walk.step("helpdesk", "decideReview", **continued)
    assert reviewed["event"]["actor"] == "Helpdesk Example"  # the display name
    assert reviewed["event"]["details"]["consulted"] == CONSULTED
    # Every attempt is on the access log, read by the city helpdesk manager as IG officer (6).
    assert await review_attempts(walk) == [
        ("staff:reviewer", "denied"), ("staff:helpdesk", "denied"),
        ("staff:manager", "denied"), ("staff:reviewer", "denied"),
        ("staff:manager", "denied"), ("staff:helpdesk", "refused"),
        ("staff:helpdesk", "allowed"),
    ]  # fmt: skip
    return reviewed


async def test_portsmouth_cc(walk_factory: WalkFactory) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await prelude(walk)
        await walk.step("officer", "recordSafeguards", checks=safeguards(PROFILE))
        step_one = {
            "reasons": "Step one: the contact described.", "spoc": "officer",
            "agreedArrangement": "One call a week to the named officer.",
        }  # fmt: skip
        # 5.1: "the appropriate manager" takes step one, not the case officer.
        not_theirs = await walk.refused("officer", "issueWarning", **step_one)
        assert not_theirs.code == "FORBIDDEN"
        no_spoc = await walk.refused("manager", "issueWarning", reasons="Step one.")
        assert (no_spoc.code, no_spoc.field) == ("VALIDATION_FAILED", "input.spoc")
        await walk.step(
            "manager", "issueWarning", reasons="Step one: the contact described.",
            spoc="officer", agreedArrangement="One call a week to the named officer.",
            monitorUntil="2026-04-30",
        )  # fmt: skip
        await notify(walk, "WARNING")  # 5.1: step one is "confirmed in writing"
        unreferred = await walk.refused("decider", "decide", **decision(walk.today))
        assert unreferred.message == "refer the case with its referral pack first"
        await walk.step(
            "manager", "refer", reasons="Step one did not change the contact.",
            referralPack=["contact log", "step one letter"],
        )  # fmt: skip
        restrictions = decision(walk.today, NAMED_OFFICER, LETTERS_ONLY, CLOSED_REPAIR)
        decided = await walk.step("decider", "decide", **dict(restrictions, durationMonths=9))
        assert decided["event"]["details"]["appealDeadline"] == "2026-03-30"  # 28 days
        # 5.2.6: reviewed "At the end of the period of restrictions": nine months on.
        assert decided["event"]["details"]["reviewOn"] == "2026-12-02"
        # 5.2.4: a decision is "confirmed in writing"; not writing is for a review (5.2.6).
        escalate = "A letter would escalate the situation; told in person instead."
        unwritten = await walk.refused(
            "decider", "recordNotification", subject="DECISION", notSentReason=escalate
        )
        assert (unwritten.code, unwritten.field) == ("VALIDATION_FAILED", "input.notSentReason")
        assert unwritten.message.endswith("only about: REVIEW")
        await walk.step(
            "officer", "recordNotification", subject="DECISION", sentOn="2026-03-02",
            format="LETTER",
        )  # fmt: skip
        answers = await contact_battery(walk)
        assert [answers[n]["outcome"] for n in CHECKED] == [
            "PROCEED", "ROUTE", "FILE", "DECLINE", "PROCEED",
        ]  # fmt: skip
        assert answers["queue_after"] == []

        walk.on(dt.date(2026, 4, 2))
        # A late appeal is taken as the customer's request for review of this period...
        redirected = await walk.step(
            "officer", "lodgeAppeal", receivedOn="2026-04-02", against="DECISION",
            grounds="The customer disputes the decision.",
        )  # fmt: skip
        assert redirected["event"]["step"] == "REVIEW_REQUESTED"
        assert redirected["event"]["details"]["redirectedLateAppeal"] is True
        # The customer is told it was late and will be reviewed (test_late_appeals.py).
        await notify(walk, "LATE_APPEAL")
        # ... so a second request in the same period is refused.
        again = await walk.refused(
            "officer", "requestReview", receivedOn="2026-04-03", grounds="Asking again."
        )
        assert again.code == "INVALID_TRANSITION"
        assert "1 review(s) per period of restrictions" in again.message
        reviewed = await review_by_the_city_helpdesk_manager(walk)
        # 5.2.6: the council reviews "At the end of the period of restrictions": continued,
        # they are next reviewed when they end (2 December), not a year on, after they end.
        assert reviewed["event"]["details"]["nextReviewOn"] == "2026-12-02"
        sent = await walk.step(
            "officer", "recordNotification", subject="REVIEW", sentOn="2026-04-02",
            format="LETTER",
        )  # fmt: skip
        letter = sent["event"]["details"]["letter"]
        assert "We will review them again by 2 December 2026." in letter
        # 5.2.6: "once during the period of contract restrictions": continued, the period and
        # its one request stand...
        still = await walk.refused(
            "officer", "requestReview", receivedOn="2026-04-08", grounds="Asking again."
        )
        assert still.code == "INVALID_TRANSITION"
        # ... until a review extends the restrictions "for a further period".
        extended = await walk.step(
            "helpdesk", "decideReview", outcome="EXTEND", endsOn="2027-10-01",
            reasons="Further contact of the same kind during the period.", consulted=CONSULTED,
        )  # fmt: skip
        # Extended "for a further period": reviewed at that period's end.
        assert extended["event"]["details"]["nextReviewOn"] == "2027-10-01"
        # 5.2.6: not writing after a review is "taken by the assistant director of corporate
        # services", not by the case officer.
        officer = await walk.refused(
            "officer", "recordNotification", subject="REVIEW", notSentReason=escalate
        )
        assert officer.code == "FORBIDDEN"
        not_sent = await walk.step(
            "decider", "recordNotification", subject="REVIEW", notSentReason=escalate
        )
        assert not_sent["event"]["details"]["notSentReason"] == escalate
        await walk.step("officer", "requestReview", receivedOn="2026-04-10", grounds="Again.")

        walk.on(dt.date(2026, 4, 20))
        await walk.step(
            "officer", "lodgeAppeal", receivedOn="2026-04-20", against="REVIEW",
            grounds="The customer disputes the review.",
        )  # fmt: skip
        # Policy silent on a period: listed until decided, due Tact's default 28 days on.
        appeal = (walk.reference, "APPEAL_DECISION", "2026-05-18")
        assert appeal in [
            (d["reference"], d["kind"], d["dueOn"]) for d in await walk.deadlines("manager")
        ]
        same = await walk.refused("decider", "decideAppeal", outcome="REMOVED", reasons="Agreed.")
        assert same.code == "FORBIDDEN"
        removed = await walk.step(
            "reviewer", "decideAppeal", outcome="REMOVED", reasons="Contact has settled."
        )
        assert removed["case"]["state"] == "ENDED"
        assert removed["case"]["restrictionsEndedOn"] == "2026-04-20"
        due = await walk.deadlines("manager", officer="officer")
        assert sorted((d["kind"], d["dueOn"]) for d in due) == [
            ("APPEAL_NOTIFICATION", "2026-04-20"),
            ("ENDED_NOTIFICATION", "2026-04-20"),
        ]
        await notify(walk, "APPEAL")
        walk.on(dt.date(2026, 4, 21))  # the letter saying it has ended goes the next day
        await walk.step(
            "officer", "recordNotification", subject="ENDED", sentOn="2026-04-21",
            format="LARGE_PRINT",
        )  # fmt: skip
        assert await walk.deadlines("manager") == []


async def test_an_extension_moves_the_review_to_the_new_end_of_the_period(
    walk_factory: WalkFactory,
) -> None:
    """5.2.6: reviews fall "At the end of the period of restrictions". Extended outside a
    review, the restrictions are reviewed at their new end, as after a review that extends;
    a review the council scheduled for another day stays where it was put."""
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await prelude(walk)
        await walk.step("officer", "recordSafeguards", checks=safeguards(PROFILE))
        await walk.step(
            "manager", "issueWarning", reasons="Step one: the contact described.",
            spoc="officer", agreedArrangement="One call a week to the named officer.",
        )  # fmt: skip
        await walk.step("manager", "refer", reasons="No change.", referralPack=["contact log"])
        decided = await walk.step(
            "decider", "decide", **dict(decision(walk.today, LETTERS_ONLY), durationMonths=9)
        )
        assert decided["event"]["details"]["reviewOn"] == "2026-12-02"
        await notify(walk, "DECISION")
        await walk.step("officer", "scheduleReview", reviewOn="2026-06-01", reasons="A change.")

        walk.on(dt.date(2026, 5, 4))
        # Extended, and extended again later still: each time, the review due at the old end
        # is due at the new one; the scheduled one stays
        for ends_on in ("2027-06-02", "2027-09-01"):
            extended = await walk.step(
                "decider", "extendArrangement", kind="CONTACT_CHANNEL", endsOn=ends_on,
                reasons="Contact of the same kind continued.",
            )  # fmt: skip
            assert extended["event"]["details"]["nextReviewOn"] == ends_on
            deadlines = await walk.deadlines("officer")
            assert [d["dueOn"] for d in deadlines if d["kind"] == "REVIEW"] == [
                "2026-06-01",
                ends_on,
            ]


async def test_the_referral_to_step_two_follows_step_one(walk_factory: WalkFactory) -> None:
    """5.1: "If an agreement cannot be reached with the customer, the matter will be referred
    to step two"; 5.2.1: the referral carries "evidence of the work undertaken by the service
    to resolve the situation". `refer` before step one is refused, saying what comes first,
    and writes nothing; a reason the policy gives for going ahead without warning (4: a threat
    to staff's safety, "not obliged to give the customer warning") lets it through, and any
    other is refused naming `input.skipWarningReason`."""
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await prelude(walk)
        referral = {"reasons": "Contact continues.", "referralPack": ["contact log"]}
        before = await walk.timeline("officer")
        too_soon = await walk.refused("manager", "refer", **referral)
        assert (too_soon.code, too_soon.message) == (
            "INVALID_TRANSITION",
            "carry out step one first: the referral follows it",
        )
        not_a_reason = await walk.refused(
            "manager", "refer", **referral, skipWarningReason="FUTILE"
        )
        assert (not_a_reason.code, not_a_reason.field) == (
            "VALIDATION_FAILED",
            "input.skipWarningReason",
        )
        assert await walk.timeline("officer") == before
        referred = await walk.step("manager", "refer", **referral, skipWarningReason="SAFETY")
        assert referred["case"]["state"] == "REFERRED"
        assert referred["event"]["details"]["skipWarningReason"] == "safety"
        # The decision that follows gives the reason too, and is told to the customer.
        await walk.step("officer", "recordSafeguards", checks=safeguards(PROFILE))
        without_step_one = decision(
            walk.today, skipWarningReason="SAFETY",
            skipWarningExplanation="Threats made to staff at the counter.",
        )  # fmt: skip
        decided = await walk.step("decider", "decide", **without_step_one)
        assert decided["case"]["state"] == "DECIDED"
