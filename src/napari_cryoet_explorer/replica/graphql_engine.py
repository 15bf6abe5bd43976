"""Execute the portal's GraphQL schema over a :class:`Store`.

Resolvers are derived from the schema shipped with ``cryoet-data-portal`` rather than
written per type: list and aggregate root fields, to-one relationships through their
``<name>Id`` keys, to-many connections through the child's key pointing back at the
parent, and ``where`` / ``orderBy`` / ``limitOffset`` / cursor paging as the portal
implements them.
"""

from __future__ import annotations

import base64
import functools
import math
import re
import statistics
from collections.abc import Callable, Sequence
from datetime import datetime
from importlib import resources
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    build_schema,
    get_named_type,
    graphql_sync,
)

from .store import Row, Store

Resolver = Callable[[Any, dict[str, Any]], Any]


@functools.cache
def portal_schema() -> GraphQLSchema:
    """The GraphQL schema shipped inside the ``cryoet-data-portal`` package (parsed once)."""
    text = (resources.files("cryoet_data_portal") / "data" / "schema.graphql").read_text()
    return build_schema(text)


def _unwrap(gql_type: Any) -> Any:
    while isinstance(gql_type, GraphQLNonNull):
        gql_type = gql_type.of_type
    return gql_type


def _is_list(field: GraphQLField) -> bool:
    return isinstance(_unwrap(field.type), GraphQLList)


def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor:{index}".encode()).decode()


def _cursor_index(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        text = base64.b64decode(cursor.encode()).decode()
        return int(text.split(":", 1)[1])
    except (ValueError, IndexError) as exc:
        raise ValueError(f"invalid cursor {cursor!r}") from exc


@functools.lru_cache(maxsize=512)
def _like_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    # SQL LIKE: % any run, _ any one character, backslash escapes the next character.
    parts = []
    chars = iter(pattern)
    for ch in chars:
        if ch == "\\":
            parts.append(re.escape(next(chars, "\\")))
        elif ch == "%":
            parts.append(".*")
        elif ch == "_":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _as_datetime(value: Any) -> Any:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        # Compare naive values as UTC so that mixed inputs stay comparable.
        return (
            parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.now().astimezone().tzinfo)
        )
    return value


def compare(value: Any, comparators: dict[str, Any], *, is_datetime: bool = False) -> bool:
    """Whether ``value`` satisfies every comparator (``_eq``, ``_ilike``, ...)."""
    if is_datetime:
        value = _as_datetime(value)
    for op, operand in comparators.items():
        if operand is None and op != "_is_null":
            continue
        if is_datetime:
            operand = (
                [_as_datetime(v) for v in operand]
                if isinstance(operand, list)
                else _as_datetime(operand)
            )
        if op == "_is_null":
            if (value is None) != bool(operand):
                return False
            continue
        if value is None:
            # SQL semantics: comparisons with NULL are never true.
            return False
        if not _compare_one(op, value, operand):
            return False
    return True


def _compare_one(op: str, value: Any, operand: Any) -> bool:
    if op == "_eq":
        return bool(value == operand)
    if op == "_neq":
        return bool(value != operand)
    if op == "_in":
        return value in operand
    if op == "_nin":
        return value not in operand
    if op == "_gt":
        return bool(value > operand)
    if op == "_gte":
        return bool(value >= operand)
    if op == "_lt":
        return bool(value < operand)
    if op == "_lte":
        return bool(value <= operand)
    if op in ("_like", "_ilike", "_nlike", "_nilike"):
        hit = _like_regex(operand, op in ("_ilike", "_nilike")).fullmatch(str(value)) is not None
        return hit if op in ("_like", "_ilike") else not hit
    if op in ("_regex", "_nregex"):
        hit = re.search(operand, str(value)) is not None
        return hit if op == "_regex" else not hit
    raise ValueError(f"unknown comparator {op}")


