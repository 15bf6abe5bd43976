"""Execute the portal's GraphQL schema over a :class:`Store`.

Resolvers are derived from the schema shipped with ``cryoet-data-portal`` rather than
written per type (see :mod:`.schema_model`): root lists and aggregates, to-one
relationships through their ``<name>Id`` keys, to-many connections through the child's
key pointing back at the parent, ``where`` (:mod:`.filters`), ``orderBy``
(:mod:`.ordering`), ``limitOffset``, cursor paging (:mod:`.paging`) and aggregates
with ``groupBy`` (:mod:`.aggregates`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    MaxIntrospectionDepthRule,
    execute_sync,
    get_named_type,
    parse,
    validate,
)
from graphql.validation.validate import ValidationAbortedError

from .aggregates import Aggregator, ColumnValues
from .fast_executor import LeafExecutor, LeafGetter
from .filters import WhereCompiler, count_rows
from .ordering import Sorter
from .paging import connection
from .query_limits import (
    DEFAULT_LIMITS,
    QueryLimits,
    QueryTooExpensive,
    shape_rule,
    specified_rules_within,
)
from .relations import Graph
from .schema_model import SchemaModel, portal_model, portal_schema
from .store import Row, Store, global_id

Plan = Callable[[Any, GraphQLResolveInfo, dict[str, Any]], Any]

__all__ = ["Answer", "Engine", "portal_schema"]

_DOCUMENT_CACHE = 256
_CACHED_QUERY_CHARS = 65_536
# graphql-core's parser ends every refusal of a document over its limits so.
_PARSER_LIMIT = "Parsing aborted."
# ... and its validation says only this when a work budget ran out (not the error count).
_VALIDATION_BUDGET = "Validation aborted."


@dataclass(frozen=True)
class Answer:
    """A GraphQL answer and the HTTP status it goes with.

    Attributes
    ----------
    status : int
        200, or 400 when the request was refused by one of the engine's limits.
    result : dict
        The standard ``{"data": ..., "errors": [...]}`` answer.
    """

    status: int
    result: dict[str, Any]


@dataclass(frozen=True)
class _Refusal:
    """A document that will not be executed: its errors, and whether a limit refused it."""

    errors: list[GraphQLError]
    by_limit: bool


class Engine:
    """Executes GraphQL documents against a :class:`Store`.

    Parameters
    ----------
    store : Store
        The entities to serve.
    schema : GraphQLSchema, optional
        Defaults to the schema shipped with ``cryoet-data-portal``.
    files_url : str, optional
        Base URL that replaces ``{files}`` in string values (the server's file root).
    s3_url : str, optional
        Bucket URL that replaces the public bucket's in S3 paths (see :class:`.Graph`).
    limits : QueryLimits, optional
        Bounds on documents and answers (see :mod:`.query_limits`).
    """

    def __init__(
        self,
        store: Store,
        schema: GraphQLSchema | None = None,
        files_url: str | None = None,
        s3_url: str | None = None,
        limits: QueryLimits = DEFAULT_LIMITS,
    ) -> None:
        self.store = store
        self.limits = limits
        self.model = portal_model() if schema is None else SchemaModel(schema)
        self.schema = self.model.schema
        self.graph = Graph(store, files_url, s3_url)
        self.where = WhereCompiler(self.model, self.graph)
        self.sorter = Sorter(self.model, self.graph)
        self.aggregator = Aggregator(self.model, self.graph)
        self._plans: dict[tuple[str, str], Plan] = {}
        self._column_types = self._aggregate_column_types()
        self._document = functools.lru_cache(maxsize=_DOCUMENT_CACHE)(self._parse)
        self._executor: type[LeafExecutor] = type(
            "EngineExecutor",
            (LeafExecutor,),
            {
                "leaf_getter": staticmethod(self._leaf_getter),
                "max_values": limits.max_values,
                "max_resolved": limits.max_resolved,
            },
        )
        # Limits first, alone: the specified rules include quadratic ones
        # (overlapping fields) that must never see a document of unbounded size.
        self._limit_rules = (shape_rule(limits), MaxIntrospectionDepthRule)
        self._rules = specified_rules_within(limits)

    def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> dict[str, Any]:
        """Run a GraphQL document; the standard ``{"data": ..., "errors": [...]}`` answer."""
        return self.answer(query, variables, operation_name).result

    def answer(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> Answer:
        """Run a GraphQL document; the answer with its HTTP status.

        Documents over the limits (tokens, depth, aliases, fields) and answers that
        outgrow the value budget are refused with status 400 and one error saying
        which limit; other errors are answered with status 200, as usual in GraphQL.
        """
        # Only short texts are kept: a cache of 1 MB hostile queries would be large.
        short = len(query) <= _CACHED_QUERY_CHARS
        document = self._document(query) if short else self._parse(query)
        if isinstance(document, _Refusal):
            result = ExecutionResult(None, document.errors).formatted
            return Answer(400 if document.by_limit else 200, dict(result))
        try:
            executed = execute_sync(
                self.schema,
                document,
                variable_values=variables,
                operation_name=operation_name,
                field_resolver=self._resolve,
                executor_class=self._executor,
            )
        except QueryTooExpensive as error:  # in case a path re-raises it unhandled
            return Answer(400, dict(ExecutionResult(None, [error]).formatted))
        errors = executed.errors or []
        refused: list[GraphQLError] = [e for e in errors if isinstance(e, QueryTooExpensive)]
        if refused:  # no partial answer: the budget may have run out anywhere
            return Answer(400, dict(ExecutionResult(None, refused[:1]).formatted))
        return Answer(200, dict(executed.formatted))

    def warm(self) -> None:
        """Build now the indexes that relationships use, rather than on first use."""
        present = set(self.store.types())
        for entity in self.model.entities.values():
            for many in (*entity.to_many.values(), *entity.aggregates.values()):
                if many.back_key is not None and many.child in present:
                    self.store.index(many.child, many.back_key)

    def _parse(self, query: str) -> DocumentNode | _Refusal:
        # Parsed and validated once per query text: clients repeat the same paged query.
        limits = self.limits
        try:
            document = parse(
                query,
                max_lexical_tokens=limits.max_tokens,
                max_comments=limits.max_comments,
                max_source_length=limits.max_body_bytes,
            )
        except GraphQLError as error:
            return _Refusal([error], error.message.endswith(_PARSER_LIMIT))
        errors = validate(self.schema, document, self._limit_rules, max_errors=limits.max_errors)
        if not errors:
            errors = validate(self.schema, document, self._rules, max_errors=limits.max_errors)
            if not any(_out_of_budget(e) for e in errors):
                return _Refusal(errors, False) if errors else document
        if any(_out_of_budget(e) for e in errors):
            # graphql-core says only "Validation aborted.": say which work ran out.
            message = (
                "Query refused: validating it takes more work than this server spends on "
                "one query (nest fewer fragments, select each field once)."
            )
            errors = [GraphQLError(message)]
        return _Refusal(errors, True)

    # -- resolvers -------------------------------------------------------------

    def _leaf_getter(self, type_name: str, field_name: str) -> LeafGetter | None:
        """The reader of a scalar of an entity, as its resolver would answer it."""
        entity = self.model.entities.get(type_name)
        if entity is None:
            return None
        if field_name == "_id":
            return lambda row: global_id(type_name, row)
        if field_name in entity.scalars:
            return self.graph.getter(field_name, entity.scalars[field_name])
        return None

    def _resolve(self, source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        key = (info.parent_type.name, info.field_name)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._make_plan(info.parent_type, info.field_name)
        return plan(source, info, args)

    def _make_plan(self, parent: GraphQLObjectType, field_name: str) -> Plan:
        if parent is self.schema.query_type:
            return self._root_plan(field_name)
        if parent.name in self.model.entities:
            return self._entity_plan(parent.name, field_name)
        if field_name == "aggregate":
            return lambda s, info, _a: self.aggregator.entries(s["entity"], s["rows"], info)
        if parent.name in self._column_types:
            output = get_named_type(parent.fields[field_name].type).name
            return lambda s, _i, _a: self.aggregator.reduce(s, field_name, output)
        if "groupBy" in parent.fields and "count" in parent.fields:
            return self._functions_plan(field_name)
        # Connections, edges, page info and groupBy values are plain dicts.
        return lambda s, _i, _a: s.get(field_name) if isinstance(s, dict) else None

    def _root_plan(self, field_name: str) -> Plan:
        root = self.model.roots.get(field_name)
        if root is None:
            raise ValueError(f"no resolver for Query.{field_name}")
        entity = root.entity
        if root.kind == "aggregate":
            return lambda _s, _i, a: {
                "entity": entity,
                "rows": self.where.select(entity, a.get("where")),
            }
        return lambda _s, _i, a: self._root_list(entity, a)

    def _entity_plan(self, type_name: str, field_name: str) -> Plan:
        entity = self.model.entity(type_name)
        if field_name == "_id":
            return lambda s, _i, _a: global_id(type_name, s)
        if field_name in entity.scalars:
            get = self.graph.getter(field_name, entity.scalars[field_name])
            return lambda s, _i, _a: get(s)
        if field_name in entity.to_one:
            one = entity.to_one[field_name]

            def to_one(row: Row, _info: GraphQLResolveInfo, args: dict[str, Any]) -> Row | None:
                other = self.graph.related(one, row)
                test = self.where.predicate(one.target, args.get("where"))
                return None if other is None or (test and not test(other)) else other

            return to_one
        if field_name in entity.to_many:
            many = entity.to_many[field_name]

            def to_many(row: Row, _info: GraphQLResolveInfo, args: dict[str, Any]) -> Any:
                kids = self.graph.children(many, row)
                kids = self.where.select(many.child, args.get("where"), kids)
                kids = self.sorter.sort(many.child, kids, args.get("orderBy"))
                return connection(kids, args)

            return to_many
        if field_name in entity.aggregates:
            many = entity.aggregates[field_name]
            return lambda s, _i, a: {
                "entity": many.child,
                "rows": self.where.select(many.child, a.get("where"), self.graph.children(many, s)),
            }
        raise ValueError(f"no resolver for {type_name}.{field_name}")

    def _functions_plan(self, field_name: str) -> Plan:
        if field_name == "count":
            return lambda s, _i, a: count_rows(s.rows, a.get("columns"), bool(a.get("distinct")))
        if field_name == "groupBy":
            return lambda s, _i, _a: s.group
        return lambda s, _i, _a: ColumnValues(s.entity, s.rows, field_name)

    def _aggregate_column_types(self) -> set[str]:
        """Types of the ``sum``/``min``/... fields of the ``...AggregateFunctions`` types."""
        names: set[str] = set()
        for gql_type in self.schema.type_map.values():
            if not isinstance(gql_type, GraphQLObjectType):
                continue
            fields = gql_type.fields
            if "groupBy" in fields and "count" in fields:
                names.update(
                    get_named_type(f.type).name
                    for n, f in fields.items()
                    if n not in ("groupBy", "count")
                )
        return names

    def _root_list(self, entity: str, args: dict[str, Any]) -> list[Row]:
        rows = self.where.select(entity, args.get("where"))
        rows = self.sorter.sort(entity, rows, args.get("orderBy"))
        limit_offset = args.get("limitOffset") or {}
        offset, limit = limit_offset.get("offset") or 0, limit_offset.get("limit")
        if offset < 0 or (limit is not None and limit < 0):
            raise ValueError("limit and offset must be non-negative")
        return rows[offset : None if limit is None else offset + limit]


def _out_of_budget(error: GraphQLError) -> bool:
    return isinstance(error, ValidationAbortedError) and error.message == _VALIDATION_BUDGET
