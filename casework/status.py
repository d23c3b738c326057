"""The portal question: is there an arrangement for this person in this service, and how must
the contact be handled? Answers with handling instructions only, and the same empty answer
whether or not the person is known, so the answer reveals nothing else.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from casework.arrangements import handling_instructions
from records.cases import arrangements_in_force
from records.errors import KeyMaterialError, NotFound
from records.lookup import LookupKind
from records.models import ArrangementKind
from records.readers import Readers
from records.vault import Vault


@dataclass(frozen=True)
class ArrangementStatus:
    kind: ArrangementKind
    handling_instructions: str
    named_officer: str | None
    starts_on: dt.date
    ends_on: dt.date | None
    next_review_on: dt.date | None


@dataclass(frozen=True)
class InForce:
    """One arrangement in force for the person in the service, its parameters opened."""

    arrangement_id: uuid.UUID
    case_id: uuid.UUID
    customer_id: uuid.UUID
    kind: ArrangementKind
    parameters: dict[str, Any]
    named_officer: str | None
    deputy_officer: str | None
    starts_on: dt.date
    ends_on: dt.date | None
    next_review_on: dt.date | None


@dataclass(frozen=True)
class Found:
    """What one lookup found: the arrangements in force, and (for the access log only) the
    customers matched and the cases whose arrangements were opened."""

    arrangements: tuple[InForce, ...]
    customer_ids: tuple[uuid.UUID, ...]
    case_ids: tuple[uuid.UUID, ...]

    def seen(self) -> tuple[tuple[uuid.UUID | None, uuid.UUID | None], ...]:
        return seen_pairs(self.customer_ids, self.case_ids)


@dataclass(frozen=True)
class RestrictionStatus:
    service: str
    arrangements: tuple[ArrangementStatus, ...]
    # For the access log only; never returned to the caller.
    customer_ids: tuple[uuid.UUID, ...]
    case_ids: tuple[uuid.UUID, ...]

    @property
    def restricted(self) -> bool:
        return bool(self.arrangements)

    def seen(self) -> tuple[tuple[uuid.UUID | None, uuid.UUID | None], ...]:
        return seen_pairs(self.customer_ids, self.case_ids)


def seen_pairs(
    customer_ids: tuple[uuid.UUID, ...], case_ids: tuple[uuid.UUID, ...]
) -> tuple[tuple[uuid.UUID | None, uuid.UUID | None], ...]:
    """(customer id, case id) pairs for the access log: one per customer found and case
    shown, so "who has seen this person's record?" finds the lookup. The lookup does not say
    which case is whose, so a case is paired with a customer only when there was exactly
    one."""
    if len(customer_ids) == 1:
        (customer_id,) = customer_ids
        return tuple((customer_id, case_id) for case_id in case_ids or (None,))
    return (
        *((customer_id, None) for customer_id in customer_ids),
        *((None, case_id) for case_id in case_ids),
    )


async def find_in_force(
    source: Readers | AsyncSession,
    vault: Vault,
    kind: LookupKind,
    value: str,
    service: str,
    today: dt.date,
    field: str = "lookup",
) -> Found:
    """The portal lookup (one indexed query, then the case keys, cached): the arrangements
    in force today for whoever `value` finds, in `service`. `source`: see
    records.cases.arrangements_in_force. `field`: where the lookup is in the caller's input
    (`contact.lookup` in checkContact), so a value refused is named there."""
    digest = vault.blind_index(kind, value, f"{field}.{_MEMBERS[kind]}")
    rows = await arrangements_in_force(source, kind, digest, service, today)
    in_force = [r for r in rows if r.arrangement_id is not None]
    try:
        ciphers = await vault.ciphers(
            ("case", r.case_id) for r in in_force if r.case_id is not None
        )
    except NotFound as missing:
        # A case in force whose key is gone cannot be read: the answer is an internal error
        # (masked, logged as "error"), never NOT_FOUND with the case's id, and never
        # "restricted: false" for a person who has an arrangement.
        raise KeyMaterialError("an arrangement in force could not be read") from missing
    opened: dict[uuid.UUID, InForce] = {}
    for row in in_force:
        if row.arrangement_id in opened:
            continue
        assert row.arrangement_id and row.case_id and row.kind and row.parameters_sealed
        assert row.starts_on is not None
        cipher = ciphers[f"case:{row.case_id}"]
        opened[row.arrangement_id] = InForce(
            arrangement_id=row.arrangement_id,
            case_id=row.case_id,
            customer_id=row.customer_id,
            kind=row.kind,
            parameters=cipher.open_json(
                "arrangements", "parameters", row.arrangement_id, row.parameters_sealed
            ),
            named_officer=row.named_officer,
            deputy_officer=row.deputy_officer,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            next_review_on=row.next_review_on,
        )
    return Found(
        arrangements=tuple(opened.values()),
        customer_ids=tuple(dict.fromkeys(r.customer_id for r in rows)),
        case_ids=tuple(dict.fromkeys(a.case_id for a in opened.values())),
    )


async def restriction_status(
    source: Readers | AsyncSession,
    vault: Vault,
    kind: LookupKind,
    value: str,
    service: str,
    today: dt.date,
) -> RestrictionStatus:
    found = await find_in_force(source, vault, kind, value, service, today)
    return RestrictionStatus(
        service=service,
        arrangements=tuple(
            ArrangementStatus(
                kind=a.kind,
                handling_instructions=handling_instructions(
                    a.kind, a.parameters, a.named_officer, a.deputy_officer
                ),
                named_officer=a.named_officer,
                starts_on=a.starts_on,
                ends_on=a.ends_on,
                next_review_on=a.next_review_on,
            )
            for a in found.arrangements
        ),
        customer_ids=found.customer_ids,
        case_ids=found.case_ids,
    )


_MEMBERS = {
    LookupKind.EMAIL: "email",
    LookupKind.PHONE: "phone",
    LookupKind.CUSTOMER_REF: "customerRef",
}
