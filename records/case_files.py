"""A case's file, read back: summaries (no sealed column touched) and the full file (sealed
columns opened with the vault under the case's and the customer's data keys). Full files are
read a batch at a time (the retention job archives cases by the hundred): one query per table
for the batch and one key-store read for its data keys; one case is a batch of one.

Read-only functions; they take the session and leave the transaction to the edge. Whether the
caller may see any of it is decided before they are called (authz's gate), never here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from records.attachments import AttachmentView, attachment_views
from records.customers import ContactView, CustomerView, open_name
from records.errors import NotFound
from records.models import (
    Arrangement,
    ArrangementKind,
    ArrangementService,
    ArrangementState,
    Case,
    CaseState,
    Channel,
    Concern,
    ConcernCategory,
    ContactDetail,
    Customer,
    EvidenceEntry,
    Service,
    Staff,
    as_utc,
)
from records.vault import FieldCipher, Vault, owner_of


@dataclass(frozen=True)
class ArrangementSummaryView:
    id: uuid.UUID
    kind: ArrangementKind
    state: ArrangementState
    starts_on: dt.date
    ends_on: dt.date | None
    next_review_on: dt.date | None


@dataclass(frozen=True)
class CaseSummaryView:
    """Reference, state, service and dates: what a summary reader may see. Nothing sealed."""

    id: uuid.UUID
    reference: str
    state: CaseState
    service: str
    opened_at: dt.datetime
    updated_at: dt.datetime
    restrictions_ended_on: dt.date | None
    arrangements: tuple[ArrangementSummaryView, ...]


@dataclass(frozen=True)
class ConcernView:
    id: uuid.UUID
    category: ConcernCategory
    description: str | None
    recorded_at: dt.datetime


@dataclass(frozen=True)
class EvidenceView:
    id: uuid.UUID
    concern_id: uuid.UUID | None
    channel: Channel
    occurred_on: dt.date
    summary: str
    hs_incident_ref: str | None
    recorded_at: dt.datetime


@dataclass(frozen=True)
class ArrangementView:
    outline: ArrangementSummaryView
    services: tuple[str, ...]
    parameters: dict[str, Any]
    named_officer: str | None
    deputy_officer: str | None


@dataclass(frozen=True)
class CaseFile:
    """The whole file, opened. Never logged, never put in an error."""

    summary: CaseSummaryView
    customer: CustomerView
    summary_text: str | None
    concerns: tuple[ConcernView, ...]
    evidence: tuple[EvidenceView, ...]
    arrangements: tuple[ArrangementView, ...]
    attachments: tuple[AttachmentView, ...]  # listed; their contents are read one by one


@dataclass(frozen=True)
class CasePosition:
    """Where a case sits in a list (newest first): its key for the next page's cursor."""

    id: uuid.UUID
    opened_at: dt.datetime


# The shape of the references `records.cases.new_case_reference` issues (Crockford letters).
CASE_REFERENCE = re.compile(r"MC-\d{4}-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}")


async def find_case_id(session: AsyncSession, reference: str) -> uuid.UUID | None:
    """The case with this office reference (any case, surrounding spaces ignored). Text of
    another shape is never sent to the database: a caller may type a person's name where a
    reference belongs, and database drivers log statement parameters at DEBUG."""
    reference = reference.strip().upper()
    if not CASE_REFERENCE.fullmatch(reference):
        return None
    return await session.scalar(select(Case.id).where(Case.reference == reference))


async def list_positions(
    session: AsyncSession,
    visible: ColumnElement[bool],
    *,
    service: str | None,
    state: CaseState | None,
    after: CasePosition | None,
    limit: int,
) -> list[CasePosition]:
    """Up to `limit` cases matching `visible` and the filter, newest first, after `after`."""
    query = select(Case.id, Case.opened_at).where(visible)
    if service is not None:
        query = query.join(Service, Service.id == Case.service_id).where(Service.slug == service)
    if state is not None:
        query = query.where(Case.state == state)
    if after is not None:
        query = query.where(
            or_(
                Case.opened_at < after.opened_at,
                and_(Case.opened_at == after.opened_at, Case.id < after.id),
            )
        )
    query = query.order_by(Case.opened_at.desc(), Case.id.desc()).limit(limit)
    rows = (await session.execute(query)).all()
    return [CasePosition(row.id, as_utc(row.opened_at)) for row in rows]


async def case_summaries(
    session: AsyncSession, case_ids: Sequence[uuid.UUID]
) -> list[CaseSummaryView]:
    """Summaries of the cases that exist among `case_ids`, in the given order (two queries)."""
    rows = (await session.execute(_case_rows(case_ids, opened=False))).all()
    outlines: dict[uuid.UUID, list[ArrangementSummaryView]] = defaultdict(list)
    for row in await session.execute(_arrangement_rows(case_ids, opened=False)):
        outlines[row.case_id].append(_outline(row))
    found = {row.id: _summary(row, outlines[row.id]) for row in rows}
    return [found[case_id] for case_id in case_ids if case_id in found]