class Engine:
    """Executes GraphQL documents against a :class:`Store`.

    Parameters
    ----------
    store : Store
        The entities to serve.
    schema : GraphQLSchema, optional
        Defaults to the schema shipped with ``cryoet-data-portal``.
    """

    def __init__(self, store: Store, schema: GraphQLSchema | None = None) -> None:
        self.store = store
        self.schema = schema or portal_schema()
        self._plans: dict[tuple[str, str], Resolver] = {}

    def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> dict[str, Any]:
        """Run a GraphQL document and return the standard ``{"data", "errors"}`` answer."""
        result = graphql_sync(
            self.schema,
            query,
            variable_values=variables,
            operation_name=operation_name,
            field_resolver=self._resolve,
        )
        return dict(result.formatted)

    # -- schema introspection -------------------------------------------------

    def _object(self, name: str) -> GraphQLObjectType:
        gql_type = self.schema.get_type(name)
        assert isinstance(gql_type, GraphQLObjectType), name
        return gql_type

    def _named(self, field: GraphQLField) -> GraphQLNamedType:
        return get_named_type(field.type)

    def _is_relation(self, field: GraphQLField) -> bool:
        return isinstance(self._named(field), GraphQLObjectType)

    @functools.cache  # noqa: B019 - one engine per store, kept for the server's life
    def _connection_child(self, connection_type: str) -> str:
        edges = self._object(connection_type).fields["edges"]
        edge = self._object(self._named(edges).name)
        return self._named(edge.fields["node"]).name

    @functools.cache  # noqa: B019
    def _back_key(self, child_type: str, parent_type: str) -> str | None:
        """The child's foreign-key field pointing at ``parent_type``."""
        fields = self._object(child_type).fields
        candidates = [
            name
            for name, f in fields.items()
            if not _is_list(f) and self._named(f).name == parent_type and f"{name}Id" in fields
        ]
        if not candidates:
            return None
        preferred = parent_type[0].lower() + parent_type[1:]
        name = preferred if preferred in candidates else candidates[0]
        return f"{name}Id"

    def _children(self, parent_type: str, child_type: str, row: Row) -> list[Row]:
        key = self._back_key(child_type, parent_type)
        if key is None:
            return []
        return self.store.children(child_type, key, row.get("id"))

    def _to_one(self, parent_type: str, field_name: str, row: Row) -> Row | None:
        target = self._named(self._object(parent_type).fields[field_name]).name
        key = row.get(f"{field_name}Id")
        if key is not None:
            return self.store.get(target, key)
        back = self._back_key(target, parent_type)
        if back is None:
            return None
        found = self.store.children(target, back, row.get("id"))
        return found[0] if found else None

    # -- where / orderBy -------------------------------------------------------

    def matches(self, type_name: str, row: Row, where: dict[str, Any] | None) -> bool:
        """Whether ``row`` of ``type_name`` satisfies a ``...WhereClause``."""
        if not where:
            return True
        fields = self._object(type_name).fields
        for key, cond in where.items():
            if cond is None:
                continue
            if key.endswith("Aggregate") and key not in fields:
                raise ValueError(f"{type_name} has no field {key}")
            field = fields.get(key)
            if field is None:
                raise ValueError(f"{type_name} has no field {key}")
            named = self._named(field)
            if key.endswith("Aggregate") and self._is_relation(field):
                if not self._aggregate_matches(type_name, key, row, cond):
                    return False
            elif not self._is_relation(field):
                is_dt = named.name == "DateTime"
                if not compare(row.get(key), cond, is_datetime=is_dt):
                    return False
            elif _is_list(field) or named.name.endswith("Connection"):
                child = self._connection_child(named.name)
                kids = self._children(type_name, child, row)
                if not any(self.matches(child, kid, cond) for kid in kids):
                    return False
            else:
                related = self._to_one(type_name, key, row)
                if related is None or not self.matches(named.name, related, cond):
                    return False
        return True

    def _aggregate_matches(self, type_name: str, key: str, row: Row, cond: dict[str, Any]) -> bool:
        child = self._named(self._object(type_name).fields[key]).name.removesuffix("Aggregate")
        count_clause = cond.get("count") or {}
        kids = [
            k
            for k in self._children(type_name, child, row)
            if self.matches(child, k, count_clause.get("filter"))
        ]
        n = _count(kids, count_clause.get("arguments"), bool(count_clause.get("distinct")))
        return compare(n, count_clause.get("predicate") or {})

    def _filter(
        self, type_name: str, rows: Sequence[Row], where: dict[str, Any] | None
    ) -> list[Row]:
        if not where:
            return list(rows)
        return [r for r in rows if self.matches(type_name, r, where)]

    def _sort_value(self, type_name: str, row: Row, clause: dict[str, Any]) -> tuple[Any, str]:
        (key, direction), *_ = ((k, v) for k, v in clause.items() if v is not None)
        if isinstance(direction, dict):
            related = self._to_one(type_name, key, row)
            if related is None:
                return None, _first_direction(direction)
            target = self._named(self._object(type_name).fields[key]).name
            return self._sort_value(target, related, direction)
        return row.get(key), direction

    def _order(
        self, type_name: str, rows: list[Row], order_by: list[dict[str, Any]] | None
    ) -> list[Row]:
        for clause in reversed(order_by or []):
            if not any(v is not None for v in clause.values()):
                continue
            keyed = [(self._sort_value(type_name, r, clause), r) for r in rows]
            direction = keyed[0][0][1] if keyed else "asc"
            desc = direction.startswith("desc")
            # Postgres defaults: NULLS LAST for asc, NULLS FIRST for desc.
            nulls_first = direction.endswith("nulls_first") or (desc and "nulls" not in direction)
            present = [(v, r) for (v, _), r in keyed if v is not None]
            present.sort(key=lambda item: item[0], reverse=desc)
            nulls = [r for (v, _), r in keyed if v is None]
            ordered = [r for _, r in present]
            rows = nulls + ordered if nulls_first else ordered + nulls
        return rows

    # -- resolvers -------------------------------------------------------------

    def _resolve(self, source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        key = (info.parent_type.name, info.field_name)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._make_plan(info.parent_type, info.field_name)
        return plan(source, args)

    def _make_plan(self, parent: GraphQLObjectType, field_name: str) -> Resolver:
        field = parent.fields[field_name]
        named = self._named(field)
        if parent.name == "Query":
            if field_name.endswith("Aggregate"):
                child = named.name.removesuffix("Aggregate")
                return lambda _s, a: self._aggregate(
                    child,
                    self._filter(child, self._candidates(child, a.get("where")), a.get("where")),
                )
            return lambda _s, a: self._root_list(named.name, a)
        if parent.name.endswith("AggregateFunctions"):
            return self._aggregate_function(field_name)
        if field_name == "_id":
            return lambda s, _a: base64.b64encode(f"{parent.name}:{s.get('id')}".encode()).decode()
        if not isinstance(named, GraphQLObjectType):
            return lambda s, _a: (
                s.get(field_name) if isinstance(s, dict) else getattr(s, field_name, None)
            )
        if named.name.endswith("Connection") and "edges" in named.fields:
            child = self._connection_child(named.name)
            return lambda s, a: self._connection(parent.name, child, s, a)
        if field_name.endswith("Aggregate") and "aggregate" in named.fields:
            child = named.name.removesuffix("Aggregate")
            return lambda s, a: self._aggregate(
                child, self._filter(child, self._children(parent.name, child, s), a.get("where"))
            )
        if isinstance(_unwrap(field.type), GraphQLList) or not isinstance(
            parent, GraphQLObjectType
        ):
            return lambda s, _a: s.get(field_name)
        if parent.name.endswith(("Aggregate", "Connection", "Edge", "Columns", "Options")):
            return lambda s, _a: s.get(field_name)
        return lambda s, _a: self._to_one(parent.name, field_name, s)

    def _candidates(self, type_name: str, where: dict[str, Any] | None) -> list[Row]:
        """Rows that may match ``where``: narrowed through indexes where possible."""
        narrowed = self._narrow(type_name, where)
        return self.store.rows(type_name) if narrowed is None else narrowed

    def _narrow(self, type_name: str, where: dict[str, Any] | None) -> list[Row] | None:
        """Rows reachable through an id or foreign-key ``_eq``/``_in``, also through
        nested to-one filters (``{run: {dataset: {id: {_eq: 1}}}}``); None if no index
        applies. The full ``where`` is still checked on the result."""
        fields = self._object(type_name).fields
        for key, cond in (where or {}).items():
            if not isinstance(cond, dict):
                continue
            values = [cond["_eq"]] if cond.get("_eq") is not None else cond.get("_in")
            if values is not None and key == "id":
                found = (self.store.get(type_name, v) for v in values)
                return [r for r in found if r is not None]
            if values is not None and key.endswith("Id"):
                return [r for v in values for r in self.store.children(type_name, key, v)]
            field = fields.get(key)
            if field is None or not self._is_relation(field) or _is_list(field):
                continue
            target = self._named(field).name
            if target.endswith("Connection") or f"{key}Id" not in fields:
                continue
            parents = self._narrow(target, cond)
            if parents is None:
                continue
            return [
                r
                for p in parents
                if self.matches(target, p, cond)
                for r in self.store.children(type_name, f"{key}Id", p.get("id"))
            ]
        return None

    def _root_list(self, type_name: str, args: dict[str, Any]) -> list[Row]:
        where = args.get("where")
        rows = self._filter(type_name, self._candidates(type_name, where), where)
        rows = self._order(type_name, rows, args.get("orderBy"))
        limit_offset = args.get("limitOffset") or {}
        offset = limit_offset.get("offset") or 0
        limit = limit_offset.get("limit")
        return rows[offset : None if limit is None else offset + limit]

    def _connection(
        self, parent: str, child: str, row: Row, args: dict[str, Any]
    ) -> dict[str, Any]:
        rows = self._filter(child, self._children(parent, child, row), args.get("where"))
        rows = self._order(child, rows, args.get("orderBy"))
        after, before = _cursor_index(args.get("after")), _cursor_index(args.get("before"))
        start = 0 if after is None else after + 1
        stop = len(rows) if before is None else min(before, len(rows))
        first, last = args.get("first"), args.get("last")
        if first is not None:
            stop = min(stop, start + max(first, 0))
        if last is not None:
            start = max(start, stop - max(last, 0))
        edges = [{"cursor": _cursor(i), "node": rows[i]} for i in range(start, stop)]
        return {
            "edges": edges,
            "pageInfo": {
                "hasNextPage": stop < len(rows),
                "hasPreviousPage": start > 0,
                "startCursor": edges[0]["cursor"] if edges else None,
                "endCursor": edges[-1]["cursor"] if edges else None,
            },
        }

    def _aggregate(self, type_name: str, rows: list[Row]) -> dict[str, Any]:
        return {"aggregate": [{"rows": rows, "type": type_name}]}

    def _aggregate_function(self, field_name: str) -> Resolver:
        if field_name == "count":
            return lambda s, a: _count(s["rows"], a.get("columns"), bool(a.get("distinct")))
        if field_name == "groupBy":
            return lambda _s, _a: None
        reducers: dict[str, Callable[[list[Any]], Any]] = {
            "sum": sum,
            "avg": statistics.fmean,
            "stddev": lambda v: statistics.stdev(v) if len(v) > 1 else math.nan,
            "variance": lambda v: statistics.variance(v) if len(v) > 1 else math.nan,
            "min": min,
            "max": max,
        }
        reduce = reducers[field_name]
        return lambda s, _a: _ColumnReducer(s["rows"], reduce)


class _ColumnReducer(dict[str, Any]):
    """Lazily reduces one column when GraphQL asks for it (``sum { id }``)."""

    def __init__(self, rows: list[Row], reduce: Callable[[list[Any]], Any]) -> None:
        super().__init__()
        self._rows, self._reduce = rows, reduce

    def get(self, key: str, default: Any = None) -> Any:
        values = [r[key] for r in self._rows if r.get(key) is not None]
        return self._reduce(values) if values else default


def _count(rows: list[Row], column: str | None, distinct: bool) -> int:
    if column is None:
        return len(rows)
    values = [r.get(column) for r in rows if r.get(column) is not None]
    return len(set(map(repr, values))) if distinct else len(values)


def _first_direction(clause: dict[str, Any]) -> str:
    for value in clause.values():
        if isinstance(value, dict):
            return _first_direction(value)
        if value is not None:
            return str(value)
    return "asc"
