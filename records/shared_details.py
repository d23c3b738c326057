"""Customers who share a detail that finds them: an email, a phone number or a customer
reference whose blind index more than one customer holds (`tact customers duplicates`,
docs/workflow.md "Customers who share a detail").

`openCase`, `recordContactDetails` and the import refuse to give a detail to a second
customer, but a register imported before they did may hold such pairs: the portal's lookup
then finds both. This finds them by blind index alone, nothing opened: each group says the
kind of detail and, for each customer, their id and their cases' references and states.
Neither the value nor its digest (a pseudonymous identifier) leaves this module.

A customer with a case is corrected on it (`recordContactDetails`); one with no case (an
imported customer never given one) has no case to take a step on, so `remove_shared_detail`
(`tact customers remove-detail`) takes the detail from them: the value typed by whoever
knows it from the source register, removed only if that customer holds it and another
customer holds it too.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from records.contact_details import (
    findable_contacts,
    holders,
    reference_holders,
    remove_contacts,
    ways_to_find,
)
from records.customers import customer_name, hold_customer, record_reference
from records.errors import ValidationFailed
from records.lookup import LookupKind
from records.lookup_locks import hold_lookups
from records.models import Case, CaseState, ContactDetail, Customer
from records.vault import Vault

# The kinds a group may be of, in the order groups are listed.
REFERENCE = "reference"
KINDS = (REFERENCE, "email", "phone")
# How a detail of each kind is looked up (and its blind index made).
LOOKUP_OF = {
    REFERENCE: LookupKind.CUSTOMER_REF,
    "email": LookupKind.EMAIL,
    "phone": LookupKind.PHONE,
}
HAS_A_CASE = (
    "has a case: their case team corrects their details on it with recordContactDetails "
    "(`tact customers duplicates` lists it); this command is for a customer with no case"
)


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


async def remove_shared_detail(
    session: AsyncSession, vault: Vault, customer_id: uuid.UUID, kind: str, value: str
) -> None:
    """Remove the email, phone number or customer reference `value` (of `kind`, as a group
    names it) from a customer with no case, where another customer holds it too. Refused,
    naming `customer` or `kind` and never the value, and nothing changed: a customer with a
    case, a value they do not hold or that no one else holds, and one that is their last way
    to be found (or, their name not given, their last email or phone number).

    Locks as the steps take them: the detail's lookup lock, then the customer's row, before
    anything is counted; `openCase` holds that row before it gives them a case, so a case
    opened for them meanwhile is seen here, and this is seen there."""
    digest = vault.blind_index(LOOKUP_OF[kind], value, kind)
    await hold_lookups(session, [digest])
    await hold_customer(session, customer_id)
    if await session.scalar(select(Case.id).where(Case.customer_id == customer_id).limit(1)):
        raise ValidationFailed("customer", HAS_A_CASE)
    found = await (reference_holders if kind == REFERENCE else holders)(session, [digest])
    theirs = [h.contact_id for h in found if h.customer_id == customer_id]
    if not theirs:
        raise ValidationFailed(kind, "is not recorded for this customer")
    if len({h.customer_id for h in found}) < 2:
        raise ValidationFailed(
            kind,
            "no other customer has it: only a detail `tact customers duplicates` lists is "
            "removed here",
        )
    if await ways_to_find(session, customer_id) <= 1:
        raise ValidationFailed(
            kind,
            "is the customer's last way to be found (an email, a phone number or a customer "
            "reference); nothing removed",
        )
    last_contact = kind != REFERENCE and await findable_contacts(session, customer_id) <= 1
    if last_contact and await customer_name(session, vault, customer_id) is None:
        raise ValidationFailed(
            kind,
            "is the last email or phone number of a customer whose name is not given; "
            "nothing removed",
        )
    if kind == REFERENCE:
        await record_reference(session, vault, customer_id, None, None)
    else:
        await remove_contacts(session, theirs)
