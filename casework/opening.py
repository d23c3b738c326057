"""Steps before a decision: open a case, record concerns and evidence, assign staff, record
the safeguards, warn (or the profile's step one), refer, assess or hold a case conference,
close with no action. One function per step; each writes one timeline event (casework/steps).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from casework import step_models as m
from casework.conferences import check_conference
from casework.contact_details import add_missing, looked_up_details
from casework.over_time import notification_due
from casework.steps import (
    Begun,
    StepRun,
    assign_once,
    begin,
    check_consulted,
    expire_past,
    finish,
    load_case,
    named_on_case,
    run_out,
    service_ids,
    staff_id,
)
from casework.transitions import check_skip_reason
from records.case_steps import CaseEvent, DeadlineKind, Step, meet_deadlines, record_event
from records.cases import (
    REPLACE_THEM_FIRST,
    add_concern,
    add_evidence,
    assign,
    case_in_progress,
    create_case,
    relations_of,
    unassign,
)
from records.customers import NewContact, create_customer
from records.errors import ValidationFailed
from records.lookup import LookupKind
from records.lookup_locks import hold_lookups
from records.models import (
    IN_PROGRESS,
    AssignmentRelation,
    Case,
    ContactDetail,
    ContactKind,
    Customer,
)


async def find_customer(run: StepRun, who: m.CustomerLookup) -> uuid.UUID | None:
    """The customer these details find, by blind index: reference first, then email, phone.
    `openCase` holds their locks first (`hold_lookups`), so two calls naming one person
    cannot both find no one and each add them. A detail that finds two customers (a register
    imported before imports were checked) is refused on its field: opening the case for
    either could be for the wrong person (`tact customers duplicates`, docs/workflow.md)."""
    for kind, digest, field in _lookup_digests(run, who):
        held_by = (
            select(Customer.id).where(Customer.reference_digest == digest)
            if kind is LookupKind.CUSTOMER_REF
            else select(ContactDetail.customer_id).where(ContactDetail.digest == digest)
        )
        found = list((await run.session.scalars(held_by.distinct().limit(2))).all())
        if len(found) > 1:
            raise ValidationFailed(field, SHARED)
        if found:
            return found[0]
    return None


SHARED = (
    "finds more than one customer; an administrator or IG officer lists them with `tact "
    "customers duplicates`, and the detail is removed from the customer it is not theirs "
    "before the case is opened"
)


def _lookup_digests(run: StepRun, who: m.CustomerLookup) -> list[tuple[LookupKind, bytes, str]]:
    """The blind indexes of the details given, each with its field, in the order they find a
    customer (a malformed one refused on its field)."""
    given = (
        (LookupKind.CUSTOMER_REF, who.customer_ref, "input.customer.customerRef"),
        (LookupKind.EMAIL, who.email, "input.customer.email"),
        (LookupKind.PHONE, who.phone, "input.customer.phone"),
    )
    return [(kind, run.vault.blind_index(kind, v, field), field) for kind, v, field in given if v]


# The gate's leave to end this case as the daily sweep would, asked for the sweep's actor, so
# the change is logged as the sweep's (schema/mutations/open_case.py).
MayEnd = Callable[[uuid.UUID], Awaitable[bool]]


async def open_case(
    run: StepRun, service: str, given: m.OpenCase, *, may_end: MayEnd | None = None
) -> tuple[Case, CaseEvent]:
    """Open a case for the customer these details find, or make the customer first. A
    customer found is given the email, phone number or postal address given that they lack.
    The member of staff who opens it becomes its case officer. A decided case of theirs in
    the service whose arrangements have all run out is ended first, as the sweep would,
    where `may_end` allows."""
    (service_id,) = (await service_ids(run, [service], "service")).values()
    await hold_lookups(run.session, [d for _, d, _ in _lookup_digests(run, given.customer)])
    customer_id = await find_customer(run, given.customer)
    created = customer_id is None
    added: dict[str, int] = {}
    if customer_id is None:
        customer_id = await _new_customer(run, given.customer)
    else:
        await _refuse_second_case(run, customer_id, service_id, may_end)
        # Found, by reference or by one detail: the others given are theirs from now on, or
        # refused where another customer has them (docs/workflow.md).
        added = await add_missing(run, customer_id, looked_up_details(run, given.customer))
    try:
        async with run.session.begin_nested():
            case = await create_case(
                run.session, run.vault, service_id=service_id, customer_id=customer_id,
                opened_at=run.clock(), summary=given.summary,
            )  # fmt: skip
    except IntegrityError:
        # Another openCase for this customer and service committed since the check above:
        # the index refused this one, and the savepoint leaves the transaction usable to say so.
        await _refuse_second_case(run, customer_id, service_id)
        raise
    if run.actor_id is not None:
        await assign(run.session, case.id, run.actor_id, AssignmentRelation.CASE_OFFICER)
    # The customer's details are the customer's, sealed under their key: not repeated here.
    details = {
        "service": service,
        "customer_created": created,
        **({"contact_details_added": added} if added else {}),
        **given.model_dump(mode="json", exclude={"customer"}, exclude_none=True),
    }
    event = await record_event(
        run.session, run.vault, case, Step.CASE_OPENED, actor_id=run.actor_id, at=run.clock(),
        details=details,
    )  # fmt: skip
    return case, event


class CaseInProgress(ValidationFailed):
    """openCase for a customer who has a case in progress in the service: the new concern
    belongs on that case. The message names the case only once the edge has asked the gate
    whether the caller may read it (`naming_the_case`)."""

    def __init__(
        self, case_id: uuid.UUID, customer_id: uuid.UUID, reference: str, *, named: bool = False
    ) -> None:
        where = f" ({reference})" if named else ""
        then = "" if named else "; the service's manager can give its reference"
        super().__init__(
            "input.customer",
            f"this customer has a case in progress in this service{where}: record the new "
            f"concern on that case (recordConcern) instead of opening another{then}",
        )
        self.case_id = case_id
        self.customer_id = customer_id
        self._reference = reference

    def naming_the_case(self) -> CaseInProgress:
        return CaseInProgress(self.case_id, self.customer_id, self._reference, named=True)


async def _refuse_second_case(
    run: StepRun, customer_id: uuid.UUID, service_id: uuid.UUID, may_end: MayEnd | None = None
) -> None:
    """One case in progress per customer and service (docs/workflow.md): two would run the
    policy on one person twice over, with two reviews, two letters and two retention clocks."""
    found = await case_in_progress(run.session, customer_id, service_id)
    if found is None or (may_end is not None and await _ended_as_swept(run, found, may_end)):
        return
    raise CaseInProgress(found.id, customer_id, found.reference)


async def _ended_as_swept(run: StepRun, case: Case, may_end: MayEnd) -> bool:
    """A decided case whose arrangements have all run out is over in substance; only the daily
    sweep (or its next step) has not said so yet. Ended now, by the sweep's own expiry (its
    step, event, end date and deadlines), it leaves room for the new case. Read again under
    its lock: the sweep or a step may have ended it since it was found, and then it is not
    ended twice."""
    case = await load_case(run, case.id)
    if case.state not in IN_PROGRESS:
        return True
    due = await run_out(run, case)
    if due is None or not due.ends_case or not await may_end(case.id):
        return False
    expired = await expire_past(run, case)
    return expired is not None and expired.case_ended


async def _new_customer(run: StepRun, who: m.CustomerLookup) -> uuid.UUID:
    if not (who.name or who.name_withheld):
        raise ValidationFailed(
            "input.customer.name",
            "no customer found: give a name, or say it is not given (nameWithheld), to add one",
        )
    contacts = [NewContact(ContactKind.EMAIL, who.email, preferred=True)] if who.email else []
    if who.phone:
        contacts.append(NewContact(ContactKind.PHONE, who.phone))
    if who.address is not None:
        # Their first address: the one letters go to (casework/contact_details.py).
        contacts.append(NewContact(ContactKind.ADDRESS, who.address.text, preferred=True))
    return await create_customer(
        run.session, run.vault, kind=who.kind, name=who.name, reference=who.customer_ref,
        contacts=contacts,
    )  # fmt: skip


async def record_concern(run: StepRun, case_id: uuid.UUID, given: m.RecordConcern) -> CaseEvent:
    begun = await begin(run, case_id, Step.CONCERN_RECORDED)
    concern = await add_concern(
        run.session, run.vault, begun.case, category=given.category,
        description=given.description, recorded_by=_who(run),
    )  # fmt: skip
    return await finish(run, begun, Step.CONCERN_RECORDED, given, concern_id=str(concern.id))


async def record_evidence(run: StepRun, case_id: uuid.UUID, given: m.RecordEvidence) -> CaseEvent:
    begun = await begin(run, case_id, Step.EVIDENCE_RECORDED)
    run.has_come(given.occurred_on, "input.occurredOn")  # evidence is of what happened
    entry = await add_evidence(
        run.session, run.vault, begun.case, channel=given.channel,
        occurred_on=given.occurred_on, summary=given.summary, recorded_by=_who(run),
        hs_incident_ref=given.hs_incident_ref,
    )  # fmt: skip
    return await finish(run, begun, Step.EVIDENCE_RECORDED, given, evidence_id=str(entry.id))


async def assign_staff(run: StepRun, case_id: uuid.UUID, given: m.AssignStaff) -> CaseEvent:
    begun = await begin(run, case_id, Step.STAFF_ASSIGNED)
    await assign_once(
        run, case_id, await staff_id(run, given.username, "input.username"), given.relation
    )
    return await finish(run, begun, Step.STAFF_ASSIGNED, given)


async def unassign_staff(run: StepRun, case_id: uuid.UUID, given: m.UnassignStaff) -> CaseEvent:
    """End one assignment of a member of staff to the case, a leaver's too. Refused while an
    arrangement in force names them and the assignment is as named officer: the customer's
    route points at them, so they are replaced first (modifyArrangement), which ends it."""
    begun = await begin(run, case_id, Step.STAFF_UNASSIGNED)
    staff = await staff_id(run, given.username, "input.username", or_inactive=True)
    held = await relations_of(run.session, case_id, staff)
    if not held:
        raise ValidationFailed("input.username", "is not assigned to this case")
    if given.relation not in held:
        assigned_as = ", ".join(sorted(r.name for r in held))
        raise ValidationFailed(
            "input.relation",
            f"they are not assigned to this case as {given.relation.name}; they are assigned "
            f"as {assigned_as}",
        )
    if given.relation is AssignmentRelation.NAMED_OFFICER and await named_on_case(
        run, case_id, staff
    ):
        raise ValidationFailed(
            "input.relation",
            "stays while they are the named officer or deputy of an arrangement in force on "
            f"this case: {REPLACE_THEM_FIRST}",
        )
    await unassign(run.session, case_id, staff, given.relation)
    return await finish(run, begun, Step.STAFF_UNASSIGNED, given)


async def record_safeguards(
    run: StepRun, case_id: uuid.UUID, given: m.RecordSafeguards
) -> CaseEvent:
    """The checklist the profile names must be answered in full: each safeguard met, or not
    met with a note saying why. Until it is answered in full and every safeguard is met, a
    decision is refused (casework/deciding.py)."""
    begun = await begin(run, case_id, Step.SAFEGUARDS_RECORDED)
    answered = {check.item for check in given.checks}
    missing = [s for s in run.profile.decision.safeguards if s not in answered]
    if missing:
        raise ValidationFailed(
            "input.checks", f"answer every safeguard; missing: {', '.join(missing)}"
        )
    return await finish(run, begun, Step.SAFEGUARDS_RECORDED, given)


async def issue_warning(run: StepRun, case_id: uuid.UUID, given: m.IssueWarning) -> CaseEvent:
    """A warning; where the profile's first step is a SPOC proposal (Portsmouth step one), the
    proposed single point of contact and the contact arrangement are required; where the
    warning is issued in consultation (RCT 5.1 Stage 1), who was consulted."""
    begun = await begin(run, case_id, Step.WARNING_ISSUED)
    check_consulted(run.profile.warning.with_, given.consulted, "issues the warning")
    if run.profile.warning.step_one_spoc:
        if given.spoc is None:
            raise ValidationFailed("input.spoc", "step one proposes a single point of contact")
        if given.agreed_arrangement is None:
            raise ValidationFailed("input.agreedArrangement", "step one states the arrangement")
    if given.spoc is not None:
        await staff_id(run, given.spoc, "input.spoc")
    event = await finish(run, begun, Step.WARNING_ISSUED, given)
    notification_due(run, begun, m.NotificationSubject.WARNING, run.today(), event)
    return event


async def refer(run: StepRun, case_id: uuid.UUID, given: m.Refer) -> CaseEvent:
    """Where the profile's first step is step one (Portsmouth 5.1), the referral follows it,
    unless it comes without it for a reason the profile gives (4: "not obliged to give the
    customer warning"), which the decision will give too."""
    skip = given.skip_warning_reason is not None
    if skip:
        check_skip_reason(run.profile, str(given.skip_warning_reason))
    begun = await begin(run, case_id, Step.REFERRED, skip_warning=skip)
    if run.profile.assessment.kind == "referral_pack" and not given.referral_pack:
        raise ValidationFailed("input.referralPack", "list what the referral pack holds")
    return await _assessed(run, begun, Step.REFERRED, given)


async def record_assessment(
    run: StepRun, case_id: uuid.UUID, given: m.RecordAssessment
) -> CaseEvent:
    begun = await begin(run, case_id, Step.ASSESSMENT_RECORDED)
    assessor = await staff_id(run, given.assessor, "input.assessor")
    await assign_once(run, case_id, assessor, AssignmentRelation.ASSESSOR)
    return await _assessed(run, begun, Step.ASSESSMENT_RECORDED, given)


async def hold_case_conference(
    run: StepRun, case_id: uuid.UUID, given: m.HoldCaseConference
) -> CaseEvent:
    begun = await begin(run, case_id, Step.CASE_CONFERENCE_HELD)
    # The roles the policy says the conference includes (Merseyside: the Director, the
    # Professional Standards Manager, ...), as for the conference reconvened for a review.
    await check_conference(run, case_id, given, "input")
    return await _assessed(run, begun, Step.CASE_CONFERENCE_HELD, given)


async def _assessed(run: StepRun, begun: Begun, step: Step, given: m.StepInput) -> CaseEvent:
    """The profile's assessment (one officer's, the referral pack or the case conference): after
    an immediate-risk decision, the full assessment that was due (casework/transitions.py,
    FULL_ASSESSMENT)."""
    met = await meet_deadlines(
        run.session, begun.case.id, [DeadlineKind.FULL_ASSESSMENT], run.clock()
    )
    return await finish(run, begun, step, given, full_assessment_met=bool(met))


async def close_no_action(run: StepRun, case_id: uuid.UUID, given: m.CloseNoAction) -> CaseEvent:
    begun = await begin(run, case_id, Step.CLOSED_NO_ACTION)
    return await finish(run, begun, Step.CLOSED_NO_ACTION, given)


def _who(run: StepRun) -> uuid.UUID:
    if run.actor_id is None:
        raise ValidationFailed("actor", "a step is taken by a member of staff")
    return run.actor_id
