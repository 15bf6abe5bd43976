"""``...Aggregate { aggregate { count sum {..} min {..} groupBy {..} } }``.

``aggregate`` is a list: one entry for all rows, or one per group when ``groupBy`` is
selected. Grouping follows SQL joins: a to-one field groups by the related row's
values, a to-many field puts a row in the group of each of its children.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from graphql import FieldNode, FragmentSpreadNode, GraphQLResolveInfo, InlineFragmentNode
from graphql.language import SelectionSetNode

from .comparators import as_datetime
from .relations import Graph
from .schema_model import DATETIME, SchemaModel
from .store import Row

GroupTree = dict[str, "GroupTree | None"]
Reducer = Callable[[list[Any]], Any]


@dataclass
class AggregateEntry:
    """One element of ``aggregate``: the rows of one group (all rows without groupBy)."""

    entity: str
    rows: list[Row]
    group: dict[str, Any] | None = None


@dataclass
class ColumnValues:
    """What ``sum``/``avg``/``min``/... resolve to: each column reduced on request."""

    entity: str
    rows: list[Row]
    reduce: str
    cache: dict[str, Any] = field(default_factory=dict)


def _sum(values: list[Any]) -> Any:
    return sum(values)


def _stddev(values: list[Any]) -> Any:
    return statistics.stdev(values) if len(values) > 1 else None


def _variance(values: list[Any]) -> Any:
    return statistics.variance(values) if len(values) > 1 else None


_REDUCERS: dict[str, Reducer] = {
    "sum": _sum,
    "avg": statistics.fmean,
    "stddev": _stddev,  # sample statistics, as PostgreSQL's stddev/variance
    "variance": _variance,
}


class Aggregator:
    """Builds ``aggregate`` entries and reduces their columns.

    Parameters
    ----------
    model : SchemaModel
        Relationships and scalar types of the schema.
    graph : Graph
        The store to walk for grouping.
    """

    def __init__(self, model: SchemaModel, graph: Graph) -> None:
        self.model = model
        self.graph = graph

    def entries(
        self, entity: str, rows: list[Row], info: GraphQLResolveInfo
    ) -> list[AggregateEntry]:
        """The ``aggregate`` list for ``rows``, grouped as the selection asks."""
        tree = group_tree(info)
        if not tree:
            return [AggregateEntry(entity, rows)]
        groups: dict[str, AggregateEntry] = {}
        for row in rows:
            for combo in self._group_values(entity, row, tree):
                key = json.dumps(combo, sort_keys=True, default=str)
                entry = groups.get(key)
                if entry is None:
                    entry = groups[key] = AggregateEntry(entity, [], combo)
                entry.rows.append(row)
        return list(groups.values())

    def _group_values(self, entity_name: str, row: Row, tree: GroupTree) -> list[dict[str, Any]]:
        entity = self.model.entity(entity_name)
        combos: list[dict[str, Any]] = [{}]
        for name, sub in tree.items():
            values: list[Any]
            if sub is None or name in entity.scalars:
                scalar_type = entity.scalars.get(name, "String")
                values = [self.graph.getter(name, scalar_type)(row)]
            elif name in entity.to_one:
                one = entity.to_one[name]
                other = self.graph.related(one, row)
                values = [None] if other is None else self._group_values(one.target, other, sub)
            elif name in entity.to_many:
                many = entity.to_many[name]
                kids = self.graph.children(many, row)
                values = [v for k in kids for v in self._group_values(many.child, k, sub)]
                values = values or [None]
            else:
                raise ValueError(f"cannot group {entity_name} by {name}")
            combos = [{**c, name: v} for c in combos for v in values]
        return combos

    def reduce(self, columns: ColumnValues, column: str, output_type: str) -> Any:
        """``sum``/``avg``/``min``/... of one column of ``columns.rows``; null when no
        row has a value (as SQL). A non-integral result asked for as Int is rounded."""
        if column in columns.cache:
            return columns.cache[column]
        values = [v for r in columns.rows if (v := r.get(column)) is not None]
        result: Any = None
        if values:
            scalar_type = self.model.entity(columns.entity).scalars.get(column)
            if columns.reduce in ("min", "max"):
                pick = min if columns.reduce == "min" else max
                result = pick(values, key=as_datetime) if scalar_type == DATETIME else pick(values)
            else:
                result = _REDUCERS[columns.reduce](values)
        if output_type == "Int" and isinstance(result, float) and math.isfinite(result):
            result = round(result)
        if isinstance(result, float) and not math.isfinite(result):
            result = None  # JSON has no NaN or infinity
        columns.cache[column] = result
        return result


def group_tree(info: GraphQLResolveInfo) -> GroupTree:
    """The ``groupBy { ... }`` selection under the ``aggregate`` field being resolved."""
    tree: GroupTree = {}
    for node in info.field_nodes:
        for group_by in _fields(node.selection_set, info):
            if group_by.name.value == "groupBy":
                _merge(tree, _tree(group_by.selection_set, info))
    return tree


def _tree(selection_set: SelectionSetNode | None, info: GraphQLResolveInfo) -> GroupTree:
    tree: GroupTree = {}
    for node in _fields(selection_set, info):
        name = node.name.value
        if name.startswith("__"):
            continue
        sub = _tree(node.selection_set, info) if node.selection_set else None
        _merge(tree, {name: sub})
    return tree


def _merge(into: GroupTree, other: GroupTree) -> None:
    for name, sub in other.items():
        mine = into.get(name)
        if isinstance(mine, dict) and isinstance(sub, dict):
            _merge(mine, sub)
        else:
            into[name] = sub


def _fields(
    selection_set: SelectionSetNode | None, info: GraphQLResolveInfo
) -> Iterable[FieldNode]:
    """Field nodes of a selection set, looking through inline fragments and spreads."""
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, info)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = info.fragments.get(selection.name.value)
            if fragment is not None:
                yield from _fields(fragment.selection_set, info)
