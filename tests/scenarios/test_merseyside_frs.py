"""Merseyside Fire and Rescue Service's process, end to end over HTTP: no labels in the file
(the label guard, quotations allowed), a case conference with attendees by role and its
evidence list before the Director decides, no immediate-risk route, quarterly reviews at the
case conference reconvened, a challenge taken whenever it comes, and the end."""

from __future__ import annotations

import datetime as dt

from tests.scenarios.conftest import WalkFactory
from tests.scenarios.world import (
    NAMED_OFFICER,
    Walk,
    decision,
    notify,
    prelude,
    routed_and_emergency,
    safeguards,
)

PROFILE = "merseyside-frs"
CONFERENCE = {
    "heldOn": "2026-03-02",
    "attendees": [
        {"role": "Director", "username": "decider"},
        {"role": "Service Manager", "username": "manager"},
        {"role": "Professional Standards Manager"},
        {"role": "Equality and Diversity Manager"},
        {"role": "Deputy Clerk to the Authority"},
    ],
    "evidence": ["contact log January to February", "call notes"],
    "recommendation": "A named officer, and the officer calls the customer fortnightly.",
}
# Merseyside's arrangements are supportive: a named officer and proactive contact.
PROACTIVE = {"kind": "PROACTIVE_CONTACT", "parameters": {"frequency": "fortnightly"}}


async def test_merseyside_frs(walk_factory: WalkFactory) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await prelude(walk)
        # The word reads as itself spelt with Cyrillic e and a (U+0435, U+0430) too.
        for word in ("vexatious", "v\u0435x\u0430tious"):
            labelled = await walk.refused(
                "officer",
                "recordEvidence",
                channel="EMAIL",
                occurredOn="2026-02-01",
                summary=f"The customer is {word} and emails daily.",
            )
            assert (labelled.code, labelled.field) == ("VALIDATION_FAILED", "input.summary")
            assert "vexatious" in labelled.message
        await walk.step(
            "officer",
            "recordEvidence",
            channel="EMAIL",
            occurredOn="2026-02-01",
            summary=(
                "Emails daily, signed Siân Ŵyn and Олена Коваль; one said "
                '"you will call me vexatious next".'
            ),
        )
        await walk.step("officer", "recordSafeguards", checks=safeguards(PROFILE))
        early = await walk.refused("decider", "decide", **decision(walk.today))
        assert (early.code, early.message) == (
            "INVALID_TRANSITION",
            "hold the case conference first",
        )
        risk = {
            "risk": "A threat at the station.",
            "reasons": "Safety.",
            "startsOn": "2026-03-02",
            "endsOn": "2026-04-30",
            "arrangements": [{"kind": "NAMED_OFFICER", "namedOfficer": "officer"}],
        }
        no_risk_route = await walk.refused("decider", "decideImmediateRisk", **risk)
        assert no_risk_route.code == "INVALID_TRANSITION"
        # "should include": a conference without the Director is not the policy's.
        without = dict(CONFERENCE, attendees=CONFERENCE["attendees"][1:])
        short = await walk.refused("manager", "holdCaseConference", **without)
        assert (short.code, short.field) == ("VALIDATION_FAILED", "input.attendees")
        assert short.message == "input.attendees: the conference includes: Director"
        # Not a conference yet to be held: it is recorded once it has met.
        ahead = dict(CONFERENCE, heldOn="2026-03-03")
        not_yet = await walk.refused("manager", "holdCaseConference", **ahead)
        assert (not_yet.code, not_yet.field) == ("VALIDATION_FAILED", "input.heldOn")
        held = await walk.step("manager", "holdCaseConference", **CONFERENCE)
        assert held["case"]["state"] == "IN_ASSESSMENT"
        decided = await walk.step(
            "decider", "decide", **decision(walk.today, NAMED_OFFICER, PROACTIVE)
        )
        assert decided["event"]["details"]["reviewOn"] == "2026-06-02"  # every quarter
        assert await routed_and_emergency(walk) == ["ROUTE", "PROCEED"]
        walk.on(dt.date(2026, 3, 3))  # told in person the next day
        await walk.step(
            "officer",
            "recordNotification",
            subject="DECISION",
            sentOn="2026-03-03",
            format="IN_PERSON",
        )

        walk.on(dt.date(2026, 6, 2))
        await quarterly_review(walk)
        await notify(walk, "REVIEW")
        walk.on(dt.date(2026, 8, 1))
        lodged = await walk.step(
            "officer",
            "lodgeAppeal",
            receivedOn="2026-08-01",
            against="DECISION",
            grounds="The customer asks the Director to look again.",
        )
        assert lodged["event"]["step"] == "APPEAL_LODGED"
        # Policy silent on a period: listed until decided, due Tact's default 28 days on.
        appeal = (walk.reference, "APPEAL_DECISION", "2026-08-29")
        assert appeal in [
            (d["reference"], d["kind"], d["dueOn"]) for d in await walk.deadlines("manager")
        ]
        # "an opportunity to review the decision with the Director": the same Director.
        # Amended, the amendment is made in the same step, and the appeal's letter gives it.
        await walk.step(
            "decider", "decideAppeal", outcome="AMENDED", reasons="Weekly for now.",
            amendments=[{"kind": "PROACTIVE_CONTACT", "parameters": {"frequency": "weekly"}}],
        )  # fmt: skip
        assert appeal not in [
            (d["reference"], d["kind"], d["dueOn"]) for d in await walk.deadlines("manager")
        ]
        await notify(walk, "APPEAL")
        await walk.step("decider", "liftArrangement", kind="PROACTIVE_CONTACT", reasons="Settled.")
        ended = await walk.step(
            "decider", "liftArrangement", kind="NAMED_OFFICER", reasons="Settled."
        )
        assert ended["case"]["state"] == "ENDED"
        assert [d["kind"] for d in await walk.deadlines("manager")] == ["ENDED_NOTIFICATION"]
        await walk.step(
            "officer", "recordNotification", subject="ENDED", sentOn="2026-08-01", format="LETTER"
        )
        assert await walk.deadlines("manager") == []


