"""Arrangements over time: modify, extend and lift, each a recorded step with reasons.

When the last arrangement of a case ends, for any reason (lifted here, lifted on review or
on appeal), the case is ended, `Case.restrictions_ended_on` (the retention clock) is set to
that day, and an "ended" notification falls due until one is recorded.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import delete, select

from casework import step_models as m
from casework.deadlines import check_until_review, review_due
from casework.steps import (
    Begun,
    StepRun,
    begin,
    finish,
    named_officers,
    named_on_case,
    scoped_services,
)
from records.case_steps import CaseEvent, DeadlineKind, Step, add_deadline, meet_deadlines
from records.cases import unassign
from records.errors import InvalidTransition, ValidationFailed
from records.models import (
    IN_FORCE,
    Arrangement,
    ArrangementKind,
    ArrangementService,
    ArrangementState,
    AssignmentRelation,
    CaseState,
    Staff,
)


async def in_force(run: StepRun, case_id: uuid.UUID) -> list[Arrangement]:
    rows = await run.session.scalars(
        select(Arrangement)
        .where(Arrangement.case_id == case_id, Arrangement.state.in_(IN_FORCE))
        .order_by(Arrangement.starts_on, Arrangement.id)
    )
    return list(rows)


async def _one(
    run: StepRun, case_id: uuid.UUID, kind: ArrangementKind, field: str = "input.kind"
) -> Arrangement:
    for arrangement in await in_force(run, case_id):
        if arrangement.kind is kind:
            return arrangement
    raise ValidationFailed(field, "the case has no arrangement of this kind in force")


async def modify_arrangement(
    run: StepRun, case_id: uuid.UUID, given: m.ModifyArrangement
) -> CaseEvent:
    begun = await begin(run, case_id, Step.ARRANGEMENT_MODIFIED)
    changed, replaced = await amend(run, begun, given, "input")
    event = await finish(
        run, begun, Step.ARRANGEMENT_MODIFIED, given,
        **replaced, **({"change": "modified"} if changed else {}),
    )  # fmt: skip
    # One letter: a change of what the arrangement asks gives it as it now reads, officers
    # and all; a change of officers alone says only that who deals with the contact changed.
    if changed:
        notification_due(run, begun, m.NotificationSubject.ARRANGEMENT_CHANGED, run.today(), event)
    elif replaced:
        notification_due(run, begun, m.NotificationSubject.OFFICER_CHANGED, run.today(), event)
    return event


async def amend(
    run: StepRun, begun: Begun, given: m.ArrangementAmendment, field: str
) -> tuple[bool, dict[str, str | None]]:
    """Change one arrangement in force as `given` says (its parameters, services or
    officers), each refusal naming `<field>.<name>`: `modifyArrangement`'s change, and each
    amendment of an appeal decided as amended or a review decided as modify. Whether what
    it asks changed, and who was replaced (the caller's event keeps them; it says which
    letter is owed)."""
    case_id = begun.case.id
    arrangement = await _one(run, case_id, given.kind, f"{field}.kind")
    officers = given.named_officer is not None or given.deputy_officer is not None
    officers = officers or given.remove_deputy
    changed = given.parameters is not None or given.services is not None or given.all_services
    if not (changed or officers):
        raise ValidationFailed(
            f"{field}.parameters",
            "give new parameters, services, namedOfficer, deputyOfficer or removeDeputy",
        )
    if given.parameters is not None:
        # Checked against the kind, in stored form, by the step's model (casework/step_models).
        cipher = await run.vault.cipher("case", case_id)
        arrangement.parameters_sealed = cipher.seal_json(
            "arrangements", "parameters", arrangement.id, given.parameters
        )
    if given.services is not None or given.all_services:
        ids = await scoped_services(
            run, begun, given.services or [], field, every=given.all_services
        )
        await run.session.execute(
            delete(ArrangementService).where(ArrangementService.arrangement_id == arrangement.id)
        )
        run.session.add_all(
            ArrangementService(arrangement_id=arrangement.id, service_id=s) for s in ids
        )
    replaced = await _replace_officers(run, arrangement, given, field) if officers else {}
    return changed, replaced


async def _replace_officers(
    run: StepRun, arrangement: Arrangement, given: m.ArrangementAmendment, field: str
) -> dict[str, str | None]:
    """Put the officers `given` names in place of the arrangement's (checked as a decision
    checks them, and assigned to the case as NAMED_OFFICER), or remove its deputy
    (`removeDeputy`); what the event keeps of who was replaced or removed, by username (work
    identities). The arrangement's route changed, so the customer is owed a letter naming
    whom to contact now (the caller makes it due)."""
    named, deputy = await named_officers(
        run, arrangement.case_id, given.named_officer, given.deputy_officer, field
    )
    before = (arrangement.named_officer_id, arrangement.deputy_officer_id)
    if given.remove_deputy and before[1] is None:
        raise ValidationFailed(f"{field}.removeDeputy", "the arrangement names no deputy")
    for name, new, old in (
        ("namedOfficer", named, before[0]),
        ("deputyOfficer", deputy, before[1]),
    ):
        if new is not None and new == old:
            raise ValidationFailed(f"{field}.{name}", "already names this member of staff")
    kept_deputy = None if given.remove_deputy else before[1]
    if named is not None and named == deputy:
        raise ValidationFailed(f"{field}.namedOfficer", "is also given as deputyOfficer")
    if named is not None and deputy is None and named == kept_deputy:
        raise ValidationFailed(
            f"{field}.namedOfficer",
            "is the deputy; to make them the named officer, name another deputy "
            "(deputyOfficer) or give removeDeputy in the same step",
        )
    if deputy is not None and deputy == (named or before[0]):
        raise ValidationFailed(f"{field}.deputyOfficer", "is the named officer: name someone else")
    replaced: dict[str, str | None] = {}
    if named is not None:
        replaced["replaced_named_officer"] = await _username(run, before[0])
        arrangement.named_officer_id = named
    if deputy is not None or given.remove_deputy:
        replaced["replaced_deputy_officer"] = await _username(run, before[1])
        arrangement.deputy_officer_id = deputy
    await run.session.flush()
    gone_deputy = deputy is not None or given.remove_deputy
    for gone in {before[0] if named else None, before[1] if gone_deputy else None} - {None}:
        await _unassign_unless_named(run, arrangement.case_id, gone)
    return replaced


async def _unassign_unless_named(run: StepRun, case_id: uuid.UUID, staff: uuid.UUID | None) -> None:
    """Someone replaced stops being the case's named officer (the need-to-know relation a
    decision gave them), unless another arrangement in force on it still names them."""
    if staff is not None and not await named_on_case(run, case_id, staff):
        await unassign(run.session, case_id, staff, AssignmentRelation.NAMED_OFFICER)


async def _username(run: StepRun, staff: uuid.UUID | None) -> str | None:
    if staff is None:
        return None
    found: str | None = await run.session.scalar(select(Staff.username).where(Staff.id == staff))
    return found


async def extend_arrangement(
    run: StepRun, case_id: uuid.UUID, given: m.ExtendArrangement
) -> CaseEvent:
    begun = await begin(run, case_id, Step.ARRANGEMENT_EXTENDED)
    arrangement = await _one(run, case_id, given.kind)
    if arrangement.ends_on is not None and given.ends_on <= arrangement.ends_on:
        raise ValidationFailed("input.endsOn", "an extension ends later than the arrangement does")
    if arrangement.next_review_on is not None:
        check_until_review(
            run.profile, [arrangement.kind], given.ends_on, arrangement.next_review_on
        )
    previous = arrangement.ends_on
    arrangements = await in_force(run, case_id)
    period_ended = period_end(arrangements)
    arrangement.ends_on = given.ends_on
    moved = await _review_follows_end(run, case_id, arrangements, period_ended)
    event = await finish(
        run, begun, Step.ARRANGEMENT_EXTENDED, given, previous_ends_on=previous,
        change="extended", **({"next_review_on": moved} if moved else {}),
    )  # fmt: skip
    if moved is not None:
        add_deadline(run.session, begun.case, DeadlineKind.REVIEW, moved, event)
    # How long a restriction lasts is what every policy tells the customer: a new end is
    # theirs to know, and to challenge.
    notification_due(run, begun, m.NotificationSubject.ARRANGEMENT_CHANGED, run.today(), event)
    return event


def period_end(arrangements: list[Arrangement]) -> dt.date | None:
    """When the period of restrictions ends: the last arrangement's end; none while any
    arrangement has no end."""
    ends = [a.ends_on for a in arrangements]
    return None if not ends or None in ends else max(e for e in ends if e is not None)


def next_review_after(run: StepRun, arrangements: list[Arrangement]) -> dt.date:
    """The next review after a review, or an extension, today: the profile's interval on, or
    the end of the period of restrictions where the profile reviews then (`[review]
    at_period_end`, Portsmouth 5.2.6)."""
    return review_due(run.profile, run.today(), first=False, ends_on=period_end(arrangements))


async def _review_follows_end(
    run: StepRun, case_id: uuid.UUID, arrangements: list[Arrangement], ended: dt.date | None
) -> dt.date | None:
    """Where reviews fall at the end of the period of restrictions, an extension moves the
    review due at its old end (`ended`) to the new one, as a review that extends does; the
    day it moved to, or None. A review set for another day (`scheduleReview`, a reviewer's
    `nextReviewOn`) is a person's choice, and stays."""
    if not run.profile.review.at_period_end or ended is None:
        return None
    moved = next_review_after(run, arrangements)
    if moved == ended:
        return None
    at = run.clock()
    if not await meet_deadlines(run.session, case_id, [DeadlineKind.REVIEW], at, due_on=ended):
        return None
    for arrangement in arrangements:
        if arrangement.next_review_on == ended:
            arrangement.next_review_on = moved
    return moved


