"""The decision and what follows it at once: decide (after the safeguards, every one met, and
the warning and assessment the profile asks for), decide on an immediate risk (no warning;
flagged; short-term, with its end date; a full assessment then due, and the full decision
after it replaces its arrangements), and record the notification (sent, in which format, or
a recorded decision not to send where the profile allows it).

The decision records who decided (`Case.decided_by`): appeals are checked against that
person. Dates come from the profile (casework/deadlines.py): the review date, the appeal
route and the deadline for an appeal, from the day of the decision.
"""

from __future__ import annotations

import datetime as dt
import uuid

from casework import step_models as m
from casework.deadlines import (
    add_months,
    appeal_deadline,
    check_review_date,
    check_until_review,
    full_assessment_due,
    review_due,
)
from casework.letters import check_something_to_tell, compose_letter
from casework.over_time import NOTIFICATION_DUE, end_arrangement, in_force, notification_due
from casework.steps import (
    Begun,
    StepRun,
    begin,
    check_consulted,
    finish,
    named_officers,
    point_of_contact,
    scoped_services,
)
from casework.transitions import check_skip_reason
from records.case_steps import (
    CaseEvent,
    DeadlineKind,
    Step,
    add_deadline,
    last_details,
    meet_deadlines,
)
from records.cases import add_arrangement
from records.errors import InvalidTransition, ValidationFailed
from records.models import ArrangementKind, ArrangementState, CaseState


async def decide(run: StepRun, case_id: uuid.UUID, given: m.Decide) -> CaseEvent:
    skip = given.skip_warning_reason is not None
    if skip:
        _check_skip(run, given)
    begun = await begin(run, case_id, Step.DECIDED, skip_warning=skip)
    await _check_safeguards_met(run, case_id)
    point_of_contact = await _point_of_contact(run, case_id, given.arrangements)
    check_consulted(run.profile.decision.with_, given.consulted, "decides")
    starts_on = given.starts_on or run.today()
    ends_on = given.ends_on
    if given.duration_months is not None:
        ends_on = add_months(starts_on, given.duration_months)
    if ends_on is None and run.profile.decision.end_required:
        raise ValidationFailed(
            "input.endsOn", "this policy tells the customer how long: give endsOn or durationMonths"
        )
    if given.review_on is not None:
        check_review_date(
            run.profile, given.review_on, starts_on, first=True, field="input.reviewOn"
        )
    review_on = given.review_on or review_due(run.profile, starts_on, ends_on=ends_on)
    check_until_review(run.profile, (a.kind for a in given.arrangements), ends_on, review_on)
    replaced = await _end_short_term(run, begun, starts_on)
    arrangements = await _impose(run, begun, given.arrangements, starts_on, ends_on, review_on)
    begun.case.decided_by = run.actor_id
    # Restrictions in force again: the retention clock, which counts from their end, stops
    # (it ran only if short-term arrangements had run out before this decision), and the
    # "ended" letter still owed for them is not sent ("You may contact us in the usual way"):
    # this decision's letter tells the customer what applies now.
    begun.case.restrictions_ended_on = None
    await meet_deadlines(run.session, case_id, [DeadlineKind.ENDED_NOTIFICATION], run.clock())
    deadline = appeal_deadline(run.profile, run.today())
    event = await finish(
        run, begun, Step.DECIDED, given,
        starts_on=starts_on, ends_on=ends_on, review_on=review_on, arrangements_made=arrangements,
        appeal_route=run.profile.appeal.route, appeal_deadline=deadline,
        health_and_safety=_health_and_safety(given.arrangements),
        **({"replaced_short_term": replaced} if replaced else {}),
        **({"point_of_contact": point_of_contact} if point_of_contact else {}),
    )  # fmt: skip
    add_deadline(run.session, begun.case, DeadlineKind.REVIEW, review_on, event)
    notification_due(run, begun, m.NotificationSubject.DECISION, run.today(), event)
    return event