async def quarterly_review(walk: Walk) -> None:
    """ "the case conference team will reconvene every quarter to review the case": a review
    without that conference, or without one of its roles, is refused naming the field and
    leaves nothing behind; the review at the conference is on the timeline with who met."""
    review = {"outcome": "CONTINUE", "reasons": "Still needed."}
    reconvened = {"heldOn": "2026-06-02", "attendees": CONFERENCE["attendees"]}
    before = await walk.timeline("manager")
    deadlines = await walk.deadlines("manager")
    no_director = dict(reconvened, attendees=CONFERENCE["attendees"][1:])
    refusals = {
        "input.conference": review,
        "input.conference.attendees": dict(review, conference=no_director),
        # The decision's conference is not the review's: it met before the decision.
        "input.conference.heldOn": dict(review, conference=dict(reconvened, heldOn="2026-03-01")),
        # `[review] no_later`: a quarter at most until the next review.
        "input.nextReviewOn": dict(review, conference=reconvened, nextReviewOn="2026-09-03"),
    }
    for field, given in refusals.items():
        refused = await walk.refused("decider", "decideReview", **given)
        assert (refused.code, refused.field) == ("VALIDATION_FAILED", field)
    assert refused.message.startswith("input.nextReviewOn: ")
    short = await walk.refused("decider", "decideReview", **refusals["input.conference.attendees"])
    assert short.message == "input.conference.attendees: the conference includes: Director"
    assert await walk.timeline("manager") == before
    assert await walk.deadlines("manager") == deadlines
    # The review, by the Director who authorised the decision, at the conference reconvened.
    reviewed = await walk.step("decider", "decideReview", **review, conference=reconvened)
    assert reviewed["event"]["details"]["nextReviewOn"] == "2026-09-02"
    last = (await walk.timeline("manager"))[-1]
    assert (last["step"], last["seq"]) == ("REVIEW_DECIDED", before[-1]["seq"] + 1)
    conference = last["details"]["conference"]
    assert conference["heldOn"] == "2026-06-02"
    assert [a["role"] for a in conference["attendees"]] == [
        "Director", "Service Manager", "Professional Standards Manager",
        "Equality and Diversity Manager", "Deputy Clerk to the Authority",
    ]  # fmt: skip


