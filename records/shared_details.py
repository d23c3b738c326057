"""Customers who share a detail that finds them: an email, a phone number or a customer
reference whose blind index more than one customer holds (`tact customers duplicates`,
docs/workflow.md "Customers who share a detail").

`openCase`, `recordContactDetails` and the import refuse to give a detail to a second
customer, but a register imported before they did may hold such pairs: the portal's lookup
then finds both. This finds them by blind index alone, nothing opened: each group says the
kind of detail and, for each customer, their id and their cases' references and states.
Neither the value nor its digest (a pseudonymous identifier) leaves this module.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from records.models import Case, CaseState, ContactDetail, Customer

# The kinds a group may be of, in the order groups are listed.
REFERENCE = "reference"
KINDS = (REFERENCE, "email", "phone")


@dataclass(frozen=True)
class CaseOf:
    case_id: uuid.UUID
    reference: str
    state: CaseState


@dataclass(frozen=True)
class Sharer:
    """One customer of a group, with their cases, oldest first."""

    customer_id: uuid.UUID
    cases: tuple[CaseOf, ...]


@dataclass(frozen=True)
class SharedDetail:
    """One detail held by several customers, oldest customer first."""

    kind: str  # reference, email or phone
    customers: tuple[Sharer, ...]


async def shared_details(session: AsyncSession) -> list[SharedDetail]:
    """Every blind index more than one customer holds: references first, then emails and
    phone numbers; within a kind, by the oldest customer of each group."""
    holders: dict[tuple[str, bytes | None], set[uuid.UUID]] = defaultdict(set)
    contacts = select(ContactDetail.digest).where(ContactDetail.digest.is_not(None))
    shared_contacts = contacts.group_by(ContactDetail.digest).having(
        func.count(func.distinct(ContactDetail.customer_id)) > 1
    )
    rows = await session.execute(
        select(ContactDetail.kind, ContactDetail.digest, ContactDetail.customer_id).where(
            ContactDetail.digest.in_(shared_contacts)
        )
    )
    for kind, digest, customer_id in rows:
        holders[(kind.value, digest)].add(customer_id)
    shared_references = (
        select(Customer.reference_digest)
        .where(Customer.reference_digest.is_not(None))
        .group_by(Customer.reference_digest)
        .having(func.count() > 1)
    )
    references = await session.execute(
        select(Customer.reference_digest, Customer.id).where(
            Customer.reference_digest.in_(shared_references)
        )
    )
    for digest, customer_id in references:
        holders[(REFERENCE, digest)].add(customer_id)
    if not holders:
        return []
    everyone = set().union(*holders.values())
    added = await _added(session, everyone)
    cases = await _cases_of(session, everyone)

    def by_age(customer_id: uuid.UUID) -> tuple[Any, str]:
        return added[customer_id], str(customer_id)

    groups = [
        SharedDetail(kind, tuple(Sharer(i, tuple(cases[i])) for i in sorted(ids, key=by_age)))
        for (kind, _), ids in holders.items()
    ]
    return sorted(groups, key=lambda g: (KINDS.index(g.kind), by_age(g.customers[0].customer_id)))


async def _added(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, Any]:
    rows = await session.execute(
        select(Customer.id, Customer.created_at).where(Customer.id.in_(ids))
    )
    return {customer_id: created_at for customer_id, created_at in rows}


async def _cases_of(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, list[CaseOf]]:
    rows = await session.execute(
        select(Case.customer_id, Case.id, Case.reference, Case.state)
        .where(Case.customer_id.in_(ids))
        .order_by(Case.opened_at, Case.reference)
    )
    found: dict[uuid.UUID, list[CaseOf]] = defaultdict(list)
    for customer_id, case_id, reference, state in rows:
        found[customer_id].append(CaseOf(case_id, reference, state))
    return found
