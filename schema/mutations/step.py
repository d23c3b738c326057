"""How every workflow mutation runs, said once: find the case by reference, ask the gate for
the mutation's operation, check the input (shape, then the label guard on every text), take
the one casework step in the gate's transaction, and answer the case and the step's event.

The gate commits the step and its access-log entry together; any failure inside rolls back
every write of the step and logs the attempt as failed, never as allowed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from pydantic import BaseModel, ValidationError

from authz.actor import Actor
from authz.gate import NOTHING, Target
from authz.operations import Operation
from casework.profiles import Profile
from casework.steps import StepRun, check_days, field_name, guard_free_text
from records.case_files import case_summaries, find_case_id
from records.case_steps import CaseEvent, load_timeline
from records.days import uk_today
from records.errors import Forbidden, ValidationFailed
from records.free_text import in_our_words
from records.models import Role
from schema.case_types import CaseSummary
from schema.context import TactContext
from schema.timeline import StepResult, TimelineEvent

Action = Callable[[StepRun, uuid.UUID, Any], Awaitable[CaseEvent]]
RoleCheck = Callable[[Profile], tuple[Role, ...]]


def checked(given: Any, today: dt.date) -> BaseModel:
    """The step model from its GraphQL input: shape errors, labels and days out of reach of
    `today` are VALIDATION_FAILED naming the field (`input.arrangements.0.kind`), never
    echoing what was typed."""
    # Validated as a whole from plain values, not converted piece by piece: a nested model
    # built on its own would lose its place in the error's location.
    model_type: type[BaseModel] = given._pydantic_type
    try:
        model = model_type.model_validate(strawberry.asdict(given))
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        message = in_our_words(first)
        field = field_name(tuple(first["loc"]))
        if first["type"] == "value_error" and ": " in message:
            # A check across fields names its field first, as the caller spells it
            # (casework/step_models.py): `endsOn`, a parameter `healthAndSafety` or `from_time`.
            named, message = message.split(": ", 1)
            field = f"{field}.{named}"
        raise ValidationFailed(field, message) from None
    guard_free_text(model)
    check_days(model, today)
    return model


def require_role(actor: Actor | None, profile: Profile, roles: RoleCheck) -> None:
    """The profile names who takes some steps (the deciding role, the appeal deciders, who
    issues a warning); an actor without one of those roles is refused, inside the gate, so
    the refusal is logged, and told whose step it is (role and job title) to pass it on."""
    wanted = roles(profile)
    if actor is None or not any(grant.role in wanted for grant in actor.roles):
        whose = " or ".join(f"{r.value} ({profile.title_of(r)})" for r in wanted)
        raise Forbidden(f"not permitted: under this policy this step is taken by the {whose}")


async def take_step(
    info: strawberry.Info[TactContext, None],
    operation: Operation,
    reference: str,
    given: Any,
    action: Action,
    *,
    roles: RoleCheck | None = None,
) -> StepResult:
    context = info.context
    async with context.sessions() as session:
        case_id = await find_case_id(session, reference) or NOTHING
        async with context.gate.access(
            session, context.actor, operation, Target(case_id=case_id),
            request_id=context.request_id,
        ) as access:  # fmt: skip
            if roles is not None:
                require_role(context.actor, context.profile, roles)
            model = checked(given, uk_today(context.clock))
            run = step_run(context, access.session)
            event = await action(run, case_id, model)
            return await answer(context, access.session, case_id, event)
    raise AssertionError("unreachable")  # pragma: no cover


def step_run(context: TactContext, session: Any) -> StepRun:
    actor = context.actor
    return StepRun(
        session=session, vault=context.vault, profile=context.profile, clock=context.clock,
        actor_id=actor.staff_id if actor is not None else None, letters=context.letters,
    )  # fmt: skip


async def answer(
    context: TactContext, session: Any, case_id: uuid.UUID, event: CaseEvent
) -> StepResult:
    """The case after the step and the step's own event (the event's case: a late appeal
    redirected to a review answers the review)."""
    await session.flush()
    (summary,) = await case_summaries(session, [case_id])
    (view,) = await load_timeline(session, context.vault, case_id, seq=event.seq)
    return StepResult(case=CaseSummary.from_summary(summary), event=TimelineEvent.from_view(view))