# Cases and arrangements are read as rows of columns, not as ORM objects: a retention batch
# reads a thousand of each, and building and tracking an object per row cost more than the
# rest of reading them.
def _case_rows(case_ids: Sequence[uuid.UUID], *, opened: bool = True) -> Select[*tuple[Any, ...]]:
    """The cases' summary columns, and for opening them their sealed summary."""
    query = select(
        Case.id,
        Case.customer_id,
        Case.reference,
        Case.state,
        Service.slug,
        Case.opened_at,
        Case.updated_at,
        Case.restrictions_ended_on,
    )
    if opened:
        query = query.add_columns(Case.summary_sealed)
    return query.join(Service, Service.id == Case.service_id).where(Case.id.in_(case_ids))


def _arrangement_rows(
    case_ids: Sequence[uuid.UUID], *, opened: bool = True
) -> Select[*tuple[Any, ...]]:
    """The cases' arrangements in each case's order: their outlines, and for opening them
    their sealed parameters and their officers' names."""
    query = select(
        Arrangement.id,
        Arrangement.case_id,
        Arrangement.kind,
        Arrangement.state,
        Arrangement.starts_on,
        Arrangement.ends_on,
        Arrangement.next_review_on,
    )
    if opened:
        officer, deputy = aliased(Staff), aliased(Staff)
        query = (
            query.add_columns(
                Arrangement.parameters_sealed,
                officer.display_name.label("named_officer"),
                deputy.display_name.label("deputy_officer"),
            )
            .outerjoin(officer, officer.id == Arrangement.named_officer_id)
            .outerjoin(deputy, deputy.id == Arrangement.deputy_officer_id)
        )
    return query.where(Arrangement.case_id.in_(case_ids)).order_by(
        Arrangement.starts_on, Arrangement.kind, Arrangement.id
    )


def _summary(row: Row[*tuple[Any, ...]], outlines: list[ArrangementSummaryView]) -> CaseSummaryView:
    return CaseSummaryView(
        id=row.id,
        reference=row.reference,
        state=row.state,
        service=row.slug,
        opened_at=as_utc(row.opened_at),
        updated_at=as_utc(row.updated_at),
        restrictions_ended_on=row.restrictions_ended_on,
        arrangements=tuple(outlines),
    )


async def open_case_file(session: AsyncSession, vault: Vault, case_id: uuid.UUID) -> CaseFile:
    """The whole file of one case, every sealed column opened. Raises NotFound (no such case,
    or its data key is gone) and DecryptionFailed (a ciphertext that does not authenticate)."""
    found = await open_case_files(session, vault, [case_id])
    if case_id not in found:
        raise NotFound("no such case")
    return found[case_id]


async def open_case_files(
    session: AsyncSession, vault: Vault, case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, CaseFile]:
    """The whole files of the cases among `case_ids` that exist, by case id. Raises NotFound
    if a data key is gone, DecryptionFailed if a ciphertext does not authenticate."""
    cases = {row.id: row for row in await session.execute(_case_rows(case_ids))}
    if not cases:
        return {}
    ids = list(cases)
    customer_ids = list({case.customer_id for case in cases.values()})
    ciphers = await vault.ciphers(
        [("case", case_id) for case_id in ids] + [("customer", c) for c in customer_ids]
    )
    customers = await _customers(session, ciphers, customer_ids)
    concerns = await _concerns(session, ciphers, ids)
    evidence = await _evidence(session, ciphers, ids)
    outlines, arrangements = await _arrangements(session, ciphers, ids)
    attachments = await attachment_views(session, ciphers, ids)
    files = {}
    for case_id, case in cases.items():
        cipher = ciphers[owner_of("case", case_id)]
        files[case_id] = CaseFile(
            summary=_summary(case, outlines[case_id]),
            customer=customers[case.customer_id],
            summary_text=cipher.open_optional("cases", "summary", case_id, case.summary_sealed),
            concerns=tuple(concerns[case_id]),
            evidence=tuple(evidence[case_id]),
            arrangements=tuple(arrangements[case_id]),
            attachments=tuple(attachments[case_id]),
        )
    return files


def _cipher(ciphers: dict[str, FieldCipher], case_id: uuid.UUID) -> FieldCipher:
    return ciphers[owner_of("case", case_id)]


