"""A case's file, read back: summaries (no sealed column touched) and the full file (sealed
columns opened with the vault under the case's and the customer's data keys).

Read-only functions; they take the session and leave the transaction to the edge. Whether the
caller may see any of it is decided before they are called (authz's gate), never here.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from records.customers import CustomerView, load_customer
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
    EvidenceEntry,
    Service,
    Staff,
    as_utc,
)
from records.vault import FieldCipher, Vault


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
    rows = (
        await session.execute(
            select(Case, Service.slug)
            .join(Service, Service.id == Case.service_id)
            .where(Case.id.in_(case_ids))
        )
    ).all()
    outlines: dict[uuid.UUID, list[ArrangementSummaryView]] = defaultdict(list)
    arrangements = await session.scalars(
        select(Arrangement)
        .where(Arrangement.case_id.in_(case_ids))
        .order_by(Arrangement.starts_on, Arrangement.kind, Arrangement.id)
    )
    for arrangement in arrangements:
        outlines[arrangement.case_id].append(_outline(arrangement))
    found = {
        case.id: CaseSummaryView(
            id=case.id,
            reference=case.reference,
            state=case.state,
            service=slug,
            opened_at=as_utc(case.opened_at),
            updated_at=as_utc(case.updated_at),
            restrictions_ended_on=case.restrictions_ended_on,
            arrangements=tuple(outlines[case.id]),
        )
        for case, slug in rows
    }
    return [found[case_id] for case_id in case_ids if case_id in found]


async def open_case_file(session: AsyncSession, vault: Vault, case_id: uuid.UUID) -> CaseFile:
    """The whole file of one case, every sealed column opened. Raises NotFound (no such case,
    or its data key is gone) and DecryptionFailed (a ciphertext that does not authenticate)."""
    case = await session.get(Case, case_id)
    if case is None:
        raise NotFound("no such case")
    (summary,) = await case_summaries(session, [case_id])
    cipher = await vault.cipher("case", case_id)
    return CaseFile(
        summary=summary,
        customer=await load_customer(session, vault, case.customer_id),
        summary_text=cipher.open_optional("cases", "summary", case_id, case.summary_sealed),
        concerns=await _concerns(session, cipher, case_id),
        evidence=await _evidence(session, cipher, case_id),
        arrangements=await _arrangements(session, cipher, case_id),
    )


def _outline(arrangement: Arrangement) -> ArrangementSummaryView:
    return ArrangementSummaryView(
        id=arrangement.id,
        kind=arrangement.kind,
        state=arrangement.state,
        starts_on=arrangement.starts_on,
        ends_on=arrangement.ends_on,
        next_review_on=arrangement.next_review_on,
    )


async def _concerns(
    session: AsyncSession, cipher: FieldCipher, case_id: uuid.UUID
) -> tuple[ConcernView, ...]:
    rows = await session.scalars(
        select(Concern).where(Concern.case_id == case_id).order_by(Concern.recorded_at, Concern.id)
    )
    return tuple(
        ConcernView(
            id=c.id,
            category=c.category,
            description=cipher.open_optional("concerns", "description", c.id, c.description_sealed),
            recorded_at=as_utc(c.recorded_at),
        )
        for c in rows
    )


async def _evidence(
    session: AsyncSession, cipher: FieldCipher, case_id: uuid.UUID
) -> tuple[EvidenceView, ...]:
    rows = await session.scalars(
        select(EvidenceEntry)
        .where(EvidenceEntry.case_id == case_id)
        .order_by(EvidenceEntry.occurred_on, EvidenceEntry.recorded_at, EvidenceEntry.id)
    )
    return tuple(
        EvidenceView(
            id=e.id,
            concern_id=e.concern_id,
            channel=e.channel,
            occurred_on=e.occurred_on,
            summary=cipher.open("evidence_entries", "summary", e.id, e.summary_sealed),
            hs_incident_ref=e.hs_incident_ref,
            recorded_at=as_utc(e.recorded_at),
        )
        for e in rows
    )


async def _arrangements(
    session: AsyncSession, cipher: FieldCipher, case_id: uuid.UUID
) -> tuple[ArrangementView, ...]:
    officer, deputy = aliased(Staff), aliased(Staff)
    rows = (
        await session.execute(
            select(Arrangement, officer.display_name, deputy.display_name)
            .outerjoin(officer, officer.id == Arrangement.named_officer_id)
            .outerjoin(deputy, deputy.id == Arrangement.deputy_officer_id)
            .where(Arrangement.case_id == case_id)
            .order_by(Arrangement.starts_on, Arrangement.kind, Arrangement.id)
        )
    ).all()
    services: dict[uuid.UUID, list[str]] = defaultdict(list)
    for arrangement_id, slug in await session.execute(
        select(ArrangementService.arrangement_id, Service.slug)
        .join(Service, Service.id == ArrangementService.service_id)
        .join(Arrangement, Arrangement.id == ArrangementService.arrangement_id)
        .where(Arrangement.case_id == case_id)
        .order_by(Service.slug)
    ):
        services[arrangement_id].append(slug)
    return tuple(
        ArrangementView(
            outline=_outline(a),
            services=tuple(services[a.id]),
            parameters=cipher.open_json("arrangements", "parameters", a.id, a.parameters_sealed),
            named_officer=named,
            deputy_officer=deputy_name,
        )
        for a, named, deputy_name in rows
    )
