"""Bounds on what one GraphQL request may cost the replica, as a public server has.

A request is refused, before any work proportional to its answer is done, when:

- its body is too large (413), or nests JSON too deeply (:func:`load_body`);
- its document has too many tokens or comments (graphql-core's parser limits);
- an operation nests fields too deeply, selects too many fields once fragments are
  expanded, selects one response name too often in one selection set, or the
  document aliases too many fields or nests literals too deeply
  (:class:`QueryShapeRule`, with graphql-core's ``MaxIntrospectionDepthRule``, run
  before the specified rules so that their costlier checks never see such a document);
- checking that its fields can be merged exhausts graphql-core's complexity budget,
  set lower here (:func:`specified_rules_within`).

What validation cannot foresee (a short query over long lists) is bounded while it
runs: :class:`.fast_executor.LeafExecutor` counts the values and the resolved fields
of the answer and stops with :class:`QueryTooExpensive` once either budget is spent.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OverlappingFieldsCanBeMergedRule,
    SelectionSetNode,
    ValidationContext,
    specified_rules,
)

__all__ = [
    "DEFAULT_LIMITS",
    "BodyRefused",
    "QueryLimits",
    "QueryShapeRule",
    "QueryTooExpensive",
    "load_body",
    "shape_rule",
    "specified_rules_within",
]


@dataclass(frozen=True)
class QueryLimits:
    """What one GraphQL request may ask of the replica.

    The defaults leave room several times over for every query the plugin, the
    official client (its ``find`` queries and its schema introspection) and the
    benchmarks send.

    Attributes
    ----------
    max_body_bytes : int
        Request body size; larger bodies are answered 413.
    max_json_depth : int
        Nesting of arrays and objects in the JSON body (variables included).
    max_tokens : int
        Lexical tokens in the document (graphql-core's ``max_lexical_tokens``).
    max_comments : int
        Comments in the document.
    max_depth : int
        Nesting of fields in an operation, fragments expanded; the standard
        introspection query of graphql-core 3.3 with every option is 15 deep.
    max_aliases : int
        Aliased fields written in the document.
    max_fields : int
        Fields an operation selects once its fragments are expanded.
    max_repeats : int
        Times one response name may be selected in one selection set (fragments
        expanded): graphql-core compares such fields pairwise, a cost that grows with
        the square of their number.
    max_merge_work : int
        graphql-core's complexity budget for checking that fields of one response
        name can be merged (its default is 500,000, some seconds of work here).
    max_value_depth : int
        Nesting of list and object literals (``where: {runs: {dataset: {...}}}``).
    max_errors : int
        Validation errors reported before validation stops.
    max_values : int
        Values (fields of objects) an answer may hold: bounds its memory.
    max_resolved : int
        Fields answered through resolvers (relationships, connections, aggregates,
        introspection), each some twenty times the work of a scalar: bounds its time.
        The dock's facet counts over portal-scale data (600 datasets, 30,000 runs)
        with filters ticked resolve more than 100,000.
    """

    max_body_bytes: int = 2**20
    max_json_depth: int = 64
    max_tokens: int = 20_000
    max_comments: int = 1_000
    max_depth: int = 16
    max_aliases: int = 200
    max_fields: int = 3_000
    max_repeats: int = 10
    max_merge_work: int = 100_000
    max_value_depth: int = 32
    max_errors: int = 25
    max_values: int = 2_000_000
    max_resolved: int = 1_000_000


DEFAULT_LIMITS = QueryLimits()


class BodyRefused(ValueError):
    """A request body that is not a JSON document within the limits."""


class QueryTooExpensive(GraphQLError):
    """Raised during execution when an answer outgrows :attr:`QueryLimits.max_values`."""


def load_body(
    raw: bytes | str, limits: QueryLimits = DEFAULT_LIMITS, what: str = "the request body"
) -> Any:
    """Parse JSON from a request, refusing deep nesting rather than failing inside.

    Parameters
    ----------
    raw : bytes or str
        The JSON text.
    limits : QueryLimits
        Its ``max_json_depth`` applies.
    what : str
        What the text is, for the messages (``"variables"``).

    Raises
    ------
    BodyRefused
        If ``raw`` is not UTF-8 JSON, or nests deeper than ``limits.max_json_depth``
        (Python's parser hits its recursion limit near 1,000 levels: that too).
    """
    try:
        value = json.loads(raw)
    except RecursionError:
        raise BodyRefused(_too_deep_json(limits, what)) from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BodyRefused(f"{what} is not JSON") from None
    check_json_depth(value, limits, what)
    return value


def check_json_depth(
    value: Any, limits: QueryLimits = DEFAULT_LIMITS, what: str = "the request body"
) -> None:
    """Refuse a parsed JSON value nested deeper than ``limits.max_json_depth``.

    Raises
    ------
    BodyRefused
        If it is.
    """
    # An explicit stack: the value may be nested almost to the recursion limit.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Collection[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limits.max_json_depth:
            raise BodyRefused(_too_deep_json(limits, what))
        stack.extend((child, depth + 1) for child in children)


def _too_deep_json(limits: QueryLimits, what: str) -> str:
    return f"{what} nests JSON more than {limits.max_json_depth} levels deep"


@dataclass(frozen=True)
class _Shape:
    """Depth and field count of a selection set, fragments expanded, and how often
    each response name is selected at its top level."""

    depth: int
    fields: int
    names: Counter[str] = field(default_factory=Counter)


class QueryShapeRule(ASTValidationRule):
    """Refuse operations too deep, too wide or too aliased to answer cheaply.

    Subclasses made by :func:`shape_rule` carry the limits; the walk is linear in the
    document (each fragment is measured once, however often it is spread).
    """

    limits: QueryLimits = DEFAULT_LIMITS

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self._fragments: dict[str, FragmentDefinitionNode] = {}
        self._measured: dict[str, _Shape] = {}
        self._active: set[str] = set()
        self._aliases = 0
        self._value_depth = 0
        self._value_refused = False
        self._repeated: tuple[str, int] | None = None  # the most repeated name
        self._repeat_refused = False

    def enter_document(self, node: DocumentNode, *_args: Any) -> None:
        self._fragments = {
            d.name.value: d for d in node.definitions if isinstance(d, FragmentDefinitionNode)
        }

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
        limits = self.limits
        name = f"operation {node.name.value}" if node.name else "the operation"
        # A fragment chain too long to follow ends in a RecursionError, which
        # graphql-core's validate turns into "Validation aborted.".
        shape = self._measure(node.selection_set)
        # One refusal per operation: the first limit it breaks.
        if shape.depth > limits.max_depth:
            self._refuse(
                f"{name} nests fields {shape.depth} levels deep; this server answers at "
                f"most {limits.max_depth} (ask for deeper levels in a separate query)",
                node,
            )
        elif shape.fields > limits.max_fields:
            self._refuse(
                f"{name} selects more than {limits.max_fields:,} fields with its fragments "
                f"expanded; this server answers at most {limits.max_fields:,} (split it "
                "into several queries)",
                node,
            )
        elif self._repeated is not None and not self._repeat_refused:
            self._repeat_refused = True
            field_name, times = self._repeated
            self._refuse(
                f"{name} selects '{field_name}' {times:,} times in one selection set; this "
                f"server answers at most {limits.max_repeats} (select it once)",
                node,
            )

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        if node.alias is None:
            return
        self._aliases += 1
        if self._aliases == self.limits.max_aliases + 1:
            self._refuse(
                f"the document has more than {self.limits.max_aliases} aliased fields; "
                f"this server answers at most {self.limits.max_aliases}",
                node,
            )

    def enter_list_value(self, node: ListValueNode, *_args: Any) -> None:
        self._enter_value(node)

    def leave_list_value(self, *_args: Any) -> None:
        self._value_depth -= 1

    def enter_object_value(self, node: ObjectValueNode, *_args: Any) -> None:
        self._enter_value(node)

    def leave_object_value(self, *_args: Any) -> None:
        self._value_depth -= 1

    def _enter_value(self, node: ListValueNode | ObjectValueNode) -> None:
        self._value_depth += 1
        if self._value_depth > self.limits.max_value_depth and not self._value_refused:
            self._value_refused = True
            self._refuse(
                f"an argument nests lists and objects more than "
                f"{self.limits.max_value_depth} levels deep",
                node,
            )

    def _refuse(self, message: str, node: Any) -> None:
        self.report_error(GraphQLError(f"Query refused: {message}.", node))

    def _measure(self, selection_set: SelectionSetNode | None) -> _Shape:
        if selection_set is None:
            return _Shape(0, 0)
        cap = self.limits.max_fields + 1  # counts stop there: no giant integers
        depth = fields = 0
        names: Counter[str] = Counter()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                inner = self._measure(selection.selection_set)
                depth = max(depth, inner.depth + 1)
                fields += inner.fields + 1
                names[(selection.alias or selection.name).value] += 1
                continue
            if isinstance(selection, InlineFragmentNode):
                inner = self._measure(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                inner = self._spread(selection.name.value)
            else:
                continue
            depth, fields = max(depth, inner.depth), min(fields + inner.fields, cap)
            names.update(inner.names)
        if names:
            most = max(names.items(), key=lambda item: item[1])
            known = self._repeated
            if most[1] > self.limits.max_repeats and (known is None or most[1] > known[1]):
                self._repeated = (most[0], min(most[1], cap))
        return _Shape(depth, min(fields, cap), names)

    def _spread(self, name: str) -> _Shape:
        known = self._measured.get(name)
        if known is not None:
            return known
        fragment = self._fragments.get(name)
        if fragment is None or name in self._active:
            # Unknown fragments and cycles are reported by the specified rules.
            return _Shape(0, 0)
        self._active.add(name)
        try:
            shape = self._measure(fragment.selection_set)
        finally:
            self._active.discard(name)
        self._measured[name] = shape
        return shape


def shape_rule(limits: QueryLimits) -> type[QueryShapeRule]:
    """A :class:`QueryShapeRule` class bound to ``limits`` (rules are classes)."""
    if limits == DEFAULT_LIMITS:
        return QueryShapeRule
    return type("BoundQueryShapeRule", (QueryShapeRule,), {"limits": limits})


def specified_rules_within(limits: QueryLimits) -> tuple[type[ASTValidationRule], ...]:
    """graphql-core's specified rules, the field-merging check on a budget of
    ``limits.max_merge_work`` (exhausted, validation ends with "Validation aborted.")."""
    budget = limits.max_merge_work

    class BoundedOverlapRule(OverlappingFieldsCanBeMergedRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            # graphql-core reads its budget from a module constant; set it per rule.
            self.rule_context.remaining_complexity_budget = budget

    return tuple(
        BoundedOverlapRule if rule is OverlappingFieldsCanBeMergedRule else rule
        for rule in specified_rules
    )
