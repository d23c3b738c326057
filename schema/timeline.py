"""The case timeline in GraphQL: one generic event type for every step (who, when, which step,
its details), and `StepResult`, what every workflow mutation answers.

The details are the step's own input and what the step worked out (dates, deadlines), as the
timeline keeps them: one JSON object per event, so twenty steps need one type, not twenty.
`Case.timeline` reads them through the gate with READ_CASE, like the full file.
"""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.scalars import JSON

from authz.gate import Target
from authz.operations import Operation
from casework.steps import camel_keys
from records.case_steps import EventView, Step, load_timeline
from schema.case_types import CaseSummary
from schema.context import TactContext
from schema.shaped import shaped

StepType = strawberry.enum(Step, name="Step", description="A step of the case process.")


@strawberry.type(description="One step on a case's timeline: who took it, when, and why.")
class TimelineEvent:
    seq: int
    step: Step
    actor: str | None = strawberry.field(description="The member of staff who took the step.")
    at: dt.datetime
    details: JSON = strawberry.field(
        description="The step's details (reasons, dates, arrangements...) as a JSON object."
    )

    @classmethod
    def from_view(cls, event: EventView) -> TimelineEvent:
        return shaped(cls, event, details=JSON(camel_keys(event.details)))


@strawberry.type(description="What a workflow step answers: the case after it, and its event.")
class StepResult:
    case: CaseSummary
    event: TimelineEvent


async def resolve_timeline(
    root: CaseSummary, info: strawberry.Info[TactContext, None]
) -> list[TimelineEvent]:
    """The case's history, every step with its details: a full read (READ_CASE), logged on
    its own like `detail`."""
    context = info.context
    reason = getattr(root, "break_glass_reason", None)
    async with context.sessions() as session, context.gate.access(
        session, context.actor, Operation.READ_CASE, Target(case_id=root.case_id),
        request_id=context.request_id, reason=reason,
    ) as access:  # fmt: skip
        events = await load_timeline(access.session, context.vault, root.case_id)
    return [TimelineEvent.from_view(e) for e in events]
