"""Customers and their contact details: written sealed, found by blind index, opened on demand.

Identity and contact details are sealed under the customer's own data key, so destroying one
of their cases never has to wait for their other cases.

A customer may be known only by an email or phone number, their name not given: the name
column then holds the empty string, sealed like any name, and opens as None. A given name is
never empty, so the two cannot be confused.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from records.crypto import KeyRing
from records.errors import NotFound, ValidationFailed
from records.lookup import LookupKind, normalise
from records.models import ContactDetail, ContactKind, Customer, CustomerKind
from records.vault import FieldCipher, Vault

_LOOKUP_OF_CONTACT = {ContactKind.EMAIL: LookupKind.EMAIL, ContactKind.PHONE: LookupKind.PHONE}
_NAME_NOT_GIVEN = ""


@dataclass(frozen=True)
class NewContact:
    kind: ContactKind
    value: str
    preferred: bool = False
    # What a refusal calls this value (an import names its file's column); by default its
    # place in the API's input, `contacts[i].value`.
    label: str | None = None


@dataclass(frozen=True)
class ContactView:
    id: uuid.UUID
    kind: ContactKind
    value: str
    preferred: bool


@dataclass(frozen=True)
class CustomerView:
    """A customer's identity, opened (`name` None: not given). Never logged, never put in an
    error."""

    id: uuid.UUID
    kind: CustomerKind
    name: str | None
    reference: str | None
    contacts: tuple[ContactView, ...] = ()
    needs: dict[str, Any] = field(default_factory=dict)
    notes: str | None = None


@dataclass(frozen=True)
class NewCustomer:
    kind: CustomerKind
    name: str | None  # None: not given; then an email or phone number is required
    reference: str | None = None
    contacts: Sequence[NewContact] = ()
    needs: dict[str, Any] | None = None
    notes: str | None = None


async def create_customer(
    session: AsyncSession,
    vault: Vault,
    *,
    kind: CustomerKind,
    name: str | None,
    reference: str | None = None,
    contacts: Sequence[NewContact] = (),
    needs: dict[str, Any] | None = None,
    notes: str | None = None,
) -> uuid.UUID:
    """Add a customer (flushed, not committed). Validates before any key is made."""
    new = NewCustomer(kind, name, reference, contacts, needs, notes)
    return (await create_customers(session, vault, [new]))[0]


async def create_customers(
    session: AsyncSession, vault: Vault, customers: Sequence[NewCustomer]
) -> list[uuid.UUID]:
    """Add several customers with one key-store write and one flush (bulk loads)."""
    lookups = [digests_of(vault.ring, new) for new in customers]
    ids = [uuid.uuid4() for _ in customers]
    ciphers = await vault.create_keys("customer", ids)
    for customer_id, cipher, new, (ref_digest, digests) in zip(
        ids, ciphers, customers, lookups, strict=True
    ):
        session.add_all(_rows(customer_id, cipher, new, ref_digest, digests))
    await session.flush()
    return ids


def digests_of(ring: KeyRing, new: NewCustomer) -> tuple[bytes | None, list[bytes | None]]:
    """Validate a new customer and compute its blind indexes: (reference, one per contact)."""
    if new.name is None:
        if not any(c.kind in _LOOKUP_OF_CONTACT for c in new.contacts):
            raise ValidationFailed("name", "not given: give an email or a phone number instead")
    else:
        _refuse_blank(new.name)
    digests = [
        _blind_index(ring, _LOOKUP_OF_CONTACT[c.kind], c.value, c.label or f"contacts[{i}].value")
        if c.kind in _LOOKUP_OF_CONTACT
        else None
        for i, c in enumerate(new.contacts)
    ]
    reference = new.reference
    ref_digest = (
        _blind_index(ring, LookupKind.CUSTOMER_REF, reference, "reference") if reference else None
    )
    return ref_digest, digests


def _refuse_blank(name: str) -> None:
    # Empty means "not given" (open_name), so a given name is never blank.
    if not name.strip():
        raise ValidationFailed("name", "must not be empty")


def _blind_index(ring: KeyRing, kind: LookupKind, value: str, field: str) -> bytes:
    return ring.blind_index(kind.value, normalise(kind, value, field))


def _rows(
    customer_id: uuid.UUID,
    cipher: FieldCipher,
    new: NewCustomer,
    ref_digest: bytes | None,
    digests: list[bytes | None],
) -> list[Customer | ContactDetail]:
    customer, contacts = sealed_columns(customer_id, cipher, new, ref_digest, digests)
    return [Customer(**customer), *(ContactDetail(**contact) for contact in contacts)]


def sealed_columns(
    customer_id: uuid.UUID,
    cipher: FieldCipher,
    new: NewCustomer,
    ref_digest: bytes | None,
    digests: list[bytes | None],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A new customer's columns and its contacts' columns, sealed: what the ORM path adds and
    the bulk import (records/customer_import.py) writes, so both store the same."""
    customer = {
        "id": customer_id,
        "kind": new.kind,
        "name_sealed": cipher.seal("customers", "name", customer_id, new.name or _NAME_NOT_GIVEN),
        "reference_sealed": cipher.seal_optional(
            "customers", "reference", customer_id, new.reference
        ),
        "reference_digest": ref_digest,
        "needs_sealed": (
            cipher.seal_json("customers", "needs", customer_id, new.needs) if new.needs else None
        ),
        "notes_sealed": cipher.seal_optional("customers", "notes", customer_id, new.notes),
    }
    contacts = []
    for contact, digest in zip(new.contacts, digests, strict=True):
        contact_id = uuid.uuid4()
        contacts.append(
            {
                "id": contact_id,
                "customer_id": customer_id,
                "kind": contact.kind,
                "value_sealed": cipher.seal("contact_details", "value", contact_id, contact.value),
                "digest": digest,
                "preferred": contact.preferred,
            }
        )
    return customer, contacts


