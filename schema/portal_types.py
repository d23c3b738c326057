"""GraphQL types of the portal contract: the lookup input and the restriction status.

The status carries handling instructions and dates only: never identity, reasons, evidence,
vulnerability or any id. Each type is written out by hand with a `from_...()` constructor,
never generated from a model, so an encrypted column can never leak into the schema.
"""

from __future__ import annotations

import datetime as dt

import strawberry

from casework.status import ArrangementStatus, RestrictionStatus
from records.errors import ValidationFailed
from records.lookup import LookupKind
from records.models import ArrangementKind
from schema.shaped import shaped

ArrangementKindType = strawberry.enum(
    ArrangementKind,
    name="ArrangementKind",
    description="What an arrangement manages about contact (neutral, typed kinds).",
)


@strawberry.input(
    one_of=True,
    name="RestrictionLookup",
    description="Who the contact is from: exactly one of email, phone or customerRef.",
)
class RestrictionLookup:
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    customer_ref: str | None = strawberry.UNSET

    def chosen(self, field: str = "lookup") -> tuple[LookupKind, str]:
        """The one lookup given. graphql-core enforces OneOf before a resolver runs; this is
        the same rule for callers that build the input in Python. `field`: where the lookup
        is in the input."""
        given = [
            (kind, value)
            for kind, value in (
                (LookupKind.EMAIL, self.email),
                (LookupKind.PHONE, self.phone),
                (LookupKind.CUSTOMER_REF, self.customer_ref),
            )
            if isinstance(value, str)
        ]
        if len(given) != 1:
            raise ValidationFailed(field, "give exactly one of its fields")
        return given[0]


@strawberry.type(
    name="ArrangementStatus",
    description="One arrangement in force: what to do with the contact, and its dates.",
)
class ArrangementStatusType:
    kind: ArrangementKind
    handling_instructions: str
    named_officer: str | None = strawberry.field(
        description="Display name of the officer contact goes to, if the arrangement names one."
    )
    starts_on: dt.date
    ends_on: dt.date | None
    next_review_on: dt.date | None

    @classmethod
    def from_status(cls, status: ArrangementStatus) -> ArrangementStatusType:
        return shaped(cls, status)


@strawberry.type(
    name="RestrictionStatus",
    description=(
        "Whether any arrangement applies to the contact in the service. An unknown person "
        "and a person with no arrangement get the same answer."
    ),
)
class RestrictionStatusType:
    service: str
    restricted: bool
    arrangements: list[ArrangementStatusType]

    @classmethod
    def from_status(cls, status: RestrictionStatus) -> RestrictionStatusType:
        return shaped(
            cls,
            status,
            arrangements=[ArrangementStatusType.from_status(a) for a in status.arrangements],
        )
