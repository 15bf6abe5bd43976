"""The Dataset -> Run -> Voxel spacing -> (tomograms, annotations) tree, filled lazily.

The rows are the portal's tables under one header: each column holds what its title
says at each level (a dataset's title, a run's id...), and its cells' tooltips say it
in full. Clicking a header sorts the siblings of every level by that column; the
"Loading…", "load more…" and error rows stay last, tomograms stay before annotations,
and values the portal does not have ("NA") come after the others either way.

The columns live in :mod:`.tree_columns`, the sort order in :mod:`.tree_sorting` and
the rows of each kind of node in :mod:`.tree_items`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from ..opening import default_tomogram
from ..portal.models import Tomogram, VoxelSpacingContents
from .tree_columns import COLUMNS, CONTENTS, KIND, LOADER, LOADING, MODEL, MORE, header_tip
from .tree_items import AlignmentNode
from .tree_sorting import PortalItem


class PortalTree(QTreeWidget):
    """Tree whose nodes carry portal models; children appear when a node expands.

    Rows keep the portal's order until a header is clicked; then each level sorts by
    that column (see :func:`~.tree_sorting.sorts_before`).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(len(COLUMNS))
        self.setHeaderLabels([c.title for c in COLUMNS])
        header_item = self.headerItem()
        for col, column in enumerate(COLUMNS):
            self.setColumnWidth(col, column.width)
            if header_item is not None:
                header_item.setToolTip(col, header_tip(column))
        self.setUniformRowHeights(True)
        self.setSortingEnabled(True)
        header = self.header()
        if header is not None:  # no sort column until the user picks one
            header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self._top_loader: Any = None

    def addTopLevelItems(self, items: Iterable[QTreeWidgetItem]) -> None:  # noqa: N802
        # One at a time: Qt inserts a batch in reverse while sorting is on and no
        # column is chosen yet.
        for item in items:
            self.addTopLevelItem(item)

    @staticmethod
    def kind(item: QTreeWidgetItem | None) -> str | None:
        """The node kind: dataset, run, spacing, alignment, tomogram, tiltseries,
        annotation, loading or more."""
        return None if item is None else item.data(0, KIND)

    @staticmethod
    def node_model(item: QTreeWidgetItem | None) -> Any:
        """The portal model behind a node."""
        return None if item is None else item.data(0, MODEL)

    @staticmethod
    def spacing_of(item: QTreeWidgetItem | None) -> QTreeWidgetItem | None:
        """The voxel spacing node a node is (or lies under), if any."""
        while item is not None and item.data(0, KIND) != "spacing":
            item = item.parent()
        return item

    @staticmethod
    def offered_tomogram(item: QTreeWidgetItem | None) -> Tomogram | None:
        """The tomogram to offer for a node: a tomogram's own; under an alignment (or an
        alignment itself), that alignment's default; else None (the spacing's default)."""
        if item is not None and item.data(0, KIND) == "tomogram":
            model = item.data(0, MODEL)
            return model if isinstance(model, Tomogram) else None
        while item is not None and item.data(0, KIND) != "alignment":
            item = item.parent()
        node, contents = (
            (None, None) if item is None else (item.data(0, MODEL), item.data(0, CONTENTS))
        )
        if not isinstance(node, AlignmentNode) or not node.group.tomograms:
            return None
        if not isinstance(contents, VoxelSpacingContents):
            return node.group.tomograms[0]
        return default_tomogram(replace(contents, tomograms=node.group.tomograms))

    @staticmethod
    def needs_children(item: QTreeWidgetItem) -> bool:
        """Whether the node still shows only its loading placeholder."""
        first = item.child(0)
        return (
            item.childCount() == 1
            and first is not None
            and first.data(0, KIND) == LOADING
            and not item.data(0, KIND + 1)
        )

    @staticmethod
    def mark_loading(item: QTreeWidgetItem) -> None:
        """Remember that a fetch is under way, so a second expand does not start another."""
        item.setData(0, KIND + 1, True)

    @staticmethod
    def add_children(
        item: QTreeWidgetItem | None, children: list[QTreeWidgetItem], tree: QTreeWidget
    ) -> None:
        """Append children, dropping the loading placeholder on the first batch."""
        if item is None:
            for child in children:  # one at a time, as addTopLevelItems above
                tree.addTopLevelItem(child)
            return
        first = item.child(0)
        if item.childCount() == 1 and first is not None and first.data(0, KIND) == LOADING:
            item.takeChild(0)
        for child in children:
            item.addChild(child)

    def clear(self) -> None:
        """Remove every row; a page loader still running for them becomes stale."""
        self._top_loader = None
        super().clear()

    def holds(self, item: QTreeWidgetItem | None) -> bool:
        """Whether a row is still in this tree; None (the top level) always is.

        Rows go when a new connection or search clears the tree; answers for them are
        dropped.
        """
        if item is None:
            return True
        try:
            return item.treeWidget() is self
        except RuntimeError:  # the row's Qt object is gone
            return False

    def holds_loader(self, item: QTreeWidgetItem | None, loader: Any) -> bool:
        """Whether ``loader`` still fills a row of this tree (not cleared or replaced)."""
        if item is None:
            return self._top_loader is loader
        return self.holds(item) and item.data(0, LOADER) is loader

    def keep_loader(self, item: QTreeWidgetItem | None, loader: Any) -> None:
        """Hold a node's (or the top level's) page loader for as long as the node lives."""
        if item is None:
            self._top_loader = loader
        else:
            item.setData(0, LOADER, loader)

    @staticmethod
    def add_more(item: QTreeWidgetItem | None, text: str, loader: Any, tree: QTreeWidget) -> None:
        """Append a "load more" row; ``loader.load_more()`` runs when it is used."""
        row = PortalItem([text])
        row.setData(0, KIND, MORE)
        row.setData(0, MODEL, loader)
        row.setToolTip(0, "click, or scroll to the end, to fetch the next pages")
        font = row.font(0)
        font.setItalic(True)
        row.setFont(0, font)
        if item is None:
            tree.addTopLevelItem(row)
        else:
            item.addChild(row)

    @staticmethod
    def remove_more(item: QTreeWidgetItem | None, tree: QTreeWidget) -> None:
        """Drop the "load more" row of a node (or of the top level), if there is one."""
        count = tree.topLevelItemCount() if item is None else item.childCount()
        last = tree.topLevelItem(count - 1) if item is None else item.child(count - 1)
        if last is not None and last.data(0, KIND) == MORE:
            if item is None:
                tree.takeTopLevelItem(count - 1)
            else:
                item.takeChild(count - 1)

    def more_row_in_view(self) -> QTreeWidgetItem | None:
        """A "load more" row the viewport shows (the top level's, or an open node's)."""
        viewport = self.viewport()
        if viewport is None:
            return None
        visible = viewport.rect()
        candidates: list[QTreeWidgetItem | None] = []
        for i in range(self.topLevelItemCount()):
            item = self.topLevelItem(i)
            if item is None:
                continue
            if item.data(0, KIND) == MORE:
                candidates.append(item)
            elif item.isExpanded() and item.childCount():
                candidates.append(item.child(item.childCount() - 1))
        for row in candidates:
            if row is None or row.data(0, KIND) != MORE or row.isHidden():
                continue
            if self.visualItemRect(row).intersects(visible):
                return row
        return None

    @staticmethod
    def show_error(item: QTreeWidgetItem | None, message: str, tree: QTreeWidget) -> None:
        """Replace the placeholder with an error row."""
        row = PortalItem([f"⚠ {message}"])
        row.setData(0, KIND, "error")
        row.setToolTip(0, message)
        if item is None:
            tree.addTopLevelItem(row)
            return
        item.takeChildren()
        item.addChild(row)

    def filter_loaded(self, text: str) -> None:
        """Hide loaded nodes that do not contain ``text`` (nor have a descendant that does)."""
        needle = text.strip().lower()

        def visit(item: QTreeWidgetItem | None) -> bool:
            if item is None:
                return False
            own = not needle or any(
                needle in item.text(c).lower() for c in range(self.columnCount())
            )
            child_hit = False
            for i in range(item.childCount()):
                child_hit = visit(item.child(i)) or child_hit
            keep = item.data(0, KIND) in (LOADING, MORE)
            item.setHidden(not (own or child_hit or keep))
            return own or child_hit

        for i in range(self.topLevelItemCount()):
            visit(self.topLevelItem(i))
