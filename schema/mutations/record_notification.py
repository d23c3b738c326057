"""`recordNotification`: record the notification sent (date, format) or the decision not to
send, with its reason."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.deciding import record_notification
from schema.context import TactContext
from schema.mutations.inputs import RecordNotificationInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.UPDATE_CASE


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: RecordNotificationInput
) -> StepResult:
    return await take_step(info, OPERATION, reference, input, record_notification)


field = strawberry.mutation(
    resolver=resolve,
    description=(
        "Record the notification sent (date, format) or the decision not to send, with its reason."
    ),
)
