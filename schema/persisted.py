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

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
    NamedTypeNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    Undefined,
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

from schema.document_ids import DOCUMENTS, document_id

if TYPE_CHECKING:
    from schema.root import TactSchema

# A root field's resolver that needs only the request's context: (context, **arguments).
ContextResolver = Callable[..., Awaitable[Any]]
# How one selected field is shaped: (response key, attribute, GraphQL type, subselection).
_Shape = tuple[tuple[str, str, GraphQLOutputType, "_Shape | None"], ...]


class DocumentInvalid(Exception):
    """A registered document does not parse or validate against the schema (start-up)."""


@dataclass(frozen=True)
class Plan:
    """How to run one registered document without graphql-core's executor."""

    key: str  # the root field's response key
    node: FieldNode
    field: GraphQLField
    operation: OperationDefinitionNode
    resolve: ContextResolver
    shape: _Shape
    quick: _QuickArguments | None = None

    async def run(
        self, schema: TactSchema, variables: Mapping[str, Any] | None, context: Any
    ) -> ExecutionResult | None:
        """The result, or None when the variables do not coerce (full execution reports it)."""
        arguments = self.quick.arguments(variables) if self.quick is not None else None
        if arguments is None:
            arguments = self._arguments(schema, variables)
            if arguments is None:
                return None
        try:
            value = await self.resolve(context, **arguments)
            shaped = _shaped(value, self.field.type, self.shape)
        except Exception as exc:
            error = located_error(exc, [self.node], [self.key])
            return ExecutionResult(data=None, errors=[error])
        return ExecutionResult(data={self.key: shaped}, errors=None)

    def _arguments(
        self, schema: TactSchema, variables: Mapping[str, Any] | None
    ) -> dict[str, Any] | None:
        """The resolver's arguments as full execution makes them (graphql-core coerces,
        strawberry converts), or None when the variables do not coerce."""
        coerced = get_variable_values(
            schema._schema,
            self.operation.variable_definitions or (),
            dict(variables or {}),
            hide_suggestions=True,
        )
        if isinstance(coerced, list):
            return None
        definition = self.field.extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
        converted: dict[str, Any] = convert_arguments(
            get_argument_values(self.field, self.node, coerced),
            definition.arguments,
            scalar_registry=schema.schema_converter.scalar_registry,
            config=schema.config,
        )
        return converted


# What a quick argument is: a String (None), or a OneOf input object of String fields given
# as (class, {GraphQL field name: Python name}).
_QuickKind = tuple[type, dict[str, str]] | None


@dataclass(frozen=True)
class _QuickArguments:
    """The resolver's arguments, made straight from variables of the simplest shapes: each
    argument a required variable of type `String!`, or of a OneOf input object whose fields
    are all `String`, given as exactly one field with a string value. Anything else (another
    shape, a value of another type, an unknown field, no field, two fields, null) gives None,
    and the variables go through graphql-core and strawberry as in full execution, which
    accept or word the error. For the shapes taken here the result is the same: a test
    compares the two ways over generated variables.

    Why (docs/hot-path.md): coercing and converting two variables through the libraries'
    general code cost more of a portal lookup's time than the lookup's SELECT."""

    arguments_of: tuple[tuple[str, str, _QuickKind], ...]  # (python name, variable, kind)

    def arguments(self, variables: Mapping[str, Any] | None) -> dict[str, Any] | None:
        if not isinstance(variables, dict):
            return None
        made: dict[str, Any] = {}
        for python_name, variable, kind in self.arguments_of:
            value = variables.get(variable)
            if kind is None:
                if type(value) is not str:
                    return None
                made[python_name] = value
                continue
            if type(value) is not dict or len(value) != 1:
                return None
            ((field, given),) = value.items()
            cls, fields = kind
            if type(given) is not str or field not in fields:
                return None
            made[python_name] = cls(**{fields[field]: given})
        return made


def _quick(
    schema: TactSchema, operation: OperationDefinitionNode, root: FieldNode, field: GraphQLField
) -> _QuickArguments | None:
    """_QuickArguments for this root field when every argument fits, else None."""
    definitions = {d.variable.name.value: d for d in operation.variable_definitions or ()}
    strawberry_field = field.extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
    python_names = {
        schema.config.name_converter.get_graphql_name(a): a.python_name
        for a in strawberry_field.arguments
    }
    arguments_of = []
    for argument in root.arguments or ():
        assert isinstance(argument.value, VariableNode)  # _plan took only variables
        variable = argument.value.name.value
        declared = definitions[variable]
        required = declared.type
        if declared.default_value is not None or not isinstance(required, NonNullTypeNode):
            return None
        if not isinstance(required.type, NamedTypeNode):
            return None
        try:
            kind = _quick_kind(schema._schema.type_map.get(required.type.name.value))
        except _NotQuick:
            return None
        arguments_of.append((python_names[argument.name.value], variable, kind))
    return _QuickArguments(tuple(arguments_of))


class _NotQuick(Exception):
    """A variable's type is not one _QuickArguments takes."""


def _quick_kind(named: Any) -> _QuickKind:
    """None for String, (class, fields) for a OneOf input object of String fields; else
    _NotQuick."""
    if named is GraphQLString:
        return None
    if not isinstance(named, GraphQLInputObjectType):
        raise _NotQuick
    definition = named.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if definition is None or not getattr(definition, "is_one_of", False):
        raise _NotQuick
    fields = {}
    for name, input_field in named.fields.items():
        if input_field.type is not GraphQLString or input_field.default_value is not Undefined:
            raise _NotQuick
        fields[name] = input_field.extensions[GraphQLCoreConverter.DEFINITION_BACKREF].python_name
    return definition.origin, fields


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
    quick = _quick(schema, operation, root, field)
    return Plan(key, root, field, operation, resolvers[root.name.value], shape, quick)


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
