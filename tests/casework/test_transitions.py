"""The transition table: what each step needs and the state it leaves, under each profile.
Pure: no database; the refusals name the missing step."""

from __future__ import annotations

import pytest

from casework.profiles import load_profile
from casework.transitions import TABLE, check_step
from records.case_steps import Step
from records.errors import InvalidTransition
from records.models import CaseState

S = CaseState
BEFORE_DECISION = [Step.CASE_OPENED, Step.CONCERN_RECORDED, Step.SAFEGUARDS_RECORDED]


def test_every_step_but_opening_has_a_rule() -> None:
    assert set(TABLE) == set(Step) - {Step.CASE_OPENED}


@pytest.mark.parametrize(
    ("profile", "taken", "missing"),
    [
        ("cumbria-frs", [Step.CONCERN_RECORDED], "record the safeguards first"),
        ("cumbria-frs", BEFORE_DECISION, "warn first"),
        ("portsmouth-cc", BEFORE_DECISION, "carry out step one first"),
        ("portsmouth-cc", [*BEFORE_DECISION, Step.WARNING_ISSUED],
         "refer the case with its referral pack first"),
        ("merseyside-frs", BEFORE_DECISION, "hold the case conference first"),
        ("cambridgeshire-cc", [*BEFORE_DECISION, Step.WARNING_ISSUED],
         "record the named officer's assessment first"),
        ("default", [Step.CASE_OPENED], "record a concern first"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)  # fmt: skip
def test_a_decision_names_the_step_it_is_missing(
    profile: str, taken: list[Step], missing: str
) -> None:
    with pytest.raises(InvalidTransition) as refused:
        check_step(Step.DECIDED, S.WARNED, taken, load_profile(profile))
    assert refused.value.message == missing


def test_the_decision_moves_the_case_on_once_its_steps_are_taken() -> None:
    profile = load_profile("cambridgeshire-cc")
    taken = [*BEFORE_DECISION, Step.WARNING_ISSUED, Step.ASSESSMENT_RECORDED]
    assert check_step(Step.DECIDED, S.IN_ASSESSMENT, taken, profile) is S.DECIDED


def test_a_skipped_warning_is_allowed_only_when_asked_for() -> None:
    rct = load_profile("rhondda-cynon-taf")
    assert check_step(Step.DECIDED, S.OPEN, BEFORE_DECISION, rct, skip_warning=True) is S.DECIDED


def test_an_immediate_risk_decision_needs_only_a_concern_where_the_profile_allows_it() -> None:
    taken = [Step.CASE_OPENED, Step.CONCERN_RECORDED]
    allowed = load_profile("cambridgeshire-cc")
    assert check_step(Step.DECIDED_IMMEDIATE_RISK, S.OPEN, taken, allowed) is S.DECIDED
    with pytest.raises(InvalidTransition):
        check_step(Step.DECIDED_IMMEDIATE_RISK, S.OPEN, taken, load_profile("merseyside-frs"))


@pytest.mark.parametrize(
    ("step", "state"),
    [
        (Step.WARNING_ISSUED, S.DECIDED),
        (Step.ARRANGEMENT_LIFTED, S.WARNED),
        (Step.DECIDED, S.CLOSED_NO_ACTION),
        (Step.CONCERN_RECORDED, S.ARCHIVED),
        (Step.STAFF_UNASSIGNED, S.ARCHIVED),
        (Step.STAFF_UNASSIGNED, S.DESTROYED),
        (Step.APPEAL_LODGED, S.OPEN),
    ],
    ids=lambda value: str(value),
)
def test_steps_out_of_their_states_are_refused_naming_the_state(
    step: Step, state: CaseState
) -> None:
    everything = list(Step)
    with pytest.raises(InvalidTransition) as refused:
        check_step(step, state, everything, load_profile("default"))
    assert "while the case is" in refused.value.message


def test_an_appeal_is_decided_only_after_one_is_lodged() -> None:
    with pytest.raises(InvalidTransition, match="lodge the appeal first"):
        check_step(Step.APPEAL_DECIDED, S.DECIDED, [Step.DECIDED], load_profile("default"))


def test_a_decided_case_takes_the_full_decision_only_after_an_immediate_risk_one() -> None:
    profile = load_profile("cambridgeshire-cc")
    interim = [*BEFORE_DECISION, Step.DECIDED_IMMEDIATE_RISK, Step.ASSESSMENT_RECORDED]
    skip = {"skip_warning": True}  # the profile lets a risk skip the warning

    assert check_step(Step.DECIDED, S.DECIDED, interim, profile, **skip) is S.DECIDED
    with pytest.raises(InvalidTransition, match="change it by review, modification or appeal"):
        check_step(Step.DECIDED, S.DECIDED, [*interim, Step.DECIDED], profile, **skip)
    with pytest.raises(InvalidTransition, match="change it by review, modification or appeal"):
        check_step(Step.DECIDED, S.DECIDED, [*BEFORE_DECISION, Step.DECIDED], profile, **skip)


def test_an_ended_case_takes_the_full_decision_only_when_its_short_term_one_ran_out() -> None:
    profile = load_profile("cambridgeshire-cc")
    lapsed = [
        *BEFORE_DECISION, Step.DECIDED_IMMEDIATE_RISK, Step.ARRANGEMENTS_EXPIRED,
        Step.ASSESSMENT_RECORDED,
    ]  # fmt: skip
    skip = {"skip_warning": True}

    assert check_step(Step.DECIDED, S.ENDED, lapsed, profile, **skip) is S.DECIDED
    ended = [*BEFORE_DECISION, Step.DECIDED, Step.ARRANGEMENTS_EXPIRED]
    with pytest.raises(InvalidTransition, match="not possible while the case is ended"):
        check_step(Step.DECIDED, S.ENDED, ended, profile, **skip)


def test_portsmouth_refers_a_case_decided_on_an_immediate_risk_and_it_stays_decided() -> None:
    profile = load_profile("portsmouth-cc")
    interim = [*BEFORE_DECISION, Step.DECIDED_IMMEDIATE_RISK]
    skip = {"skip_warning": True}

    assert check_step(Step.REFERRED, S.DECIDED, interim, profile, **skip) is S.DECIDED
    assert check_step(Step.REFERRED, S.ENDED, interim, profile, **skip) is S.REFERRED
    with pytest.raises(InvalidTransition, match="change it by review, modification or appeal"):
        check_step(Step.REFERRED, S.DECIDED, [*interim, Step.DECIDED], profile, **skip)
