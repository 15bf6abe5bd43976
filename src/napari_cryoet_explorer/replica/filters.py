"""``where`` clauses compiled into row predicates, and narrowed through the store's indexes.

A clause nests along relationships: ``{run: {dataset: {id: {_eq: 1}}}}`` follows
to-one keys, ``{runs: {name: {_ilike: "%TS%"}}}`` holds when any child matches, and
``{runsAggregate: {count: {predicate: {_gte: 2}}}}`` counts children.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .comparators import comparator_test
from .relations import Graph
from .schema_model import DATETIME, Entity, SchemaModel, ToMany
from .store import Row

Predicate = Callable[[Row], bool]

# Columns whose equality an index may answer (a dict lookup is the same test as ``==``
# for these values). Not DateTime: equal instants can be spelled differently.
_INDEXED_TYPES = frozenset({"Int", "Float", "String", "Boolean", "ID"})


def count_rows(rows: Iterable[Row], column: str | None, distinct: bool) -> int:
    """SQL ``COUNT(*)``, ``COUNT(column)`` or ``COUNT(DISTINCT column)``."""
    if column is None:
        return sum(1 for _ in rows)
    values = [r.get(column) for r in rows]
    present = [v for v in values if v is not None]
    if not distinct:
        return len(present)
    return len({repr(v) for v in present})


class WhereCompiler:
    """Turns ``...WhereClause`` inputs into predicates and candidate rows.

    Parameters
    ----------
    model : SchemaModel
        Relationships of the schema.
    graph : Graph
        The store to walk.
    """

    def __init__(self, model: SchemaModel, graph: Graph) -> None:
        self.model = model
        self.graph = graph

    # -- predicates ------------------------------------------------------------

    def predicate(self, type_name: str, where: dict[str, Any] | None) -> Predicate | None:
        """A test of one row of ``type_name``; None when ``where`` filters nothing.

        Raises
        ------
        ValueError
            On a key the type does not have or an unknown comparator.
        """
        if not where:
            return None
        entity = self.model.entity(type_name)
        tests = [self._key_test(entity, key, cond) for key, cond in where.items() if cond]
        if not tests:
            return None
        if len(tests) == 1:
            return tests[0]
        return lambda row: all(t(row) for t in tests)

    def _key_test(self, entity: Entity, key: str, cond: dict[str, Any]) -> Predicate:
        if key in entity.scalars:
            scalar_type = entity.scalars[key]
            test = comparator_test(cond, is_datetime=scalar_type == DATETIME)
            if test is None:
                return lambda row: True
            get = self.graph.getter(key, scalar_type)
            return lambda row: test(get(row))
        if key in entity.to_one:
            one = entity.to_one[key]
            inner = self.predicate(one.target, cond)
            related = self.graph.related

            def to_one(row: Row) -> bool:
                other = related(one, row)
                return other is not None and (inner is None or inner(other))

            return to_one
        if key in entity.to_many:
            many = entity.to_many[key]
            inner = self.predicate(many.child, cond)
            children = self.graph.children
            if inner is None:
                return lambda row: bool(children(many, row))
            return lambda row: any(inner(c) for c in children(many, row))
        if key in entity.aggregates:
            return self._count_test(entity.aggregates[key], cond)
        raise ValueError(f"{entity.name} has no field {key}")

    def _count_test(self, many: ToMany, cond: dict[str, Any]) -> Predicate:
        clause = cond.get("count") or {}
        inner = self.predicate(many.child, clause.get("filter"))
        column, distinct = clause.get("arguments"), bool(clause.get("distinct"))
        test = comparator_test(clause.get("predicate") or {})
        children = self.graph.children

        def counted(row: Row) -> bool:
            kids = children(many, row)
            if inner is not None:
                kids = [k for k in kids if inner(k)]
            n = count_rows(kids, column, distinct)
            return True if test is None else test(n)

        return counted

    # -- candidates ------------------------------------------------------------

    def select(
        self, type_name: str, where: dict[str, Any] | None, rows: list[Row] | None = None
    ) -> list[Row]:
        """Rows matching ``where``, in id order; ``rows`` (default: all of the type)
        is where to look, and an index narrows the search when ``rows`` is not given."""
        if rows is None:
            narrowed = self.narrow(type_name, where)
            rows = self.graph.store.rows(type_name) if narrowed is None else narrowed
        test = self.predicate(type_name, where)
        return list(rows) if test is None else [r for r in rows if test(r)]

    def narrow(self, type_name: str, where: dict[str, Any] | None) -> list[Row] | None:
        """A superset of the rows matching ``where``, found through indexes (id order),
        or None when no index applies. The smallest of the applicable sets wins."""
        if not where:
            return None
        entity = self.model.entity(type_name)
        best: list[Row] | None = None
        for key, cond in where.items():
            if not isinstance(cond, dict) or not cond:
                continue
            found = self._narrow_key(entity, key, cond)
            if found is not None and (best is None or len(found) < len(best)):
                best = found
                if not best:
                    break
        return best

    def _narrow_key(self, entity: Entity, key: str, cond: dict[str, Any]) -> list[Row] | None:
        store = self.graph.store
        if entity.scalars.get(key) in _INDEXED_TYPES or key in entity.enum_ranks:
            values = _equal_values(cond)
            if values is None:
                return None
            values = [self.graph.stored(v) for v in values]
            if key == "id":
                return _in_id_order(r for v in values if (r := store.get(entity.name, v)))
            try:
                store.index(entity.name, key)
            except TypeError:  # unhashable values in this column
                return None
            return _in_id_order(r for v in values for r in store.lookup(entity.name, key, v))
        one = entity.to_one.get(key)
        if one is not None and one.key is not None:
            parents = self.narrow(one.target, cond)
            if parents is None:
                return None
            test = self.predicate(one.target, cond)
            return _in_id_order(
                r
                for p in parents
                if test is None or test(p)
                for r in store.lookup(entity.name, one.key, p.get("id"))
            )
        many = entity.to_many.get(key)
        if many is not None and many.back_key is not None:
            kids = self.narrow(many.child, cond)
            if kids is None:
                return None
            ids = {k.get(many.back_key) for k in kids}
            return _in_id_order(r for i in ids if (r := store.get(entity.name, i)))
        return None


def _equal_values(cond: dict[str, Any]) -> list[Any] | None:
    if cond.get("_eq") is not None:
        return [cond["_eq"]]
    if cond.get("_in") is not None:
        return list(cond["_in"])
    return None


def _in_id_order(rows: Iterable[Row]) -> list[Row]:
    unique = {id(r): r for r in rows}
    return sorted(unique.values(), key=lambda r: (r.get("id") is None, r.get("id") or 0))
