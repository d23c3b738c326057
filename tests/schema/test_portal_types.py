"""The portal contract's types: exactly the fields the policy allows a portal to see, filled
from casework's status by their `from_status` constructors."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from graphql import GraphQLInputObjectType, GraphQLObjectType

from casework.status import ArrangementStatus, RestrictionStatus
from records.errors import ValidationFailed
from records.lookup import LookupKind
from records.models import ArrangementKind
from schema.portal_types import RestrictionLookup, RestrictionStatusType
from schema.root import build_schema


def schema_type(name: str) -> GraphQLObjectType | GraphQLInputObjectType:
    found = build_schema()._schema.type_map[name]
    assert isinstance(found, GraphQLObjectType | GraphQLInputObjectType)
    return found


def test_the_status_types_carry_nothing_else() -> None:
    assert set(schema_type("RestrictionStatus").fields) == {"service", "restricted", "arrangements"}
    assert set(schema_type("ArrangementStatus").fields) == {
        "kind",
        "handlingInstructions",
        "namedOfficer",
        "startsOn",
        "endsOn",
        "nextReviewOn",
    }
    assert set(schema_type("RestrictionLookup").fields) == {"email", "phone", "customerRef"}


def test_from_status_maps_every_field_and_drops_the_ids() -> None:
    arrangement = ArrangementStatus(
        kind=ArrangementKind.NAMED_OFFICER,
        handling_instructions="Pass the contact to Jo Example.",
        named_officer="Jo Example",
        starts_on=dt.date(2026, 1, 5),
        ends_on=None,
        next_review_on=dt.date(2026, 7, 5),
    )
    status = RestrictionStatus(
        service="housing",
        arrangements=(arrangement,),
        customer_ids=(uuid.uuid4(),),
        case_ids=(uuid.uuid4(),),
    )

    typed = RestrictionStatusType.from_status(status)

    assert (typed.service, typed.restricted) == ("housing", True)
    (only,) = typed.arrangements
    assert (only.kind, only.named_officer, only.starts_on, only.ends_on, only.next_review_on) == (
        ArrangementKind.NAMED_OFFICER,
        "Jo Example",
        dt.date(2026, 1, 5),
        None,
        dt.date(2026, 7, 5),
    )
    assert only.handling_instructions == "Pass the contact to Jo Example."
    assert not hasattr(typed, "customer_ids") and not hasattr(typed, "case_ids")


@pytest.mark.parametrize(
    ("lookup", "expected"),
    [
        (RestrictionLookup(email="a@example.org"), (LookupKind.EMAIL, "a@example.org")),
        (RestrictionLookup(phone="07700 900001"), (LookupKind.PHONE, "07700 900001")),
        (RestrictionLookup(customer_ref="CUS-1"), (LookupKind.CUSTOMER_REF, "CUS-1")),
    ],
)
def test_the_lookup_names_its_one_field(
    lookup: RestrictionLookup, expected: tuple[LookupKind, str]
) -> None:
    assert lookup.chosen() == expected


@pytest.mark.parametrize(
    "lookup",
    [RestrictionLookup(), RestrictionLookup(email="a@example.org", phone="07700 900001")],
)
def test_a_lookup_without_exactly_one_field_is_refused(lookup: RestrictionLookup) -> None:
    with pytest.raises(ValidationFailed) as refused:
        lookup.chosen()

    assert refused.value.field == "lookup"
