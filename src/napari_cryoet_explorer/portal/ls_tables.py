"""``ls``'s rows as human-readable tables: one table a level (a run's voxel spacings and
tilt series as two, a voxel spacing's tomograms and annotations alignment by alignment),
absent values as ``NA``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .facets import FACETS_BY_NAME
from .ls_rows import Row
from .vocabulary import NOT_AVAILABLE


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Left-aligned columns under a header line (the last column is not padded)."""
    cells = [list(headers)] + [[_cell(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(r[:-1], widths[:-1], strict=True)) + "  " + r[-1]
        for r in cells
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return NOT_AVAILABLE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_cell(v) for v in value) or "-"
    return str(value)


def _spacings(values: Iterable[float]) -> str:
    return ", ".join(f"{v:.3f}" for v in values)


def _score(value: float | None) -> str:
    """A precision or recall: the portal gives percentages, NA where none was measured."""
    return NOT_AVAILABLE if value is None else f"{value:g}%"


def _listing(values: list[str], limit: int = 4) -> str:
    if len(values) <= limit:
        return ", ".join(values) or "-"
    return ", ".join(values[:limit]) + f" (+{len(values) - limit})"


def format_table(rows: list[Row]) -> str:
    """Rows of one level as human-readable tables (absent values as ``NA``)."""
    if not rows:
        return "(nothing here)\n"
    kind = rows[0]["kind"]
    if kind == "facet":
        return _facet_table(rows)
    if kind == "deposition":
        return table(
            ["ID", "DATE", "DATASETS", "TOMOGRAMS", "ANNOTATIONS", "TYPES", "TITLE"],
            (
                [
                    r["id"],
                    r["date"],
                    r["datasets"],
                    r["tomograms"],
                    r["annotations"],
                    ", ".join(r["types"]),
                    r["title"],
                ]
                for r in rows
            ),
        )
    if kind == "dataset":
        searched = "matched_by" in rows[0]
        headers = ["ID", "RUNS", "ORGANISM", "EMPIAR", "OBJECTS"]
        headers += ["MATCHED", "TITLE"] if searched else ["TITLE"]
        return table(
            headers,
            (
                [
                    r["id"],
                    r["runs"],
                    r["organism"],
                    _listing(r["empiar"], 2),
                    _listing(r["objects"]),
                ]
                + ([_matched(r)] if searched else [])
                + [r["title"]]
                for r in rows
            ),
        )
    if kind == "run":
        return table(
            ["RUN", "ID", "QUALITY", "TOMOGRAMS", "ANNOTATIONS", "VOXEL SPACINGS", "OBJECTS"],
            (
                [
                    r["name"],
                    r["id"],
                    r["quality"],
                    r["tomograms"],
                    r["annotations"],
                    _spacings(r["voxel_spacings"]),
                    _listing(r["objects"]),
                ]
                for r in rows
            ),
        )
    if kind in ("voxel_spacing", "tilt_series"):
        return _run_level_table(rows)
    return _contents_table(rows)


def _run_level_table(rows: list[Row]) -> str:
    """A run's voxel spacings, then its tilt series, as two tables."""
    spacings = [r for r in rows if r["kind"] == "voxel_spacing"]
    tilts = [r for r in rows if r["kind"] == "tilt_series"]
    parts = []
    if spacings:
        parts.append(
            table(
                ["VOXEL SPACING", "ID", "TOMOGRAMS"],
                ([r["name"], r["id"], r["tomograms"]] for r in spacings),
            )
        )
    if tilts:
        parts.append(
            table(
                ["TILT SERIES", "IMAGES", "TILT RANGE", "STEP", "PIXEL SPACING", "QUALITY"],
                (
                    [
                        r["id"],
                        r["images"],
                        _tilt_range(r["tilt_min"], r["tilt_max"]),
                        r["tilt_step"],
                        r["pixel_spacing"],
                        r["quality"],
                    ]
                    for r in tilts
                ),
            )
        )
    return "\n".join(parts)


def _tilt_range(low: float | None, high: float | None) -> str | None:
    return None if low is None or high is None else f"{low:g} to {high:g}"


def _mark(row: Row) -> str:
    match = row.get("match")
    return "" if match is None else "+" if match else " "


def _contents_table(rows: list[Row]) -> str:
    alignments = list(dict.fromkeys(r["alignment_id"] for r in rows))
    several = len(alignments) > 1
    filtered = any("match" in r for r in rows)
    parts = []
    for alignment_id in alignments:
        mine = [r for r in rows if r["alignment_id"] == alignment_id]
        tomograms = [r for r in mine if r["kind"] == "tomogram"]
        annotations = [r for r in mine if r["kind"] == "annotation"]
        if several:
            names = ", ".join(str(t["id"]) for t in tomograms) or "none here"
            parts.append(f"== alignment {alignment_id} (tomograms {names})\n")
        if tomograms:
            parts.append(
                table(
                    [
                        "",
                        "TOMOGRAM",
                        "NAME",
                        "PROCESSING",
                        "METHOD",
                        "SIZE (X x Y x Z)",
                        "OME-ZARR",
                    ],
                    (
                        [
                            _mark(t),
                            t["id"],
                            t["name"] + (" *" if t["default"] else ""),
                            t["processing"],
                            t["reconstruction_method"],
                            "x".join(str(n) for n in reversed(t["size_zyx"])),
                            t["omezarr"],
                        ]
                        for t in tomograms
                    ),
                )
            )
        if annotations:
            parts.append(
                table(
                    [
                        "",
                        "ANNOTATION",
                        "OBJECT",
                        "SHAPE",
                        "METHOD",
                        "PRECISION",
                        "RECALL",
                        "GROUND TRUTH",
                        "DEFAULT",
                        "FORMATS",
                        "AUTHORS",
                    ],
                    (
                        [
                            _mark(a),
                            a["id"],
                            a["name"],
                            _cell(a["shapes"]),
                            a["method_type"],
                            _score(a["precision"]),
                            _score(a["recall"]),
                            a["ground_truth"],
                            a["default"],
                            _cell(a["formats"]),
                            _listing(a["authors"], 2),
                        ]
                        for a in annotations
                    ),
                )
            )
    notes = ["(* the portal's default tomogram for visualization)"]
    if filtered:
        notes.append("(+ matches the filters; matching rows come first)")
    return "\n".join(parts) + "\n".join(notes) + "\n"


def _facet_table(rows: list[Row]) -> str:
    out = []
    for name in dict.fromkeys(r["facet"] for r in rows):
        mine = [r for r in rows if r["facet"] == name]
        out.append(
            table(
                [FACETS_BY_NAME[name].title.upper(), "DATASETS"],
                (
                    [
                        ("[x] " if r["selected"] else "")
                        + str(r["value"])
                        + (f" ({r['label']})" if r["label"] else ""),
                        r["datasets"],
                    ]
                    for r in mine
                ),
            )
        )
    return "\n".join(out)


def _matched(row: Row) -> str:
    what = ", ".join(row["matched_by"])
    runs = row["matched_runs"]
    if runs:
        more = f" (+{len(runs) - 3})" if len(runs) > 3 else ""
        what += ": " + ", ".join(runs[:3]) + more
    return what
