"""Destroy cases, a batch at a time, in recorded steps (docs/retention.md): archived cases,
and cases already past their destruction date when the job first reached them, which are
destroyed without being archived (`Planned.unarchived`: no bundle, the certificate says why):

1. in one transaction, through the gate: count what each case holds, delete the batch's rows
   (and each customer's, when no other case of theirs remains), keep a destruction
   certificate per case, and record each case's step ROWS_DELETED;
2. shred the case's data key (and the customer's), delete the archive bundle;
3. complete the certificate and forget the step.

Killed between 1 and 3, a rerun finds the step and finishes 2 and 3; each of them is
idempotent (a key or a bundle already gone is not an error).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, delete, func, insert, literal, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from casework.retention_queue import Caseless, Planned
from casework.retention_schedule import RetentionPolicy, Rule
from records.models import Case, ContactDetail, Customer
from records.retention_tables import (
    DestructionCertificate,
    NotArchived,
    RetentionProgress,
    RetentionStep,
)
from records.tables import metadata
from retention.archive import bundle_key


@dataclass(frozen=True)
class Unfinished:
    """A destruction whose rows are gone: what steps 2 and 3 need."""

    case_id: uuid.UUID
    customer_id: uuid.UUID | None
    bundle_key: str | None
    certificate_id: uuid.UUID | None


def _referring_columns() -> list[tuple[str, Column[Any]]]:
    """(table, column) of every foreign key to cases.id, across every table module."""
    found = []
    for tab in metadata.sorted_tables:
        for fk in tab.foreign_keys:
            if fk.column.table.name == "cases" and tab.name != "cases":
                found.append((tab.name, fk.parent))
    return found


async def count_rows(
    session: AsyncSession, case_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, int]]:
    """Rows that refer to each case, per table (one grouped query): the certificates' counts."""
    counts: dict[uuid.UUID, dict[str, int]] = {case_id: {"cases": 1} for case_id in case_ids}
    parts = [
        select(literal(name).label("name"), col.label("case_id"), func.count().label("n"))
        .where(col.in_(case_ids))
        .group_by(col)
        for name, col in _referring_columns()
    ]
    for name, case_id, found in (await session.execute(union_all(*parts))).all():
        if found:
            per_case = counts[_as_uuid(case_id)]
            per_case[name] = per_case.get(name, 0) + int(found)
    return counts


def _as_uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def delete_rows(
    session: AsyncSession,
    batch: list[Planned],
    policy: RetentionPolicy,
    *,
    destroyed_by: str,
    now: dt.datetime,
) -> None:
    """Step 1 for a batch of cases, in the caller's transaction (the gate's): one grouped
    count, one DELETE of the cases, one of the customers left with no case, the
    certificates inserted together, and each case's step recorded."""
    if not batch:
        return
    ids = [planned.case_id for planned in batch]
    rows = await session.execute(select(Case.id, Case.customer_id).where(Case.id.in_(ids)))
    customer_of = {case_id: customer_id for case_id, customer_id in rows}
    recorded = await session.execute(
        select(
            RetentionProgress.case_id, RetentionProgress.bundle_key, RetentionProgress.bundle_digest
        ).where(RetentionProgress.case_id.in_(ids))
    )
    bundles = {case_id: (key, digest) for case_id, key, digest in recorded}
    for planned in batch:
        if planned.unarchived:
            # No bundle was written, and none is recorded; but a run killed between writing
            # one and marking the case archived leaves it in the store, so finishing deletes
            # whatever is under the case's key (deleting nothing is no error).
            bundles[planned.case_id] = (bundle_key(planned.case_id), None)
    counts = await count_rows(session, ids)
    customers = set(customer_of.values())
    # The customers' rows are locked (in id order, so two processes never wait on each other)
    # before their remaining cases are counted: two processes destroying one customer's last
    # two cases at once each saw the other's case still there, and both kept the customer,
    # name and contact digests, for ever. Now the second waits for the first to commit and
    # then sees its case gone. (SQLite takes one writer at a time; FOR UPDATE is left out.)
    await session.execute(
        select(Customer.id)
        .where(Customer.id.in_(customers))
        .order_by(Customer.id)
        .with_for_update()
    )
    await session.execute(delete(Case).where(Case.id.in_(ids)))
    kept = set(
        await session.scalars(select(Case.customer_id).where(Case.customer_id.in_(customers)))
    )
    gone = customers - kept
    found = await session.execute(
        select(ContactDetail.customer_id, func.count())
        .where(ContactDetail.customer_id.in_(gone))
        .group_by(ContactDetail.customer_id)
    )
    contacts = {customer_id: int(n) for customer_id, n in found}
    if gone:
        await session.execute(delete(Customer).where(Customer.id.in_(gone)))
    certificates: list[dict[str, Any]] = []
    for planned in batch:
        customer_id = customer_of[planned.case_id]
        if customer_id in gone:
            counts[planned.case_id]["customers"] = 1
            counts[planned.case_id]["contact_details"] = int(contacts.get(customer_id, 0))
        certificates.append(
            _certificate(
                planned,
                policy,
                counts[planned.case_id],
                bundles.get(planned.case_id, (None, None))[1],
                destroyed_by=destroyed_by,
                now=now,
            )
        )
    await _record_rows_deleted(session, certificates, customer_of, gone, bundles, now)


