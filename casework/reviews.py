"""Reviews and appeals, beside the case's state.

Reviews are scheduled (a date) or requested by the customer, where the profile may limit
requests per period (Portsmouth: one per period); a review decides lift / modify / continue /
extend, with the next review date. Appeals (a challenge, where the profile's route is a
review) are lodged against the steps the profile names, within its window (calendar or
working days, casework/deadlines.py); a late one is refused (recorded as its own step, with
a letter owed), redirected to a review, or accepted, as the profile says, or heard for a
recorded reason where the profile leaves that to the officer; RCT allows no appeal against a
health-and-safety exclusion (the rest of the decision stays open to appeal, and a successful
appeal keeps the exclusion).
Who may decide an appeal or a review (the profile's roles for each, independent of the
decider) is the gate's business; a review says who was consulted where the profile asks,
and records the recommendation it decides on where the profile names who recommends (RCT
7.3-7.4). A review the profile allows for a new issue (RCT 9.1) keeps the review already due.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping

from casework import step_models as m
from casework.arrangements import validate_parameters
from casework.conferences import check_conference
from casework.deadlines import (
    appeal_deadline,
    appeal_decision_due,
    appeal_listed_until,
    check_review_date,
    check_until_review,
)
from casework.over_time import (
    amend,
    end_all,
    end_arrangement,
    ended_if_none_left,
    ended_notification_due,
    in_force,
    lift,
    next_review_after,
    notification_due,
    period_end,
)
from casework.profiles import Profile
from casework.second_appeals import Appeal, appeals, refuse_second_appeal
from casework.steps import Begun, StepRun, begin, check_consulted, finish
from records.case_steps import (
    CaseEvent,
    DeadlineKind,
    EventView,
    Step,
    add_deadline,
    last_details,
    load_timeline,
    meet_deadlines,
)
from records.days import uk_day
from records.errors import InvalidTransition, ValidationFailed
from records.models import Arrangement, ArrangementKind, CaseState

DECISIONS = (Step.DECIDED, Step.DECIDED_IMMEDIATE_RISK)
# What an appeal is against, and the steps that made it.
_APPEALED_STEPS = {
    m.AppealAgainst.WARNING: (Step.WARNING_ISSUED,),
    m.AppealAgainst.DECISION: DECISIONS,
    m.AppealAgainst.REVIEW: (Step.REVIEW_DECIDED,),
}
# Review outcomes that begin a further period of restrictions.
_NEW_PERIOD = frozenset({m.ReviewOutcome.EXTEND, m.ReviewOutcome.MODIFY})
# Outcomes that take away what was appealed against.
_SUCCEEDS = frozenset({m.AppealOutcome.UPHELD, m.AppealOutcome.REMOVED})
# The outcome of each that makes its amendments in the same step.
_AMENDING = {m.DecideAppeal: m.AppealOutcome.AMENDED, m.DecideReview: m.ReviewOutcome.MODIFY}


async def schedule_review(run: StepRun, case_id: uuid.UUID, given: m.ScheduleReview) -> CaseEvent:
    begun = await begin(run, case_id, Step.REVIEW_SCHEDULED)
    if given.review_on < run.today():
        raise ValidationFailed("input.reviewOn", "must not be in the past")
    # Counted from the last decision, or from the last review when one came after it.
    decided, reviewed = begun.last_at(*DECISIONS), begun.last_at(Step.REVIEW_DECIDED)
    since = reviewed if reviewed and (decided is None or reviewed > decided) else decided
    if since is not None:
        check_review_date(
            run.profile, given.review_on, uk_day(since), first=since is decided,
            field="input.reviewOn",
        )  # fmt: skip
    event = await finish(run, begun, Step.REVIEW_SCHEDULED, given)
    add_deadline(run.session, begun.case, DeadlineKind.REVIEW, given.review_on, event)
    return event


async def request_review(
    run: StepRun,
    case_id: uuid.UUID,
    given: m.RequestReview,
    *,
    late_appeal: Mapping[str, object] | None = None,
) -> CaseEvent:
    """A customer's request. Where the profile limits requests per period of restrictions
    (Portsmouth 5.2.6: "once during the period of contract restrictions"), a further one is
    refused until a new period: a decision, or a review that extends the restrictions or
    imposes amended ones "for a further period". A review that continues them, the one the
    customer asked for included, keeps the period they are in.

    `late_appeal`: the request is a late appeal taken as one (Portsmouth 5.2.7), and these
    are its facts (what it was against, the deadline it missed), kept in the details; the
    customer is owed the LATE_APPEAL letter saying so."""
    begun = await begin(run, case_id, Step.REVIEW_REQUESTED)
    limit = run.profile.review.customer_requests_per_period
    if limit == 0 and late_appeal is None:
        raise InvalidTransition(_challenge_instead(run.profile))
    asked = 0
    for taken in begun.taken:  # in order
        if taken.step in DECISIONS or (
            taken.step is Step.REVIEW_DECIDED and taken.outcome in _NEW_PERIOD
        ):
            asked = 0
        asked += taken.step is Step.REVIEW_REQUESTED
    if limit is not None and asked >= limit:
        raise InvalidTransition(
            f"the customer may request {limit} review(s) per period of restrictions and has "
            "done so: the next request can be made once a review extends or amends them"
        )
    redirected = late_appeal is not None
    event = await finish(
        run, begun, Step.REVIEW_REQUESTED, given, redirected_late_appeal=redirected,
        **(late_appeal or {}),
    )  # fmt: skip
    add_deadline(
        run.session, begun.case, DeadlineKind.REVIEW, given.received_on, event, "requested"
    )
    if redirected:
        notification_due(run, begun, m.NotificationSubject.LATE_APPEAL, run.today(), event)
    return event


def _challenge_instead(profile: Profile) -> str:
    """Where the customer asks for no review outside their challenge (`[review]
    customer_requests_per_period = 0`; Cumbria 2.2: "The customer can challenge the action
    taken by requesting a review ... within 14 days"), the step that records their request,
    with the limits it applies."""
    rule = profile.appeal
    limits = []
    if rule.window is not None:
        unit = "working days" if rule.unit == "working_days" else "days"
        limits.append(f"{rule.window} {unit} to ask")
    if rule.decide_within_days is not None:
        limits.append(f"{rule.decide_within_days} days from receipt to decide")
    applies = f", which applies the policy's time limits ({' and '.join(limits)})" if limits else ""
    return (
        "under this profile the customer asks for a review by challenging the decision: "
        f"record the request with lodgeAppeal{applies}"
    )


async def decide_review(run: StepRun, case_id: uuid.UUID, given: m.DecideReview) -> CaseEvent:
    begun = await begin(run, case_id, Step.REVIEW_DECIDED)
    new_issue = _triggered(run, given)
    await _reconvened(run, begun, given.conference)
    check_consulted(run.profile.review.with_, given.consulted, "reviews")
    _recommended(run, begun, given, new_issue=new_issue)
    today = run.today()
    # What the review's event keeps besides its input: whether it endorsed the recommendation,
    # and what a review decided as modify amended or lifted (made here, before any dates).
    extra: dict[str, object] = {} if given.endorsed is None else {"endorsed": given.endorsed}
    extra |= await _amended(run, begun, given)
    if given.outcome is m.ReviewOutcome.LIFT:
        await meet_deadlines(run.session, case_id, [DeadlineKind.REVIEW], run.clock())
        await end_all(run, begun, today)
        event = await finish(run, begun, Step.REVIEW_DECIDED, given, case_ended=True, **extra)
        ended_notification_due(run, begun, today, event)
        return event
    if given.outcome is m.ReviewOutcome.EXTEND and given.ends_on is None:
        raise ValidationFailed("input.endsOn", "an extension gives the new end date")
    if new_issue:
        # The restrictions reconsidered against a new issue: the review already due stays,
        # and the details say when it is, as any review's do.
        arrangements = await in_force(run, case_id)
        for arrangement in arrangements:
            if given.ends_on is not None and given.outcome is m.ReviewOutcome.EXTEND:
                arrangement.ends_on = given.ends_on
        dues = [a.next_review_on for a in arrangements if a.next_review_on is not None]
        kept = {"next_review_on": min(dues)} if dues else {}
        event = await finish(run, begun, Step.REVIEW_DECIDED, given, **kept, **extra)
        notification_due(run, begun, m.NotificationSubject.REVIEW, today, event)
        return event
    await meet_deadlines(run.session, case_id, [DeadlineKind.REVIEW], run.clock())
    if given.next_review_on is not None:
        check_review_date(
            run.profile, given.next_review_on, today, first=False, field="input.nextReviewOn"
        )
    arrangements = await in_force(run, case_id)
    for arrangement in arrangements:
        if given.ends_on is not None and given.outcome is m.ReviewOutcome.EXTEND:
            arrangement.ends_on = given.ends_on
    next_review = given.next_review_on or next_review_after(run, arrangements)
    if next_review <= today:
        raise ValidationFailed("input.nextReviewOn", "must be after today")
    if given.outcome is m.ReviewOutcome.EXTEND:
        check_until_review(run.profile, (a.kind for a in arrangements), given.ends_on, next_review)
    for arrangement in arrangements:
        arrangement.next_review_on = next_review
    # Amended, the customer is told how long the amended arrangements last (Portsmouth
    # 5.2.6); an extension gives its own end (`ends_on`).
    lasts_until = period_end(arrangements)
    amended = given.outcome is m.ReviewOutcome.MODIFY and lasts_until is not None
    lasting = {"period_ends_on": lasts_until} if amended else {}
    event = await finish(
        run, begun, Step.REVIEW_DECIDED, given, next_review_on=next_review, **lasting, **extra
    )
    add_deadline(run.session, begun.case, DeadlineKind.REVIEW, next_review, event)
    notification_due(run, begun, m.NotificationSubject.REVIEW, today, event)
    return event


async def _reconvened(run: StepRun, begun: Begun, conference: m.Conference | None) -> None:
    """Where the profile reviews at the case conference reconvened (Merseyside: "the case
    conference team will reconvene every quarter to review the case"), a review records that
    conference, held since the last decision or review and checked as the decision's was.
    Elsewhere a review records none."""
    if not run.profile.review.case_conference:
        if conference is not None:
            raise ValidationFailed("input.conference", "this profile does not review at one")
        return
    if conference is None:
        raise ValidationFailed(
            "input.conference", "the case conference reconvenes to review the case: record it"
        )
    since = begun.last_at(*DECISIONS, Step.REVIEW_DECIDED)
    if since is not None and conference.held_on < uk_day(since):
        raise ValidationFailed(
            "input.conference.heldOn", "must not be before the last decision or review"
        )
    await check_conference(run, begun.case.id, conference, "input.conference")


def _triggered(run: StepRun, given: m.DecideReview) -> bool:
    """Whether this review is taken for a new issue (RCT 9.1: "The Group Director concerned
    will consider whether any restrictions already applied remain appropriate and necessary
    in terms of any new issue raised"), where the profile allows that trigger. Such a review
    keeps the review already due, so it takes no next review date."""
    if given.trigger is None:
        return False
    if given.trigger.value not in run.profile.review.triggers:
        raise ValidationFailed("input.trigger", "this profile takes no review for that reason")
    if given.next_review_on is not None:
        raise ValidationFailed(
            "input.nextReviewOn", "a review for a new issue keeps the review already due"
        )
    return given.trigger is m.ReviewTrigger.NEW_ISSUE


def _recommended(run: StepRun, begun: Begun, given: m.DecideReview, *, new_issue: bool) -> None:
    """Where the profile names who recommends a review's outcome (RCT 7.3: the Customer
    Feedback Group "will review each case and recommend"; 7.4: the Group Director says
    whether the recommendations "are endorsed"), a review records the recommendation, made
    since the last decision or review and not after today; the review's outcome is the
    decision on it. A review for a new issue is the deciding role's own (RCT 9.1) and
    records none. Elsewhere a review records none."""
    recommended_by = run.profile.review.recommended_by
    recommendation = given.recommendation
    if recommended_by is None or new_issue:
        if recommendation is not None:
            why = "a review for a new issue" if new_issue else "this profile's reviews"
            raise ValidationFailed("input.recommendation", f"{why} record no recommendation")
        return
    if recommendation is None:
        raise ValidationFailed(
            "input.recommendation",
            f"the {recommended_by} recommends the review's outcome: record it",
        )
    run.has_come(recommendation.made_on, "input.recommendation.madeOn")
    since = begun.last_at(*DECISIONS, Step.REVIEW_DECIDED)
    if since is not None and recommendation.made_on < uk_day(since):
        raise ValidationFailed(
            "input.recommendation.madeOn", "must not be before the last decision or review"
        )


async def lodge_appeal(run: StepRun, case_id: uuid.UUID, given: m.LodgeAppeal) -> CaseEvent:
    """Lodge an appeal against a step the profile allows appeals against, within its window.
    One against what has no right of appeal (RCT 3.6) is refused as such, in time or late.
    A late one as the profile says: heard for the reason given where the profile leaves that
    to the officer; otherwise taken as a request for review, or refused. A refusal is a step
    of its own (`APPEAL_REFUSED_LATE`), so the file shows the appeal came, when, and the
    deadline it missed; a redirect keeps the same facts on the review request. Either way the
    customer is owed a letter saying so."""
    begun = await begin(run, case_id, Step.APPEAL_LODGED)
    rule = run.profile.appeal
    if given.against.value not in rule.against:
        raise ValidationFailed(
            "input.against", f"this profile has no appeal against a {given.against.value}"
        )
    timeline = await load_timeline(run.session, run.vault, case_id)
    steps = _APPEALED_STEPS[given.against]
    appealed = next((e for e in reversed(timeline) if e.step in steps), None)
    if appealed is None:
        raise ValidationFailed(
            "input.against", f"there is no {given.against.value} to appeal against"
        )
    appealed_at = appealed.at
    refuse_second_appeal(run, timeline, given.against, appealed)
    _received(run, given.received_on, uk_day(appealed_at), given.against)
    if given.against is m.AppealAgainst.REVIEW:
        await _review_made_changes(run, case_id)
    if given.against is not m.AppealAgainst.WARNING and not rule.health_and_safety_appealable:
        # Before lateness: an appeal there is no right to is refused as such, in time or
        # late, never recorded as refused for lateness (nor taken as a review) as though
        # it could have been heard in time.
        await _something_besides_health_and_safety(run, case_id)
    deadline = appeal_deadline(run.profile, uk_day(appealed_at))
    late = deadline is not None and given.received_on > deadline
    heard_late = _heard_late(run, given, late)
    if late and not heard_late and rule.late == "refuse":
        refused = await finish(
            run, begun, Step.APPEAL_REFUSED_LATE, given, deadline=deadline, late=True
        )
        notification_due(run, begun, m.NotificationSubject.LATE_APPEAL, run.today(), refused)
        return refused
    if late and not heard_late and rule.late == "review":
        _something_to_review(begun, given.against, deadline)
        redirected = m.RequestReview(received_on=given.received_on, grounds=given.grounds)
        missed = {"against": given.against, "deadline": deadline, "late": True}
        return await request_review(run, case_id, redirected, late_appeal=missed)
    due = appeal_decision_due(run.profile, given.received_on)
    event = await finish(
        run, begun, Step.APPEAL_LODGED, given, deadline=deadline, late=late, decision_due=due
    )
    # Always listed until decided, even where the policy gives no period: otherwise a lodged
    # appeal is on no work list while its hold keeps the case from retention.
    listed = appeal_listed_until(run.profile, given.received_on)
    add_deadline(run.session, begun.case, DeadlineKind.APPEAL_DECISION, listed, event)
    return event


async def _review_made_changes(run: StepRun, case_id: uuid.UUID) -> None:
    """An appeal against a review is against the changes it made (Portsmouth 5.2.6: where
    the council "makes changes" it explains "how to appeal"): a review that continued the
    arrangements as they were made no decision to appeal against."""
    review = await last_details(run.session, run.vault, case_id, [Step.REVIEW_DECIDED]) or {}
    if m.ReviewOutcome(review.get("outcome", "continue")) not in _NEW_PERIOD:
        raise ValidationFailed(
            "input.against",
            "the last review changed nothing; an appeal is against a review that amended "
            "or extended the arrangements",
        )


def _received(
    run: StepRun, received_on: dt.date, appealed_on: dt.date, against: m.AppealAgainst
) -> None:
    """An appeal is received on a day that has come, and not before what it is against."""
    run.has_come(received_on, "input.receivedOn")
    if received_on < appealed_on:
        raise ValidationFailed(
            "input.receivedOn", f"must not be before the {against.value} appealed against"
        )


def _heard_late(run: StepRun, given: m.LodgeAppeal, late: bool) -> bool:
    """Whether a late appeal is heard for the reason the officer gives (`lateHeardReason`),
    where the profile leaves that to them (`[appeal] late_discretion`; Portsmouth 5.2.7).
    The reason is kept in the appeal's details; given for an appeal in time, or where the
    profile's rule is the whole answer, it is refused."""
    if given.late_heard_reason is None:
        return False
    if not late:
        raise ValidationFailed("input.lateHeardReason", "the appeal is in time: give no reason")
    if not run.profile.appeal.late_discretion:
        raise ValidationFailed(
            "input.lateHeardReason", "this profile hears no late appeal at discretion"
        )
    return True


def _something_to_review(begun: Begun, against: m.AppealAgainst, deadline: dt.date | None) -> None:
    """A late appeal taken as a request for review (Portsmouth 5.2.7) needs arrangements in
    force to review: where they ended (an immediate-risk decision's, run out before the full
    decision), the request was refused as a step not possible in that state, not saying why."""
    if begun.case.state is CaseState.DECIDED:
        return
    raise InvalidTransition(
        f"the appeal came after its deadline ({deadline}) and a late appeal is taken as a "
        f"request for review, but the arrangements of the {against.value} have ended: there "
        "is nothing in force to review"
    )


async def _something_besides_health_and_safety(run: StepRun, case_id: uuid.UUID) -> None:
    """RCT 3.6: "no right of appeal against a decision to exclude a person ... from one or
    more Council buildings" for health and safety. The rest of a decision stays open to
    appeal; a decision that holds only such exclusions is not. Where its arrangements ran out
    first (an immediate-risk decision's, before the full assessment), what it made is read
    from the decision: none being in force, such an appeal used to be heard."""
    arrangements = await in_force(run, case_id)
    if arrangements:
        excluded = await _health_and_safety(run, case_id, arrangements)
        only = len(excluded) == len(arrangements)
    else:
        decided = await last_details(run.session, run.vault, case_id, DECISIONS) or {}
        made = decided.get("arrangements", [])
        only = bool(made) and all(_made_for_health_and_safety(a) for a in made)
    if only:
        raise InvalidTransition(
            "there is no appeal against a health-and-safety exclusion under this profile"
        )


def _made_for_health_and_safety(made: Mapping[str, object]) -> bool:
    """Is an arrangement as a decision's details keep it a health-and-safety exclusion?"""
    parameters = made.get("parameters")
    return (
        made.get("kind") == ArrangementKind.PREMISES_EXCLUSION.value
        and isinstance(parameters, Mapping)
        and bool(parameters.get("health_and_safety"))
    )


async def _health_and_safety(
    run: StepRun, case_id: uuid.UUID, arrangements: list[Arrangement]
) -> set[uuid.UUID]:
    """The ids of the premises exclusions among `arrangements` made for health and safety."""
    cipher = await run.vault.cipher("case", case_id)
    found = set()
    for arrangement in arrangements:
        if arrangement.kind is not ArrangementKind.PREMISES_EXCLUSION:
            continue
        sealed = arrangement.parameters_sealed
        parameters = cipher.open_json("arrangements", "parameters", arrangement.id, sealed)
        if validate_parameters(arrangement.kind, parameters).get("health_and_safety"):
            found.add(arrangement.id)
    return found


async def decide_appeal(run: StepRun, case_id: uuid.UUID, given: m.DecideAppeal) -> CaseEvent:
    """Decide the oldest open appeal with one of the profile's outcomes (appeals are decided
    in the order lodged; the details say which: what it was against, when it was received).
    An appeal that succeeds takes away what it was against: a warning is withdrawn,
    arrangements are lifted."""
    begun = await begin(run, case_id, Step.APPEAL_DECIDED)
    if given.outcome.value not in run.profile.appeal.outcomes:
        outcomes = m.as_the_api_spells(run.profile.appeal.outcomes)
        raise ValidationFailed("input.outcome", f"this profile's outcomes are: {outcomes}")
    timeline = await load_timeline(run.session, run.vault, case_id)
    deciding = next((a for a in appeals(timeline) if a.decided is None), None)
    if deciding is None:
        raise InvalidTransition("lodge the appeal first: the last appeal is decided")
    ended, kept = False, list[str]()
    against = deciding.against
    replaced = _replaced_since(timeline, deciding)
    if replaced is not None and given.outcome is m.AppealOutcome.AMENDED:
        raise ValidationFailed(
            "input.outcome",
            f"the decision appealed against was replaced by the decision of {replaced}: "
            "its arrangements are no longer in force to amend",
        )
    await meet_deadlines(
        run.session, case_id, [DeadlineKind.APPEAL_DECISION], run.clock(),
        set_by=deciding.lodged.seq,
    )  # fmt: skip
    if given.outcome in _SUCCEEDS and replaced is None:
        ended, kept = await _take_away(run, begun, against)
    extra: dict[str, object] = {
        "against": against.value,
        "appeal_received_on": deciding.lodged.details.get("received_on"),
    }
    extra |= {"kept_health_and_safety": kept} if kept else {}
    extra |= await _amended(run, begun, given)
    event = await finish(run, begun, Step.APPEAL_DECIDED, given, case_ended=ended, **extra)
    notification_due(run, begun, m.NotificationSubject.APPEAL, run.today(), event)
    if ended:
        ended_notification_due(run, begun, run.today(), event)
    return event


def _replaced_since(timeline: list[EventView], deciding: Appeal) -> dt.date | None:
    """The day of a decision taken after the appeal against the one before it was lodged: the
    full decision replacing an immediate-risk one appealed against. The appeal is then about
    arrangements already replaced; decided for the customer, it used to lift the full
    decision's arrangements, which it was never against. Read in the timeline's order, not
    by time: steps taken in one moment tie."""
    if deciding.against is not m.AppealAgainst.DECISION:
        return None
    after = [e for e in timeline if e.seq > deciding.lodged.seq and e.step in DECISIONS]
    return uk_day(after[-1].at) if after else None


async def _amended(
    run: StepRun, begun: Begun, given: m.DecideAppeal | m.DecideReview
) -> dict[str, object]:
    """An appeal decided as amended, or a review decided as modify, makes the amendments in
    the same step (Portsmouth 5.2.7: the director decides "whether the conditions should be
    confirmed, amended, or removed"; 5.2.6: a review may "impose new or amended
    restrictions"; the decider's `modifyArrangement` is not theirs), so its letter gives what
    changed, not the arrangements as they were. A review's may also lift some while the
    others stay (`lifts`; RCT 7.3: "fully/partially removed"), not all (that is LIFT).
    The amending outcome without them, or them with any other outcome, is refused naming
    `input.amendments` (`input.lifts`); one arrangement amended or lifted twice, naming the
    second. What the details keep: the kinds amended, and the arrangements lifted. Their
    letter is the review's or appeal's, so they owe no other."""
    outcome = _AMENDING[type(given)]
    amending = given.outcome is outcome
    lifts = given.lifts if isinstance(given, m.DecideReview) else []
    if amending and not (given.amendments or lifts):
        also = " or lifted (lifts)" if isinstance(given, m.DecideReview) else ""
        raise ValidationFailed(
            "input.amendments", f"{outcome.name} gives the arrangements as amended{also}"
        )
    for field, given_some in (("input.amendments", given.amendments), ("input.lifts", lifts)):
        if given_some and not amending:
            raise ValidationFailed(field, f"only {outcome.name} amends arrangements")
    seen: set[ArrangementKind] = set()
    for n, amendment in enumerate(given.amendments):
        field = f"input.amendments.{n}"
        _once(amendment.kind, seen, f"{field}.kind")
        await amend(run, begun, amendment, field)
    lifted = []
    for n, kind in enumerate(lifts):
        _once(kind, seen, f"input.lifts.{n}")
        lifted.append(await lift(run, begun.case.id, kind, run.today(), f"input.lifts.{n}"))
    await run.session.flush()
    if lifted and not await in_force(run, begun.case.id):
        raise ValidationFailed(
            "input.lifts", "lifts every arrangement in force: that is the outcome LIFT"
        )
    kept: dict[str, object] = {}
    if given.amendments:
        kept["amended"] = [a.kind.value for a in given.amendments]
    if lifted:
        kept["lifted_arrangements"] = [str(a.id) for a in lifted]
    return kept


def _once(kind: ArrangementKind, seen: set[ArrangementKind], field: str) -> None:
    """One arrangement is amended or lifted once in a step; the second is refused."""
    if kind in seen:
        raise ValidationFailed(field, "this arrangement is already amended or lifted above")
    seen.add(kind)


async def _take_away(
    run: StepRun, begun: Begun, against: m.AppealAgainst
) -> tuple[bool, list[str]]:
    """What a successful appeal takes away; whether the case ended, and the kinds kept
    because no appeal reaches them (RCT 3.6: health-and-safety exclusions)."""
    if against is m.AppealAgainst.WARNING:
        if begun.case.state is CaseState.WARNED:
            begun.next_state = CaseState.OPEN
        return False, []
    if not await in_force(run, begun.case.id):
        # Its arrangements ran out first (an immediate-risk decision's, before the full
        # assessment): nothing is left to take away, and the case stays where it is. Ending
        # it here took an assessed case out of progress and owed a second "ended" letter.
        return False, []
    if run.profile.appeal.health_and_safety_appealable:
        return await end_all(run, begun, run.today()), []
    arrangements = await in_force(run, begun.case.id)
    kept = await _health_and_safety(run, begun.case.id, arrangements)
    today = run.today()
    for arrangement in arrangements:
        if arrangement.id not in kept:
            end_arrangement(arrangement, max(today, arrangement.starts_on))
    ended = await ended_if_none_left(run, begun, today)
    return ended, [a.kind.value for a in arrangements if a.id in kept]
