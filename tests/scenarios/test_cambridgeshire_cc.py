"""Cambridgeshire County Council's process, end to end over HTTP: an on-the-spot decision by
the manager present (flagged, no warning, short-term; its letter waits for the designated
point of contact, the decision does not), the named officer's full assessment
that is then due, the full decision that follows it and replaces the short-term
arrangement, a review on request, the six-monthly review that extends, and the end when
the extended arrangement runs out."""

from __future__ import annotations

import datetime as dt

from tests.scenarios.conftest import WalkFactory
from tests.scenarios.world import (
    LETTERS_ONLY,
    NAMED_OFFICER,
    Walk,
    decision,
    notify,
    prelude,
    routed_and_emergency,
    safeguards,
)

PROFILE = "cambridgeshire-cc"
POINT_OF_CONTACT = (
    "Your point of contact\n{} is your designated point of contact, the link between you and us."
)
ON_THE_SPOT = {
    "risk": "Threats made to staff at the reception desk.",
    "reasons": "Staff safety, pending a full assessment.",
    "startsOn": "2026-03-02",
    # Decision: "restrict access in the short term prior to a more detailed assessment".
    "endsOn": "2026-04-30",
    "arrangements": [{"kind": "CONTACT_CHANNEL", "parameters": {"channels": ["letter"]}}],
}