async def _customers(
    session: AsyncSession, ciphers: dict[str, FieldCipher], customer_ids: list[uuid.UUID]
) -> dict[uuid.UUID, CustomerView]:
    """As records.customers.load_customer, for several customers at once."""
    rows = {
        c.id: c
        for c in await session.execute(
            select(
                Customer.id,
                Customer.kind,
                Customer.name_sealed,
                Customer.reference_sealed,
                Customer.needs_sealed,
                Customer.notes_sealed,
            ).where(Customer.id.in_(customer_ids))
        )
    }
    contacts: dict[uuid.UUID, list[ContactView]] = defaultdict(list)
    # No ORDER BY, as load_customer: each customer's contacts in the order the database
    # keeps them under the customer_id index.
    for c in await session.execute(
        select(
            ContactDetail.id,
            ContactDetail.customer_id,
            ContactDetail.kind,
            ContactDetail.value_sealed,
            ContactDetail.preferred,
        ).where(ContactDetail.customer_id.in_(customer_ids))
    ):
        cipher = ciphers[owner_of("customer", c.customer_id)]
        value = cipher.open("contact_details", "value", c.id, c.value_sealed)
        contacts[c.customer_id].append(ContactView(c.id, c.kind, value, c.preferred))
    views = {}
    for customer_id in customer_ids:
        customer = rows.get(customer_id)
        if customer is None:
            raise NotFound(f"customer {customer_id} not found")
        cipher = ciphers[owner_of("customer", customer_id)]
        needs = cipher.open_optional("customers", "needs", customer_id, customer.needs_sealed)
        views[customer_id] = CustomerView(
            id=customer.id,
            kind=customer.kind,
            name=open_name(cipher, customer_id, customer.name_sealed),
            reference=cipher.open_optional(
                "customers", "reference", customer_id, customer.reference_sealed
            ),
            contacts=tuple(contacts[customer_id]),
            needs=json.loads(needs) if needs else {},
            notes=cipher.open_optional("customers", "notes", customer_id, customer.notes_sealed),
        )
    return views


async def _concerns(
    session: AsyncSession, ciphers: dict[str, FieldCipher], ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[ConcernView]]:
    found: dict[uuid.UUID, list[ConcernView]] = defaultdict(list)
    for c in await session.execute(
        select(
            Concern.id,
            Concern.case_id,
            Concern.category,
            Concern.description_sealed,
            Concern.recorded_at,
        )
        .where(Concern.case_id.in_(ids))
        .order_by(Concern.recorded_at, Concern.id)
    ):
        description = _cipher(ciphers, c.case_id).open_optional(
            "concerns", "description", c.id, c.description_sealed
        )
        found[c.case_id].append(ConcernView(c.id, c.category, description, as_utc(c.recorded_at)))
    return found


async def _evidence(
    session: AsyncSession, ciphers: dict[str, FieldCipher], ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[EvidenceView]]:
    found: dict[uuid.UUID, list[EvidenceView]] = defaultdict(list)
    for e in await session.execute(
        select(
            EvidenceEntry.id,
            EvidenceEntry.case_id,
            EvidenceEntry.concern_id,
            EvidenceEntry.channel,
            EvidenceEntry.occurred_on,
            EvidenceEntry.summary_sealed,
            EvidenceEntry.hs_incident_ref,
            EvidenceEntry.recorded_at,
        )
        .where(EvidenceEntry.case_id.in_(ids))
        .order_by(EvidenceEntry.occurred_on, EvidenceEntry.recorded_at, EvidenceEntry.id)
    ):
        found[e.case_id].append(
            EvidenceView(
                id=e.id,
                concern_id=e.concern_id,
                channel=e.channel,
                occurred_on=e.occurred_on,
                summary=_cipher(ciphers, e.case_id).open(
                    "evidence_entries", "summary", e.id, e.summary_sealed
                ),
                hs_incident_ref=e.hs_incident_ref,
                recorded_at=as_utc(e.recorded_at),
            )
        )
    return found


async def _arrangements(
    session: AsyncSession, ciphers: dict[str, FieldCipher], ids: list[uuid.UUID]
) -> tuple[dict[uuid.UUID, list[ArrangementSummaryView]], dict[uuid.UUID, list[ArrangementView]]]:
    """Each case's arrangements, in its order, as outlines (its summary's) and opened."""
    rows = (await session.execute(_arrangement_rows(ids))).all()
    services: dict[uuid.UUID, list[str]] = defaultdict(list)
    for arrangement_id, slug in await session.execute(
        select(ArrangementService.arrangement_id, Service.slug)
        .join(Service, Service.id == ArrangementService.service_id)
        .join(Arrangement, Arrangement.id == ArrangementService.arrangement_id)
        .where(Arrangement.case_id.in_(ids))
        .order_by(Service.slug)
    ):
        services[arrangement_id].append(slug)
    outlines: dict[uuid.UUID, list[ArrangementSummaryView]] = defaultdict(list)
    found: dict[uuid.UUID, list[ArrangementView]] = defaultdict(list)
    for row in rows:
        outline = _outline(row)
        outlines[row.case_id].append(outline)
        found[row.case_id].append(
            ArrangementView(
                outline=outline,
                services=tuple(services[row.id]),
                parameters=_cipher(ciphers, row.case_id).open_json(
                    "arrangements", "parameters", row.id, row.parameters_sealed
                ),
                named_officer=row.named_officer,
                deputy_officer=row.deputy_officer,
            )
        )
    return outlines, found


def _outline(row: Row[*tuple[Any, ...]]) -> ArrangementSummaryView:
    return ArrangementSummaryView(
        id=row.id,
        kind=row.kind,
        state=row.state,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        next_review_on=row.next_review_on,
    )