async def lift_arrangement(run: StepRun, case_id: uuid.UUID, given: m.LiftArrangement) -> CaseEvent:
    begun = await begin(run, case_id, Step.ARRANGEMENT_LIFTED)
    lifted_on = given.lifted_on or run.today()
    arrangement = await lift(run, case_id, given.kind, lifted_on)
    ended = await ended_if_none_left(run, begun, lifted_on)
    event = await finish(
        run, begun, Step.ARRANGEMENT_LIFTED, given, case_ended=ended, change="lifted",
        arrangement_id=str(arrangement.id),
    )  # fmt: skip
    # The last one lifted: the "ended" letter says so, and is the only one owed. Others in
    # force: the customer is told this one no longer applies, and that the rest stand.
    if ended:
        ended_notification_due(run, begun, lifted_on, event)
    else:
        notification_due(run, begun, m.NotificationSubject.ARRANGEMENT_CHANGED, lifted_on, event)
    return event


async def lift(
    run: StepRun, case_id: uuid.UUID, kind: ArrangementKind, on: dt.date, field: str = "input.kind"
) -> Arrangement:
    """End the arrangement of `kind` in force on `on` (`liftArrangement`, and each a review
    decided as modify lifts), refused naming `field` where none is."""
    arrangement = await _one(run, case_id, kind, field)
    end_arrangement(arrangement, on)
    return arrangement


