"""`openCase`: open a case in a service for a customer found by email, phone or customer
reference, or added from the details given. The member of staff who opens it is its case
officer. The gate is asked about the service (there is no case yet). A customer with a case in
progress in the service is refused: the new concern goes on that case (docs/workflow.md),
unless it is a decided case whose arrangements have all run out, which is ended first as the
daily sweep would end it, with the gate's leave for the sweep's actor."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import strawberry

from authz.actor import CASES_EXPIRE
from authz.gate import Target
from authz.operations import Operation
from casework import step_models as m
from casework.opening import CaseInProgress, open_case
from records.days import uk_today
from schema.context import TactContext
from schema.mutations.inputs import OpenCaseInput
from schema.mutations.step import answer, checked, step_run
from schema.timeline import StepResult

OPERATION = Operation.OPEN_CASE


async def resolve(
    info: strawberry.Info[TactContext, None],
    service: Annotated[str, strawberry.argument(description="The service's slug.")],
    input: OpenCaseInput,
) -> StepResult:
    context = info.context
    async with context.sessions() as session, context.gate.access(
        session, context.actor, OPERATION, Target(service=service),
        request_id=context.request_id,
    ) as access:  # fmt: skip
        model = checked(input, uk_today(context.clock))
        assert isinstance(model, m.OpenCase)
        # A decided case whose arrangements have all run out is ended first, as the daily
        # sweep would: the gate's leave is the sweep's, and so is the change's log entry.
        may_end = partial(access.on_behalf_of, CASES_EXPIRE, Operation.UPDATE_CASE)
        try:
            run = step_run(context, access.session)
            case, event = await open_case(run, service, model, may_end=may_end)
        except CaseInProgress as in_progress:
            # The attempt is logged against the case in progress; its reference is told only
            # to a caller who may read its summary (the service's staff, by default).
            access.touched(
                case_id=in_progress.case_id, customer_id=in_progress.customer_id, service=service
            )
            if await access.may(Operation.READ_CASE_SUMMARY, in_progress.case_id):
                raise in_progress.naming_the_case() from None
            raise
        access.touched(case_id=case.id, customer_id=case.customer_id, service=service)
        return await answer(context, access.session, case.id, event)
    raise AssertionError("unreachable")  # pragma: no cover


field = strawberry.mutation(
    resolver=resolve,
    description=(
        "Open a case for a customer found by email, phone or reference, or added. Refused "
        "(input.customer) while the customer has a case in progress in the service: record "
        "the new concern on that case. A decided case whose arrangements have all passed "
        "their end date is ended first, as the daily sweep would, and does not refuse."
    ),
)
