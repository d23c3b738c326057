"""`recordCustomerName`: the case customer's name corrected or changed, first recorded for a
customer whose case was opened without it, or recorded as not given. Taken by the case team
like any step on the file; the name is the customer's, so their other cases and the letters
written from now on use it; the event never holds it."""

from __future__ import annotations

import strawberry

from authz.operations import Operation
from casework.customer_name import record_customer_name
from schema.context import TactContext
from schema.mutations.inputs import RecordCustomerNameInput
from schema.mutations.step import take_step
from schema.timeline import StepResult

OPERATION = Operation.UPDATE_CASE


async def resolve(
    info: strawberry.Info[TactContext, None], reference: str, input: RecordCustomerNameInput
) -> StepResult:
    return await take_step(info, OPERATION, reference, input, record_customer_name)


field = strawberry.mutation(
    resolver=resolve,
    description=(
        "Record the case customer's name as it is now (a correction, a change, or one first "
        "given), or that it is not given: shared by the customer's cases in every service and "
        "used by the letters written from now on."
    ),
)
