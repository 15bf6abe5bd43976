"""The Dataset -> Run -> Voxel spacing -> (tomograms, annotations) tree, filled lazily."""

from __future__ import annotations

from typing import Any

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from ..portal.models import Annotation, Dataset, Run, Tomogram, VoxelSpacing

MODEL = Qt.ItemDataRole.UserRole
KIND = Qt.ItemDataRole.UserRole + 1
LOADING = "loading"


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

    @staticmethod
    def kind(item: QTreeWidgetItem | None) -> str | None:
        """The node kind: dataset, run, spacing, tomogram, annotation or loading."""
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
            item.setHidden(not (own or child_hit or item.data(0, KIND) == LOADING))
            return own or child_hit

        for i in range(self.topLevelItemCount()):
            visit(self.topLevelItem(i))
