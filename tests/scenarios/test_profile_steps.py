"""Each profile takes only the steps its policy has. Every profile used to accept a warning,
a referral, one officer's assessment and a case conference: Merseyside (no warning in its
instruction) could issue a warning, Cumbria could refer. A step the policy does not have is
refused, naming the step and the policy, with nothing written; Cumbria still records the
full assessment after an immediate-risk decision."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from casework.profiles import load_profile
from tests.scenarios.conftest import WalkFactory
from tests.scenarios.world import NAMED_OFFICER, decision, prelude, safeguards

START = dt.date(2026, 3, 2)
# Each step, valid as given, and who takes it.
STEPS: dict[str, tuple[str, dict[str, Any]]] = {
    "issueWarning": ("officer", {"reasons": "The contact described in the log."}),
    "refer": ("manager", {"reasons": "No change.", "referralPack": ["contact log"]}),
    "recordAssessment": (
        "officer",
        {"assessor": "manager", "findings": "The log shows it.", "recommendation": "A year."},
    ),
    "holdCaseConference": (
        "manager",
        {"heldOn": START.isoformat(), "evidence": ["log"], "recommendation": "A named officer.",
         "attendees": [{"role": "Chair"}]},
    ),
}  # fmt: skip
# What each policy does not have, read from its own text.
ABSENT = {
    # 2.2: a warning, then the senior manager decides; no referral, assessment or conference
    # (one officer's assessment only as the full one after an on-the-spot decision, below).
    "cumbria-frs": ["refer", "recordAssessment", "holdCaseConference"],
    # Prior notification, then "Designate a named officer to undertake an assessment".
    "cambridgeshire-cc": ["refer", "holdCaseConference"],
    # No warning letter: the customer is met, then "a case conference will be held".
    "merseyside-frs": ["issueWarning", "refer", "recordAssessment"],
    # 5.1: Stage 1 warning, Stage 2 decision; no assessment between them.
    "rhondda-cynon-taf": ["refer", "recordAssessment", "holdCaseConference"],
    # 5.1 step one, 5.2.1 referral, 5.2.2 assessment; no case conference.
    "portsmouth-cc": ["holdCaseConference"],
    # Tact's default: a warning, then the decision (as Cumbria and RCT).
    "default": ["refer", "recordAssessment", "holdCaseConference"],
}


@pytest.mark.parametrize("profile", list(ABSENT))
async def test_a_step_the_policy_has_not_is_refused(
    walk_factory: WalkFactory, profile: str
) -> None:
    organisation = load_profile(profile).organisation
    async with walk_factory(profile, START) as walk:
        await prelude(walk)
        await walk.step("officer", "recordSafeguards", checks=safeguards(profile))
        before = await walk.timeline("manager")
        for name in ABSENT[profile]:
            who, given = STEPS[name]
            refused = await walk.refused(who, name, **given)
            assert refused.code == "INVALID_TRANSITION", (name, refused.message)
            assert f"{organisation}'s policy has no " in refused.message, refused.message
            assert f"{name} is not a step under the {profile} profile" in refused.message
        assert await walk.timeline("manager") == before


async def test_merseyside_is_pointed_to_its_case_conference(walk_factory: WalkFactory) -> None:
    async with walk_factory("merseyside-frs", START) as walk:
        await prelude(walk)
        refused = await walk.refused("officer", "issueWarning", reasons="The contact.")
        assert refused.message == (
            "Merseyside Fire and Rescue Service's policy has no warning: issueWarning is not a "
            "step under the merseyside-frs profile; hold the case conference first"
        )


async def test_cumbria_records_the_full_assessment_after_an_immediate_risk_decision(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory("cumbria-frs", START) as walk:
        await prelude(walk)
        refused = await walk.refused("officer", "recordAssessment", **STEPS["recordAssessment"][1])
        assert refused.message == (
            "Cumbria Fire and Rescue Service's policy has no assessment before a decision: "
            "recordAssessment is not a step under the cumbria-frs profile; it is the full "
            "assessment after an immediate-risk decision"
        )
        await walk.step(
            "decider", "decideImmediateRisk", risk="Threats made to staff.",
            reasons="Staff safety, pending a full assessment.", startsOn=START.isoformat(),
            endsOn="2026-04-30", arrangements=[NAMED_OFFICER],
        )  # fmt: skip
        assessment = STEPS["recordAssessment"][1]
        nobody = await walk.refused(
            "officer", "recordAssessment", **{**assessment, "assessor": "x"}
        )
        assert (nobody.code, nobody.field) == ("VALIDATION_FAILED", "input.assessor")
        assessed = await walk.step("officer", "recordAssessment", **assessment)
        assert assessed["event"]["details"]["fullAssessmentMet"] is True
        await walk.step("officer", "recordSafeguards", checks=safeguards("cumbria-frs"))
        full = await walk.step(
            "decider",
            "decide",
            **decision(
                START,
                NAMED_OFFICER,
                skipWarningReason="SAFETY",
                skipWarningExplanation="Threats were made to staff.",
            ),
        )
        assert full["event"]["step"] == "DECIDED"
        # The full decision made, the assessment is no step of Cumbria's again.
        again = await walk.refused("officer", "recordAssessment", **STEPS["recordAssessment"][1])
        assert again.code == "INVALID_TRANSITION"
