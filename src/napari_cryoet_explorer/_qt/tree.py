"""The Dataset -> Run -> Voxel spacing -> (tomograms, annotations) tree, filled lazily.

The rows are the portal's tables under one header: each column holds what its title
says at each level (a dataset's title, a run's id...), and its cells' tooltips say it
in full. Clicking a header sorts the siblings of every level by that column; the
"Loading…", "load more…" and error rows stay last, tomograms stay before annotations,
and values the portal does not have ("NA") come after the others either way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from ..opening import default_tomogram
from ..portal.depositions import Deposition
from ..portal.models import (
    AlignmentGroup,
    Annotation,
    Dataset,
    Run,
    TiltSeries,
    Tomogram,
    VoxelSpacing,
    VoxelSpacingContents,
)
from ..portal.vocabulary import NOT_AVAILABLE, quality_description, quality_label

MODEL = Qt.ItemDataRole.UserRole
KIND = Qt.ItemDataRole.UserRole + 1
# The VoxelSpacingContents a spacing's rows (and their alignments' rows) come from.
CONTENTS = Qt.ItemDataRole.UserRole + 3
LOADING = "loading"
MORE = "more"
# The node's page loader: Qt connects signals to it weakly, so the node keeps it alive.
LOADER = Qt.ItemDataRole.UserRole + 4
# A cell's value for sorting, where its text does not sort right ("62.5%", sizes).
SORT = Qt.ItemDataRole.UserRole + 5


class Column(NamedTuple):
    """A column of the tree: its title and what it holds at each level."""

    title: str
    width: int
    meanings: Mapping[str, str]


COLUMNS: tuple[Column, ...] = (
    Column(
        "Name",
        270,
        {
            "deposition": "Deposition ID",
            "dataset": "Dataset ID",
            "run": "Run name",
            "spacing": "Voxel spacing",
            "alignment": "Alignment, and the tomograms reconstructed with it",
            "tomogram": "Tomogram",
            "tiltseries": "Tilt series (Open or a double-click opens the projection stack)",
            "annotation": "Annotated object",
        },
    ),
    Column(
        "Title / ID",
        220,
        {
            "deposition": "Deposition title",
            "dataset": "Dataset title",
            "run": "Run ID",
            "spacing": "Voxel spacing ID",
            "alignment": "Alignment ID",
            "tomogram": "Tomogram ID",
            "tiltseries": "Tilt series ID",
            "annotation": "Annotation ID",
        },
    ),
    Column("Organism", 140, {"dataset": "Organism"}),
    Column(
        "Count",
        165,
        {
            "deposition": "Datasets, tomograms and annotations it brought",
            "dataset": "Runs in the dataset",
            "run": "Annotations of the run",
            "spacing": "Tomograms at this voxel spacing",
            "alignment": "Tomograms and annotations of this alignment",
            "tiltseries": "Projection images (one per tilt)",
            "annotation": "Objects annotated",
        },
    ),
    Column(
        "Quality",
        100,
        {
            "run": "Tilt-series quality (1-5, assigned by the authors)",
            "tiltseries": "Tilt-series quality (1-5, assigned by the authors)",
        },
    ),
    Column(
        "Objects",
        160,
        {"dataset": "Annotated objects (distinct)", "run": "Annotated objects (distinct)"},
    ),
    Column("EMPIAR", 100, {"dataset": "EMPIAR entries"}),
    Column(
        "Type",
        190,
        {
            "deposition": "What it holds",
            "tomogram": "Processing",
            "tiltseries": "Tilt range and step",
            "annotation": "Shape type(s)",
        },
    ),
    Column("Method", 110, {"tomogram": "Reconstruction method", "annotation": "Method type"}),
    Column(
        "Size",
        100,
        {
            "tomogram": "Size in voxels (x × y × z)",
            "tiltseries": "Image size in pixels × images (x × y × tilts)",
        },
    ),
    Column(
        "Alignment",
        80,
        {
            "tomogram": "Alignment ID (annotations of the same alignment line up)",
            "annotation": "Alignment ID(s) of its files",
        },
    ),
    Column(
        "Precision",
        80,
        {"annotation": "Precision: the percentage of annotated objects that are real"},
    ),
    Column("Recall", 80, {"annotation": "Recall: the percentage of real objects annotated"}),
    Column("Ground truth", 90, {"annotation": "Ground truth"}),
    Column(
        "Default",
        70,
        {
            "tomogram": "The portal's default tomogram for visualization",
            "annotation": "Shown by default in the portal's visualization",
        },
    ),
    Column("Authors", 160, {"annotation": "Authors"}),
    Column("Formats", 120, {"annotation": "File formats"}),
)
(
    NAME,
    TITLE,
    ORGANISM,
    COUNT,
    QUALITY,
    OBJECTS,
    EMPIAR,
    TYPE,
    METHOD,
    SIZE,
    ALIGNMENT,
    PRECISION,
    RECALL,
    GROUND_TRUTH,
    DEFAULT,
    AUTHORS,
    FORMATS,
) = range(len(COLUMNS))
KINDS = (
    "deposition",
    "dataset",
    "run",
    "spacing",
    "alignment",
    "tomogram",
    "tiltseries",
    "annotation",
)


class Cell(NamedTuple):
    """A cell: its text, a value to sort it by (else its text), and a note for its tooltip."""

    text: str
    sort: float | None = None
    note: str = ""


def _header_tip(column: Column) -> str:
    return "\n".join(
        f"{kind}: {column.meanings[kind]}" for kind in KINDS if kind in column.meanings
    )


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


@dataclass(frozen=True)
class AlignmentNode:
    """What an "alignment" row stands for: one alignment's group of a voxel spacing.

    ``fields`` summarise it for the metadata panel, as other models' fields do.
    """

    group: AlignmentGroup

    @property
    def fields(self) -> dict[str, Any]:
        """The alignment id and the ids of its tomograms and annotations."""
        return {
            "alignmentId": self.group.alignment_id,
            "tomograms": [t.id for t in self.group.tomograms],
            "annotations": [a.id for a in self.group.annotations],
        }


def _item(
    kind: str, model: Any, cells: Mapping[int, Cell], *, expandable: bool = False
) -> PortalItem:
    item = PortalItem([cells[c].text if c in cells else "" for c in range(len(COLUMNS))])
    item.setData(0, KIND, kind)
    item.setData(0, MODEL, model)
    for col, cell in cells.items():
        if cell.sort is not None:
            item.setData(col, SORT, cell.sort)
        if not cell.text:
            continue
        meaning = COLUMNS[col].meanings.get(kind, COLUMNS[col].title)
        tip = f"{meaning}:\n{cell.text}"
        if cell.note:
            tip += f"\n{cell.note}"
        item.setToolTip(col, tip)
    if expandable:
        placeholder = PortalItem(["Loading…"])
        placeholder.setData(0, KIND, LOADING)
        item.addChild(placeholder)
    return item


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _na(value: Any) -> str:
    """A scalar as the tables show it: NA when the portal has none."""
    return NOT_AVAILABLE if value is None or value == "" else str(value)


def _yes_no(value: bool | None) -> str:
    return NOT_AVAILABLE if value is None else "yes" if value else "no"


def _listing(values: Iterable[str]) -> str:
    """Distinct values, alphabetically."""
    return ", ".join(sorted(set(values), key=str.casefold))


def _percent(value: float | None) -> Cell:
    """A precision or recall: the portal gives percentages."""
    if value is None:
        return Cell(NOT_AVAILABLE, note="the portal has no value")
    return Cell(f"{value:g}%", value)


def deposition_item(d: Deposition) -> QTreeWidgetItem:
    """A deposition row: id, title, what it brought; its datasets come on expanding."""
    brought = (
        f"{_n(d.dataset_count, 'dataset')}, {_n(d.tomogram_count, 'tomogram')}, "
        f"{_n(d.annotation_count, 'annotation')}"
    )
    date = (d.deposition_date or "")[:10]
    return _item(
        "deposition",
        d,
        {
            NAME: Cell(str(d.id), d.id, f"deposited {date}" if date else ""),
            TITLE: Cell(d.title),
            COUNT: Cell(brought, d.annotation_count + d.tomogram_count + d.dataset_count),
            TYPE: Cell(", ".join(d.types)),
        },
        expandable=True,
    )


def dataset_item(d: Dataset) -> QTreeWidgetItem:
    """A dataset row: id, title, organism, runs, annotated objects, EMPIAR entries."""
    return _item(
        "dataset",
        d,
        {
            NAME: Cell(str(d.id), d.id),
            TITLE: Cell(d.title),
            ORGANISM: Cell(_na(d.organism_name)),
            COUNT: Cell(_n(d.run_count, "run"), d.run_count),
            OBJECTS: Cell(_listing(d.object_names)),
            EMPIAR: Cell(", ".join(d.empiar_ids)),
        },
        expandable=d.run_count > 0,
    )


def run_item(r: Run) -> QTreeWidgetItem:
    """A run row: name, run id, tilt-series quality, annotation count, annotated objects."""
    quality = r.tilt_series_quality
    return _item(
        "run",
        r,
        {
            NAME: Cell(r.name),
            TITLE: Cell(str(r.id), r.id),
            COUNT: Cell(
                _n(r.annotation_count, "annotation"),
                r.annotation_count,
                f"{_n(r.tomogram_count, 'tomogram')} in all",
            ),
            QUALITY: Cell(quality_label(quality), quality, quality_description(quality)),
            OBJECTS: Cell(_listing(r.object_names)),
        },
        expandable=bool(r.voxel_spacings or r.tilt_series),
    )


def run_children(r: Run) -> list[QTreeWidgetItem]:
    """A run's rows: its voxel spacings, then its tilt series (both came with the run)."""
    return [spacing_item(v) for v in r.voxel_spacings] + [tiltseries_item(t) for t in r.tilt_series]