SUSPENDED = {"kind": "SUSPENDED_CONTACT", "parameters": {"pending": "legal advice"}}


async def test_contact_is_suspended_only_until_the_conference_reconvenes(
    walk_factory: WalkFactory,
) -> None:
    """Outcomes: "Temporarily suspend all contact with the customer whilst seeking legal
    advice". A suspension ends by the quarterly review at the case conference reconvened,
    which decides whether the wait for the advice goes on: without an end, or ending after
    the review, it is refused naming input.endsOn with nothing written, at the decision, an
    extension and the review."""
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await prelude(walk)
        await walk.step("officer", "recordSafeguards", checks=safeguards(PROFILE))
        await walk.step("manager", "holdCaseConference", **CONFERENCE)
        endless = decision(walk.today, SUSPENDED)
        del endless["durationMonths"]
        before = await walk.timeline("manager")
        for given in (endless, dict(endless, endsOn="2026-06-03")):
            refused = await walk.refused("decider", "decide", **given)
            assert (refused.code, refused.field) == ("VALIDATION_FAILED", "input.endsOn")
        assert "by the review on 2026-06-02" in refused.message
        assert await walk.timeline("manager") == before
        decided = await walk.step("decider", "decide", **dict(endless, endsOn="2026-06-02"))
        assert decided["event"]["details"]["reviewOn"] == "2026-06-02"
        await walk.step(
            "officer", "recordNotification", subject="DECISION", sentOn="2026-03-02",
            format="LETTER",
        )  # fmt: skip

        walk.on(dt.date(2026, 5, 1))
        past_review = await walk.refused(
            "decider", "extendArrangement", kind="SUSPENDED_CONTACT",
            reasons="The advice is awaited.", endsOn="2026-06-30",
        )  # fmt: skip
        assert (past_review.code, past_review.field) == ("VALIDATION_FAILED", "input.endsOn")

        walk.on(dt.date(2026, 6, 2))
        extend = {
            "outcome": "EXTEND", "reasons": "The legal advice is still awaited.",
            "conference": {"heldOn": "2026-06-02", "attendees": CONFERENCE["attendees"]},
        }  # fmt: skip
        too_long = await walk.refused("decider", "decideReview", **extend, endsOn="2026-09-03")
        assert (too_long.code, too_long.field) == ("VALIDATION_FAILED", "input.endsOn")
        reviewed = await walk.step("decider", "decideReview", **extend, endsOn="2026-09-02")
        assert reviewed["event"]["details"]["nextReviewOn"] == "2026-09-02"


async def test_the_decision_waits_for_the_case_conference_not_an_assessment(
    walk_factory: WalkFactory,
) -> None:
    """Identifying: the Director decides at the case conference of the Director, the
    Professional Standards Manager, the Service Manager, ... One officer's assessment is not
    it, nor a step of this instruction: `recordAssessment` is refused, naming the
    conference, and the decision waits for the conference, nothing written; the conference
    then opens the way."""
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await prelude(walk)
        await walk.step("officer", "recordSafeguards", checks=safeguards(PROFILE))
        before = await walk.timeline("manager")
        assessment = await walk.refused(
            "officer", "recordAssessment", assessor="manager",
            findings="The contact is recorded in the log.", recommendation="A named officer.",
        )  # fmt: skip
        assert (assessment.code, assessment.message) == (
            "INVALID_TRANSITION",
            "Merseyside Fire and Rescue Service's policy has no assessment by one officer: "
            "recordAssessment is not a step under the merseyside-frs profile; hold the case "
            "conference first",
        )
        refused = await walk.refused("decider", "decide", **decision(walk.today, NAMED_OFFICER))
        assert (refused.code, refused.message) == (
            "INVALID_TRANSITION",
            "hold the case conference first",
        )
        assert await walk.timeline("manager") == before
        await walk.step("manager", "holdCaseConference", **CONFERENCE)
        decided = await walk.step("decider", "decide", **decision(walk.today, NAMED_OFFICER))
        assert decided["case"]["state"] == "DECIDED"