async def _end_short_term(run: StepRun, begun: Begun, on: dt.date) -> list[str]:
    """The full decision after an immediate-risk one (casework/transitions.py) ends the
    short-term arrangements as its own begin, and their review with them; the kinds ended.
    (If they had already run out, the assessment took the ended case back into assessment.)"""
    if begun.case.state is not CaseState.DECIDED:
        return []
    ended = []
    for arrangement in await in_force(run, begun.case.id):
        end_arrangement(arrangement, max(on, arrangement.starts_on))
        ended.append(arrangement.kind.value)
    await meet_deadlines(run.session, begun.case.id, [DeadlineKind.REVIEW], run.clock())
    return ended


async def _check_safeguards_met(run: StepRun, case_id: uuid.UUID) -> None:
    """The decider must be satisfied that every safeguard holds (Cumbria: "Before deciding
    ... should always be satisfied that"; Cambridgeshire: "Prior to taking action ... should
    ensure"): one recorded as not met holds the decision until they are recorded again."""
    recorded = await last_details(run.session, run.vault, case_id, [Step.SAFEGUARDS_RECORDED])
    unmet = [c["item"] for c in (recorded or {}).get("checks", []) if not c["met"]]
    if unmet:
        raise InvalidTransition(
            f"the safeguards are not all met ({', '.join(unmet)}): record them again once they are"
        )


async def _point_of_contact(
    run: StepRun, case_id: uuid.UUID, arrangements: list[m.NewArrangement]
) -> str | None:
    """Where the policy gives every customer it applies to a designated point of contact
    (Cambridgeshire), the decision waits for one, and its letter names them (the decision's
    details keep `point_of_contact`, a username): the officer a NAMED_OFFICER arrangement of
    this decision names, else the one currently named (`steps.point_of_contact`: of an
    arrangement in force, else the latest assigned as named officer and still assigned).
    None where the profile asks for none."""
    if not run.profile.decision.point_of_contact:
        return None
    named = next(
        (
            a.named_officer
            for a in arrangements
            if a.kind is ArrangementKind.NAMED_OFFICER and a.named_officer is not None
        ),
        None,
    )
    found = named or await point_of_contact(run, case_id)
    if found is None:
        raise InvalidTransition(
            "assign the customer's designated point of contact first (assignStaff as "
            "NAMED_OFFICER), or name an officer in a NAMED_OFFICER arrangement"
        )
    return found


def _check_skip(run: StepRun, given: m.Decide) -> None:
    check_skip_reason(run.profile, str(given.skip_warning_reason))
    if given.skip_warning_explanation is None:
        raise ValidationFailed(
            "input.skipWarningExplanation",
            "say why the warning is skipped; it is told to the customer",
        )


async def decide_immediate_risk(
    run: StepRun, case_id: uuid.UUID, given: m.DecideImmediateRisk
) -> CaseEvent:
    """Allowed without a warning or the safeguards, flagged, and a full assessment falls due."""
    begun = await begin(run, case_id, Step.DECIDED_IMMEDIATE_RISK)
    _check_immediate_risk_kinds(run, given.arrangements)
    starts_on = given.starts_on or run.today()
    review_on = review_due(run.profile, starts_on)
    made = await _impose(run, begun, given.arrangements, starts_on, given.ends_on, review_on)
    begun.case.decided_by = run.actor_id
    assessment_due = full_assessment_due(run.profile, run.today())
    event = await finish(
        run, begun, Step.DECIDED_IMMEDIATE_RISK, given,
        flagged=True, full_assessment_due=assessment_due, starts_on=starts_on, review_on=review_on,
        arrangements_made=made, appeal_route=run.profile.appeal.route,
        appeal_deadline=appeal_deadline(run.profile, run.today()),
        health_and_safety=_health_and_safety(given.arrangements),
    )  # fmt: skip
    add_deadline(run.session, begun.case, DeadlineKind.FULL_ASSESSMENT, assessment_due, event)
    add_deadline(run.session, begun.case, DeadlineKind.REVIEW, review_on, event)
    notification_due(run, begun, m.NotificationSubject.DECISION, run.today(), event)
    return event


def _check_immediate_risk_kinds(run: StepRun, arrangements: list[m.NewArrangement]) -> None:
    """Only what the policy lets be done on the spot (RCT 3.2: a temporary exclusion from the
    premises, by the Service manager); the rest waits for the full decision."""
    allowed = run.profile.decision.immediate_risk_kinds
    for i, new in enumerate(arrangements):
        if allowed and new.kind not in allowed:
            kinds = m.as_the_api_spells(allowed)
            raise ValidationFailed(
                f"input.arrangements.{i}.kind",
                f"this policy allows only this on an immediate risk: {kinds}; "
                "anything more is for the full decision",
            )


