"""Rhondda Cynon Taf's process, end to end over HTTP: a stage 1 warning and an appeal against
it within 15 working days (Welsh bank holidays: across Christmas), a decision by the Group
Director applied per service, no appeal against a health-and-safety exclusion, an appeal
within 15 working days across Easter decided independently (upheld / not upheld), a late
appeal refused as having no right of appeal when only the exclusion is left, as in time, the
restrictions reconsidered against a new issue (9.1),
the Customer Feedback Group's recommendation endorsed or not by the Group Director at each
review within 12 months (7.3-7.4), and the end."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.scenarios.conftest import WalkFactory
from tests.scenarios.world import (
    CHECKED,
    CLOSED_REPAIR,
    LETTERS_ONLY,
    NAMED_OFFICER,
    STAGE_ONE,
    Walk,
    contact_battery,
    decision,
    notify,
    prelude,
    routed_and_emergency,
    safeguards,
)

PROFILE = "rhondda-cynon-taf"
EMAIL = "morgan.sample@example.org"
HS_EXCLUSION = {
    "kind": "PREMISES_EXCLUSION",
    "parameters": {"premises": ["Example Street office"], "health_and_safety": True},
}


async def test_rhondda_cynon_taf(walk_factory: WalkFactory) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 12, 10)) as walk:
        await prelude(walk)
        await walk.step("officer", "recordSafeguards", checks=safeguards(PROFILE))
        # 5.1 Stage 1: the Head of Service (the manager) issues the warning letter, "in
        # consultation with Service Director": without saying who was consulted, refused
        # naming the field, with nothing written.
        # Refused, saying whose step it is, so the officer knows whom to pass it to.
        not_theirs = await walk.refused("officer", "issueWarning", **STAGE_ONE)
        assert not_theirs.code == "FORBIDDEN"
        assert "manager (Service manager / Head of Service)" in not_theirs.message
        alone = {"reasons": STAGE_ONE["reasons"]}
        before = await walk.timeline("officer")
        unconsulted = await walk.refused("manager", "issueWarning", **alone)
        assert (unconsulted.code, unconsulted.field) == ("VALIDATION_FAILED", "input.consulted")
        assert "Service Director" in unconsulted.message
        assert await walk.timeline("officer") == before
        warned = await walk.step("manager", "issueWarning", **STAGE_ONE)
        assert warned["event"]["details"]["consulted"] == "Service Director"
        await notify(walk, "WARNING")  # the warning letter itself

        # Stage 1 appeal: 15 working days from 10 December, over Christmas and New Year.
        walk.on(dt.date(2027, 1, 5))
        lodged = await walk.step(
            "officer", "lodgeAppeal", receivedOn="2027-01-05", against="WARNING",
            grounds="The customer disputes the warning.",
        )  # fmt: skip
        assert lodged["event"]["details"]["deadline"] == "2027-01-05"
        assert lodged["event"]["details"]["late"] is False
        # Policy silent on a period: listed until decided, due Tact's default 28 days on.
        appeal = (walk.reference, "APPEAL_DECISION", "2027-02-02")
        assert appeal in [
            (d["reference"], d["kind"], d["dueOn"]) for d in await walk.deadlines("manager")
        ]
        wrong = await walk.refused("reviewer", "decideAppeal", outcome="CONFIRMED", reasons="x y")
        assert (wrong.code, wrong.field) == ("VALIDATION_FAILED", "input.outcome")
        await walk.step("reviewer", "decideAppeal", outcome="NOT_UPHELD", reasons="It stands.")
        assert appeal not in [
            (d["reference"], d["kind"], d["dueOn"]) for d in await walk.deadlines("manager")
        ]
        await notify(walk, "APPEAL")  # 6.4: "will notify the customer in writing"

        walk.on(dt.date(2027, 3, 19))
        council_wide = dict(NAMED_OFFICER, services=["housing", "fire-safety"])
        scoped = await walk.refused("decider", "decide", **decision(walk.today, council_wide))
        assert (scoped.code, scoped.field) == ("VALIDATION_FAILED", "input.arrangements.0.services")
        restrictions = (NAMED_OFFICER, HS_EXCLUSION, LETTERS_ONLY, CLOSED_REPAIR)
        # 5.1 Stage 2: the Group Director decides "in consultation with Monitoring Officer".
        alone = {k: v for k, v in decision(walk.today, *restrictions).items() if k != "consulted"}
        unconsulted = await walk.refused("decider", "decide", **alone)
        assert (unconsulted.code, unconsulted.field) == ("VALIDATION_FAILED", "input.consulted")
        assert "Monitoring Officer" in unconsulted.message
        # 7.1: reviewed "no later than 12 months following the date of the decision".
        too_late = dict(decision(walk.today, *restrictions), reviewOn="2028-03-20")
        late = await walk.refused("decider", "decide", **too_late)
        assert (late.code, late.field) == ("VALIDATION_FAILED", "input.reviewOn")
        assert "no later than 2028-03-19" in late.message
        decided = await walk.step("decider", "decide", **decision(walk.today, *restrictions))
        details = decided["event"]["details"]
        # 15 working days from 19 March 2027, over Good Friday and Easter Monday (Wales).
        assert details["appealDeadline"] == "2027-04-13"
        assert details["reviewOn"] == "2028-03-19"  # within 12 months
        postponed = await walk.refused("manager", "scheduleReview", reviewOn="2028-06-30")
        assert (postponed.code, postponed.field) == ("VALIDATION_FAILED", "input.reviewOn")
        assert details["healthAndSafety"] is True
        await walk.step(
            "officer", "recordNotification", subject="DECISION", sentOn="2027-03-19",
            format="WELSH",
        )  # fmt: skip
        answers = await contact_battery(walk)
        assert [answers[n]["outcome"] for n in CHECKED] == [
            "PROCEED", "ROUTE", "FILE", "DECLINE", "PROCEED",
        ]  # fmt: skip
        assert answers["queue_after"] == []

        walk.on(dt.date(2027, 3, 25))
        # 3.6: no appeal against the health-and-safety exclusion; the rest of the decision
        # stays open to appeal, and an appeal upheld leaves the exclusion in place.
        appeal = {"receivedOn": "2027-03-25", "against": "DECISION", "grounds": "Disputed."}
        await walk.step("officer", "lodgeAppeal", **appeal)
        same = await walk.refused("decider", "decideAppeal", outcome="UPHELD", reasons="Agreed.")
        assert same.code == "FORBIDDEN"
        upheld = await walk.step("reviewer", "decideAppeal", outcome="UPHELD", reasons="Agreed.")
        await notify(walk, "APPEAL")
        assert upheld["case"]["state"] == "DECIDED"
        assert upheld["event"]["details"]["keptHealthAndSafety"] == ["premises_exclusion"]
        # 6.2: the appeal decided, "upheld", is the outcome: a second against the decision is
        # refused, in time or late (a decision of exclusions alone: the test below).
        for received in ("2027-03-26", "2027-04-14"):
            walk.on(dt.date.fromisoformat(received))
            again = await walk.refused(
                "officer", "lodgeAppeal", **dict(appeal, receivedOn=received)
            )
            assert again.field == "input.against"
            assert "decided on appeal on 2027-03-25 (UPHELD)" in again.message

        # 9.1: a new issue raised; the Group Director considers whether the restrictions
        # "remain appropriate and necessary in terms of any new issue raised". That is not
        # the Customer Feedback Group's review: no recommendation, and the review due stays.
        walk.on(dt.date(2027, 6, 1))
        new_issue = {
            "outcome": "CONTINUE", "trigger": "NEW_ISSUE",
            "reasons": "The new repair request is handled on its merits; the restrictions "
            "remain appropriate and necessary.",
        }  # fmt: skip
        dated = await walk.refused(
            "reviewer", "decideReview", **new_issue, nextReviewOn="2027-12-01"
        )
        assert (dated.code, dated.field) == ("VALIDATION_FAILED", "input.nextReviewOn")
        grouped = await walk.refused(
            "reviewer", "decideReview", **new_issue,
            recommendation={"madeOn": "2027-05-28", "outcome": "CONTINUE"},
        )  # fmt: skip
        assert (grouped.code, grouped.field) == ("VALIDATION_FAILED", "input.recommendation")
        considered = await walk.step("reviewer", "decideReview", **new_issue)
        assert considered["event"]["details"]["trigger"] == "new_issue"
        assert considered["event"]["details"]["nextReviewOn"] == "2028-03-19"  # unchanged
        assert "endorsed" not in considered["event"]["details"]
        await notify(walk, "REVIEW")
        due = await walk.deadlines("manager")
        assert [(d["kind"], d["dueOn"]) for d in due] == [("REVIEW", "2028-03-19")]
        assert (await walk.timeline("manager"))[-2]["details"]["trigger"] == "new_issue"

        # 7.3: the Customer Feedback Group "will review each case and recommend"; 7.4: the
        # Group Director "will consider" it and say "whether or not they are endorsed".
        walk.on(dt.date(2027, 10, 1))
        review = {"outcome": "CONTINUE", "reasons": "Contact is still at the same level."}
        before = len(await walk.timeline("manager"))
        unrecommended = await walk.refused("reviewer", "decideReview", **review)
        assert (unrecommended.code, unrecommended.field) == (
            "VALIDATION_FAILED", "input.recommendation",
        )  # fmt: skip
        assert "Customer Feedback Group" in unrecommended.message
        assert len(await walk.timeline("manager")) == before  # nothing written
        for made_on in ("2027-10-02", "2027-05-31"):  # tomorrow; before the last review
            wrong_day = await walk.refused(
                "reviewer", "decideReview", **review,
                recommendation={"madeOn": made_on, "outcome": "CONTINUE"},
            )  # fmt: skip
            assert (wrong_day.code, wrong_day.field) == (
                "VALIDATION_FAILED", "input.recommendation.madeOn",
            )  # fmt: skip
        recommended = {"madeOn": "2027-09-24", "outcome": "CONTINUE"}
        # 7.3: "the relevant Group Director", who decided, considers the recommendation: the
        # group's review is the independent look (an appeal still goes to another, above).
        endorsed = await walk.step("decider", "decideReview", **review, recommendation=recommended)
        details = endorsed["event"]["details"]
        assert details["recommendation"] == {"madeOn": "2027-09-24", "outcome": "continue"}
        assert details["endorsed"] is True and details["outcome"] == "continue"
        await notify(walk, "REVIEW")
        shown = (await walk.timeline("manager"))[-2]
        assert (shown["step"], shown["details"]["endorsed"]) == ("REVIEW_DECIDED", True)

        walk.on(dt.date(2028, 3, 1))
        assert [d["kind"] for d in await walk.deadlines("manager")] == ["REVIEW"]
        # The Group Director departs from the recommendation: only saying why.
        lift = {
            "outcome": "LIFT", "reasons": "Settled.",
            "recommendation": {"madeOn": "2028-02-20", "outcome": "CONTINUE"},
        }  # fmt: skip
        unexplained = await walk.refused("reviewer", "decideReview", **lift)
        assert (unexplained.code, unexplained.field) == (
            "VALIDATION_FAILED", "input.notEndorsedReasons",
        )  # fmt: skip
        why = "The repair the contact was about is complete."
        ended = await walk.step("reviewer", "decideReview", **lift, notEndorsedReasons=why)
        assert ended["event"]["details"]["endorsed"] is False
        assert ended["event"]["details"]["notEndorsedReasons"] == why
        assert ended["case"]["state"] == "ENDED"
        assert ended["case"]["restrictionsEndedOn"] == "2028-03-01"
        assert [d["kind"] for d in await walk.deadlines("manager")] == ["ENDED_NOTIFICATION"]
        await walk.step(
            "officer", "recordNotification", subject="ENDED", sentOn="2028-03-01", format="WELSH"
        )
        assert await walk.deadlines("manager") == []


async def test_a_late_appeal_is_refused_as_late_only_where_there_is_a_right_of_appeal(
    walk_factory: WalkFactory,
) -> None:
    """3.6 before 6.1: a late appeal against a decision holding only a health-and-safety
    exclusion is refused as having no right of appeal, as one in time is, with nothing
    written and no letter owed saying it was late; against a decision holding more, a late
    one is refused as late, kept on file, and the customer told (6.2)."""
    async with walk_factory(PROFILE, dt.date(2027, 3, 19)) as walk:
        await _decided(walk, "sam.other@example.org", HS_EXCLUSION)
        walk.on(dt.date(2027, 4, 14))  # the window closed on 13 April (Easter in Wales)
        appeal = {"against": "DECISION", "grounds": "Disputed."}
        before = await walk.timeline("manager"), await walk.deadlines("manager")
        for received in ("2027-04-14", "2027-04-13"):  # late, and in time
            refused = await walk.refused("officer", "lodgeAppeal", receivedOn=received, **appeal)
            assert (refused.code, refused.field) == ("INVALID_TRANSITION", None)
            assert "health-and-safety" in refused.message and "late" not in refused.message
        assert (await walk.timeline("manager"), await walk.deadlines("manager")) == before

        await _decided(walk, EMAIL, NAMED_OFFICER, HS_EXCLUSION)
        walk.on(dt.date(2027, 4, 14))
        late = await walk.step("officer", "lodgeAppeal", receivedOn="2027-04-14", **appeal)
        assert late["event"]["step"] == "APPEAL_REFUSED_LATE"
        assert late["event"]["details"]["deadline"] == "2027-04-13"
        owed = [(d["reference"], d["kind"]) for d in await walk.deadlines("manager")]
        assert (walk.reference, "LATE_APPEAL_NOTIFICATION") in owed
        await notify(walk, "LATE_APPEAL")


async def test_a_decision_of_health_and_safety_exclusions_alone_offers_no_appeal(
    walk_factory: WalkFactory,
) -> None:
    """3.6: no right of appeal against an exclusion for health and safety. A decision making
    nothing else is not appealable (lodgeAppeal refuses one), so its letter must not tell the
    customer to appeal by a date: it says there is no appeal, and still gives the review."""
    async with walk_factory(PROFILE, dt.date(2027, 3, 19)) as walk:
        await _decided(walk, EMAIL, HS_EXCLUSION)
        letter = await _decision_letter(walk)
        assert "You may appeal" not in letter and "Principal Democratic" not in letter
        assert "gives no right to appeal against an exclusion from premises" in letter
        assert "We will review them by" in letter
        refused = await walk.refused(
            "officer", "lodgeAppeal", receivedOn="2027-03-19", against="DECISION", grounds="x y"
        )
        assert "health-and-safety" in refused.message

        # With more than the exclusion, the rest is open to appeal, and the letter says so.
        await _decided(walk, "sam.other@example.org", NAMED_OFFICER, HS_EXCLUSION)
        letter = await _decision_letter(walk)
        assert "You may appeal against this decision" in letter
        assert "the other arrangements above may be" in letter


async def _decision_letter(walk: Walk) -> str:
    """The decision letter, recorded as sent by post today, as kept on file."""
    given = {"subject": "DECISION", "sentOn": walk.today.isoformat(), "format": "LETTER"}
    sent = await walk.step("officer", "recordNotification", **given)
    return str(sent["event"]["details"]["letter"])


async def _decided(walk: Walk, email: str, *arrangements: dict[str, Any]) -> None:
    """A case for `email` decided on 19 March 2027 (after its warning) with `arrangements`."""
    walk.on(dt.date(2027, 3, 19))
    await prelude(walk, email)
    await walk.step("officer", "recordSafeguards", checks=safeguards(PROFILE))
    await walk.step("manager", "issueWarning", **STAGE_ONE)
    await walk.step("decider", "decide", **decision(walk.today, *arrangements))


async def test_on_the_spot_the_service_manager_only_excludes_from_the_premises(
    walk_factory: WalkFactory,
) -> None:
    """3.2: on an imminent risk of harm the Service manager may at once exclude the customer
    from the premises, for a time; anything more (ending all contact, a named officer) is
    the Group Director's, with the Monitoring Officer (5.1 Stage 2, 5.3). Refused naming the
    arrangement at fault, with nothing written; the exclusion alone is made."""
    async with walk_factory(PROFILE, dt.date(2027, 3, 19)) as walk:
        await prelude(walk)
        on_the_spot = {
            "risk": "Threats made to staff at reception.",
            "reasons": "Staff safety, pending the Group Director's decision.",
            "endsOn": "2027-04-30",
        }
        exclusion = {"kind": "PREMISES_EXCLUSION", "parameters": {"premises": ["Civic Centre"]}}
        before = await walk.timeline("manager")
        for more in ({"kind": "CONTACT_TERMINATION"}, NAMED_OFFICER):
            refused = await walk.refused(
                "manager", "decideImmediateRisk", **on_the_spot, arrangements=[exclusion, more]
            )
            assert (refused.code, refused.field) == (
                "VALIDATION_FAILED", "input.arrangements.1.kind",
            )  # fmt: skip
            assert "PREMISES_EXCLUSION" in refused.message
        assert await walk.timeline("manager") == before
        excluded = await walk.step(
            "manager", "decideImmediateRisk", **on_the_spot, arrangements=[exclusion]
        )
        assert excluded["case"]["state"] == "DECIDED"
        assert excluded["event"]["details"]["arrangementsMade"] == ["premises_exclusion"]


STATUS = (
    "query S($lookup: RestrictionLookup!) { restrictionStatus(lookup: $lookup, "
    'service: "housing") { arrangements { kind handlingInstructions } } }'
)


async def test_contact_terminated_without_an_officer_is_told_so_in_the_letter(
    walk_factory: WalkFactory,
) -> None:
    """5.3: the Group Director may end contact completely; 6.4: the customer is told the
    decision in writing. With no officer named, no contact is taken (checkContact declines
    it), so neither the letter nor the front line's instructions may offer contact through
    "the named officer", who does not exist."""
    async with walk_factory(PROFILE, dt.date(2027, 3, 19)) as walk:
        await _decided(walk, EMAIL, {"kind": "CONTACT_TERMINATION"})
        assert await routed_and_emergency(walk, EMAIL) == ["DECLINE", "PROCEED"]
        letter = await _decision_letter(walk)
        assert "We will no longer take contact from you." in letter
        assert "named officer" not in letter
        response = await walk.client.post(
            "/graphql",
            json={"query": STATUS, "variables": {"lookup": {"email": EMAIL}}},
            headers={"Authorization": f"ApiKey {walk.portal_key}"},
        )
        (shown,) = response.json()["data"]["restrictionStatus"]["arrangements"]
        assert shown["kind"] == "CONTACT_TERMINATION"
        assert shown["handlingInstructions"].startswith("Contact is not taken.")
        assert "named officer" not in shown["handlingInstructions"]