async def delete_customers(
    session: AsyncSession,
    batch: list[Caseless],
    policy: RetentionPolicy,
    *,
    destroyed_by: str,
    now: dt.datetime,
) -> None:
    """Step 1 for customers with no case, in the caller's transaction (the gate's): their
    contact details counted, the customers deleted (contact details by ON DELETE CASCADE, as
    with a case's customer),
    a certificate each, and each one's step recorded under their own id, so that finishing
    shreds their key (docs/retention.md). The caller has locked their rows and re-planned
    them under the lock, so none has gained a case."""
    if not batch:
        return
    ids = [c.customer_id for c in batch]
    found = await session.execute(
        select(ContactDetail.customer_id, func.count())
        .where(ContactDetail.customer_id.in_(ids))
        .group_by(ContactDetail.customer_id)
    )
    contacts = {customer_id: int(n) for customer_id, n in found}
    await session.execute(delete(Customer).where(Customer.id.in_(ids)))
    certificates = [
        {
            "id": uuid.uuid4(),
            "step_id": c.customer_id,  # not a column: the step is recorded under this id
            "case_id": None,
            "case_reference": None,
            "customer_id": c.customer_id,
            "rule": Rule.CUSTOMER_WITHOUT_CASE.value,
            "profile_name": policy.profile_name,
            "profile_version": policy.profile_version,
            "trigger_on": c.added_on,
            "archive_on": None,
            "not_archived_reason": NotArchived.NO_CASE,
            "destroy_on": c.destroy_on,
            "requested_by": None,
            "approved_by": None,
            "requested_at": None,
            "approved_at": None,
            "counts": {"customers": 1, "contact_details": contacts.get(c.customer_id, 0)},
            "bundle_digest": None,
            "keys_shredded": 0,
            "destroyed_by": destroyed_by,
            "destroyed_at": now,
        }
        for c in batch
    ]
    themselves = {customer_id: customer_id for customer_id in ids}
    await _record_rows_deleted(session, certificates, themselves, set(ids), {}, now)


