"""What every step function shares: the run it is part of (session, vault, profile, clock,
who), the check against the transition table, and the one timeline event each step writes.

A step function (casework/opening.py, deciding.py, over_time.py, reviews.py) reads the case,
asks `begin` (the transition table), writes its records, and ends with `finish`, which
appends the timeline event and moves the state. It never commits and never checks roles:
the edge does both, through the gate.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from casework.label_guard import check_fields
from casework.letter_templates import BUILT_IN, LetterTemplates
from casework.profiles import Profile
from casework.transitions import check_step
from records.case_steps import (
    CaseEvent,
    DeadlineKind,
    Step,
    Taken,
    add_deadline,
    meet_deadlines,
    record_event,
    steps_taken,
)
from records.cases import assign, case_in_progress, names_in_force
from records.days import uk_today
from records.errors import InvalidTransition, NotFound, ValidationFailed
from records.models import (
    IN_FORCE,
    IN_PROGRESS,
    Arrangement,
    ArrangementKind,
    ArrangementState,
    AssignmentRelation,
    Case,
    CaseAssignment,
    CaseState,
    Staff,
)
from records.services import service_ids as ids_of_services
from records.services import service_slugs, unknown_slugs
from records.vault import Vault


@dataclass(frozen=True)
class StepRun:
    """One step's surroundings. `actor_id` is the member of staff taking the step."""

    session: AsyncSession
    vault: Vault
    profile: Profile
    clock: Callable[[], dt.datetime]
    actor_id: uuid.UUID | None
    # What letters are written from: the deployment's templates, checked at start-up.
    letters: LetterTemplates = BUILT_IN

    def today(self) -> dt.date:
        """The UK day of the step (docs/workflow.md, "Days")."""
        return uk_today(self.clock)

    def has_come(self, day: dt.date, field: str) -> None:
        """Refuse, on `field`, a day of something done (sent, received, held, seen) that is
        after today."""
        if day > self.today():
            raise ValidationFailed(field, "must not be in the future")


@dataclass
class Begun:
    case: Case
    taken: list[Taken]
    next_state: CaseState  # after the step

    def last_at(self, *steps: Step) -> dt.datetime | None:
        found = [t.at for t in self.taken if t.step in steps]
        return found[-1] if found else None


async def load_case(run: StepRun, case_id: uuid.UUID) -> Case:
    """The case, read as it is now and its row held until the transaction ends: a step, the
    sweep or `openCase` that reaches it while another changes it waits for that one to commit
    and then sees its change, so expiry is recorded once and a step checks the state the case
    is in (docs/workflow.md, "Expiry"). SQLite takes one writer at a time (BEGIN IMMEDIATE);
    FOR UPDATE is left out there."""
    case = await run.session.get(Case, case_id, with_for_update=True, populate_existing=True)
    if case is None:
        raise NotFound("no such case")
    return case


async def begin(run: StepRun, case_id: uuid.UUID, step: Step, **options: bool) -> Begun:
    """Load the case and check the step against the transition table (InvalidTransition)."""
    case = await load_case(run, case_id)
    await expire_past(run, case)
    taken = await steps_taken(run.session, case.id)
    next_state = check_step(step, case.state, [t.step for t in taken], run.profile, **options)
    return Begun(case, taken, next_state)


@dataclass(frozen=True)
class Expired:
    arrangements: int
    case_ended: bool


def ran_out(today: dt.date) -> ColumnElement[bool]:
    """An arrangement in force whose end date has passed: expiry's one test (the sweep's
    query and a case's own expiry both ask it)."""
    return and_(Arrangement.state.in_(IN_FORCE), Arrangement.ends_on < today)


@dataclass(frozen=True)
class RunOut:
    """What expiry would do to a case today, before it does it."""

    arrangements: list[Arrangement]
    ends_case: bool  # a decided case with nothing else left in force


async def run_out(run: StepRun, case: Case) -> RunOut | None:
    """The case's arrangements that have run out, and whether the case ends with them. Writes
    nothing; None when nothing has run out."""
    past = list(
        await run.session.scalars(
            select(Arrangement).where(Arrangement.case_id == case.id, ran_out(run.today()))
        )
    )
    if not past:
        return None
    left = await run.session.scalar(
        select(Arrangement.id)
        .where(
            Arrangement.case_id == case.id,
            Arrangement.state.in_(IN_FORCE),
            Arrangement.id.not_in([a.id for a in past]),
        )
        .limit(1)
    )
    return RunOut(past, left is None and case.state is CaseState.DECIDED)


