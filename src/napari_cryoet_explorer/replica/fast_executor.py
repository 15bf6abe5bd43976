"""A graphql-core executor that fills the scalar fields of entity rows directly.

Large answers are mostly scalars (a page of 2,500 tomograms is 100,000 of them), and
graphql-core's per-field machinery (resolve info, argument coercion, completion) costs
several microseconds each. For a scalar field without arguments on an entity row the
answer is the served value, serialized: this executor computes it in one step and
hands everything else (relationships, errors, nulls in non-null fields) to the
standard path, so results and error reporting are unchanged.

It also keeps the answer's budget: every object's fields count against
``max_values`` (and those on the standard path against ``max_resolved``); once either
is spent the whole execution stops with :class:`.QueryTooExpensive` instead of a
partial answer growing without bound.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from graphql import (
    GraphQLEnumType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.execution.executor import Executor
from graphql.pyutils import AwaitableOrValue, Path, Undefined

from .query_limits import QueryTooExpensive

LeafGetter = Callable[[Any], Any]
# (response name, field details, (getter, serialize, non-null) or None for the slow path)
Step = tuple[str, FieldDetailsList, tuple[LeafGetter, Callable[[Any], Any], bool] | None]


class LeafExecutor(Executor[Any]):
    """Executor whose ``leaf_getter(type_name, field_name)`` gives fast scalar readers.

    Subclass it with ``leaf_getter`` set (a getter, or None where the field is not a
    plain scalar of an entity) and, to bound answers, ``max_values`` (fields answered)
    and ``max_resolved`` (fields answered through the standard path: relationships,
    connections, aggregates, introspection; each costs some twenty times a scalar).
    """

    leaf_getter: ClassVar[Callable[[str, str], LeafGetter | None]]
    max_values: ClassVar[int | None] = None
    max_resolved: ClassVar[int | None] = None

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        steps, resolved = self._steps(parent_type, grouped_field_set)
        self._spend(len(grouped_field_set), resolved)
        if steps is None:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        for name, details, leaf in steps:
            if leaf is not None:
                get, serialize, non_null = leaf
                value = get(source_value)
                if value is None and not non_null:
                    results[name] = None
                    continue
                if value is not None:
                    try:
                        results[name] = serialize(value)
                        continue
                    except Exception:  # noqa: BLE001 - the standard path reports it
                        pass
            result = self.execute_field(
                parent_type,
                source_value,
                details,
                Path(path, name, parent_type.name),
                position_context,
            )
            if result is not Undefined:
                results[name] = result
        return results

    def handle_field_error(
        self,
        raw_error: Exception,
        return_type: Any,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> None:
        # A spent budget ends the execution: as a field error it would null one field
        # and let its siblings go on spending.
        if isinstance(raw_error, QueryTooExpensive):
            raise raw_error
        super().handle_field_error(raw_error, return_type, field_details_list, path)

    def _spend(self, values: int, resolved: int) -> None:
        cls = type(self)
        spent = self.__dict__.get("_spent", (0, 0))
        spent = (spent[0] + values, spent[1] + resolved)
        self.__dict__["_spent"] = spent
        if cls.max_values is not None and spent[0] > cls.max_values:
            raise QueryTooExpensive(
                f"Query refused: its answer would hold more than {cls.max_values:,} "
                "values; page with limitOffset or first, or select fewer fields."
            )
        if cls.max_resolved is not None and spent[1] > cls.max_resolved:
            raise QueryTooExpensive(
                f"Query refused: its answer would resolve more than {cls.max_resolved:,} "
                "relationships, connections and aggregates; page with limitOffset or "
                "first, or nest fewer levels."
            )

    def _steps(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> tuple[list[Step] | None, int]:
        """How to fill each field of this selection (None: no field is a fast leaf),
        and how many fields take the standard path.

        graphql-core reuses one grouped field set for every item of a list, so the
        steps are worked out once per selection and kept with it."""
        cache: dict[int, tuple[GroupedFieldSet, list[Step] | None, int]]
        cache = self.__dict__.setdefault("_leaf_steps", {})
        cached = cache.get(id(grouped_field_set))
        if cached is not None and cached[0] is grouped_field_set:
            return cached[1], cached[2]
        steps: list[Step] = []
        for name, details in grouped_field_set.items():
            steps.append((name, details, self._leaf(parent_type, details)))
        resolved = sum(leaf is None for _, _, leaf in steps)
        result = steps if resolved < len(steps) else None
        cache[id(grouped_field_set)] = (grouped_field_set, result, resolved)
        return result, resolved

    def _leaf(
        self, parent_type: GraphQLObjectType, details: FieldDetailsList
    ) -> tuple[LeafGetter, Callable[[Any], Any], bool] | None:
        node = details[0].node
        field_name = node.name.value
        if node.arguments or node.selection_set:
            return None
        if field_name == "__typename":
            type_name = parent_type.name
            return (lambda _row: type_name), str, True
        field = parent_type.fields.get(field_name)
        if field is None or field.resolve is not None:
            return None
        named = get_named_type(field.type)
        if not isinstance(named, GraphQLScalarType | GraphQLEnumType):
            return None
        get = type(self).leaf_getter(parent_type.name, field_name)
        if get is None:
            return None
        return get, named.serialize, isinstance(field.type, GraphQLNonNull)
