"""``orderBy`` clauses: several keys, nested along to-one relationships, nulls placed
as PostgreSQL does (last when ascending, first when descending, unless told)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .comparators import as_datetime
from .relations import Graph
from .schema_model import DATETIME, SchemaModel, ToOne
from .store import Row

SortKey = Callable[[Row], Any]


class Sorter:
    """Sorts rows by ``[...OrderByClause!]`` inputs.

    Parameters
    ----------
    model : SchemaModel
        Relationships and enum orders of the schema.
    graph : Graph
        The store to walk for nested keys.
    """

    def __init__(self, model: SchemaModel, graph: Graph) -> None:
        self.model = model
        self.graph = graph

    def sort(
        self, type_name: str, rows: list[Row], order_by: list[dict[str, Any]] | None
    ) -> list[Row]:
        """``rows`` in the order of ``order_by`` (stable: ties keep their order).

        Raises
        ------
        ValueError
            On a key the type does not have.
        """
        keys = [k for clause in order_by or [] for k in self._keys(type_name, clause)]
        for key, direction in reversed(keys):
            rows = _sorted(rows, key, direction)
        return rows

    def _keys(self, type_name: str, clause: dict[str, Any]) -> list[tuple[SortKey, str]]:
        entity = self.model.entity(type_name)
        keys: list[tuple[SortKey, str]] = []
        for name, direction in clause.items():
            if direction is None:
                continue
            if isinstance(direction, dict):
                one = entity.to_one.get(name)
                if one is None:
                    raise ValueError(f"cannot order {type_name} by {name}")
                related = self.graph.related
                for inner, inner_direction in self._keys(one.target, direction):
                    keys.append((_through(related, one, inner), inner_direction))
                continue
            scalar_type = entity.scalars.get(name)
            if scalar_type is None:
                raise ValueError(f"cannot order {type_name} by {name}")
            keys.append(
                (self._scalar_key(entity.enum_ranks.get(name), name, scalar_type), str(direction))
            )
        return keys

    def _scalar_key(self, ranks: dict[str, int] | None, name: str, scalar_type: str) -> SortKey:
        get = self.graph.getter(name, scalar_type)
        if ranks is not None:
            # Enums sort in declaration order, as PostgreSQL enum types do.
            return lambda row: None if (v := get(row)) is None else ranks.get(v, len(ranks))
        if scalar_type == DATETIME:
            return lambda row: as_datetime(get(row))
        return get


def _through(related: Callable[[ToOne, Row], Row | None], one: ToOne, inner: SortKey) -> SortKey:
    def key(row: Row) -> Any:
        other = related(one, row)
        return None if other is None else inner(other)

    return key


def _sorted(rows: list[Row], key: SortKey, direction: str) -> list[Row]:
    desc = direction.startswith("desc")
    if direction.endswith("nulls_first"):
        nulls_first = True
    elif direction.endswith("nulls_last"):
        nulls_first = False
    else:
        nulls_first = desc
    keyed = [(key(r), r) for r in rows]
    present = [(v, r) for v, r in keyed if v is not None]
    nulls = [r for v, r in keyed if v is None]
    # reverse=True keeps ties in their original order, so multi-key sorts stay stable.
    present.sort(key=lambda item: item[0], reverse=desc)
    ordered = [r for _, r in present]
    return nulls + ordered if nulls_first else ordered + nulls
