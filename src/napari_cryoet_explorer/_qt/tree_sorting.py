"""How the portal tree sorts the siblings of each level.

Numbers sort as numbers and names naturally (``TS_9`` before ``TS_10``); the "Loading…",
"load more…" and error rows stay last, tomograms stay before annotations, and values
the portal does not have ("NA") come after the others in either direction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QTreeWidgetItem

from ..portal.vocabulary import NOT_AVAILABLE
from .tree_columns import KIND, LOADING, MORE, NAME, SORT

# Fixed places among siblings, whatever the sort: tomograms before annotations, and
# the placeholder, "load more" and error rows last.
_RANKS = {"tomogram": 1, "annotation": 2, LOADING: 9, MORE: 9, "error": 9}
_NUMBER = re.compile(r"(\d+(?:\.\d+)?)")


def _natural(text: str) -> tuple[Any, ...]:
    """``"TS_10"`` after ``"TS_9"``: digit runs compare as numbers."""
    parts = _NUMBER.split(text.casefold())
    return tuple(float(p) if i % 2 else p for i, p in enumerate(parts))


def _sort_key(item: QTreeWidgetItem, column: int) -> tuple[bool, tuple[Any, ...]]:
    """(missing, key): numbers before texts; an empty or NA cell is missing."""
    value = item.data(column, SORT)
    if value is not None:
        return False, (0, float(value))
    text = item.text(column)
    if text in ("", NOT_AVAILABLE):
        return True, ()
    return False, (1, _natural(text))


def sorts_before(a: QTreeWidgetItem, b: QTreeWidgetItem) -> bool:
    """Whether ``a`` sorts before ``b`` in the tree's sort column, ascending.

    Qt sorts descending by asking ``b < a``: the fixed places (row ranks, missing
    values last) are flipped here so that they hold in both directions.
    """
    tree = a.treeWidget()
    header = tree.header() if tree is not None else None
    column = tree.sortColumn() if tree is not None else NAME
    descending = header is not None and (
        header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    )
    rank_a, rank_b = _RANKS.get(a.data(0, KIND), 0), _RANKS.get(b.data(0, KIND), 0)
    if rank_a != rank_b:
        return (rank_a < rank_b) != descending
    (missing_a, key_a), (missing_b, key_b) = _sort_key(a, column), _sort_key(b, column)
    if missing_a or missing_b:
        return missing_a != missing_b and missing_b != descending
    return key_a < key_b


class PortalItem(QTreeWidgetItem):
    """A row of the tree: sorts numbers as numbers, NA and the special rows last."""

    def __lt__(self, other: QTreeWidgetItem) -> bool:
        return sorts_before(self, other)

    def addChildren(self, children: Iterable[QTreeWidgetItem]) -> None:  # noqa: N802
        # One at a time: Qt inserts a batch in reverse while sorting is on and no
        # column is chosen yet.
        for child in children:
            self.addChild(child)
