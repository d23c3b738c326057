"""THE transition table: which step may be taken in which state, what it needs first, and the
state it leaves the case in. Every step function asks `check_step` before writing anything;
a refusal is InvalidTransition naming the missing step ("record the safeguards first").

The table is the policies' shared shape (DESIGN.md 2); where a policy differs the profile
says so, and `_profile_needs` reads it: a warning first unless the profile lets the decision
skip it for a stated reason, an assessment or case conference first where the profile
requires one, an immediate-risk decision only where the profile allows it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from casework.profiles import Profile
from casework.step_models import as_the_api_spells
from records.case_steps import Step
from records.errors import InvalidTransition, ValidationFailed
from records.models import CaseState

S = CaseState
# Before a decision: the case is being worked on.
WORKING = frozenset({S.OPEN, S.WARNED, S.REFERRED, S.IN_ASSESSMENT})
# Anything the file can still grow in: working, decided, and ended (appeals, notifications).
LIVE = WORKING | {S.DECIDED, S.ENDED}
DECISIONS = (Step.DECIDED, Step.DECIDED_IMMEDIATE_RISK)
# What makes the full assessment due after an immediate-risk decision: whichever of these the
# profile's policy has (`_not_in_policy`), taken after that decision. Each meets the deadline.
FULL_ASSESSMENT = (Step.REFERRED, Step.ASSESSMENT_RECORDED, Step.CASE_CONFERENCE_HELD)
# Taken on an ended case only when its short-term (immediate-risk) arrangements ran out before
# the full decision: the full assessment, the safeguards and that decision. Taken on a decided
# case, they leave it decided: the short-term arrangements stay in force until that decision.
_TOWARDS_FULL_DECISION = frozenset({*FULL_ASSESSMENT, Step.SAFEGUARDS_RECORDED, Step.DECIDED})
# Taken on a decided case only when its decision was on an immediate risk: the full assessment
# then due and the full decision. An assessment informs the decision that follows it; after the
# full decision there is none left for it to inform (no policy's review takes one: Merseyside's
# reviews record the conference reconvened in `decideReview` itself).
_ONLY_AFTER_IMMEDIATE_RISK = frozenset({*FULL_ASSESSMENT, Step.DECIDED})


@dataclass(frozen=True)
class Rule:
    """From which states a step may be taken, which steps must be on the timeline first (each
    with the words of the refusal), and the state it leaves (None: unchanged)."""

    from_states: frozenset[CaseState]
    needs: tuple[tuple[tuple[Step, ...], str], ...] = ()
    to_state: CaseState | None = None


_CONCERN = ((Step.CONCERN_RECORDED,), "record a concern first")
_SAFEGUARDS = ((Step.SAFEGUARDS_RECORDED,), "record the safeguards first")
_DECISION = (DECISIONS, "decide first")
# A decision schedules the first review; later ones are scheduled or requested.
_REVIEW = ((Step.REVIEW_SCHEDULED, Step.REVIEW_REQUESTED, *DECISIONS), "schedule a review first")

TABLE: dict[Step, Rule] = {
    Step.CONCERN_RECORDED: Rule(LIVE),
    Step.EVIDENCE_RECORDED: Rule(LIVE),
    Step.ATTACHMENT_ADDED: Rule(LIVE),
    # Also once closed with no action: a file added by mistake (often someone else's) must
    # not wait on the case's destruction to go.
    Step.ATTACHMENT_REMOVED: Rule(LIVE | {S.CLOSED_NO_ACTION}),
    Step.STAFF_ASSIGNED: Rule(LIVE),
    # Also once closed with no action: assigned staff still read the closed file until it is
    # destroyed, and need to know ends when the need does, not with the file.
    Step.STAFF_UNASSIGNED: Rule(LIVE | {S.CLOSED_NO_ACTION}),
    Step.SAFEGUARDS_RECORDED: Rule(WORKING | {S.DECIDED, S.ENDED}, (_CONCERN,)),
    Step.WARNING_ISSUED: Rule(frozenset({S.OPEN, S.WARNED}), (_CONCERN,), S.WARNED),
    # Also once decided on an immediate risk (or ended, its arrangements run out): the full
    # assessment then due, where the profile's assessment is the referral (Portsmouth 5.2.1).
    Step.REFERRED: Rule(frozenset({S.OPEN, S.WARNED, S.DECIDED, S.ENDED}), (_CONCERN,), S.REFERRED),
    # An assessment after an immediate-risk decision is the full assessment then due.
    Step.ASSESSMENT_RECORDED: Rule(WORKING | {S.DECIDED, S.ENDED}, (_CONCERN,), S.IN_ASSESSMENT),
    Step.CASE_CONFERENCE_HELD: Rule(WORKING | {S.DECIDED, S.ENDED}, (_CONCERN,), S.IN_ASSESSMENT),
    # Also once decided, when that decision was on an immediate risk: the full decision that
    # follows the assessment replaces its short-term arrangements (`follows_immediate_risk`).
    # Ended, when they ran out first: the steps towards that decision (_TOWARDS_FULL_DECISION).
    Step.DECIDED: Rule(WORKING | {S.DECIDED, S.ENDED}, (_CONCERN, _SAFEGUARDS), S.DECIDED),
    Step.DECIDED_IMMEDIATE_RISK: Rule(WORKING, (_CONCERN,), S.DECIDED),
    # Also while referred or in assessment: the warning's letter, and the "ended" one owed when
    # short-term arrangements ran out before the full assessment that took the case back.
    Step.NOTIFICATION_RECORDED: Rule(LIVE - {S.OPEN}),
    Step.CLOSED_NO_ACTION: Rule(WORKING, (), S.CLOSED_NO_ACTION),
    Step.ARRANGEMENT_MODIFIED: Rule(frozenset({S.DECIDED}), (_DECISION,)),
    Step.ARRANGEMENT_EXTENDED: Rule(frozenset({S.DECIDED}), (_DECISION,)),
    Step.ARRANGEMENT_LIFTED: Rule(frozenset({S.DECIDED}), (_DECISION,)),
    Step.ARRANGEMENTS_EXPIRED: Rule(frozenset({S.DECIDED}), (_DECISION,), S.ENDED),
    Step.REVIEW_SCHEDULED: Rule(frozenset({S.DECIDED}), (_DECISION,)),
    Step.REVIEW_REQUESTED: Rule(frozenset({S.DECIDED}), (_DECISION,)),
    Step.REVIEW_DECIDED: Rule(frozenset({S.DECIDED}), (_REVIEW,)),
    # Beside the state: a filed contact read for new matters (casework/screening.py).
    Step.CONTACT_SCREENED: Rule(LIVE),
    # Beside the state: the customer's emails and phone numbers, kept right while the file is.
    Step.CONTACT_DETAILS_RECORDED: Rule(LIVE),
    # Beside the state: the customer's name, kept right while the file is.
    Step.CUSTOMER_NAME_RECORDED: Rule(LIVE),
    # Also referred or in assessment: the full assessment after an immediate-risk decision whose
    # arrangements ran out takes the case back there, and the customer's time to appeal that
    # decision runs on (no policy ends it with the arrangements).
    Step.APPEAL_LODGED: Rule(LIVE - {S.OPEN}),
    # Taken by `lodgeAppeal` itself when the appeal came too late: beside the state.
    Step.APPEAL_REFUSED_LATE: Rule(LIVE - {S.OPEN}),
    Step.APPEAL_DECIDED: Rule(
        LIVE,
        (((Step.APPEAL_LODGED,), "lodge the appeal first"),),
    ),
}

_STATE_WORDS = {
    S.OPEN: "open",
    S.WARNED: "warned",
    S.REFERRED: "referred",
    S.IN_ASSESSMENT: "in assessment",
    S.DECIDED: "decided",
    S.ENDED: "ended",
    S.ARCHIVED: "archived",
    S.DESTROYED: "destroyed",
    S.CLOSED_NO_ACTION: "closed with no action",
}


def check_step(
    step: Step,
    state: CaseState,
    taken: Iterable[Step],
    profile: Profile,
    *,
    skip_warning: bool = False,
) -> CaseState:
    """Refuse `step` (InvalidTransition, naming what is missing) unless the table allows it
    now; returns the state the case will be in after it."""
    rule = TABLE[step]
    taken = list(taken)
    absent = _not_in_policy(step, profile, taken)
    if absent is not None:
        raise InvalidTransition(absent)
    if state not in rule.from_states:
        raise InvalidTransition(
            f"{step.value.replace('_', ' ')} is not possible while the case is "
            f"{_STATE_WORDS[state]}"
        )
    follows = follows_immediate_risk(taken)
    if state is S.DECIDED and step in _ONLY_AFTER_IMMEDIATE_RISK and not follows:
        before = "" if step is Step.DECIDED else f"{_MUTATIONS[step]} comes before the decision; "
        raise InvalidTransition(
            f"the case is decided: {before}change it by review, modification or appeal"
        )
    if state is S.ENDED and step in _TOWARDS_FULL_DECISION and not follows:
        raise InvalidTransition(
            f"{step.value.replace('_', ' ')} is not possible while the case is ended"
        )
    done = set(taken)
    for options, words in (*rule.needs, *_profile_needs(step, profile, skip_warning)):
        if not done.intersection(options):
            if options == (Step.WARNING_ISSUED,) and follows:
                _no_warning_after_immediate_risk(profile)
            raise InvalidTransition(words)
    if step is Step.DECIDED and follows:
        _check_full_assessment(profile, taken)
    if state is S.DECIDED and step in _TOWARDS_FULL_DECISION:
        return state
    return rule.to_state or state


def follows_immediate_risk(taken: Iterable[Step]) -> bool:
    """Is the case's latest decision one on an immediate risk (Cambridgeshire's "on the spot
    decision ... in the short term prior to a more detailed assessment", RCT 3.2's temporary
    exclusion)? Then the full decision may still be taken."""
    decisions = [step for step in taken if step in DECISIONS]
    return bool(decisions) and decisions[-1] is Step.DECIDED_IMMEDIATE_RISK


def _no_warning_after_immediate_risk(profile: Profile) -> None:
    """A warning (or step one) cannot follow an immediate-risk decision (`issueWarning` is for
    an open or warned case), so what comes after it without one gives the reason the profile
    allows, as the immediate-risk decision had one: refused naming `input.skipWarningReason`."""
    words = as_the_api_spells(profile.warning.may_skip_reasons)
    raise ValidationFailed(
        "input.skipWarningReason",
        "no warning follows an immediate-risk decision: give the reason for going ahead "
        f"without one ({words})",
    )


def _check_full_assessment(profile: Profile, taken: list[Step]) -> None:
    """The full decision after an immediate-risk decision follows the full assessment then due
    (Cambridgeshire: "prior to a more detailed assessment being undertaken"): one of the
    FULL_ASSESSMENT steps the profile has, taken after that decision. Without it the decision
    was made and the assessment stayed owing, never to be met."""
    last = len(taken) - taken[::-1].index(Step.DECIDED_IMMEDIATE_RISK)
    if not set(taken[last:]).intersection(FULL_ASSESSMENT):
        has = [_MUTATIONS[s] for s in FULL_ASSESSMENT if _not_in_policy(s, profile, taken) is None]
        raise InvalidTransition(
            f"take the full assessment due after the immediate-risk decision first "
            f"({' or '.join(has)})"
        )


# The steps a policy may not have. Whether it has each is read from what the profile already
# declares (no list of steps to keep in step with the rest of the file): a warning it does not
# require is one it does not have (Merseyside: no warning letter, the customer is met first);
# a referral is its assessment's (Portsmouth 5.2.1: the referral pack); a case conference
# likewise (Merseyside); one officer's assessment is a named assessor's (Cambridgeshire), or
# Portsmouth's after the referral (5.2.2), and elsewhere only the full assessment due after an
# immediate-risk decision (Cumbria, RCT 3.2), never where the conference is the assessment.
_MUTATIONS = {
    Step.WARNING_ISSUED: "issueWarning",
    Step.REFERRED: "refer",
    Step.ASSESSMENT_RECORDED: "recordAssessment",
    Step.CASE_CONFERENCE_HELD: "holdCaseConference",
}
_OFFICERS_ASSESSMENT = frozenset({"named_assessor", "referral_pack"})


def _not_in_policy(step: Step, profile: Profile, taken: list[Step]) -> str | None:
    """The refusal of a step the profile's policy does not have, naming the step, the policy
    and what the policy has instead; None when it has it."""
    kind = profile.assessment.kind
    instead = _ASSESSMENT_FIRST[kind][1] if kind in _ASSESSMENT_FIRST else None
    if step is Step.WARNING_ISSUED and not profile.warning.required:
        lacks = "warning"
    elif step is Step.REFERRED and kind != "referral_pack":
        lacks = "referral"
    elif step is Step.CASE_CONFERENCE_HELD and kind != "case_conference":
        lacks = "case conference"
    elif step is Step.ASSESSMENT_RECORDED and kind not in _OFFICERS_ASSESSMENT:
        if kind == "none" and follows_immediate_risk(taken):
            return None
        lacks = "assessment by one officer"
        if kind == "none" and profile.decision.immediate_risk_allowed:
            lacks = "assessment before a decision"
            instead = "it is the full assessment after an immediate-risk decision"
    else:
        return None
    words = (
        f"{profile.organisation}'s policy has no {lacks}: {_MUTATIONS[step]} is not a step "
        f"under the {profile.name} profile"
    )
    return f"{words}; {instead}" if instead else words


def _profile_needs(
    step: Step, profile: Profile, skip_warning: bool
) -> list[tuple[tuple[Step, ...], str]]:
    if step is Step.DECIDED_IMMEDIATE_RISK and not profile.decision.immediate_risk_allowed:
        return [((), "this profile has no immediate-risk decision: follow the full process")]
    if step is Step.REFERRED and profile.warning.step_one_spoc and not skip_warning:
        # Portsmouth 5.1: "If an agreement cannot be reached with the customer, the matter
        # will be referred to step two"; 5.2.1: the referral carries "evidence of the work
        # undertaken by the service to resolve the situation with the customer".
        return [((Step.WARNING_ISSUED,), "carry out step one first: the referral follows it")]
    if step is Step.ASSESSMENT_RECORDED and profile.assessment.kind == "referral_pack":
        # 5.2.2: the city helpdesk manager assesses "the information provided" by the referral;
        # taken first, the assessment left the case in assessment, where no referral follows.
        return [_ASSESSMENT_FIRST["referral_pack"]]
    if step is not Step.DECIDED:
        return []
    needs: list[tuple[tuple[Step, ...], str]] = []
    if profile.warning.required and not skip_warning:
        words = "carry out step one first" if profile.warning.step_one_spoc else "warn first"
        needs.append(((Step.WARNING_ISSUED,), words))
    if profile.assessment.required_before_decision:
        needs.append(_ASSESSMENT_FIRST[profile.assessment.kind])
    return needs


# The step a profile's assessment is (`[assessment] kind`), which its decision waits for: one
# of another kind does not stand in for it (Merseyside decides at the case conference of the
# Director, the Professional Standards Manager, ...; one officer's assessment is not it).
_ASSESSMENT_FIRST = {
    "case_conference": ((Step.CASE_CONFERENCE_HELD,), "hold the case conference first"),
    "referral_pack": ((Step.REFERRED,), "refer the case with its referral pack first"),
    "named_assessor": ((Step.ASSESSMENT_RECORDED,), "record the named officer's assessment first"),
}


def check_skip_reason(profile: Profile, reason: str) -> None:
    """Refuse, naming `input.skipWarningReason`, a reason to go ahead without the warning (or
    step one) that the profile does not give."""
    allowed = profile.warning.may_skip_reasons
    if reason not in allowed:
        words = as_the_api_spells(allowed)
        raise ValidationFailed(
            "input.skipWarningReason", f"this profile allows skipping the warning for: {words}"
        )
