"""Destroy one archived case, in recorded steps (docs/retention.md):

1. in one transaction, through the gate: count what the case holds, delete its rows (and its
   customer's, when no other case of theirs remains), keep a destruction certificate, and
   record the step ROWS_DELETED;
2. shred the case's data key (and the customer's), delete the archive bundle;
3. complete the certificate and forget the step.

Killed between 1 and 3, a rerun finds the step and finishes 2 and 3; each of them is
idempotent (a key or a bundle already gone is not an error).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, delete, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from casework.retention_queue import Planned
from casework.retention_schedule import RetentionPolicy
from records.models import Case, ContactDetail, Customer
from records.retention_tables import (
    DestructionCertificate,
    RetentionProgress,
    RetentionStep,
)
from records.tables import metadata


@dataclass(frozen=True)
class Unfinished:
    """A destruction whose rows are gone: what steps 2 and 3 need."""

    case_id: uuid.UUID
    customer_id: uuid.UUID | None
    bundle_key: str | None
    certificate_id: uuid.UUID | None

    @classmethod
    def of(cls, row: RetentionProgress) -> Unfinished:
        return cls(row.case_id, row.customer_id, row.bundle_key, row.certificate_id)


def _referring_columns() -> list[tuple[str, Column[Any]]]:
    """(table, column) of every foreign key to cases.id, across every table module."""
    found = []
    for tab in metadata.sorted_tables:
        for fk in tab.foreign_keys:
            if fk.column.table.name == "cases" and tab.name != "cases":
                found.append((tab.name, fk.parent))
    return found


async def count_rows(session: AsyncSession, case_id: uuid.UUID) -> dict[str, int]:
    """Rows that refer to the case, per table (one query): the certificate's counts."""
    counts: dict[str, int] = {"cases": 1}
    parts = [
        select(literal(name).label("name"), func.count().label("n"))
        .select_from(col.table)
        .where(col == case_id)
        for name, col in _referring_columns()
    ]
    for name, found in (await session.execute(union_all(*parts))).all():
        if found:
            counts[name] = counts.get(name, 0) + int(found)
    return counts


async def delete_rows(
    session: AsyncSession,
    planned: Planned,
    policy: RetentionPolicy,
    *,
    destroyed_by: str,
    now: dt.datetime,
) -> Unfinished:
    """Step 1, in the caller's transaction (the gate's)."""
    case = await session.get(Case, planned.case_id)
    assert case is not None, "the caller holds the case's row lock"
    progress = await session.get(RetentionProgress, case.id)
    counts = await count_rows(session, case.id)
    customer_id = case.customer_id
    others = await session.scalar(
        select(func.count())
        .select_from(Case)
        .where(Case.customer_id == customer_id, Case.id != case.id)
    )
    await session.execute(delete(Case).where(Case.id == case.id))
    customer_gone = not others
    if customer_gone:
        contacts = await session.scalar(
            select(func.count())
            .select_from(ContactDetail)
            .where(ContactDetail.customer_id == customer_id)
        )
        counts["customers"] = 1
        counts["contact_details"] = int(contacts or 0)
        await session.execute(delete(Customer).where(Customer.id == customer_id))
    approval = planned.approval
    certificate = DestructionCertificate(
        id=uuid.uuid4(),
        case_reference=planned.reference,
        rule=planned.schedule.rule.value,
        profile_name=policy.profile_name,
        profile_version=policy.profile_version,
        trigger_on=planned.schedule.trigger_on,
        archive_on=planned.schedule.archive_on,
        destroy_on=planned.schedule.destroy_on,
        requested_by=approval.requested_by if approval else None,
        approved_by=approval.approved_by if approval else None,
        counts=counts,
        bundle_digest=progress.bundle_digest if progress else None,
        keys_shredded=0,
        destroyed_by=destroyed_by,
        destroyed_at=now,
    )
    session.add(certificate)
    if progress is None:
        progress = RetentionProgress(case_id=case.id)
        session.add(progress)
    progress.step = RetentionStep.ROWS_DELETED
    progress.customer_id = customer_id if customer_gone else None
    progress.certificate_id = certificate.id
    progress.updated_at = now
    return Unfinished.of(progress)


async def unfinished(session: AsyncSession, limit: int = 500) -> list[Unfinished]:
    """Destructions whose rows are gone but whose keys or bundle may not be."""
    rows = await session.scalars(
        select(RetentionProgress)
        .where(RetentionProgress.step == RetentionStep.ROWS_DELETED)
        .order_by(RetentionProgress.case_id)
        .limit(limit)
    )
    return [Unfinished.of(row) for row in rows]
