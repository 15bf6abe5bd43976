"""The Dataset -> Run -> Voxel spacing -> (tomograms, annotations) tree, filled lazily."""

from __future__ import annotations

from typing import Any

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from ..portal.models import Annotation, Dataset, Run, Tomogram, VoxelSpacing

MODEL = Qt.ItemDataRole.UserRole
KIND = Qt.ItemDataRole.UserRole + 1
LOADING = "loading"
MORE = "more"
# The node's page loader: Qt connects signals to it weakly, so the node keeps it alive.
LOADER = Qt.ItemDataRole.UserRole + 4


def _item(kind: str, model: Any, texts: list[str], *, expandable: bool = False) -> QTreeWidgetItem:
    item = QTreeWidgetItem(texts)
    item.setData(0, KIND, kind)
    item.setData(0, MODEL, model)
    for col, text in enumerate(texts):
        item.setToolTip(col, text)
    if expandable:
        placeholder = QTreeWidgetItem(["Loading…"])
        placeholder.setData(0, KIND, LOADING)
        item.addChild(placeholder)
    return item


def dataset_item(d: Dataset) -> QTreeWidgetItem:
    """A dataset row: id, title, organism, run count."""
    return _item(
        "dataset",
        d,
        [f"{d.id}", d.title, d.organism_name or "", f"{d.run_count} runs"],
        expandable=d.run_count > 0,
    )


def run_item(r: Run) -> QTreeWidgetItem:
    """A run row: name, tilt-series quality, annotation count."""
    quality = f"quality {r.tilt_series_quality}" if r.tilt_series_quality is not None else ""
    return _item(
        "run",
        r,
        [r.name, quality, "", f"{r.annotation_count} annotations"],
        expandable=bool(r.voxel_spacings),
    )


def spacing_item(v: VoxelSpacing) -> QTreeWidgetItem:
    """A voxel spacing row, in Angstrom."""
    return _item(
        "spacing",
        v,
        [f"{v.voxel_spacing:.3f} Å", "", "", f"{v.tomogram_count} tomograms"],
        expandable=True,
    )


def tomogram_item(t: Tomogram) -> QTreeWidgetItem:
    """A tomogram row: id, processing, size, alignment."""
    z, y, x = t.size_zyx
    return _item(
        "tomogram",
        t,
        [f"tomogram {t.id}", t.processing or "", f"{x}×{y}×{z}", f"alignment {t.alignment_id}"],
    )


def annotation_item(a: Annotation) -> QTreeWidgetItem:
    """An annotation row: object, shapes, method, ground-truth flag."""
    shapes = ", ".join(sorted({s.shape_type for s in a.shapes}))
    truth = "ground truth" if a.ground_truth_status else ""
    return _item("annotation", a, [a.object_name, shapes, a.method_type or "", truth])


class PortalTree(QTreeWidget):
    """Tree whose nodes carry portal models; children appear when a node expands."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["name", "", "", "count"])
        self.setColumnWidth(0, 190)
        self.setColumnWidth(1, 220)
        self.setUniformRowHeights(True)
        self._top_loader: Any = None

    @staticmethod
    def kind(item: QTreeWidgetItem | None) -> str | None:
        """The node kind: dataset, run, spacing, tomogram, annotation, loading or more."""
        return None if item is None else item.data(0, KIND)

    @staticmethod
    def node_model(item: QTreeWidgetItem | None) -> Any:
        """The portal model behind a node."""
        return None if item is None else item.data(0, MODEL)

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
            tree.addTopLevelItems(children)
            return
        first = item.child(0)
        if item.childCount() == 1 and first is not None and first.data(0, KIND) == LOADING:
            item.takeChild(0)
        item.addChildren(children)

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
        row = QTreeWidgetItem([text])
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
        row = QTreeWidgetItem([f"⚠ {message}"])
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