def end_arrangement(arrangement: Arrangement, on: dt.date) -> None:
    if on < arrangement.starts_on:
        raise InvalidTransition("an arrangement cannot end before it starts")
    arrangement.state = ArrangementState.LIFTED
    arrangement.ends_on = on
    arrangement.next_review_on = None


async def end_all(run: StepRun, begun: Begun, on: dt.date) -> bool:
    """Lift every arrangement in force (a review or appeal that removes them)."""
    for arrangement in await in_force(run, begun.case.id):
        end_arrangement(arrangement, max(on, arrangement.starts_on))
    return await ended_if_none_left(run, begun, on)


async def ended_if_none_left(run: StepRun, begun: Begun, on: dt.date) -> bool:
    """With nothing left in force the case is ended: the retention clock starts, reviews stop,
    and the "ended" letter is the one owed about the arrangements."""
    await run.session.flush()
    if await in_force(run, begun.case.id):
        return False
    begun.next_state = CaseState.ENDED
    begun.case.restrictions_ended_on = on
    # The "ended" letter now owed says every arrangement has ended: a letter still owed about
    # one of them changing would tell the customer of a restriction gone, so it is met.
    superseded = [
        DeadlineKind.REVIEW,
        DeadlineKind.OFFICER_CHANGED_NOTIFICATION,
        DeadlineKind.ARRANGEMENT_CHANGED_NOTIFICATION,
    ]
    await meet_deadlines(run.session, begun.case.id, superseded, run.clock())
    return True


# The notification each subject owes the customer: due from the day of the step that owes it
# until one is recorded (sent, or a decision not to send where the profile allows it).
NOTIFICATION_DUE = {
    m.NotificationSubject.WARNING: DeadlineKind.WARNING_NOTIFICATION,
    m.NotificationSubject.DECISION: DeadlineKind.DECISION_NOTIFICATION,
    m.NotificationSubject.REVIEW: DeadlineKind.REVIEW_NOTIFICATION,
    m.NotificationSubject.APPEAL: DeadlineKind.APPEAL_NOTIFICATION,
    m.NotificationSubject.ENDED: DeadlineKind.ENDED_NOTIFICATION,
    m.NotificationSubject.LATE_APPEAL: DeadlineKind.LATE_APPEAL_NOTIFICATION,
    m.NotificationSubject.OFFICER_CHANGED: DeadlineKind.OFFICER_CHANGED_NOTIFICATION,
    m.NotificationSubject.ARRANGEMENT_CHANGED: DeadlineKind.ARRANGEMENT_CHANGED_NOTIFICATION,
}

# The deadline kinds that stand for a letter the customer is still owed: while one is open
# the case is not archived (casework/retention_queue.py).
OWED_LETTERS = tuple(NOTIFICATION_DUE.values())


def notification_due(
    run: StepRun, begun: Begun, subject: m.NotificationSubject, on: dt.date, event: CaseEvent
) -> None:
    add_deadline(run.session, begun.case, NOTIFICATION_DUE[subject], on, event)


def ended_notification_due(run: StepRun, begun: Begun, on: dt.date, event: CaseEvent) -> None:
    """An "ended" notification is due from the day restrictions end until one is recorded."""
    notification_due(run, begun, m.NotificationSubject.ENDED, on, event)
