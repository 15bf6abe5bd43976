"""The portal tree's rows: one builder per kind of node, from the portal's models.

Deposition, dataset, run, voxel spacing, alignment, tomogram, tilt series and
annotation rows, each with its cells in the tree's columns and their tooltips.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from qtpy.QtWidgets import QTreeWidgetItem

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
from .tree_columns import (
    ALIGNMENT,
    AUTHORS,
    COLUMNS,
    CONTENTS,
    COUNT,
    DEFAULT,
    EMPIAR,
    FORMATS,
    GROUND_TRUTH,
    KIND,
    LOADING,
    METHOD,
    MODEL,
    NAME,
    OBJECTS,
    ORGANISM,
    PRECISION,
    QUALITY,
    RECALL,
    SIZE,
    SORT,
    TITLE,
    TYPE,
    Cell,
)
from .tree_sorting import PortalItem


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

    The row and its children carry ``contents`` under
    :data:`~.tree_columns.CONTENTS`, as a spacing's own tomogram and annotation rows do.
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