def tiltseries_item(t: TiltSeries) -> QTreeWidgetItem:
    """A tilt series row: id, image count, quality, tilt range and step, image size."""
    z, y, x = t.size_zyx
    if t.tilt_min is not None and t.tilt_max is not None:
        step = f" step {t.tilt_step:g}°" if t.tilt_step else ""
        span = f"{t.tilt_min:g}° to {t.tilt_max:g}°{step}"
    else:
        span = NOT_AVAILABLE
    return _item(
        "tiltseries",
        t,
        {
            NAME: Cell(f"tilt series {t.id}", t.id),
            TITLE: Cell(str(t.id), t.id),
            COUNT: Cell(_n(z, "image"), z),
            QUALITY: Cell(quality_label(t.quality), t.quality, quality_description(t.quality)),
            TYPE: Cell(span, t.tilt_min),
            SIZE: Cell(f"{x}×{y}×{z}", x * y * z),
        },
    )


def spacing_item(v: VoxelSpacing) -> QTreeWidgetItem:
    """A voxel spacing row, in Angstrom."""
    return _item(
        "spacing",
        v,
        {
            NAME: Cell(f"{v.voxel_spacing:.3f} Å", v.voxel_spacing),
            TITLE: Cell(str(v.id), v.id),
            COUNT: Cell(_n(v.tomogram_count, "tomogram"), v.tomogram_count),
        },
        expandable=True,
    )