def _certificate(
    planned: Planned,
    policy: RetentionPolicy,
    counts: dict[str, int],
    bundle_digest: str | None,
    *,
    destroyed_by: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """The case's certificate, as the row to insert. A case destroyed without being archived
    has no archive date and no bundle digest, and its certificate says why."""
    approval = planned.approval
    unarchived = planned.unarchived
    return {
        "id": uuid.uuid4(),
        "step_id": planned.case_id,  # not a column: which case's step points at it
        "case_id": planned.case_id,
        "case_reference": planned.reference,
        "rule": planned.schedule.rule.value,
        "profile_name": policy.profile_name,
        "profile_version": policy.profile_version,
        "trigger_on": planned.schedule.trigger_on,
        "archive_on": None if unarchived else planned.schedule.archive_on,
        "not_archived_reason": NotArchived.PAST_DESTRUCTION_DATE if unarchived else None,
        "destroy_on": planned.schedule.destroy_on,
        "requested_by": approval.requested_by if approval else None,
        "approved_by": approval.approved_by if approval else None,
        "requested_at": approval.requested_at if approval else None,
        "approved_at": approval.approved_at if approval else None,
        "counts": counts,
        "bundle_digest": bundle_digest,
        "keys_shredded": 0,
        "destroyed_by": destroyed_by,
        "destroyed_at": now,
    }


async def _record_rows_deleted(
    session: AsyncSession,
    certificates: list[dict[str, Any]],
    customer_of: dict[uuid.UUID, uuid.UUID],
    gone: set[uuid.UUID],
    bundles: dict[uuid.UUID, tuple[str | None, str | None]],
    now: dt.datetime,
) -> None:
    """Keep the certificates and record each case's step ROWS_DELETED, in place of the step
    recorded at archiving: one DELETE and two multi-row INSERTs, where updating each step by
    its key cost a statement per case."""
    steps = []
    for certificate in certificates:
        case_id = certificate["step_id"]
        key, digest = bundles.get(case_id, (None, None))
        steps.append(
            {
                "case_id": case_id,
                "step": RetentionStep.ROWS_DELETED,
                "bundle_key": key,
                "bundle_digest": digest,
                "customer_id": customer_of[case_id] if customer_of[case_id] in gone else None,
                "certificate_id": certificate["id"],
                "updated_at": now,
            }
        )
    rows = [{k: v for k, v in c.items() if k != "step_id"} for c in certificates]
    await session.execute(insert(DestructionCertificate), rows)
    ids = [step["case_id"] for step in steps]
    await session.execute(delete(RetentionProgress).where(RetentionProgress.case_id.in_(ids)))
    await session.execute(insert(RetentionProgress), steps)


async def complete(session: AsyncSession, case_ids: list[uuid.UUID], now: dt.datetime) -> int:
    """Step 3 for a batch whose keys and bundles are gone: complete the certificates (one
    UPDATE per number of keys shredded) and forget the steps. Steps another process holds
    are skipped. Returns how many were completed."""
    taken = (
        await session.execute(
            select(
                RetentionProgress.case_id,
                RetentionProgress.customer_id,
                RetentionProgress.certificate_id,
            )
            .where(RetentionProgress.case_id.in_(case_ids))
            .with_for_update(skip_locked=True)
        )
    ).all()
    certificates: dict[int, list[uuid.UUID]] = defaultdict(list)
    for case_id, customer_id, certificate_id in taken:
        if certificate_id is not None:
            # Keys known gone, whether this run or an interrupted one shredded them: the
            # case's, and the customer's when they went with it; a customer destroyed
            # without a case (recorded under their own id) had only their own.
            shredded = 1 if customer_id in (None, case_id) else 2
            certificates[shredded].append(certificate_id)
    for shredded, ids in certificates.items():
        await session.execute(
            update(DestructionCertificate)
            .where(
                DestructionCertificate.id.in_(ids), DestructionCertificate.completed_at.is_(None)
            )
            .values(completed_at=now, keys_shredded=shredded)
        )
    done = [case_id for case_id, _, _ in taken]
    await session.execute(delete(RetentionProgress).where(RetentionProgress.case_id.in_(done)))
    return len(done)


async def unfinished(
    session: AsyncSession, limit: int = 500, case_ids: list[uuid.UUID] | None = None
) -> list[Unfinished]:
    """Destructions whose rows are gone but whose keys or bundle may not be (of these cases
    only, when named)."""
    query = select(
        RetentionProgress.case_id,
        RetentionProgress.customer_id,
        RetentionProgress.bundle_key,
        RetentionProgress.certificate_id,
    ).where(RetentionProgress.step == RetentionStep.ROWS_DELETED)
    if case_ids is not None:
        query = query.where(RetentionProgress.case_id.in_(case_ids))
    rows = await session.execute(query.order_by(RetentionProgress.case_id).limit(limit))
    return [Unfinished(*row) for row in rows]
