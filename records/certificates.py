"""Approvals of destruction and destruction certificates: read and written here, so the
retention job, the API and the admin panel share one version of each.

Domain functions: they take the session and a clock's time, and never commit.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from records.errors import Forbidden, InvalidTransition, NotFound
from records.retention_tables import DestructionApproval, DestructionCertificate


@dataclass(frozen=True)
class ApprovalView:
    id: uuid.UUID
    case_id: uuid.UUID
    destroy_on: dt.date
    requested_by: str
    approved_by: str | None
    requested_at: dt.datetime
    approved_at: dt.datetime | None

    @property
    def approved(self) -> bool:
        return self.approved_by is not None


_VIEW_COLUMNS = (
    DestructionApproval.id,
    DestructionApproval.case_id,
    DestructionApproval.destroy_on,
    DestructionApproval.requested_by,
    DestructionApproval.approved_by,
    DestructionApproval.requested_at,
    DestructionApproval.approved_at,
)


def _view(row: DestructionApproval) -> ApprovalView:
    return ApprovalView(
        row.id, row.case_id, row.destroy_on, row.requested_by, row.approved_by,
        row.requested_at, row.approved_at,
    )  # fmt: skip


async def request_approval(
    session: AsyncSession,
    case_id: uuid.UUID,
    destroy_on: dt.date,
    requested_by: str,
    now: dt.datetime,
) -> ApprovalView:
    """Ask for approval to destroy a case on its scheduled date; an open request for the
    same date is returned as it is (asking twice is one request)."""
    existing = await session.scalar(
        select(DestructionApproval).where(
            DestructionApproval.case_id == case_id, DestructionApproval.destroy_on == destroy_on
        )
    )
    if existing is not None:
        return _view(existing)
    row = DestructionApproval(
        id=uuid.uuid4(),
        case_id=case_id,
        destroy_on=destroy_on,
        requested_by=requested_by,
        requested_at=now,
    )
    session.add(row)
    await session.flush()
    return _view(row)


async def approve(
    session: AsyncSession,
    approval_id: uuid.UUID,
    approved_by: str,
    now: dt.datetime,
    *,
    two_person: bool,
) -> ApprovalView:
    """Approve a request. With two-person approval the requester may not approve their own."""
    row = await session.get(DestructionApproval, approval_id)
    if row is None:
        raise NotFound("no such approval request")
    if row.approved_at is not None:
        raise InvalidTransition("the request is already approved")
    if two_person and row.requested_by == approved_by:
        raise Forbidden("the requester of a destruction may not approve it")
    row.approved_by = approved_by
    row.approved_at = now
    await session.flush()
    return _view(row)


async def approval_case_of(session: AsyncSession, approval_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(
        select(DestructionApproval.case_id).where(DestructionApproval.id == approval_id)
    )


async def approvals_for(
    session: AsyncSession, wanted: Sequence[tuple[uuid.UUID, dt.date]]
) -> dict[uuid.UUID, ApprovalView]:
    """The request (approved first) for each (case, destroy_on) that has one."""
    destroy_on = dict(wanted)
    found: dict[uuid.UUID, ApprovalView] = {}
    ids = list(destroy_on)
    for start in range(0, len(ids), 500):
        # By case only, the day compared here: one OR branch per case made building the
        # statement cost more than running it. Columns, not ORM objects: the retention job
        # asks for a thousand cases twice per batch.
        rows = await session.execute(
            select(*_VIEW_COLUMNS).where(DestructionApproval.case_id.in_(ids[start : start + 500]))
        )
        for row in rows:
            view = ApprovalView(*row)
            if view.destroy_on != destroy_on[view.case_id]:
                continue
            current = found.get(view.case_id)
            if current is None or (view.approved and not current.approved):
                found[view.case_id] = view
    return found


@dataclass(frozen=True)
class CertificatePosition:
    """Where a certificate sits in the list (newest first, then by id): its key for the next
    page's cursor."""

    destroyed_at: dt.datetime
    id: uuid.UUID


# Said for a case reference no certificate names (not destroyed, or mistyped), by the CLI
# and the panel alike: an empty answer would read as "not destroyed" after a typo too.
NO_CERTIFICATE = "no destruction certificate for that reference"


async def certificate_position(
    session: AsyncSession, certificate_id: uuid.UUID
) -> CertificatePosition | None:
    """Where the certificate with this id sits in the list (the last one a page showed, so
    the next page starts after it); None if there is none."""
    found = await session.execute(
        select(DestructionCertificate.destroyed_at).where(
            DestructionCertificate.id == certificate_id
        )
    )
    destroyed_at = found.scalar_one_or_none()
    return None if destroyed_at is None else CertificatePosition(destroyed_at, certificate_id)


async def list_certificates(
    session: AsyncSession,
    *,
    reference: str | None = None,
    limit: int = 100,
    after: CertificatePosition | None = None,
) -> list[DestructionCertificate]:
    """Certificates, newest first and then by id (or the one for a case reference), those
    after `after`."""
    certificate = DestructionCertificate
    query = select(certificate)
    if reference is not None:
        query = query.where(certificate.case_reference == reference.strip().upper())
    if after is not None:
        query = query.where(
            or_(
                certificate.destroyed_at < after.destroyed_at,
                and_(certificate.destroyed_at == after.destroyed_at, certificate.id > after.id),
            )
        )
    query = query.order_by(certificate.destroyed_at.desc(), certificate.id).limit(limit)
    return list(await session.scalars(query))


async def destroyed_case_id(session: AsyncSession, reference: str) -> uuid.UUID | None:
    """The id a destroyed case had, from its certificate (read as `find_case_id` reads a
    reference); None for a reference no certificate names, or one written before the
    certificates kept it."""
    return await session.scalar(
        select(DestructionCertificate.case_id).where(
            DestructionCertificate.case_reference == reference.strip().upper()
        )
    )


async def destroyed_case_references(
    session: AsyncSession, case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The reference of each destroyed case among `case_ids`, from its certificate."""
    if not case_ids:
        return {}
    certificate = DestructionCertificate
    found = await session.execute(
        select(certificate.case_id, certificate.case_reference).where(
            certificate.case_id.in_(case_ids)
        )
    )
    return {
        case_id: reference
        for case_id, reference in found
        if case_id is not None and reference is not None
    }