async def test_cambridgeshire_cc(walk_factory: WalkFactory) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await prelude(walk)
        wrong_role = await walk.refused("decider", "decideImmediateRisk", **ON_THE_SPOT)
        assert wrong_role.code == "FORBIDDEN"
        flagged = await walk.step("manager", "decideImmediateRisk", **ON_THE_SPOT)
        assert flagged["case"]["state"] == "DECIDED"
        assert flagged["event"]["details"]["flagged"] is True
        assert await routed_and_emergency(walk) == ["DECLINE", "PROCEED"]  # letters only
        # Decision: "The customer will be notified in writing": owed from today.
        assert [(d["kind"], d["dueOn"]) for d in await walk.deadlines("officer")] == [
            ("DECISION_NOTIFICATION", "2026-03-02"),
            ("FULL_ASSESSMENT", "2026-03-30"),
            ("REVIEW", "2026-09-02"),
        ]
        # Made on the spot, the decision waited for no designated point of contact; its
        # letter, owed today, tells the customer who their liaison is, so it waits for one.
        before = await walk.timeline("officer")
        undesignated = await walk.refused(
            "officer", "recordNotification", subject="DECISION", sentOn="2026-03-02",
            format="LETTER",
        )  # fmt: skip
        assert undesignated.code == "INVALID_TRANSITION"
        assert "designated point of contact" in undesignated.message
        assert await walk.timeline("officer") == before
        await walk.step("manager", "assignStaff", username="officer", relation="NAMED_OFFICER")
        await notify(walk, "DECISION")
        assert POINT_OF_CONTACT.format("Officer Example") in await _decision_letter(walk)
        assert [(d["kind"], d["dueOn"]) for d in await walk.deadlines("officer")] == [
            ("FULL_ASSESSMENT", "2026-03-30"),
            ("REVIEW", "2026-09-02"),
        ]

        walk.on(dt.date(2026, 4, 2))
        assert (await walk.deadlines("officer"))[0]["overdue"] is True
        assessed = await walk.step(
            "officer",
            "recordAssessment",
            assessor="manager",
            findings="The conduct is recorded in the safety log.",
            recommendation="Keep the named officer for six months.",
        )
        assert assessed["event"]["details"]["fullAssessmentMet"] is True
        assert [d["kind"] for d in await walk.deadlines("officer")] == ["REVIEW"]

        # "Decisions to manage contact will be taken following this assessment": the full
        # decision, by the decision maker, with its safeguards, replaces the short-term one.
        full = decision(walk.today, NAMED_OFFICER, skipWarningReason="SAFETY", durationMonths=6)
        full["skipWarningExplanation"] = "Threats made to staff; no prior warning."
        unsafe = await walk.refused("decider", "decide", **full)
        assert (unsafe.code, unsafe.message) == (
            "INVALID_TRANSITION",
            "record the safeguards first",
        )
        await walk.step("officer", "recordSafeguards", checks=safeguards(PROFILE))
        decided = await walk.step("decider", "decide", **full)
        assert decided["event"]["details"]["replacedShortTerm"] == ["contact_channel"]
        assert [(d["kind"], d["dueOn"]) for d in await walk.deadlines("officer")] == [
            ("DECISION_NOTIFICATION", "2026-04-02"),
            ("REVIEW", "2026-10-02"),
        ]
        await notify(walk, "DECISION")
        assert await routed_and_emergency(walk) == ["ROUTE", "PROCEED"]  # the named officer
        # The letter names the point of contact: the officer assigned as named officer for
        # the on-the-spot decision's letter, as its NAMED_OFFICER arrangement names too
        assert decided["event"]["details"]["pointOfContact"] == "officer"
        assert POINT_OF_CONTACT.format("Officer Example") in await _decision_letter(walk)
        again = await walk.refused("decider", "decide", **full)
        assert again.message == "the case is decided: change it by review, modification or appeal"

        # Challenge is by review on request, whenever asked (and received by the day lodged).
        walk.on(dt.date(2026, 5, 1))
        await walk.step(
            "officer",
            "lodgeAppeal",
            receivedOn="2026-05-01",
            against="DECISION",
            grounds="The customer asks for a review.",
        )
        # Policy silent on a period: listed until decided, due Tact's default 28 days on.
        appeal = (walk.reference, "APPEAL_DECISION", "2026-05-29")
        assert appeal in [
            (d["reference"], d["kind"], d["dueOn"]) for d in await walk.deadlines("manager")
        ]
        await walk.step("reviewer", "decideAppeal", outcome="CONFIRMED", reasons="Still needed.")
        assert appeal not in [
            (d["reference"], d["kind"], d["dueOn"]) for d in await walk.deadlines("manager")
        ]
        await notify(walk, "APPEAL")

        walk.on(dt.date(2026, 9, 2))
        no_date = await walk.refused("reviewer", "decideReview", outcome="EXTEND", reasons="More.")
        assert (no_date.code, no_date.field) == ("VALIDATION_FAILED", "input.endsOn")
        # A case conference reviews only where the profile says so (Merseyside), not here.
        conference = {"heldOn": "2026-09-02", "attendees": [{"role": "Senior officer"}]}
        at_one = await walk.refused(
            "reviewer", "decideReview", outcome="CONTINUE", reasons="x", conference=conference
        )
        assert (at_one.code, at_one.field) == ("VALIDATION_FAILED", "input.conference")
        # Nor a recommendation to endorse, nor a review for a new issue, as at RCT (7.3, 9.1).
        recommended = {"madeOn": "2026-09-01", "outcome": "CONTINUE"}
        unasked = await walk.refused(
            "reviewer", "decideReview", outcome="CONTINUE", reasons="x",
            recommendation=recommended,
        )  # fmt: skip
        assert (unasked.code, unasked.field) == ("VALIDATION_FAILED", "input.recommendation")
        untriggered = await walk.refused(
            "reviewer", "decideReview", outcome="CONTINUE", reasons="x", trigger="NEW_ISSUE"
        )
        assert (untriggered.code, untriggered.field) == ("VALIDATION_FAILED", "input.trigger")
        await walk.step(
            "reviewer",
            "decideReview",
            outcome="EXTEND",
            reasons="Six more months.",
            endsOn="2027-03-02",
        )
        # Reviewing: "The customer will be notified of the outcome of the review."
        assert [d["kind"] for d in await walk.deadlines("officer")] == [
            "REVIEW_NOTIFICATION", "REVIEW",
        ]  # fmt: skip
        await notify(walk, "REVIEW")
        # The extended arrangement runs out on 2 March 2027; nobody lifts it. The case's next
        # step records the expiry first: the case ended on the end date, and the "ended"
        # notification that fell due is the one this step records.
        walk.on(dt.date(2027, 3, 9))
        notified = await walk.step(
            "officer", "recordNotification", subject="ENDED", sentOn="2027-03-09", format="LETTER"
        )
        assert notified["case"]["state"] == "ENDED"
        assert notified["case"]["restrictionsEndedOn"] == "2027-03-02"
        assert notified["event"]["details"]["endedNotificationMet"] is True
        steps = [e["step"] for e in await walk.timeline("officer")]
        assert steps[-2:] == ["ARRANGEMENTS_EXPIRED", "NOTIFICATION_RECORDED"]
        assert await walk.deadlines("officer") == []


