"""A customer's emails, phone numbers and postal addresses after they were added: found by
blind index (an address by opening the customer's own: records/addresses.py), added and
removed one row at a time, sealed under the customer's data key like those written when the
customer was added (records/customers.py).

The digest is the lookup's own (`Vault.blind_index`, records/lookup.py normalising), so a
detail added here is found by the portal however it is spelt there. Functions add to the
session and never commit: the edge owns the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from records.lookup import LookupKind
from records.models import ContactDetail, ContactKind, Customer
from records.vault import Vault

# The kinds a lookup finds a customer by; addresses are not looked up.
FINDABLE = (ContactKind.EMAIL, ContactKind.PHONE)


def contact_digest(vault: Vault, kind: ContactKind, value: str, field: str) -> bytes:
    """The blind index the portal lookup computes for this email or phone: a malformed value
    is VALIDATION_FAILED on `field`, never echoed."""
    return vault.blind_index(LookupKind(kind.value), value, field)


@dataclass(frozen=True)
class Holder:
    contact_id: uuid.UUID
    customer_id: uuid.UUID
    digest: bytes


async def holders(session: AsyncSession, digests: Iterable[bytes]) -> list[Holder]:
    """Who holds these details now: one row per contact detail matching a digest."""
    wanted = list(digests)
    if not wanted:
        return []
    rows = await session.execute(
        select(ContactDetail.id, ContactDetail.customer_id, ContactDetail.digest).where(
            ContactDetail.digest.in_(wanted)
        )
    )
    return [
        Holder(contact_id, customer_id, digest)
        for contact_id, customer_id, digest in rows
        if digest
    ]


async def findable_contacts(session: AsyncSession, customer_id: uuid.UUID) -> int:
    """How many emails and phone numbers find this customer (what a customer whose name is
    not given is known by)."""
    contacts = await session.scalar(
        select(func.count()).where(
            ContactDetail.customer_id == customer_id,
            ContactDetail.kind.in_(FINDABLE),
            ContactDetail.digest.is_not(None),
        )
    )
    return int(contacts or 0)


async def reference_holders(session: AsyncSession, digests: Iterable[bytes]) -> list[Holder]:
    """Who holds these customer references now, by blind index. A reference is kept on its
    customer's row, so the row holding it (`contact_id`) is the customer's."""
    wanted = list(digests)
    if not wanted:
        return []
    rows = await session.execute(
        select(Customer.id, Customer.reference_digest).where(Customer.reference_digest.in_(wanted))
    )
    return [Holder(customer_id, customer_id, digest) for customer_id, digest in rows if digest]


async def reference_digest(session: AsyncSession, customer_id: uuid.UUID) -> bytes | None:
    """The blind index of the customer's reference; None where they have none."""
    digest: bytes | None = await session.scalar(
        select(Customer.reference_digest).where(Customer.id == customer_id)
    )
    return digest


async def ways_to_find(session: AsyncSession, customer_id: uuid.UUID) -> int:
    """How many details find this customer: their emails and phone numbers, and their
    customer reference if they have one."""
    reference = await reference_digest(session, customer_id)
    return await findable_contacts(session, customer_id) + (reference is not None)


async def add_contact(
    session: AsyncSession,
    vault: Vault,
    customer_id: uuid.UUID,
    kind: ContactKind,
    value: str,
    digest: bytes | None,
) -> uuid.UUID:
    contact_id = uuid.uuid4()
    cipher = await vault.cipher("customer", customer_id)
    session.add(
        ContactDetail(
            id=contact_id,
            customer_id=customer_id,
            kind=kind,
            value_sealed=cipher.seal("contact_details", "value", contact_id, value),
            digest=digest,
            preferred=False,
        )
    )
    return contact_id


async def remove_contacts(session: AsyncSession, contact_ids: Iterable[uuid.UUID]) -> None:
    ids = list(contact_ids)
    if ids:
        await session.execute(delete(ContactDetail).where(ContactDetail.id.in_(ids)))


async def their_addresses(
    session: AsyncSession, vault: Vault, customer_id: uuid.UUID
) -> list[tuple[uuid.UUID, str, bool]]:
    """The customer's postal addresses, opened: (id, text, preferred)."""
    rows = (
        await session.execute(
            select(ContactDetail.id, ContactDetail.value_sealed, ContactDetail.preferred).where(
                ContactDetail.customer_id == customer_id,
                ContactDetail.kind == ContactKind.ADDRESS,
            )
        )
    ).all()
    if not rows:
        return []
    cipher = await vault.cipher("customer", customer_id)
    return [
        (contact_id, cipher.open("contact_details", "value", contact_id, sealed), preferred)
        for contact_id, sealed, preferred in rows
    ]


async def prefer_an_address(
    session: AsyncSession, customer_id: uuid.UUID, first_new: uuid.UUID | None
) -> None:
    """Keep one of a customer's addresses preferred (the one letters go to): where none is,
    `first_new` (the first address just added), else the only address they have. Several
    left and none new: none is preferred until one is added (docs/workflow.md)."""
    rows = (
        await session.execute(
            select(ContactDetail.id, ContactDetail.preferred).where(
                ContactDetail.customer_id == customer_id,
                ContactDetail.kind == ContactKind.ADDRESS,
            )
        )
    ).all()
    if not rows or any(preferred for _, preferred in rows):
        return
    chosen = first_new if first_new is not None else rows[0][0] if len(rows) == 1 else None
    if chosen is not None:
        contact = await session.get(ContactDetail, chosen)
        assert contact is not None
        contact.preferred = True


async def prefer_address(
    session: AsyncSession, customer_id: uuid.UUID, contact_id: uuid.UUID
) -> None:
    """Make this address of the customer's the one letters go to, and none of their others."""
    addresses = await session.scalars(
        select(ContactDetail).where(
            ContactDetail.customer_id == customer_id,
            ContactDetail.kind == ContactKind.ADDRESS,
        )
    )
    for address in addresses:
        address.preferred = address.id == contact_id
