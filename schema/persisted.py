"""Persisted documents: the portal's operations, registered with Tact, parsed and validated once
at start-up, and sent by id instead of by text.

    POST /graphql  {"documentId": "sha256:9f2c...", "variables": {...}}

The documents are the files in `schema/documents/`; a document's id is "sha256:" and the hex
SHA-256 of its file's bytes (`tact schema documents` prints them). A client may still send
the same text as `query`: it is recognised and takes the same path.

Why (docs/hot-path.md): for the portal's question, graphql-core's execution of a small,
fixed document cost more than everything else a request does. So a registered document
whose root field has a context resolver (schema/portal.py) and whose selection is plain
fields runs on a *plan* made at start-up:

- variables are coerced by graphql-core's own `get_variable_values`, and arguments by its
  `get_argument_values` and strawberry's `convert_arguments`, so a value is accepted or
  refused exactly as in full execution; a request whose variables do not coerce goes to full
  execution, which reports the error in its usual words;
- the root field's context resolver runs: the same function the schema's resolver calls,
  which goes through the gate like every other read;
- its result is shaped by walking the document's selection, each leaf serialised by its
  GraphQL type, and an error raised by the resolver is located at the root field, as
  graphql-core would report it (a test compares the two paths' answers).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    is_leaf_type,
    located_error,
    parse,
    specified_rules,
    validate,
)
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.validation import ASTValidationRule
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import ExecutionResult
from strawberry.types.arguments import convert_arguments

if TYPE_CHECKING:
    from schema.root import TactSchema

DOCUMENTS = Path(__file__).with_name("documents")
ID_PREFIX = "sha256:"
# A root field's resolver that needs only the request's context: (context, **arguments).
ContextResolver = Callable[..., Awaitable[Any]]
# How one selected field is shaped: (response key, attribute, GraphQL type, subselection).
_Shape = tuple[tuple[str, str, GraphQLOutputType, "_Shape | None"], ...]


class DocumentInvalid(Exception):
    """A registered document does not parse or validate against the schema (start-up)."""


def document_id(text: bytes) -> str:
    return ID_PREFIX + hashlib.sha256(text).hexdigest()


def id_of(name: str, folder: Path = DOCUMENTS) -> str:
    """The id of the registered document `name` (its file's stem), as a portal sends it."""
    return document_id((folder / f"{name}.graphql").read_bytes())


@dataclass(frozen=True)
class Plan:
    """How to run one registered document without graphql-core's executor."""

    key: str  # the root field's response key
    node: FieldNode
    field: GraphQLField
    operation: OperationDefinitionNode
    resolve: ContextResolver
    shape: _Shape

    async def run(
        self, schema: TactSchema, variables: Mapping[str, Any] | None, context: Any
    ) -> ExecutionResult | None:
        """The result, or None when the variables do not coerce (full execution reports it)."""
        coerced = get_variable_values(
            schema._schema,
            self.operation.variable_definitions or (),
            dict(variables or {}),
            hide_suggestions=True,
        )
        if isinstance(coerced, list):
            return None
        definition = self.field.extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
        arguments = convert_arguments(
            get_argument_values(self.field, self.node, coerced),
            definition.arguments,
            scalar_registry=schema.schema_converter.scalar_registry,
            config=schema.config,
        )
        try:
            value = await self.resolve(context, **arguments)
            shaped = _shaped(value, self.field.type, self.shape)
        except Exception as exc:
            error = located_error(exc, [self.node], [self.key])
            return ExecutionResult(data=None, errors=[error])
        return ExecutionResult(data={self.key: shaped}, errors=None)


@dataclass(frozen=True)
class Document:
    id: str
    name: str
    text: str
    plan: Plan | None


class PersistedDocuments:
    """The registered documents, by id and by text."""

    def __init__(self, documents: list[Document]) -> None:
        self._by_id = {d.id: d for d in documents}
        self._by_text = {d.text: d for d in documents}

    @classmethod
    def load(
        cls,
        schema: TactSchema,
        rules: list[type[ASTValidationRule]],
        resolvers: Mapping[str, ContextResolver],
        folder: Path = DOCUMENTS,
    ) -> PersistedDocuments:
        documents = []
        for path in sorted(folder.glob("*.graphql")):
            raw = path.read_bytes()
            text = raw.decode("utf-8")
            try:
                parsed = parse(text)
            except GraphQLError as error:
                raise DocumentInvalid(f"{path.name}: {error.message}") from None
            errors = validate(schema._schema, parsed, [*specified_rules, *rules])
            if errors:
                raise DocumentInvalid(f"{path.name}: {errors[0].message}")
            plan = _plan(schema, parsed, resolvers)
            documents.append(Document(document_id(raw), path.stem, text, plan))
        return cls(documents)

    def __iter__(self) -> Any:
        return iter(self._by_id.values())

    def by_id(self, wanted: str) -> Document | None:
        return self._by_id.get(wanted)

    def by_text(self, text: str | None) -> Document | None:
        return self._by_text.get(text) if text is not None else None


def _plan(
    schema: TactSchema, document: DocumentNode, resolvers: Mapping[str, ContextResolver]
) -> Plan | None:
    """A plan when the document is one query of one root field with a context resolver,
    its arguments all variables, and its selection plain fields; else None."""
    (operation, *others) = document.definitions
    if others or not isinstance(operation, OperationDefinitionNode):
        return None
    if operation.operation is not OperationType.QUERY or operation.directives:
        return None
    (root, *more) = operation.selection_set.selections
    if more or not isinstance(root, FieldNode) or root.name.value not in resolvers:
        return None
    if root.directives:
        return None
    if any(not isinstance(a.value, VariableNode) for a in root.arguments or ()):
        return None
    query_type = schema._schema.query_type
    assert query_type is not None
    field = query_type.fields[root.name.value]
    try:
        shape = _shape_of(root, field.type)
    except _NotPlain:
        return None
    if shape is None:
        return None
    key = root.alias.value if root.alias else root.name.value
    return Plan(key, root, field, operation, resolvers[root.name.value], shape)


class _NotPlain(Exception):
    """The selection holds more than plain fields of plain attributes."""


def _shape_of(node: FieldNode, output: GraphQLOutputType) -> _Shape | None:
    """The selection under `node` as a _Shape (None for a leaf). _NotPlain if it holds
    anything but plain fields of plain attributes (fragments, directives, resolvers,
    __typename)."""
    named = _unwrapped(output)
    if is_leaf_type(named) and node.selection_set is None:
        return None
    if not isinstance(named, GraphQLObjectType) or node.selection_set is None:
        raise _NotPlain
    shape = []
    for selection in node.selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.directives or selection.arguments:
            raise _NotPlain
        name = selection.name.value
        if name not in named.fields:
            raise _NotPlain
        child = named.fields[name]
        definition = child.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if definition is None or definition.base_resolver is not None:
            raise _NotPlain
        key = selection.alias.value if selection.alias else name
        shape.append((key, definition.python_name, child.type, _shape_of(selection, child.type)))
    return tuple(shape)


def _unwrapped(output: GraphQLOutputType) -> Any:
    while isinstance(output, GraphQLNonNull | GraphQLList):
        output = output.of_type
    return output


def _shaped(value: Any, output: GraphQLOutputType, shape: _Shape | None) -> Any:
    """`value` as graphql-core would complete it for `output` and the selection `shape`."""
    if isinstance(output, GraphQLNonNull):
        if value is None:
            raise GraphQLError("a non-null field returned no value")
        return _shaped(value, output.of_type, shape)
    if value is None:
        return None
    if isinstance(output, GraphQLList):
        return [_shaped(item, output.of_type, shape) for item in value]
    if shape is None:
        assert isinstance(output, GraphQLLeafType)
        return output.serialize(value)
    return {key: _shaped(getattr(value, attr), out, below) for key, attr, out, below in shape}
