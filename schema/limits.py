"""What a document may ask for, measured before anything else looks at it.

A document's work is counted on its selection *after* fragment expansion: a fragment that
spreads the next one three times, twelve levels deep, is 886 bytes of text and half a
million fields. Counting is memoised per fragment, so it costs one pass over the text however
large the expansion is; only a document under both limits goes on to the validation rules
(the depth and alias limiters among them expand fragments without memoising, so they must
never see such a document).

Two limits:
- fields: every field selected, once per place it ends up after expansion;
- cost: each root field's price (OPERATION_COSTS, 1 unless listed), so a costly operation
  cannot be multiplied with aliases (verifyAccessLog recomputes the whole chain: once per
  document).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
)
from graphql.validation import ASTValidationRule, ValidationRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

MAX_FIELDS = 500
MAX_COST = 30
# Root fields that cost more than 1: verify walks the whole log; the log's lists read up to
# 500 entries each; a case list up to 100 cases.
OPERATION_COSTS = {
    "verifyAccessLog": 20,
    "accessLog": 5,
    "breakGlassReview": 5,
    "cases": 3,
}


@dataclass(frozen=True)
class Measure:
    fields: int
    cost: int

    def __add__(self, other: Measure) -> Measure:
        return Measure(self.fields + other.fields, self.cost + other.cost)


_NOTHING = Measure(0, 0)


class _Counter:
    """Counts one document. A fragment is counted once, however often it is spread; a
    fragment spread inside itself (refused later by validation) counts nothing."""

    def __init__(self, document: DocumentNode) -> None:
        self._fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._known: dict[tuple[str, bool], Measure] = {}
        self._open: set[str] = set()

    def selection(self, selection_set: SelectionSetNode | None, root: bool) -> Measure:
        total = _NOTHING
        for node in selection_set.selections if selection_set else ():
            if isinstance(node, FieldNode):
                price = OPERATION_COSTS.get(node.name.value, 1) if root else 0
                total += Measure(1, price) + self.selection(node.selection_set, False)
            elif isinstance(node, InlineFragmentNode):
                total += self.selection(node.selection_set, root)
            elif isinstance(node, FragmentSpreadNode):
                total += self._fragment(node.name.value, root)
        return total

    def _fragment(self, name: str, root: bool) -> Measure:
        if (name, root) in self._known:
            return self._known[(name, root)]
        fragment = self._fragments.get(name)
        if fragment is None or name in self._open:
            return _NOTHING
        self._open.add(name)
        measure = self.selection(fragment.selection_set, root)
        self._open.discard(name)
        self._known[(name, root)] = measure
        return measure


def measure(document: DocumentNode) -> Measure:
    """Fields and cost of every operation in the document, fragments expanded."""
    counter = _Counter(document)
    total = _NOTHING
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            total += counter.selection(definition.selection_set, True)
    return total


def refusals(document: DocumentNode) -> Iterator[GraphQLError]:
    found = measure(document)
    if found.fields > MAX_FIELDS:
        yield GraphQLError(
            f"The query selects {found.fields} fields once its fragments are expanded; "
            f"at most {MAX_FIELDS} are allowed."
        )
    if found.cost > MAX_COST:
        yield GraphQLError(
            f"The query's operations cost {found.cost}; at most {MAX_COST} per request "
            "(verifyAccessLog once, accessLog or breakGlassReview up to five times)."
        )


class StorableText(ValidationRule):
    """A string written into the document may hold "\\u0000", which no PostgreSQL text
    column accepts; refused here like any other invalid document (variables are checked as
    the body is read)."""

    def enter_string_value(self, node: StringValueNode, *_args: object) -> None:
        if "\x00" in node.value:
            self.report_error(GraphQLError("A string here holds a NUL character.", node))


@lru_cache(maxsize=256)
def checked(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
) -> list[GraphQLError]:
    """The document's limits, then (only within them) the validation rules. Cached like
    strawberry's ValidationCache: ParserCache hands back the same document for the same
    text, so a repeated query is neither measured nor validated twice."""
    refused = list(refusals(document))
    return refused or validate_document(schema, document, rules)


class DocumentLimits(SchemaExtension):
    """In place of strawberry's ValidationCache: measure, then validate, cached."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None
        context.pre_execution_errors = checked(
            context.schema._schema, context.graphql_document, context.validation_rules
        )
        yield
