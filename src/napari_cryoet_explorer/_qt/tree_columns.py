"""The portal tree's columns, what each holds at each level, and the data its rows carry.

Each column of the tree holds what its title says at each level (a dataset's title, a
run's id...); a :class:`Cell` is one value with what to sort it by and a note for its
tooltip. The item data roles (:data:`MODEL`, :data:`KIND`, ...) say where a row keeps
its model, its kind, its page loader and its sort values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from qtpy.QtCore import Qt

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


def header_tip(column: Column) -> str:
    """A header's tooltip: what the column holds at each level."""
    return "\n".join(
        f"{kind}: {column.meanings[kind]}" for kind in KINDS if kind in column.meanings
    )