async def expire_past(run: StepRun, case: Case) -> Expired | None:
    """Arrangements past their end date have expired. Nobody takes that step, so it is
    recorded (as its own event) by the daily sweep (casework/scheduled.py) or, failing that,
    at the case's next step: when none is left in force the case ends on the last end date,
    its reviews stop and an "ended" notification falls due. None when nothing had expired."""
    due = await run_out(run, case)
    if due is None:
        return None
    for arrangement in due.arrangements:
        arrangement.state = ArrangementState.EXPIRED
        arrangement.next_review_on = None
    await run.session.flush()
    ended = due.ends_case
    last = max(a.ends_on for a in due.arrangements if a.ends_on is not None)
    details = {"kinds": [a.kind.value for a in due.arrangements], "case_ended": ended}
    event = await record_event(
        run.session, run.vault, case, Step.ARRANGEMENTS_EXPIRED, actor_id=None,
        at=run.clock(), details=details,
    )  # fmt: skip
    if ended:
        case.state = CaseState.ENDED
        case.restrictions_ended_on = last
        await meet_deadlines(run.session, case.id, [DeadlineKind.REVIEW], run.clock())
        add_deadline(run.session, case, DeadlineKind.ENDED_NOTIFICATION, last, event)
    return Expired(len(due.arrangements), ended)


async def finish(
    run: StepRun, begun: Begun, step: Step, given: BaseModel | None, **extra: Any
) -> CaseEvent:
    """Write the step's timeline event (its input and what the step worked out, sealed) and
    move the case to its next state."""
    if begun.next_state in IN_PROGRESS and begun.case.state not in IN_PROGRESS:
        await _alone_in_progress(run, begun.case, step)
    details = given.model_dump(mode="json", exclude_none=True) if given is not None else {}
    details.update({k: _plain(v) for k, v in extra.items()})
    outcome = getattr(given, "outcome", None)  # a review's or an appeal's, from a fixed list
    event = await record_event(
        run.session, run.vault, begun.case, step, actor_id=run.actor_id, at=run.clock(),
        details=details, outcome=outcome.value if isinstance(outcome, enum.Enum) else None,
    )  # fmt: skip
    begun.case.state = begun.next_state
    return event


async def _alone_in_progress(run: StepRun, case: Case, step: Step) -> None:
    """An ended case taken back towards its full decision (its short-term arrangements ran
    out first) is in progress again: refused while the customer has another case in progress
    in the service, opened since (docs/workflow.md); that case is the one to take it on."""
    other = await case_in_progress(run.session, case.customer_id, case.service_id)
    if other is not None and other.id != case.id:
        raise InvalidTransition(
            f"{step.value.replace('_', ' ')} is not possible on this case: the customer has "
            "another case in progress in this service, opened since; take the step there"
        )


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def guard_free_text(given: BaseModel) -> None:
    """The label guard over every text of a step's input, nested ones and arrangement
    parameters included: a refusal is VALIDATION_FAILED naming the field in the API's
    spelling (`input.arrangements.0.parameters.premises.1`) and the word."""
    check_fields(camel_keys(given.model_dump(mode="json")), prefix="input.")


# Every day a step takes lies within this many years of the step's day, before or after it:
# a year mistyped (0001, 9999) is refused naming the field, where it would otherwise date a
# decision two thousand years ago (ending it as it is made), or evidence, a review or the
# end of a short-term arrangement in another millennium. Each day's own rule (not in the
# future, not before the decision) is its step's.
DAYS_WITHIN_YEARS = 10


def check_days(given: BaseModel, today: dt.date) -> None:
    """Refuse a day of a step's input more than DAYS_WITHIN_YEARS from `today`: VALIDATION_FAILED
    naming the field in the API's spelling (`input.arrangements.0.endsOn`)."""
    reach = dt.timedelta(days=round(365.25 * DAYS_WITHIN_YEARS))
    pending: list[tuple[str, Any]] = [("input", camel_keys(given.model_dump()))]
    while pending:
        field, value = pending.pop()
        if isinstance(value, dict):
            pending.extend((f"{field}.{k}", v) for k, v in value.items())
        elif isinstance(value, list):
            pending.extend((f"{field}.{i}", v) for i, v in enumerate(value))
        elif isinstance(value, dt.date) and not today - reach <= value <= today + reach:
            raise ValidationFailed(
                field, f"must be within {DAYS_WITHIN_YEARS} years of today (is the year right?)"
            )


