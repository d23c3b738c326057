"""Cases, their concerns and evidence, and arrangements: written sealed under the case's key.

Functions here add rows to the session and never commit: the edge (resolver, command, job
step) owns the transaction. Row ids are made in Python, so only new cases are flushed early;
the commit (or the next query's autoflush) writes the rest. They validate shape only; what
the policy allows is casework's business.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    LargeBinary,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from records.days import uk_day
from records.errors import ValidationFailed
from records.lookup import LookupKind
from records.models import (
    IN_FORCE,
    IN_PROGRESS,
    Arrangement,
    ArrangementKind,
    ArrangementService,
    ArrangementState,
    AssignmentRelation,
    Case,
    CaseAssignment,
    CaseState,
    Channel,
    Concern,
    ConcernCategory,
    ContactDetail,
    Customer,
    EvidenceEntry,
    Service,
    Staff,
)
from records.readers import Readers
from records.vault import Vault

_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U


def new_case_reference(today: dt.date) -> str:
    """An office reference such as MC-2026-7F3KA-9QXDM: says nothing personal, easy to read
    out on the phone. 50 random bits: a clash (refused by the unique constraint) is unlikely
    below millions of cases."""
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(10))
    return f"MC-{today.year}-{chars[:5]}-{chars[5:]}"


@dataclass(frozen=True)
class NewCase:
    service_id: uuid.UUID
    customer_id: uuid.UUID
    opened_at: dt.datetime
    summary: str | None = None
    state: CaseState = CaseState.OPEN


async def create_case(
    session: AsyncSession,
    vault: Vault,
    *,
    service_id: uuid.UUID,
    customer_id: uuid.UUID,
    opened_at: dt.datetime,
    summary: str | None = None,
    state: CaseState = CaseState.OPEN,
) -> Case:
    new = NewCase(service_id, customer_id, opened_at, summary, state)
    return (await create_cases(session, vault, [new]))[0]


async def create_cases(
    session: AsyncSession, vault: Vault, new_cases: Sequence[NewCase]
) -> list[Case]:
    """Open several cases, each with its own data key, with one key-store write."""
    ids = [uuid.uuid4() for _ in new_cases]
    ciphers = await vault.create_keys("case", ids)
    cases = [
        Case(
            id=case_id,
            reference=new_case_reference(uk_day(new.opened_at)),
            service_id=new.service_id,
            customer_id=new.customer_id,
            state=new.state,
            summary_sealed=cipher.seal_optional("cases", "summary", case_id, new.summary),
            opened_at=new.opened_at,
            updated_at=new.opened_at,
        )
        for case_id, cipher, new in zip(ids, ciphers, new_cases, strict=True)
    ]
    session.add_all(cases)
    # Flushed now: rows of other tables that refer to a case are written in later flushes.
    await session.flush()
    return cases


async def case_in_progress(
    session: AsyncSession, customer_id: uuid.UUID, service_id: uuid.UUID
) -> Case | None:
    """The customer's case in progress in this service (records.models.IN_PROGRESS), if any:
    there is at most one (the index uq_cases_customer_service_in_progress)."""
    found: Case | None = await session.scalar(
        select(Case).where(
            Case.customer_id == customer_id,
            Case.service_id == service_id,
            Case.state.in_(IN_PROGRESS),
        )
    )
    return found


async def assign(
    session: AsyncSession, case_id: uuid.UUID, staff_id: uuid.UUID, relation: AssignmentRelation
) -> None:
    session.add(CaseAssignment(case_id=case_id, staff_id=staff_id, relation=relation))


async def unassign(
    session: AsyncSession, case_id: uuid.UUID, staff_id: uuid.UUID, relation: AssignmentRelation
) -> None:
    """End a member of staff's assignment to the case in this relation: the need-to-know
    relation the gate reads on every request, so their next request no longer has it."""
    await session.execute(
        delete(CaseAssignment).where(
            CaseAssignment.case_id == case_id,
            CaseAssignment.staff_id == staff_id,
            CaseAssignment.relation == relation,
        )
    )


async def relations_of(
    session: AsyncSession, case_id: uuid.UUID, staff_id: uuid.UUID
) -> set[AssignmentRelation]:
    """How a member of staff is assigned to the case (none: not assigned)."""
    rows = await session.scalars(
        select(CaseAssignment.relation).where(
            CaseAssignment.case_id == case_id, CaseAssignment.staff_id == staff_id
        )
    )
    return set(rows)


REPLACE_THEM_FIRST = (
    "name someone in their place first (modifyArrangement, namedOfficer or deputyOfficer)"
)


def names_in_force(staff_id: uuid.UUID) -> ColumnElement[bool]:
    """Arrangements in force that name this member of staff as named officer or deputy: the
    customer's route points at them, so they are replaced (modifyArrangement) before they
    leave or stop being assigned as the case's named officer."""
    return and_(
        Arrangement.state.in_(IN_FORCE),
        or_(Arrangement.named_officer_id == staff_id, Arrangement.deputy_officer_id == staff_id),
    )


async def add_concern(
    session: AsyncSession,
    vault: Vault,
    case: Case,
    *,
    category: ConcernCategory,
    description: str | None,
    recorded_by: uuid.UUID,
) -> Concern:
    concern_id = uuid.uuid4()
    cipher = await vault.cipher("case", case.id)
    concern = Concern(
        id=concern_id,
        case_id=case.id,
        category=category,
        description_sealed=cipher.seal_optional("concerns", "description", concern_id, description),
        recorded_by=recorded_by,
    )
    session.add(concern)
    return concern