async def test_short_term_arrangements_that_ran_out_are_followed_by_the_full_decision(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await prelude(walk)
        await walk.step("manager", "decideImmediateRisk", **dict(ON_THE_SPOT, endsOn="2026-03-20"))

        # The assessment comes after the short-term arrangement ran out (the case had ended):
        # the case is back in assessment, towards the full decision.
        walk.on(dt.date(2026, 4, 2))
        assessed = await walk.step(
            "officer", "recordAssessment", assessor="manager",
            findings="The conduct is recorded in the safety log.",
            recommendation="A named officer for a year.",
        )  # fmt: skip
        assert assessed["case"]["state"] == "IN_ASSESSMENT"
        assert assessed["case"]["restrictionsEndedOn"] == "2026-03-20"
        steps = [event["step"] for event in await walk.timeline("officer")]
        assert steps[-2:] == ["ARRANGEMENTS_EXPIRED", "ASSESSMENT_RECORDED"]

        # The full decision still follows it, on the same case; the retention clock stops.
        await walk.step("officer", "recordSafeguards", checks=safeguards(PROFILE))
        full = decision(walk.today, NAMED_OFFICER, skipWarningReason="SAFETY")
        full["skipWarningExplanation"] = "Threats made to staff; no prior warning."
        decided = await walk.step("decider", "decide", **full)
        assert decided["case"]["state"] == "DECIDED"
        assert decided["case"]["restrictionsEndedOn"] is None
        assert await routed_and_emergency(walk) == ["ROUTE", "PROCEED"]


async def test_the_decision_waits_for_a_designated_point_of_contact(
    walk_factory: WalkFactory,
) -> None:
    """Decision to restrict contact: every customer the policy is applied to is assigned a
    designated point of contact, a liaison between them and the council. A decision making
    no named officer, on a case with none assigned, is refused with nothing written; once a
    member of staff is assigned as the named officer, a letters-only decision is taken."""
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await _ready_to_decide(walk)
        letters = decision(walk.today, LETTERS_ONLY)
        before = await walk.timeline("officer")
        refused = await walk.refused("decider", "decide", **letters)
        assert refused.code == "INVALID_TRANSITION"
        assert "designated point of contact" in refused.message
        assert await walk.timeline("officer") == before
        await walk.step("manager", "assignStaff", username="officer", relation="NAMED_OFFICER")
        decided = await walk.step("decider", "decide", **letters)
        assert decided["case"]["state"] == "DECIDED"
        assert decided["event"]["details"]["arrangementsMade"] == ["contact_channel"]
        # And the decision letter tells the customer who their point of contact is, by name
        await notify(walk, "DECISION")
        letter = await _decision_letter(walk)
        assert POINT_OF_CONTACT.format("Officer Example") in letter
        assert "Please contact us by letter only." in letter


async def _ready_to_decide(walk: Walk) -> None:
    """A case warned, assessed and with its safeguards recorded: the decision is next."""
    await prelude(walk)
    await walk.step("officer", "issueWarning", reasons="Prior notification: the contact.")
    await walk.step(
        "officer", "recordAssessment", assessor="manager",
        findings="The contact is recorded in the log.", recommendation="Letters only.",
    )  # fmt: skip
    await walk.step("officer", "recordSafeguards", checks=safeguards(PROFILE))


async def _decision_letter(walk: Walk) -> str:
    """The decision letter last recorded as sent, as the timeline keeps it."""
    (letter,) = [
        e["details"]["letter"]
        for e in await walk.timeline("officer")
        if e["step"] == "NOTIFICATION_RECORDED" and e["details"]["subject"] == "decision"
    ][-1:]
    return str(letter)


async def test_the_point_of_contact_is_the_one_named_now(walk_factory: WalkFactory) -> None:
    """Decision: the designated point of contact is the customer's liaison, so the letter
    names whoever holds that role now: the named officer of the arrangement in force (here
    the decision's own, then their replacement), not whoever was first assigned."""
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await _ready_to_decide(walk)
        await walk.step("manager", "assignStaff", username="officer", relation="NAMED_OFFICER")
        named = {"kind": "NAMED_OFFICER", "namedOfficer": "manager"}
        decided = await walk.step("decider", "decide", **decision(walk.today, named))
        assert decided["event"]["details"]["pointOfContact"] == "manager"

        await walk.step(
            "decider", "modifyArrangement", kind="NAMED_OFFICER", namedOfficer="reviewer",
            reasons="Manager Example has moved team.",
        )  # fmt: skip
        await notify(walk, "DECISION")
        letter = await _decision_letter(walk)
        assert POINT_OF_CONTACT.format("Reviewer Example") in letter
        assert "Officer Example" not in letter and "Manager Example" not in letter
