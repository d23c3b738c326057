"""schema/limits.py: a document measured after fragment expansion, in one pass over its text."""

from __future__ import annotations

from graphql import parse

from schema.limits import MAX_COST, MAX_FIELDS, Measure, measure, refusals


def spread_chain(levels: int, fanout: int = 3) -> str:
    lines = ["{ ...F0 }"]
    for level in range(levels):
        lines.append(f"fragment F{level} on Query {{ " + f"...F{level + 1} " * fanout + "}")
    lines.append(f"fragment F{levels} on Query {{ verifyAccessLog {{ ok }} }}")
    return "\n".join(lines)


def test_fields_are_counted_once_per_place_they_end_up() -> None:
    document = parse("{ cases { edges { cursor node { reference } } } }")

    assert measure(document) == Measure(fields=5, cost=3)


def test_a_fragment_is_counted_once_however_often_it_is_spread() -> None:
    # 40 levels expand to 3**40 copies: only memoisation makes this countable.
    found = measure(parse(spread_chain(40)))

    assert found.fields == 2 * 3**40
    assert found.cost == 20 * 3**40
    assert len(list(refusals(parse(spread_chain(40))))) == 2


def test_root_fields_reached_through_fragments_pay_their_price() -> None:
    document = parse(
        "{ ...A a2: verifyAccessLog { ok } } fragment A on Query { verifyAccessLog { ok } }"
    )

    assert measure(document).cost == 40 > MAX_COST


def test_a_fragment_spread_inside_itself_counts_nothing_and_leaves_it_to_validation() -> None:
    document = parse("{ ...A } fragment A on Query { cases { edges { cursor } } ...A }")

    assert measure(document) == Measure(fields=3, cost=3)


def test_within_the_limits_nothing_is_refused() -> None:
    fields = " ".join(f"r{i}: restricted" for i in range(MAX_FIELDS - 1))
    document = parse("{ restrictionStatus { " + fields + " } }")

    assert measure(document) == Measure(fields=MAX_FIELDS, cost=1)
    assert list(refusals(document)) == []