async def load_customer(
    session: AsyncSession, vault: Vault, customer_id: uuid.UUID
) -> CustomerView:
    customer = await _customer_row(session, customer_id)
    contacts = (
        await session.scalars(select(ContactDetail).where(ContactDetail.customer_id == customer_id))
    ).all()
    cipher = await vault.cipher("customer", customer_id)
    needs = cipher.open_optional("customers", "needs", customer_id, customer.needs_sealed)
    return CustomerView(
        id=customer.id,
        kind=customer.kind,
        name=open_name(cipher, customer_id, customer.name_sealed),
        reference=cipher.open_optional(
            "customers", "reference", customer_id, customer.reference_sealed
        ),
        contacts=tuple(
            ContactView(
                c.id,
                c.kind,
                cipher.open("contact_details", "value", c.id, c.value_sealed),
                c.preferred,
            )
            for c in contacts
        ),
        needs=json.loads(needs) if needs else {},
        notes=cipher.open_optional("customers", "notes", customer_id, customer.notes_sealed),
    )


def open_name(cipher: FieldCipher, customer_id: uuid.UUID, sealed: bytes) -> str | None:
    """A customer's name, opened; None where it was not given."""
    return cipher.open("customers", "name", customer_id, sealed) or None


async def customer_name(session: AsyncSession, vault: Vault, customer_id: uuid.UUID) -> str | None:
    """The customer's name as recorded now; None where it is not given."""
    customer = await _customer_row(session, customer_id)
    cipher = await vault.cipher("customer", customer_id)
    return open_name(cipher, customer_id, customer.name_sealed)


async def record_name(
    session: AsyncSession, vault: Vault, customer_id: uuid.UUID, name: str | None
) -> None:
    """Replace the customer's name (None: not given), sealed under their key as when they
    were added. The name replaced is not kept."""
    if name is not None:
        _refuse_blank(name)
    customer = await _customer_row(session, customer_id)
    cipher = await vault.cipher("customer", customer_id)
    customer.name_sealed = cipher.seal("customers", "name", customer_id, name or _NAME_NOT_GIVEN)


async def record_reference(
    session: AsyncSession,
    vault: Vault,
    customer_id: uuid.UUID,
    reference: str | None,
    digest: bytes | None,
) -> None:
    """Replace the customer's reference and its blind index (None: they have none), sealed
    under their key as when they were added. The reference replaced is not kept."""
    customer = await _customer_row(session, customer_id)
    cipher = await vault.cipher("customer", customer_id)
    customer.reference_sealed = cipher.seal_optional(
        "customers", "reference", customer_id, reference
    )
    customer.reference_digest = digest


async def hold_customer(session: AsyncSession, customer_id: uuid.UUID) -> None:
    """Hold the customer's row until the transaction ends (PostgreSQL), before counting what
    finds or names them: two steps on two of their cases, each taking away a different last
    detail (or one the name and one the last email), then run one after the other, and the
    second sees what the first left (docs/workflow.md, "At the same moment").

    The one order: lookup locks (records/lookup_locks.py), then a case's row (casework/steps.py
    `load_case`), then this. FOR NO KEY UPDATE, so a case or a detail being added for the
    customer, which only reads the row's key, is not held up by it. SQLite takes one writer at
    a time (BEGIN IMMEDIATE); the clause is left out there."""
    await session.execute(
        select(Customer.id).where(Customer.id == customer_id).with_for_update(key_share=True)
    )


async def _customer_row(session: AsyncSession, customer_id: uuid.UUID) -> Customer:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    return customer


async def customer_ids_by(
    session: AsyncSession, vault: Vault, kind: LookupKind, value: str, field: str
) -> tuple[uuid.UUID, ...]:
    """The customers this reference, email or phone number finds, by its blind index (who a
    subject access request or the access log's "who has seen this person's record?" is
    about, asked from GraphQL and from the admin panel). A customer known only by an email
    or phone number has no reference, so both are asked for as the portal asks."""
    digest = vault.blind_index(kind, value, field)
    if kind is LookupKind.CUSTOMER_REF:
        query = select(Customer.id).where(Customer.reference_digest == digest)
    else:
        query = select(ContactDetail.customer_id).where(ContactDetail.digest == digest).distinct()
    rows = await session.scalars(query)
    return tuple(rows.all())


# One way of naming a person: how, the value given (None: not given) and its field's name.
Named = tuple[LookupKind, str | None, str]


async def customers_named(
    session: AsyncSession, vault: Vault, named: Sequence[Named]
) -> tuple[uuid.UUID, ...] | None:
    """The customers that every way given finds (a filter's "every field given must match");
    None where none is given."""
    found: tuple[uuid.UUID, ...] | None = None
    for kind, value, name in named:
        if value is not None:
            these = await customer_ids_by(session, vault, kind, value, name)
            found = these if found is None else tuple(i for i in found if i in these)
    return found


async def one_customer_named(
    session: AsyncSession, vault: Vault, named: Sequence[Named]
) -> uuid.UUID | None:
    """The customer named in exactly one way (who a subject access request or a hold is
    about), or None where nobody is found that way. No way or several ways given is refused
    by the first way's field; a way that finds more than one customer, by its own."""
    given = [name for _, value, name in named if value is not None]
    if len(given) != 1:
        ways = ", ".join(name for _, _, name in named)
        raise ValidationFailed(named[0][2], f"give exactly one of {ways}")
    found = await customers_named(session, vault, named) or ()
    if len(found) > 1:
        raise ValidationFailed(given[0], "names more than one customer")
    return found[0] if found else None
