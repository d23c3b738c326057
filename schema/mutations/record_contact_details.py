"""`recordContactDetails`: add emails, phone numbers or postal addresses to the case's
customer, or remove them, so the portal finds the customer by the details they use now, and
letters go where they live now (and a wrong one is corrected). Taken by the case team like
any step on the file; the event says what kinds changed and how many, never the values."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.contact_details import record_contact_details
from schema.context import TactContext
from schema.mutations.inputs import RecordContactDetailsInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.UPDATE_CASE


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: RecordContactDetailsInput
) -> StepResult:
    return await take_step(info, OPERATION, reference, input, record_contact_details)


field = strawberry.mutation(
    resolver=resolve,
    description=(
        "Add emails, phone numbers or postal addresses to the case's customer, or remove "
        "them: the portal then finds the customer by the email and phone numbers they use "
        "now, and letters go to their preferred address (the first added while they have "
        "none)."
    ),
)
