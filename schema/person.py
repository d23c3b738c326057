"""How the API names a person for records management (subject access, holds on a customer):
their customer reference, or, for a customer known without one, an email address or phone
number recorded for them; exactly one of the three, found by its blind index."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from authz.gate import NOTHING
from records.customers import Named, one_customer_named
from records.lookup import LookupKind
from records.vault import Vault

CustomerRef = Annotated[
    str | None, strawberry.argument(description="The customer's reference (e.g. CUS-0001).")
]
Email = Annotated[
    str | None, strawberry.argument(description="Or an email address recorded for them.")
]
Phone = Annotated[
    str | None, strawberry.argument(description="Or a phone number recorded for them.")
]


def person_ways(customer_ref: str | None, email: str | None, phone: str | None) -> list[Named]:
    """The three ways, each with its value (None: not given) and its argument's name."""
    return [
        (LookupKind.CUSTOMER_REF, customer_ref, "customerRef"),
        (LookupKind.EMAIL, email, "email"),
        (LookupKind.PHONE, phone, "phone"),
    ]


async def customer_named(
    session: AsyncSession,
    vault: Vault,
    customer_ref: str | None,
    email: str | None,
    phone: str | None,
) -> uuid.UUID:
    """The one customer named, or NOTHING, which the gate refuses as it refuses a customer
    the caller may not see."""
    found = await one_customer_named(session, vault, person_ways(customer_ref, email, phone))
    await session.rollback()
    return found or NOTHING