def _health_and_safety(arrangements: list[m.NewArrangement]) -> bool:
    """A premises exclusion for health and safety (RCT: not open to appeal)."""
    return any(
        a.kind is ArrangementKind.PREMISES_EXCLUSION and a.parameters.get("health_and_safety")
        for a in arrangements
    )


async def _impose(
    run: StepRun,
    begun: Begun,
    arrangements: list[m.NewArrangement],
    starts_on: dt.date,
    ends_on: dt.date | None,
    review_on: dt.date,
) -> list[str]:
    if ends_on is not None and ends_on < starts_on:
        raise ValidationFailed("input.endsOn", "must not be before startsOn")
    made: list[str] = []
    for i, new in enumerate(arrangements):
        field = f"input.arrangements.{i}"
        if new.kind.value in made:
            # Every later step finds an arrangement by its kind (modify, extend, lift, an
            # appeal's amendments): a second of one kind would be one of them, at random.
            raise ValidationFailed(
                f"{field}.kind",
                "is given twice: a case has one arrangement of each kind (give it every "
                "service it applies to)",
            )
        if new.kind not in run.profile.arrangement_kinds:
            kinds = m.as_the_api_spells(run.profile.arrangement_kinds)
            raise ValidationFailed(
                f"{field}.kind",
                f"this profile does not use this arrangement kind; it uses: {kinds}",
            )
        services = await scoped_services(run, begun, new.services, field, every=new.all_services)
        officers = await named_officers(
            run, begun.case.id, new.named_officer, new.deputy_officer, field
        )
        await add_arrangement(
            run.session, run.vault, begun.case, kind=new.kind, parameters=new.parameters,
            service_ids=services, starts_on=starts_on, ends_on=ends_on, next_review_on=review_on,
            named_officer_id=officers[0], deputy_officer_id=officers[1],
            state=ArrangementState.ACTIVE,
        )  # fmt: skip
        made.append(new.kind.value)
    return made


async def record_notification(
    run: StepRun, case_id: uuid.UUID, given: m.RecordNotification
) -> CaseEvent:
    """The letter sent (when, in which format), or a recorded decision not to send (only where
    the profile allows it, about what it names: Portsmouth, a review's outcome; who may record
    it is the mutation's check). It meets the notification of that subject that is due.

    A letter sent is generated from its template (casework/letters.py) and kept on file: its
    text is the event's `letter`, sealed with the details under the case's data key."""
    begun = await begin(run, case_id, Step.NOTIFICATION_RECORDED)
    if given.sent_on is not None:
        # A letter dated ahead would be kept on file, and meet its deadline, before it exists.
        run.has_come(given.sent_on, "input.sentOn")
    notification = run.profile.notification
    if given.not_sent_reason is not None and given.subject.value not in (
        notification.not_to_send_subjects
    ):
        allowed = m.as_the_api_spells(notification.not_to_send_subjects)
        raise ValidationFailed(
            "input.notSentReason",
            f"this profile allows a decision not to send only about: {allowed}"
            if notification.not_to_send_subjects
            else "this profile requires the notification to be sent",
        )
    if given.format is not None and given.format.value not in notification.formats:
        formats = m.as_the_api_spells(notification.formats)
        raise ValidationFailed("input.format", f"this profile's formats are: {formats}")
    check_something_to_tell(begun, given.subject)
    owed = NOTIFICATION_DUE[given.subject]
    met = await meet_deadlines(run.session, case_id, [owed], run.clock())
    extra: dict[str, object] = {f"{given.subject.value}_notification_met": bool(met)}
    if given.sent_on is not None:
        letter = await compose_letter(run, begun, given, given.sent_on)
        if letter is not None:
            extra["letter"] = letter
            if given.format is m.NotificationFormat.WELSH:
                # Whether the letter kept is its Welsh version: the templates may have none.
                extra["letter_in_welsh"] = run.letters.has_welsh(given.subject.value)
    return await finish(run, begun, Step.NOTIFICATION_RECORDED, given, **extra)
