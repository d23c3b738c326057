"""The root schema, composed from each area's Query (and, later, Mutation) class, with the
request limits and caches that every operation passes through.

Limits and caches are built once here: strawberry constructs its extensions per request, so
the validation rules are made up front and shared, which is also what lets ValidationCache
recognise a repeated query (its key includes the rule classes).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule
from graphql.validation import ASTValidationRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from authz.group_commit import AccessLogUnavailable
from records.database import DatabaseUnavailable, is_unavailable
from schema.access_log import AccessLogQuery
from schema.attachments import AttachmentQuery
from schema.cases import CaseQuery
from schema.contact_check import ContactCheckQuery
from schema.deadlines import DeadlineQuery
from schema.errors import Concealment, log_errors, one_of_types, present_all
from schema.holds import HoldMutation, HoldQuery
from schema.limits import DocumentLimits, StorableText
from schema.persisted import PersistedDocuments
from schema.portal import CONTEXT_RESOLVERS, PortalQuery
from schema.reports import ReportQuery
from schema.retention import RetentionMutation, RetentionQuery
from schema.screening import ScreeningMutation, ScreeningQuery
from schema.subject_access import SubjectAccessMutation, SubjectAccessQuery
from schema.workflow import WorkflowMutation

MAX_DEPTH = 8
MAX_ALIASES = 10
MAX_TOKENS = 1000
# Distinct query texts kept parsed (schema/limits.py keeps as many validated). Portals send
# a handful of fixed documents with variables; the bound stops a stream of unique texts from
# growing memory.
CACHE_SIZE = 256


@strawberry.type
class Query(
    PortalQuery, CaseQuery, AccessLogQuery, DeadlineQuery, ContactCheckQuery, ScreeningQuery,
    RetentionQuery, HoldQuery, SubjectAccessQuery, ReportQuery, AttachmentQuery,
):  # fmt: skip
    pass


@strawberry.type
class Mutation(
    WorkflowMutation, ScreeningMutation, RetentionMutation, HoldMutation, SubjectAccessMutation
):
    pass


class TactSchema(strawberry.Schema):
    """strawberry's Schema with Tact's error handling: every result's errors pass through
    schema/errors.py here, on every path (an extension would miss errors raised by other
    extensions, such as a parse error inside ParserCache)."""

    one_of: dict[str, frozenset[str]]
    # Set with introspection off: request errors then name only what the caller wrote.
    type_names: frozenset[str] | None
    documents: PersistedDocuments

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        planned = await self.execute_planned(query, variable_values, context_value, operation_name)
        if planned is not None:
            return planned
        if getattr(context_value, "registered_only", False) and not self.documents.by_text(query):
            return unregistered(context_value)
        result = await super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed_operation_types,
            operation_extensions,
        )
        return self._presented(result, query, context_value)

    async def execute_planned(
        self,
        query: str | None,
        variables: dict[str, Any] | None,
        context: Any,
        operation_name: str | None,
    ) -> ExecutionResult | None:
        """A registered document with a plan, run on it (schema/persisted.py); None when the
        document has no plan, or its variables do not coerce (full execution then runs it
        and words the error)."""
        document = self.documents.by_text(query)
        if document is None or document.plan is None:
            return None
        named = document.plan.operation.name
        if operation_name is not None and (named is None or named.value != operation_name):
            return None
        result = await document.plan.run(self, variables, context)
        if result is None:
            return None
        if result.errors:
            log_errors(result.errors, context)
        return self._presented(result, query, context)

    def _presented(
        self, result: ExecutionResult, query: str | None, context: Any
    ) -> ExecutionResult:
        """`result` with its errors as Tact shows them (schema/errors.py)."""
        if result.errors:
            raise_if_unavailable(result.errors)  # the edge answers 503 (api/faults.py)
            concealed = None
            if self.type_names is not None:
                concealed = Concealment.of(query, self.type_names)
            result.errors = present_all(result.errors, self.one_of, context, concealed)
        return result

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # strawberry's default logs each message with its traceback; messages can quote input.
        log_errors(errors, execution_context.context if execution_context else None)


def _rules(introspection: bool) -> list[type[ASTValidationRule]]:
    rules: list[type[ASTValidationRule]] = [
        StorableText,
        *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
        *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    ]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return rules


def build_schema(*, introspection: bool = False) -> TactSchema:
    """The schema. `introspection` only adds or removes a validation rule: the types, and so
    schema.graphql, are the same either way."""
    rules = _rules(introspection)
    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=CACHE_SIZE),
        lambda: AddValidationRules(rules),
        # Measures the document after fragment expansion, then validates (cached).
        DocumentLimits,
    ]
    schema = TactSchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        # Suggestions ("did you mean ...?") would describe the schema when introspection is off.
        config=StrawberryConfig(disable_field_suggestions=not introspection),
    )
    schema.one_of = one_of_types(schema._schema)
    schema.type_names = None if introspection else frozenset(schema._schema.type_map)
    schema.documents = PersistedDocuments.load(schema, rules, CONTEXT_RESOLVERS)
    return schema


def schema_sdl() -> str:
    """The text of schema.graphql."""
    return str(build_schema()) + "\n"


def unregistered(context: Any) -> ExecutionResult:
    """The refusal of a document that is not registered, for a caller held to registered
    ones (a portal key): no field ran, so it is a request error (400 with
    application/graphql-response+json)."""
    error = GraphQLError(
        "this credential runs registered documents only: send `documentId` "
        "(`tact schema documents` lists them)",
        extensions={
            "code": "PERSISTED_DOCUMENT_REQUIRED",
            "requestId": getattr(context, "request_id", None),
        },
    )
    log_errors([error], context)
    return ExecutionResult(data=None, errors=[error])


def raise_if_unavailable(errors: list[GraphQLError]) -> None:
    """A field that failed because the database or the access log could not be reached fails
    the whole request as unavailable (503), not as INTERNAL inside a 200."""
    for error in errors:
        original = error.original_error
        if is_unavailable(original) or isinstance(original, AccessLogUnavailable):
            raise DatabaseUnavailable("storage unavailable") from original
