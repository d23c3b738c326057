"""A registered document's quick arguments (schema/persisted.py `_QuickArguments`): for every
variables value it takes, the resolver gets what graphql-core and strawberry make of it in
full execution; everything else it leaves to them."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from records.lookup import LookupKind
from schema.persisted import Plan
from schema.portal_types import RestrictionLookup
from schema.root import TactSchema, build_schema

SCHEMA: TactSchema = build_schema()
(STATUS,) = [d for d in SCHEMA.documents if d.name == "RestrictionStatus"]
assert STATUS.plan is not None and STATUS.plan.quick is not None
PLAN: Plan = STATUS.plan

# Short texts, and the malformed ones a portal sends (a slug in capitals or with spaces, a
# lookup far over its bound): refused by the resolver, so both ways must hand them over alike.
texts = st.text(max_size=12) | st.sampled_from(["", " ", "HOUSING", " housing ", "a" * 5000])
others = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.lists(texts))
fields = st.sampled_from(["email", "phone", "customerRef"])
odd_fields = st.sampled_from(["customer_ref", "Email", "", "service"])


@st.composite
def variables(draw: st.DrawFn) -> Any:
    """The portal's usual variables, then (mostly) one part of them made odd."""
    made: Any = {"lookup": {draw(fields): draw(texts)}, "service": draw(texts)}
    change = draw(st.integers(0, 8))
    if change == 1:
        made["service"] = draw(others)
    elif change == 2:
        made["lookup"] = {field: draw(others) for field in made["lookup"]}
    elif change == 3:
        made["lookup"] = {draw(odd_fields): draw(texts)}
    elif change == 4:
        made["lookup"][draw(fields | odd_fields)] = draw(texts | others)
    elif change == 5:
        made["lookup"] = draw(others | st.just({}))
    elif change == 6:
        del made[draw(st.sampled_from(["lookup", "service"]))]
    elif change == 7:
        made = draw(others)
    elif change == 8:
        made["other"] = draw(texts | others)
    return made


def _shown(arguments: dict[str, Any] | None) -> Any:
    """Arguments compared by value (input objects are compared by their fields)."""
    if arguments is None:
        return None
    return {k: vars(v) if isinstance(v, RestrictionLookup) else v for k, v in arguments.items()}


@settings(max_examples=400, deadline=None)
@given(variables())
def test_quick_arguments_are_full_executions_whenever_taken(given_variables: Any) -> None:
    quick = PLAN.quick.arguments(given_variables)  # type: ignore[union-attr]
    if quick is not None:
        assert _shown(quick) == _shown(PLAN._arguments(SCHEMA, given_variables))


def test_the_portals_usual_variables_are_taken_quickly_and_odd_ones_are_not() -> None:
    quick = PLAN.quick
    assert quick is not None
    taken = quick.arguments({"lookup": {"email": "a@example.org"}, "service": "housing"})
    assert taken is not None and taken["service"] == "housing"
    assert taken["lookup"].chosen() == (LookupKind.EMAIL, "a@example.org")
    taken = quick.arguments({"lookup": {"customerRef": "C-1"}, "service": "housing"})
    assert taken is not None and taken["lookup"].chosen() == (LookupKind.CUSTOMER_REF, "C-1")
    for odd in (
        {"lookup": {"email": "a@example.org", "phone": "1"}, "service": "housing"},
        {"lookup": {}, "service": "housing"},
        {"lookup": {"email": None}, "service": "housing"},
        {"lookup": {"email": 5}, "service": "housing"},
        {"lookup": {"mail": "a@example.org"}, "service": "housing"},
        {"lookup": {"email": "a@example.org"}},
        {"lookup": {"email": "a@example.org"}, "service": None},
        None,
    ):
        assert quick.arguments(odd) is None
