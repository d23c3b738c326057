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
        await prelude(walk)
        await _immediate_risk(walk, profile, ends_on)
        walk.on(ends_on + dt.timedelta(days=7))
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
