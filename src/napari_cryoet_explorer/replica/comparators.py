"""The portal's scalar comparators (``_eq``, ``_ilike``, ``_regex``...) as Python tests.

Semantics follow PostgreSQL, which serves the real portal: a comparison with NULL is
never true (only ``_is_null`` sees nulls), ``LIKE`` patterns use ``%`` and ``_`` with
backslash escapes and must match the whole value, regular expressions match anywhere.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Test = Callable[[Any], bool]

_ORDERING: dict[str, Callable[[Any, Any], Any]] = {
    "_eq": operator.eq,
    "_neq": operator.ne,
    "_gt": operator.gt,
    "_gte": operator.ge,
    "_lt": operator.lt,
    "_lte": operator.le,
}


@functools.lru_cache(maxsize=512)
def like_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """A regular expression matching what SQL ``LIKE pattern`` matches (use fullmatch)."""
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


@functools.lru_cache(maxsize=256)
def _regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None


@functools.lru_cache(maxsize=65536)
def as_datetime(value: Any) -> Any:
    """An ISO-8601 string as an aware datetime (naive ones taken as UTC); others as is."""
    if not isinstance(value, str):
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _on_value(op: str, operand: Any) -> Test:
    """The test of one comparator on a non-null value."""
    if op in _ORDERING:
        compare = _ORDERING[op]
        return lambda v: bool(compare(v, operand))
    if op in ("_in", "_nin"):
        try:
            members: Any = frozenset(operand)
        except TypeError:  # unhashable members: fall back to a list
            members = list(operand)
        if op == "_in":
            return lambda v: v in members
        return lambda v: v not in members
    if op in ("_like", "_nlike", "_ilike", "_nilike"):
        like = like_regex(operand, op in ("_ilike", "_nilike")).fullmatch
        if op in ("_like", "_ilike"):
            return lambda v: like(str(v)) is not None
        return lambda v: like(str(v)) is None
    if op in ("_regex", "_nregex", "_iregex", "_niregex"):
        search = _regex(operand, op in ("_iregex", "_niregex")).search
        if op in ("_regex", "_iregex"):
            return lambda v: search(str(v)) is not None
        return lambda v: search(str(v)) is None
    raise ValueError(f"unknown comparator {op}")


def comparator_test(comparators: dict[str, Any], *, is_datetime: bool = False) -> Test | None:
    """One test for a ``...Comparators`` input (all must hold); None if it has none.

    Parameters
    ----------
    comparators : dict
        ``{"_gte": 3, "_lt": 9}`` and the like; null operands are ignored.
    is_datetime : bool
        Compare as datetimes (values and operands are ISO-8601 strings).
    """
    null_test: bool | None = None
    tests: list[Test] = []
    for op, operand in comparators.items():
        if op == "_is_null":
            if operand is not None:
                null_test = bool(operand)
            continue
        if operand is None:
            continue
        if is_datetime:
            operand = (
                [as_datetime(v) for v in operand]
                if isinstance(operand, list)
                else as_datetime(operand)
            )
        tests.append(_on_value(op, operand))
    if null_test is None and not tests:
        return None
    if null_test is True:
        # IS NULL: any other comparator would be false on NULL.
        return (lambda v: v is None) if not tests else (lambda v: False)

    def test(value: Any) -> bool:
        if value is None:
            return False
        if is_datetime:
            value = as_datetime(value)
        return all(t(value) for t in tests)

    return test


def compare(value: Any, comparators: dict[str, Any], *, is_datetime: bool = False) -> bool:
    """Whether ``value`` satisfies every comparator (``_eq``, ``_ilike``, ...)."""
    test = comparator_test(comparators, is_datetime=is_datetime)
    return True if test is None else test(value)
