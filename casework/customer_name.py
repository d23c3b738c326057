"""The case customer's name, kept right: `record_customer_name` corrects or changes it, records
one first given after the case was opened without it (`nameWithheld`), or records that it is
not given, as a step of the case (docs/workflow.md).

The name is the customer's, not the case's: every case of theirs, in every service, and every
letter written from now on uses the new one. The step's event says only that the name was
recorded and whether it is given now and was before; the name itself is sealed under the
customer's key, as `openCase` keeps it off its event.
"""

from __future__ import annotations

import uuid

from casework import step_models as m
from casework.steps import StepRun, begin, finish
from records.case_steps import CaseEvent, Step
from records.contact_details import findable_contacts
from records.customers import customer_name, hold_customer, record_name
from records.errors import ValidationFailed


async def record_customer_name(
    run: StepRun, case_id: uuid.UUID, given: m.RecordCustomerName
) -> CaseEvent:
    begun = await begin(run, case_id, Step.CUSTOMER_NAME_RECORDED)
    customer_id = begun.case.customer_id
    # As recordContactDetails holds it: withholding the name while another step removes the
    # last email could otherwise leave someone neither named nor reachable.
    await hold_customer(run.session, customer_id)
    before = await customer_name(run.session, run.vault, customer_id)
    after = None if given.name_withheld else given.name
    if after == before:
        # Nothing would change: the officer is better told than shown a step that did nothing.
        if after is None:
            raise ValidationFailed("input.nameWithheld", "the name is already not given")
        raise ValidationFailed("input.name", "is already the customer's name")
    if after is None and not await findable_contacts(run.session, customer_id):
        raise ValidationFailed(
            "input.nameWithheld",
            "a customer whose name is not given is known by an email or a phone number; "
            "record one first (recordContactDetails)",
        )
    await record_name(run.session, run.vault, customer_id, after)
    return await finish(
        run, begun, Step.CUSTOMER_NAME_RECORDED, None,
        name_given=after is not None, name_given_before=before is not None,
    )  # fmt: skip