async def add_evidence(
    session: AsyncSession,
    vault: Vault,
    case: Case,
    *,
    channel: Channel,
    occurred_on: dt.date,
    summary: str,
    recorded_by: uuid.UUID,
    concern_id: uuid.UUID | None = None,
    staff_involved: Sequence[uuid.UUID] = (),
    hs_incident_ref: str | None = None,
) -> EvidenceEntry:
    if not summary.strip():
        raise ValidationFailed("summary", "must not be empty")
    entry_id = uuid.uuid4()
    cipher = await vault.cipher("case", case.id)
    entry = EvidenceEntry(
        id=entry_id,
        case_id=case.id,
        concern_id=concern_id,
        channel=channel,
        occurred_on=occurred_on,
        summary_sealed=cipher.seal("evidence_entries", "summary", entry_id, summary),
        staff_involved=[str(s) for s in staff_involved],
        hs_incident_ref=hs_incident_ref,
        recorded_by=recorded_by,
    )
    session.add(entry)
    return entry


async def add_arrangement(
    session: AsyncSession,
    vault: Vault,
    case: Case,
    *,
    kind: ArrangementKind,
    parameters: dict[str, Any],
    service_ids: Sequence[uuid.UUID],
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    next_review_on: dt.date | None = None,
    named_officer_id: uuid.UUID | None = None,
    deputy_officer_id: uuid.UUID | None = None,
    state: ArrangementState = ArrangementState.ACTIVE,
) -> Arrangement:
    """Store an arrangement. `parameters` must already be validated by casework."""
    if not service_ids:
        raise ValidationFailed("services", "an arrangement applies to at least one service")
    if ends_on is not None and ends_on < starts_on:
        raise ValidationFailed("endsOn", "must not be before startsOn")
    arrangement_id = uuid.uuid4()
    cipher = await vault.cipher("case", case.id)
    arrangement = Arrangement(
        id=arrangement_id,
        case_id=case.id,
        customer_id=case.customer_id,
        kind=kind,
        state=state,
        parameters_sealed=cipher.seal_json(
            "arrangements", "parameters", arrangement_id, parameters
        ),
        named_officer_id=named_officer_id,
        deputy_officer_id=deputy_officer_id,
        starts_on=starts_on,
        ends_on=ends_on,
        next_review_on=next_review_on,
    )
    session.add(arrangement)
    for service_id in dict.fromkeys(service_ids):
        session.add(ArrangementService(arrangement_id=arrangement_id, service_id=service_id))
    return arrangement


@dataclass(frozen=True)
class StatusRow:
    """One row of the portal lookup: a customer found, and one arrangement in force, if any."""

    customer_id: uuid.UUID
    arrangement_id: uuid.UUID | None
    case_id: uuid.UUID | None
    kind: ArrangementKind | None
    parameters_sealed: bytes | None
    starts_on: dt.date | None
    ends_on: dt.date | None
    next_review_on: dt.date | None
    named_officer: str | None
    deputy_officer: str | None


async def arrangements_in_force(
    source: Readers | AsyncSession,
    kind: LookupKind,
    digest: bytes,
    service: str,
    today: dt.date,
) -> list[StatusRow]:
    """The portal lookup in one indexed query: customers matching a blind index, each with the
    arrangements active today in `service` (or one row with no arrangement). From `Readers`
    (the hot path: straight on the driver, outside any transaction), or in a session's
    transaction when the caller goes on to write in it (a recorded contact check)."""
    params = {"digest": digest, "service": service, "today": today}
    if isinstance(source, Readers):
        prepared = source.prepare(("status", kind), lambda: status_query(kind))
        return [StatusRow(*row) for row in await source.fetch(prepared, params)]
    rows = await source.execute(status_query(kind), params)
    return [StatusRow(*row) for row in rows.all()]


@functools.cache
def status_query(kind: LookupKind) -> Select[*tuple[Any, ...]]:
    """The lookup statement for one kind of lookup, built once: building a statement costs ten
    times what SQLite takes to run it. Parameters: digest, service, today."""
    officer, deputy = aliased(Staff), aliased(Staff)
    today = bindparam("today", type_=Date)
    digest = bindparam("digest", type_=LargeBinary)
    if kind is LookupKind.CUSTOMER_REF:
        found: Any = Customer
        customer_id: Any = Customer.id
        match = Customer.reference_digest == digest
    else:
        # The contact row holds its customer's id: no join to customers, one index search
        # fewer per lookup (it shows at a million customers, bench/lookup_scale.py).
        found, customer_id = ContactDetail, ContactDetail.customer_id
        match = ContactDetail.digest == digest
    in_force = and_(
        Arrangement.customer_id == customer_id,
        Arrangement.state == ArrangementState.ACTIVE,
        Arrangement.starts_on <= today,
        or_(Arrangement.ends_on.is_(None), Arrangement.ends_on >= today),
        # EXISTS, not IN: an IN list of every arrangement in the service grows with the
        # register; this probes the (arrangement, service) primary key once per arrangement.
        exists().where(
            ArrangementService.arrangement_id == Arrangement.id,
            ArrangementService.service_id == Service.id,
            Service.slug == bindparam("service"),
        ),
    )
    query = (
        select(
            customer_id,
            Arrangement.id,
            Arrangement.case_id,
            Arrangement.kind,
            Arrangement.parameters_sealed,
            Arrangement.starts_on,
            Arrangement.ends_on,
            Arrangement.next_review_on,
            officer.display_name,
            deputy.display_name,
        )
        .select_from(found)
        .where(match)
    )
    return (
        query.outerjoin(Arrangement, in_force)
        .outerjoin(officer, officer.id == Arrangement.named_officer_id)
        .outerjoin(deputy, deputy.id == Arrangement.deputy_officer_id)
        .order_by(Arrangement.starts_on)
    )