def camel_keys(value: Any) -> Any:
    """Keys of JSON in the API's spelling (`appeal_deadline` -> `appealDeadline`)."""
    if isinstance(value, dict):
        return {_camel(k): camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def field_name(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location in the API's spelling: ("arrangements", 0, "kind") ->
    "input.arrangements.0.kind"."""
    return ".".join(["input", *(_camel(p) if isinstance(p, str) else str(p) for p in loc)])


def check_consulted(consult: str | None, consulted: str | None, does: str) -> None:
    """Where the profile has a step taken in consultation (`with` in its `[warning]`,
    `[decision]` or `[review]`: RCT 5.1, Portsmouth 5.2.6), the step says who was consulted:
    refused naming `input.consulted` without it. `does` is what the policy does so, as the
    refusal says it ("decides", "reviews", "issues the warning")."""
    if consult and consulted is None:
        raise ValidationFailed(
            "input.consulted", f"this policy {does} in consultation with the {consult}: say who"
        )


async def staff_id(
    run: StepRun, username: str, field: str, *, or_inactive: bool = False
) -> uuid.UUID:
    """The active member of staff with this username, or VALIDATION_FAILED on `field`. With
    `or_inactive`, one deactivated too: a leaver's assignments are still theirs to end."""
    query = select(Staff.id).where(Staff.username == username)
    if not or_inactive:
        query = query.where(Staff.active.is_(True))
    found = await run.session.scalar(query)
    if found is None:
        raise ValidationFailed(field, "no such member of staff")
    return found


async def named_on_case(run: StepRun, case_id: uuid.UUID, staff: uuid.UUID) -> bool:
    """Whether an arrangement in force on the case names them as named officer or deputy."""
    found = await run.session.scalar(
        select(Arrangement.id).where(Arrangement.case_id == case_id, names_in_force(staff)).limit(1)
    )
    return found is not None


async def named_officers(
    run: StepRun, case_id: uuid.UUID, named: str | None, deputy: str | None, field: str
) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """The named officer and deputy an arrangement names (usernames, None where not named),
    each an active member of staff (refused naming `<field>.namedOfficer` or
    `.deputyOfficer`), and each assigned to the case as NAMED_OFFICER: the officers a
    decision makes and those `modifyArrangement` puts in their place, checked alike."""
    found: list[uuid.UUID | None] = []
    for name, username in (("namedOfficer", named), ("deputyOfficer", deputy)):
        if username is None:
            found.append(None)
            continue
        who = await staff_id(run, username, f"{field}.{name}")
        await assign_once(run, case_id, who, AssignmentRelation.NAMED_OFFICER)
        found.append(who)
    return found[0], found[1]


async def assign_once(
    run: StepRun, case_id: uuid.UUID, staff: uuid.UUID, relation: AssignmentRelation
) -> None:
    """Assign a member of staff to the case in this relation, unless already assigned so."""
    exists = await run.session.scalar(
        select(CaseAssignment.id).where(
            CaseAssignment.case_id == case_id,
            CaseAssignment.staff_id == staff,
            CaseAssignment.relation == relation,
        )
    )
    if exists is None:
        await assign(run.session, case_id, staff, relation)


async def point_of_contact(run: StepRun, case_id: uuid.UUID) -> str | None:
    """The username of the customer's point of contact now, or None: the named officer of a
    NAMED_OFFICER arrangement in force on the case, else whom the case was last assigned to
    as named officer and still is (`modifyArrangement` takes a replaced officer off)."""
    named: str | None = await run.session.scalar(
        select(Staff.username)
        .join(Arrangement, Arrangement.named_officer_id == Staff.id)
        .where(
            Arrangement.case_id == case_id,
            Arrangement.kind == ArrangementKind.NAMED_OFFICER,
            Arrangement.state.in_(IN_FORCE),
        )
        .order_by(Arrangement.starts_on.desc(), Arrangement.id)
        .limit(1)
    )
    if named is not None:
        return named
    assigned: str | None = await run.session.scalar(
        select(Staff.username)
        .join(CaseAssignment, CaseAssignment.staff_id == Staff.id)
        .where(
            CaseAssignment.case_id == case_id,
            CaseAssignment.relation == AssignmentRelation.NAMED_OFFICER,
        )
        .order_by(CaseAssignment.assigned_at.desc(), CaseAssignment.id.desc())
        .limit(1)
    )
    return assigned


async def service_ids(run: StepRun, slugs: list[str], field: str) -> dict[str, uuid.UUID]:
    found = await ids_of_services(run.session, slugs)
    if unknown_slugs(slugs, found):
        raise ValidationFailed(field, "no such service")
    return found


async def scoped_services(
    run: StepRun, begun: Begun, slugs: list[str], prefix: str, *, every: bool = False
) -> list[uuid.UUID]:
    """The services an arrangement applies to (`<prefix>.services`, or every service of the
    organisation today with `<prefix>.allServices`), as the profile scopes them: with scope
    "service" (RCT: per service, never council-wide) only the case's own service."""
    own = begun.case.service_id
    field = f"{prefix}.allServices" if every else f"{prefix}.services"
    if every:
        slugs = sorted(await service_slugs(run.session))
    elif not slugs:
        return [own]
    ids = list((await service_ids(run, slugs, field)).values())
    if run.profile.scope == "service" and set(ids) != {own}:
        raise ValidationFailed(
            field, "this profile applies arrangements to the case's service only"
        )
    return ids