def tomogram_item(t: Tomogram) -> QTreeWidgetItem:
    """A tomogram row: id, processing, reconstruction method, size, alignment."""
    z, y, x = t.size_zyx
    return _item(
        "tomogram",
        t,
        {
            NAME: Cell(f"tomogram {t.id}", t.id),
            TITLE: Cell(str(t.id), t.id),
            TYPE: Cell(_na(t.processing)),
            METHOD: Cell(_na(t.reconstruction_method)),
            SIZE: Cell(f"{x}×{y}×{z}", x * y * z),
            ALIGNMENT: Cell(_na(t.alignment_id), t.alignment_id),
            DEFAULT: Cell(_yes_no(t.is_visualization_default)),
        },
    )


def annotation_item(a: Annotation) -> QTreeWidgetItem:
    """An annotation row: object, shapes, method, precision, recall, ground truth,
    visualization default, authors, formats and id."""
    files = a.files
    alignments = sorted({f.alignment_id for f in files if f.alignment_id is not None})
    count = a.object_count
    return _item(
        "annotation",
        a,
        {
            NAME: Cell(a.object_name),
            TITLE: Cell(str(a.id), a.id),
            COUNT: Cell(NOT_AVAILABLE if count is None else _n(count, "object"), count),
            TYPE: Cell(_listing(s.shape_type for s in a.shapes)),
            METHOD: Cell(_na(a.method_type)),
            ALIGNMENT: Cell(", ".join(str(i) for i in alignments)),
            PRECISION: _percent(a.precision),
            RECALL: _percent(a.recall),
            GROUND_TRUTH: Cell(_yes_no(a.ground_truth_status)),
            DEFAULT: Cell(_yes_no(any(f.is_visualization_default for f in files))),
            AUTHORS: Cell(", ".join(a.authors)),
            FORMATS: Cell(_listing(f.format for f in files)),
        },
    )


def alignment_label(group: AlignmentGroup) -> str:
    """``"alignment 1 · tomogram 1"``: the alignment and the tomograms made with it."""
    name = "no alignment" if group.alignment_id is None else f"alignment {group.alignment_id}"
    ids = ", ".join(str(t.id) for t in group.tomograms)
    tomograms = f"tomogram {ids}" if len(group.tomograms) == 1 else f"tomograms {ids}"
    return f"{name} · {tomograms if group.tomograms else 'no tomogram'}"


def alignment_item(group: AlignmentGroup, contents: VoxelSpacingContents) -> QTreeWidgetItem:
    """An alignment row holding its tomograms and annotations (only their files of
    this alignment): a voxel spacing's child when it holds several alignments.

    The row and its children carry ``contents`` under :data:`CONTENTS`, as a spacing's
    own tomogram and annotation rows do.
    """
    counts = f"{_n(len(group.tomograms), 'tomogram')}, {_n(len(group.annotations), 'annotation')}"
    item = _item(
        "alignment",
        AlignmentNode(group),
        {
            NAME: Cell(alignment_label(group), group.alignment_id),
            TITLE: Cell(_na(group.alignment_id), group.alignment_id),
            COUNT: Cell(counts, len(group.tomograms) + len(group.annotations)),
        },
    )
    item.setData(0, CONTENTS, contents)
    rows = [tomogram_item(t) for t in group.tomograms]
    rows += [annotation_item(a) for a in group.annotations]
    for row in rows:
        row.setData(0, CONTENTS, contents)
    item.addChildren(rows)
    return item


class PortalTree(QTreeWidget):
    """Tree whose nodes carry portal models; children appear when a node expands.

    Rows keep the portal's order until a header is clicked; then each level sorts by
    that column (see :func:`sorts_before`).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(len(COLUMNS))
        self.setHeaderLabels([c.title for c in COLUMNS])
        header_item = self.headerItem()
        for col, column in enumerate(COLUMNS):
            self.setColumnWidth(col, column.width)
            if header_item is not None:
                header_item.setToolTip(col, _header_tip(column))
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
