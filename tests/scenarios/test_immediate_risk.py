"""The immediate-risk path to a full decision, over HTTP, under every profile that has it: an
immediate-risk decision (flagged, short-term, its letter sent), the profile's full assessment
then due, the safeguards, and the full decision that replaces the short-term arrangements,
its letter sent; and the same where they ran out before the full assessment.

Found: under portsmouth-cc the full decision waits for the referral (its assessment is the
referral pack, 5.2.1), and `refer` was refused once the case was decided, so the full decision
could never be made. Under cumbria-frs, rhondda-cynon-taf and the default the full decision
was taken without the full assessment, which then stayed owing, overdue, with nothing left
able to meet it. Under every one the decision was refused "warn first" (or "carry out step one
first") when no warning can follow an immediate-risk decision; and where the short-term
arrangements had run out, the "ended" letter stayed owing after the full decision put
restrictions back, with no way to meet it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from casework.profiles import load_profile, profile_names
from tests.scenarios.conftest import WalkFactory
from tests.scenarios.world import NAMED_OFFICER, Walk, decision, notify, prelude, safeguards

START = dt.date(2026, 3, 2)
EXCLUSION = {"kind": "PREMISES_EXCLUSION", "parameters": {"premises": ["Civic Centre"]}}
ASSESSMENT = {
    "assessor": "manager",
    "findings": "The incident log and the staff statements show the conduct.",
    "recommendation": "A named officer for a year.",
}
REFERRAL = {"reasons": "Threats made to staff at reception.", "referralPack": ["incident log"]}
SKIP = {"skipWarningReason": "SAFETY", "skipWarningExplanation": "Threats made to staff."}
# Each profile's full assessment after an immediate-risk decision, as its policy has it, and
# what its full decision says is missing without it.
FULL_ASSESSMENT: dict[str, tuple[list[tuple[str, str, dict[str, Any]]], str]] = {
    # "a more detailed assessment": the named officer's.
    "cambridgeshire-cc": (
        [("officer", "recordAssessment", ASSESSMENT)],
        "record the named officer's assessment first",
    ),
    # 2.2: no assessment of its own; one officer's is the full assessment then.
    "cumbria-frs": (
        [("officer", "recordAssessment", ASSESSMENT)],
        "take the full assessment due after the immediate-risk decision first (recordAssessment)",
    ),
    "default": (
        [("officer", "recordAssessment", ASSESSMENT)],
        "take the full assessment due after the immediate-risk decision first (recordAssessment)",
    ),
    # 5.2.1 the referral, without step one (4: "not obliged to give the customer warning"),
    # then 5.2.2 the city helpdesk manager's assessment of it.
    "portsmouth-cc": (
        [
            ("manager", "refer", {**REFERRAL, "skipWarningReason": "SAFETY"}),
            ("officer", "recordAssessment", ASSESSMENT),
        ],
        "refer the case with its referral pack first",
    ),
    # 3.2: longer than the temporary exclusion needs the Head of Service, after assessment.
    "rhondda-cynon-taf": (
        [("officer", "recordAssessment", ASSESSMENT)],
        "take the full assessment due after the immediate-risk decision first (recordAssessment)",
    ),
}


def test_every_profile_with_an_immediate_risk_decision_is_walked() -> None:
    allowed = [n for n in profile_names() if load_profile(n).decision.immediate_risk_allowed]
    assert sorted(allowed) == sorted(FULL_ASSESSMENT)


async def _immediate_risk(walk: Walk, profile: str, ends_on: dt.date) -> None:
    """The immediate-risk decision by whom the profile names, and its letter sent."""
    rules = load_profile(profile).decision
    who = "manager" if rules.immediate_risk_role.value == "manager" else "decider"
    flagged = await walk.step(
        who, "decideImmediateRisk", risk="Threats made to staff at reception.",
        reasons="Staff safety, pending the full assessment.", startsOn=START.isoformat(),
        endsOn=ends_on.isoformat(), arrangements=[EXCLUSION],
    )  # fmt: skip
    assert flagged["event"]["details"]["flagged"] is True
    if rules.point_of_contact:  # Cambridgeshire: its letter names the point of contact
        await walk.step("manager", "assignStaff", username="officer", relation="NAMED_OFFICER")
    await notify(walk, "DECISION")


async def _ran_out(walk: Walk, profile: str, ends_on: dt.date, today: dt.date) -> None:
    """An immediate-risk decision whose short-term arrangements end on `ends_on`, seen `today`,
    after they ran out."""
    await prelude(walk)
    await _immediate_risk(walk, profile, ends_on)
    walk.on(today)


async def _due(walk: Walk) -> list[str]:
    return [d["kind"] for d in await walk.deadlines("manager")]


async def _letter_kept(walk: Walk) -> None:
    await notify(walk, "DECISION")
    told = (await walk.timeline("officer"))[-1]
    assert told["details"]["subject"] == "decision" and told["details"]["letter"]


@pytest.mark.parametrize("profile", list(FULL_ASSESSMENT))
async def test_the_full_decision_follows_the_full_assessment_while_short_term_ones_run(
    walk_factory: WalkFactory, profile: str
) -> None:
    steps, missing = FULL_ASSESSMENT[profile]
    async with walk_factory(profile, START) as walk:
        await prelude(walk)
        await _immediate_risk(walk, profile, START + dt.timedelta(weeks=8))
        walk.on(START + dt.timedelta(days=14))
        await walk.step("officer", "recordSafeguards", checks=safeguards(profile))
        full = decision(walk.today, NAMED_OFFICER)

        # No warning can follow: the decision gives the reason it goes without one.
        before = await walk.timeline("manager")
        unwarned = await walk.refused("decider", "decide", **full)
        assert (unwarned.code, unwarned.field) == ("VALIDATION_FAILED", "input.skipWarningReason")
        assert "no warning follows an immediate-risk decision" in unwarned.message
        unassessed = await walk.refused("decider", "decide", **full, **SKIP)
        assert (unassessed.code, unassessed.message) == ("INVALID_TRANSITION", missing)
        assert await walk.timeline("manager") == before

        for i, (who, name, given) in enumerate(steps):
            taken = await walk.step(who, name, **given)
            # The short-term arrangements stay in force until the full decision.
            assert taken["case"]["state"] == "DECIDED"
            assert taken["event"]["details"]["fullAssessmentMet"] is (i == 0)
        assert await _due(walk) == ["REVIEW"]

        decided = await walk.step("decider", "decide", **full, **SKIP)
        assert decided["case"]["state"] == "DECIDED"
        assert decided["event"]["details"]["replacedShortTerm"] == ["premises_exclusion"]
        assert await _due(walk) == ["DECISION_NOTIFICATION", "REVIEW"]
        await _letter_kept(walk)
        assert await _due(walk) == ["REVIEW"]


@pytest.mark.parametrize("profile", list(FULL_ASSESSMENT))
async def test_the_full_decision_follows_the_full_assessment_once_short_term_ones_ran_out(
    walk_factory: WalkFactory, profile: str
) -> None:
    steps, _ = FULL_ASSESSMENT[profile]
    ends_on = START + dt.timedelta(days=14)
    async with walk_factory(profile, START) as walk:
        await _ran_out(walk, profile, ends_on, ends_on + dt.timedelta(days=7))
        evidence = {"channel": "LETTER", "occurredOn": ends_on.isoformat(), "summary": "A letter."}
        ended = await walk.step("officer", "recordEvidence", **evidence)
        assert ended["case"] == {
            "reference": walk.reference, "state": "ENDED",
            "restrictionsEndedOn": ends_on.isoformat(),
        }  # fmt: skip
        assert await _due(walk) == ["ENDED_NOTIFICATION", "FULL_ASSESSMENT"]

        # The full assessment takes the case back into progress: referred, then in assessment.
        for who, name, given in steps:
            taken = await walk.step(who, name, **given)
        assert taken["case"]["state"] == "IN_ASSESSMENT"
        await walk.step("officer", "recordSafeguards", checks=safeguards(profile))
        decided = await walk.step(
            "decider", "decide", **decision(walk.today, NAMED_OFFICER), **SKIP
        )
        assert decided["case"]["state"] == "DECIDED"
        assert decided["case"]["restrictionsEndedOn"] is None
        # Its letter tells the customer what applies now; "the arrangements have ended, you
        # may contact us in the usual way" is no longer owed, nor true.
        assert await _due(walk) == ["DECISION_NOTIFICATION", "REVIEW"]
        nothing_ended = await walk.refused(
            "officer", "recordNotification", subject="ENDED", sentOn=walk.today.isoformat(),
            format="LETTER",
        )  # fmt: skip
        assert (nothing_ended.code, nothing_ended.field) == ("VALIDATION_FAILED", "input.subject")
        await _letter_kept(walk)
        assert await _due(walk) == ["REVIEW"]


async def test_the_ended_letter_goes_while_the_full_assessment_is_under_way(
    walk_factory: WalkFactory,
) -> None:
    """Short-term arrangements ran out and the full assessment took the case back into
    assessment: the "ended" letter owed since is sent then (it was refused while the case was
    in assessment), and the full decision that follows owes its own."""
    ends_on = START + dt.timedelta(days=14)
    async with walk_factory("cumbria-frs", START) as walk:
        await prelude(walk)
        await _immediate_risk(walk, "cumbria-frs", ends_on)
        walk.on(ends_on + dt.timedelta(days=7))
        assessed = await walk.step("officer", "recordAssessment", **ASSESSMENT)
        assert assessed["case"]["state"] == "IN_ASSESSMENT"
        await notify(walk, "ENDED")
        assert await _due(walk) == []
        await walk.step("officer", "recordSafeguards", checks=safeguards("cumbria-frs"))
        await walk.step("decider", "decide", **decision(walk.today, NAMED_OFFICER), **SKIP)
        assert await _due(walk) == ["DECISION_NOTIFICATION", "REVIEW"]


async def test_portsmouth_assesses_what_the_referral_brings(walk_factory: WalkFactory) -> None:
    """5.2.2: the city helpdesk manager assesses "the information provided" by the referral.
    Recorded first, the assessment left the case in assessment, where no referral is taken,
    and the decision waits for the referral: refused, nothing written."""
    async with walk_factory("portsmouth-cc", START) as walk:
        await prelude(walk)
        before = await walk.timeline("manager")
        first = await walk.refused("officer", "recordAssessment", **ASSESSMENT)
        assert (first.code, first.message) == (
            "INVALID_TRANSITION",
            "refer the case with its referral pack first",
        )
        assert await walk.timeline("manager") == before
        await walk.step("manager", "refer", **REFERRAL, skipWarningReason="SAFETY")
        assessed = await walk.step("officer", "recordAssessment", **ASSESSMENT)
        assert assessed["case"]["state"] == "IN_ASSESSMENT"


def _appeal(received_on: dt.date) -> dict[str, Any]:
    return {"receivedOn": received_on.isoformat(), "against": "DECISION", "grounds": "Disputed."}


async def _appealed_then_replaced(walk: Walk, decided_on: dt.date) -> None:
    """Under cumbria-frs: the immediate-risk decision, appealed in time (received and lodged
    on 2026-03-05), then the full assessment and the full decision made on `decided_on`
    (in the same moment as the appeal where that is its day), its letter sent."""
    await prelude(walk)
    await _immediate_risk(walk, "cumbria-frs", START + dt.timedelta(weeks=8))
    walk.on(START + dt.timedelta(days=3))
    await walk.step("officer", "lodgeAppeal", **_appeal(walk.today))
    walk.on(decided_on)
    await walk.step("officer", "recordAssessment", **ASSESSMENT)
    await walk.step("officer", "recordSafeguards", checks=safeguards("cumbria-frs"))
    await walk.step("decider", "decide", **decision(walk.today), **SKIP)
    await notify(walk, "DECISION")


@pytest.mark.parametrize("profile", ["cambridgeshire-cc", "portsmouth-cc"])
async def test_no_assessment_after_the_full_decision_it_was_to_inform(
    walk_factory: WalkFactory, profile: str
) -> None:
    """Cambridgeshire's named officer's assessment and Portsmouth's 5.2.2 one come before the
    decision ("Decisions to manage contact will be taken following this assessment"; 5.2.4
    "Following review and assessment"). After the full decision recordAssessment was taken,
    leaving an assessment after the decision it was meant to inform. Neither policy's review
    takes one (a senior officer's review; 5.2.6 the city helpdesk manager's), so it is refused,
    nothing written; the case changes by review, modification or appeal."""
    steps, _ = FULL_ASSESSMENT[profile]
    async with walk_factory(profile, START) as walk:
        await prelude(walk)
        await _immediate_risk(walk, profile, START + dt.timedelta(weeks=8))
        walk.on(START + dt.timedelta(days=14))
        for who, name, given in steps:
            await walk.step(who, name, **given)
        await walk.step("officer", "recordSafeguards", checks=safeguards(profile))
        await walk.step("decider", "decide", **decision(walk.today, NAMED_OFFICER), **SKIP)

        before = await walk.timeline("manager")
        after = await walk.refused("officer", "recordAssessment", **ASSESSMENT)
        assert (after.code, after.message) == (
            "INVALID_TRANSITION",
            "the case is decided: recordAssessment comes before the decision; change it by "
            "review, modification or appeal",
        )
        assert await walk.timeline("manager") == before


@pytest.mark.parametrize("profile", list(FULL_ASSESSMENT))
async def test_the_immediate_risk_decision_may_be_appealed_in_time_after_its_arrangements_ran_out(
    walk_factory: WalkFactory, profile: str
) -> None:
    """Each policy counts the time to appeal from the decision (Portsmouth 5.2.7 28 days,
    Cumbria 2.2 14 days "of the policy being invoked", RCT 6.1 15 working days, the default
    28; Cambridgeshire's review on request, no limit) and none ends it when the arrangements
    end. Once they ran out and the full assessment took the case back into assessment,
    lodgeAppeal was refused ("not possible while the case is in assessment"), though taken
    the day before. Now it is taken and decided with nothing left to take away: the case
    stays in assessment (a successful appeal on the ended case used to end it again, owing a
    second "ended" letter), and the full decision still follows."""
    steps, _ = FULL_ASSESSMENT[profile]
    ends_on = START + dt.timedelta(days=5)
    async with walk_factory(profile, START) as walk:
        await _ran_out(walk, profile, ends_on, START + dt.timedelta(days=8))
        for who, name, given in steps:
            taken = await walk.step(who, name, **given)
        assert taken["case"]["state"] == "IN_ASSESSMENT"
        await notify(walk, "ENDED")

        lodged = await walk.step("officer", "lodgeAppeal", **_appeal(walk.today))
        assert lodged["case"]["state"] == "IN_ASSESSMENT"
        assert lodged["event"]["details"]["late"] is False
        outcome = "UPHELD" if profile == "rhondda-cynon-taf" else "REMOVED"
        decided = await walk.step("reviewer", "decideAppeal", outcome=outcome, reasons="Upheld.")
        assert decided["case"]["state"] == "IN_ASSESSMENT"
        assert decided["case"]["restrictionsEndedOn"] == ends_on.isoformat()
        assert await _due(walk) == ["APPEAL_NOTIFICATION"]
        await notify(walk, "APPEAL")

        await walk.step("officer", "recordSafeguards", checks=safeguards(profile))
        full = await walk.step("decider", "decide", **decision(walk.today, NAMED_OFFICER), **SKIP)
        assert full["case"]["state"] == "DECIDED"


async def test_a_late_appeal_after_the_arrangements_ran_out_is_refused_saying_why(
    walk_factory: WalkFactory,
) -> None:
    """Portsmouth 5.2.7 refers an appeal after 28 days "to the review process"; with the
    immediate-risk decision's arrangements ended there is nothing in force to review. The
    request for review it became was refused as "review requested is not possible while the
    case is in assessment" (or "ended"), not saying why. Heard at discretion it is taken."""
    steps, _ = FULL_ASSESSMENT["portsmouth-cc"]
    async with walk_factory("portsmouth-cc", START) as walk:
        ends_on, today = START + dt.timedelta(days=5), START + dt.timedelta(days=30)
        await _ran_out(walk, "portsmouth-cc", ends_on, today)
        late = _appeal(walk.today)
        why = (
            "the appeal came after its deadline (2026-03-30) and a late appeal is taken as a "
            "request for review, but the arrangements of the decision have ended: there is "
            "nothing in force to review"
        )
        # Ended, then referred, then in assessment: refused the same way in each.
        for stage in range(len(steps) + 1):
            if stage:
                who, name, given = steps[stage - 1]
                await walk.step(who, name, **given)
            before = await walk.timeline("manager")
            refused = await walk.refused("officer", "lodgeAppeal", **late)
            assert (refused.code, refused.message) == ("INVALID_TRANSITION", why)
            assert await walk.timeline("manager") == before
        heard = await walk.step(
            "officer", "lodgeAppeal", **late, lateHeardReason="Was in hospital."
        )
        assert heard["event"]["details"]["late"] is True


async def test_no_appeal_against_a_health_and_safety_exclusion_that_ran_out(
    walk_factory: WalkFactory,
) -> None:
    """RCT 3.6: no right of appeal against a health-and-safety exclusion. The check read the
    arrangements in force; once the temporary exclusion ran out there were none, and the
    appeal against it was taken. It is refused as when it was in force, nothing written."""
    exclusion = {**EXCLUSION, "parameters": {**EXCLUSION["parameters"], "health_and_safety": True}}
    async with walk_factory("rhondda-cynon-taf", START) as walk:
        await prelude(walk)
        await walk.step(
            "manager", "decideImmediateRisk", risk="Threats made to staff at reception.",
            reasons="Staff safety.", startsOn=START.isoformat(),
            endsOn=(START + dt.timedelta(days=5)).isoformat(), arrangements=[exclusion],
        )  # fmt: skip
        walk.on(START + dt.timedelta(days=8))
        for state in ("ENDED", "IN_ASSESSMENT"):
            if state == "IN_ASSESSMENT":
                await walk.step("officer", "recordAssessment", **ASSESSMENT)
            before = await walk.timeline("manager")
            refused = await walk.refused("officer", "lodgeAppeal", **_appeal(walk.today))
            assert (refused.code, refused.message) == (
                "INVALID_TRANSITION",
                "there is no appeal against a health-and-safety exclusion under this profile",
            )
            assert await walk.timeline("manager") == before


async def test_an_appeal_against_the_short_term_decision_leaves_the_full_decision_in_force(
    walk_factory: WalkFactory,
) -> None:
    """An appeal against the immediate-risk decision, lodged in time and still undecided when
    the full decision replaced it: decided for the customer it lifted the full decision's
    arrangements, which it was never against, and ended the case. It now takes nothing away;
    amending arrangements already replaced is refused naming input.outcome, nothing written."""
    async with walk_factory("cumbria-frs", START) as walk:
        await _appealed_then_replaced(walk, START + dt.timedelta(days=3))

        before = await walk.timeline("manager")
        amended = await walk.refused(
            "reviewer", "decideAppeal", outcome="AMENDED", reasons="Shorter.",
            amendments=[{"kind": "CONTACT_CHANNEL", "parameters": {"channels": ["email"]}}],
        )  # fmt: skip
        assert (amended.code, amended.field) == ("VALIDATION_FAILED", "input.outcome")
        assert amended.message == (
            "input.outcome: the decision appealed against was replaced by the decision of "
            "2026-03-05: its arrangements are no longer in force to amend"
        )
        assert await walk.timeline("manager") == before
        removed = await walk.step("reviewer", "decideAppeal", outcome="REMOVED", reasons="Upheld.")
        assert removed["case"]["state"] == "DECIDED"
        assert removed["event"]["details"]["caseEnded"] is False
        assert await _due(walk) == ["APPEAL_NOTIFICATION", "REVIEW"]


async def test_an_appeal_against_each_decision_is_decided_in_turn_oldest_first(
    walk_factory: WalkFactory,
) -> None:
    """The short-term decision appealed, then the full decision made and appealed while the
    first appeal was still undecided: decideAppeal decided only the latest, and the first
    stayed open for ever (its retention hold with it), its deadline met unheard. Appeals are
    now decided oldest first, each decision saying which appeal it decided, and each meets
    only its own appeal's deadline."""
    async with walk_factory("cumbria-frs", START) as walk:
        await _appealed_then_replaced(walk, START + dt.timedelta(days=4))
        walk.on(START + dt.timedelta(days=6))
        await walk.step("officer", "lodgeAppeal", **_appeal(walk.today))

        first = await walk.step("reviewer", "decideAppeal", outcome="REMOVED", reasons="Moot.")
        assert first["case"]["state"] == "DECIDED"
        details = first["event"]["details"]
        assert (details["against"], details["appealReceivedOn"]) == ("decision", "2026-03-05")
        assert details["caseEnded"] is False
        assert "APPEAL_DECISION" in await _due(walk)  # the second appeal's, still listed
        await notify(walk, "APPEAL")

        second = await walk.step("reviewer", "decideAppeal", outcome="REMOVED", reasons="Upheld.")
        assert second["event"]["details"]["appealReceivedOn"] == "2026-03-08"
        assert second["event"]["details"]["caseEnded"] is True
        assert second["case"]["state"] == "ENDED"
        assert "APPEAL_DECISION" not in await _due(walk)

        refused = await walk.refused("reviewer", "decideAppeal", outcome="REMOVED", reasons="X.")
        assert refused.message == "lodge the appeal first: the last appeal is decided"
        steps = [e["step"] for e in await walk.timeline("manager")]
        assert steps.count("APPEAL_LODGED") == steps.count("APPEAL_DECIDED") == 2


async def test_an_appeal_lodged_in_the_moment_of_the_full_decision_was_against_the_one_before(
    walk_factory: WalkFactory,
) -> None:
    """The short-term decision appealed, then the full decision made in the same moment (steps
    of one moment share their time): the appeal against the full decision was refused as a
    second one against it ("already lodged ... decide it first"), the first read as against
    it by time. Read by the timeline's order, the first is against the decision before; a
    second against the full decision is what is refused."""
    async with walk_factory("cumbria-frs", START) as walk:
        await _appealed_then_replaced(walk, START + dt.timedelta(days=3))
        await walk.step("officer", "lodgeAppeal", **_appeal(walk.today))
        again = await walk.refused("officer", "lodgeAppeal", **_appeal(walk.today))
        assert (again.code, again.field) == ("VALIDATION_FAILED", "input.against")
        assert again.message == (
            "input.against: an appeal against the decision of 2026-03-05 is already lodged "
            "(received 2026-03-05): decide it first"
        )
