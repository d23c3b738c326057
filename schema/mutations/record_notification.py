"""`recordNotification`: record the notification sent (date, format) or the decision not to
send, with its reason."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.deciding import record_notification
from casework.profiles import Profile
from records.models import Role
from schema.context import TactContext
from schema.mutations.inputs import RecordNotificationInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.UPDATE_CASE
# A decision not to send is a decision: the assigned decision maker's, in the profile's role.
NOT_TO_SEND = Operation.DECIDE


def not_to_send_roles(profile: Profile) -> tuple[Role, ...]:
    """Who the profile says decides not to send (Portsmouth 5.2.6: the assistant director)."""
    role = profile.notification.not_to_send_role
    return (role,) if role is not None else ()


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: RecordNotificationInput
) -> StepResult:
    # A notification sent is recorded by the case team; a decision not to send is not theirs.
    if getattr(input, "not_sent_reason", None) is None:
        return await take_step(info, OPERATION, reference, input, record_notification)
    return await take_step(
        info, NOT_TO_SEND, reference, input, record_notification, roles=not_to_send_roles
    )


field = strawberry.mutation(
    resolver=resolve,
    description=(
        "Record the notification sent (date, format) or the decision not to send, with its reason,"
        " about a step the case has had (an ENDED one, once its arrangements have ended):"
        " otherwise refused on input.subject."
    ),
)
