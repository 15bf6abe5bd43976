"""``napari-cryoet-explorer ls``: print one level of the portal tree.

``ls`` lists datasets, ``ls 10000`` the runs of dataset 10000, ``ls 10000/TS_001`` its
voxel spacings and tilt series, ``ls 10000/TS_001/13.48`` the tomograms and annotations there, grouped
by alignment. Filters (:class:`~.filters.Filters`) narrow each level on the server;
``--facets`` prints each filter value with the number of datasets that match. Tables
by default, with the portal's columns; ``--json`` prints one object a line with
``kind``, ``id``, ``title`` or ``name``, ``children`` (the number of child nodes) and
the same columns (absent values as ``null``, where tables show ``NA``).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any, TextIO

from .client import PortalClient
from .depositions import Deposition
from .errors import PortalError
from .facets import FACETS_BY_NAME, FacetValue
from .filters import (
    Filters,
    annotation_filters,
    matches_annotation,
    matches_tomogram,
    tomogram_filters,
)
from .models import (
    Annotation,
    Dataset,
    Run,
    TiltSeries,
    Tomogram,
    VoxelSpacing,
    VoxelSpacingContents,
)
from .resolve import Resolved
from .vocabulary import NOT_AVAILABLE, quality_label

Row = dict[str, Any]
EXIT_PORTAL_ERROR = 1
EXIT_USAGE = 2
TARGET_FORM = "DATASET_ID[/RUN_NAME[/VOXEL_SPACING]]"


class UsageError(ValueError):
    """The target does not name a node of the tree."""


def split_target(target: str | None) -> tuple[int | None, str | None, float | None]:
    """``"10000/TS_001/13.48"`` as ``(10000, "TS_001", 13.48)``; missing parts are None.

    The voxel spacing may also be given as its folder name, ``VoxelSpacing13.480``; one
    trailing slash is allowed.

    Raises
    ------
    UsageError
        A leading slash, an empty part (``10000//13.48``), more than three parts, or a
        part that is not a number where one is due.
    """
    text = (target or "").strip()
    if not text:
        return None, None, None
    if text.startswith("/"):
        raise UsageError(
            f"{target!r} starts with '/': targets are {TARGET_FORM}, e.g. 10000/TS_001"
        )
    parts = text.removesuffix("/").split("/")
    if len(parts) > 3:
        raise UsageError(f"expected {TARGET_FORM}, got {target!r}")
    for index, part in enumerate(parts):
        if not part.strip():
            what = ("dataset id", "run name", "voxel spacing")[index]
            raise UsageError(f"the {what} is empty in {target!r} (expected {TARGET_FORM})")
    try:
        dataset_id = int(parts[0])
    except ValueError:
        raise UsageError(f"dataset id must be a number, got {parts[0]!r}") from None
    if dataset_id < 0:
        raise UsageError(f"dataset id must not be negative, got {dataset_id}")
    spacing = None
    if len(parts) == 3:
        try:
            spacing = float(parts[2].removeprefix("VoxelSpacing"))
        except ValueError:
            raise UsageError(f"voxel spacing must be a number, got {parts[2]!r}") from None
        if not spacing > 0:
            raise UsageError(f"voxel spacing must be positive, got {parts[2]!r}")
    return dataset_id, parts[1] if len(parts) > 1 else None, spacing


# -- rows -------------------------------------------------------------------------


def dataset_rows(datasets: Iterable[Dataset], found: Resolved | None = None) -> list[Row]:
    """One row a dataset (the portal's dataset table); with free text, what matched and
    the matching runs."""
    rows = []
    for d in datasets:
        row: Row = {
            "kind": "dataset",
            "id": d.id,
            "title": d.title,
            "organism": d.organism_name,
            "runs": d.run_count,
            "objects": list(d.object_names),
            "empiar": list(d.empiar_ids),
            "children": d.run_count,
        }
        if found is not None and found.text is not None:
            row["matched_by"] = list(found.matched_by.get(d.id, ()))
            row["matched_runs"] = [r.name for r in found.runs if r.dataset_id == d.id]
        rows.append(row)
    return rows


def run_rows(runs: Iterable[Run]) -> list[Row]:
    """One row a run (the portal's run table): quality, objects, voxel spacings, tilt
    series, counts."""
    return [
        {
            "kind": "run",
            "id": r.id,
            "name": r.name,
            "dataset_id": r.dataset_id,
            "tilt_series_quality": r.tilt_series_quality,
            "quality": quality_label(r.tilt_series_quality),
            "objects": list(r.object_names),
            "voxel_spacings": [v.voxel_spacing for v in r.voxel_spacings],
            "tomograms": r.tomogram_count,
            "annotations": r.annotation_count,
            "tilt_series": [t.id for t in r.tilt_series],
            "children": len(r.voxel_spacings) + len(r.tilt_series),
        }
        for r in runs
    ]


def voxel_spacing_rows(spacings: Iterable[VoxelSpacing]) -> list[Row]:
    """One row a voxel spacing, named as its folder in a download."""
    return [
        {
            "kind": "voxel_spacing",
            "id": v.id,
            "name": v.folder_name,
            "voxel_spacing": v.voxel_spacing,
            "tomograms": v.tomogram_count,
            "children": v.tomogram_count,
        }
        for v in spacings
    ]


def tilt_series_rows(tilt_series: Iterable[TiltSeries]) -> list[Row]:
    """One row a tilt series: images, tilt range and step, pixel spacing, quality, files."""
    return [
        {
            "kind": "tilt_series",
            "id": t.id,
            "name": t.label,
            "images": t.n_images,
            "size_yx": list(t.size_zyx[1:]),
            "tilt_min": t.tilt_min,
            "tilt_max": t.tilt_max,
            "tilt_step": t.tilt_step,
            "pixel_spacing": t.pixel_spacing,
            "tilt_series_quality": t.quality,
            "quality": quality_label(t.quality),
            "mrc": t.https_mrc_file,
            "zarr": t.https_omezarr_dir,
            "angle_list": t.https_angle_list,
            "children": 0,
        }
        for t in tilt_series
    ]


def tomogram_row(t: Tomogram, match: bool | None = None) -> Row:
    """One tomogram, for ``ls`` of a voxel spacing."""
    row: Row = {
        "kind": "tomogram",
        "id": t.id,
        "name": t.name,
        "alignment_id": t.alignment_id,
        "processing": t.processing,
        "reconstruction_method": t.reconstruction_method,
        "size_zyx": list(t.size_zyx),
        "voxel_spacing": t.voxel_spacing,
        "default": t.is_visualization_default,
        "omezarr": t.https_omezarr_dir,
        "mrc": t.https_mrc_file,
        "children": 0,
    }
    if match is not None:
        row["match"] = match
    return row


def annotation_row(a: Annotation, alignment_id: int | None, match: bool | None = None) -> Row:
    """One annotation with its files at one alignment (the portal's annotation table)."""
    files = a.files
    row: Row = {
        "kind": "annotation",
        "id": a.id,
        "name": a.object_name,
        "alignment_id": alignment_id,
        "shapes": sorted({s.shape_type for s in a.shapes}),
        "method_type": a.method_type,
        "precision": a.precision,
        "recall": a.recall,
        "ground_truth": a.ground_truth_status,
        "default": any(f.is_visualization_default for f in files),
        "authors": list(a.authors),
        "formats": sorted({f.format for f in files}),
        "files": [
            {
                "id": f.id,
                "shape": f.shape_type,
                "format": f.format,
                "alignment_id": f.alignment_id,
                "default": f.is_visualization_default,
                "url": f.https_path,
            }
            for f in files
        ],
        "children": len(files),
    }
    if match is not None:
        row["match"] = match
    return row


def contents_rows(contents: VoxelSpacingContents, filters: Filters | None = None) -> list[Row]:
    """Tomograms, then annotations, alignment by alignment; with row filters, the
    matching ones of each alignment first (``match`` says which)."""
    f = filters or Filters()
    rows: list[Row] = []
    for group in contents.by_alignment():
        tomograms = [
            tomogram_row(t, matches_tomogram(f, t) if tomogram_filters(f) else None)
            for t in group.tomograms
        ]
        annotations = [
            annotation_row(
                a, group.alignment_id, matches_annotation(f, a) if annotation_filters(f) else None
            )
            for a in group.annotations
        ]
        for block in (tomograms, annotations):
            block.sort(key=lambda r: r.get("match") is False)
            rows.extend(r for r in block if r not in rows)
    return rows


def facet_rows(found: dict[str, list[FacetValue]]) -> list[Row]:
    """One row a facet value, with the number of datasets that match with it."""
    return [
        {
            "kind": "facet",
            "facet": name,
            "value": v.value,
            "label": v.label,
            "datasets": v.datasets,
            "selected": v.selected,
        }
        for name, values in found.items()
        for v in values
    ]


def deposition_rows(found: Iterable[Deposition]) -> list[Row]:
    """One row a deposition: its date, title, types and what it brought."""
    return [
        {
            "kind": "deposition",
            "id": d.id,
            "title": d.title,
            "date": (d.deposition_date or "")[:10] or None,
            "datasets": d.dataset_count,
            "tomograms": d.tomogram_count,
            "annotations": d.annotation_count,
            "types": list(d.types),
        }
        for d in found
    ]


def collect(
    client: PortalClient,
    target: str | None,
    search: str | None = None,
    *,
    filters: Filters | None = None,
    facets: bool = False,
    depositions: bool = False,
) -> list[Row]:
    """The rows ``ls`` prints for ``target`` (one dict a node).

    Parameters
    ----------
    client : PortalClient
        Where to ask.
    target : str, optional
        ``DATASET_ID[/RUN_NAME[/VOXEL_SPACING]]``; None lists datasets.
    search : str, optional
        Free text (the same as ``filters.search``).
    filters : Filters, optional
        Server-side filters: datasets, or the runs of a dataset, that match; under a
        voxel spacing, the matching tomograms and annotations first.
    facets : bool
        Print, instead of the level, each facet value with the number of matching
        datasets (disjunctive counts).
    depositions : bool
        List the depositions instead (``--deposition ID`` then lists what one holds).
    """
    f = filters or Filters()
    if search:
        f = replace(f, search=search)
    dataset_id, run_name, spacing = split_target(target)
    if depositions:
        if dataset_id is not None or not f.is_empty():
            raise UsageError(
                "--depositions lists every deposition: give no target or filter "
                "(--deposition ID lists the datasets of one)"
            )
        return deposition_rows(d for page in client.iter_deposition_pages() for d in page)
    if facets:
        if dataset_id is not None:
            raise UsageError("--facets counts datasets: give no target")
        return facet_rows(client.facets(f))
    if dataset_id is None:
        resolved = client.resolve(f)
        pages = client.iter_filtered_dataset_pages(f, resolved)
        return dataset_rows((d for page in pages for d in page), resolved)
    if run_name is None:
        runs = [r for page in client.iter_filtered_run_pages(dataset_id, f) for r in page]
        if not runs:
            client.dataset(dataset_id)  # tell "no such dataset" from "nothing matches"
        return run_rows(runs)
    run = client.run(dataset_id, run_name)
    if spacing is None:
        return voxel_spacing_rows(run.voxel_spacings) + tilt_series_rows(run.tilt_series)
    contents = client.voxel_spacing_contents(client.find_voxel_spacing(run, spacing).id)
    return contents_rows(contents, f)


# -- output -----------------------------------------------------------------------


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


def _complain(exc: Exception) -> None:
    message = " ".join(str(exc).splitlines())
    sys.stderr.write(f"napari-cryoet-explorer ls: {message}\n")


def run_ls(
    target: str | None,
    *,
    url: str | None,
    search: str | None = None,
    as_json: bool = False,
    out: TextIO,
    filters: Filters | None = None,
    facets: bool = False,
    depositions: bool = False,
) -> int:
    """Print the level of the tree named by ``target``; return an exit code.

    Parameters
    ----------
    target : str, optional
        ``DATASET_ID[/RUN_NAME[/VOXEL_SPACING]]``; None lists datasets.
    url : str, optional
        GraphQL endpoint; defaults to the public portal.
    search : str, optional
        Server-side search text (datasets, or runs within a dataset).
    as_json : bool
        One JSON object a line instead of a table.
    out : TextIO
        Where to print.
    filters : Filters, optional
        Server-side filters (see :func:`collect`).
    facets : bool
        Print facet counts instead of a level.
    depositions : bool
        List the depositions instead of a level.

    Returns
    -------
    int
        0 on success (a filter that matches nothing says so on stderr), 1 if the
        portal failed or has no such node (a one-line message on stderr names the
        URL), 2 for a malformed target or filter value.
    """
    f = filters or Filters()
    try:
        with PortalClient(url) as client:
            rows = collect(
                client, target, search, filters=f, facets=facets, depositions=depositions
            )
    except PortalError as exc:
        _complain(exc)
        return EXIT_PORTAL_ERROR
    except ValueError as exc:  # a malformed target, search text or filter value
        _complain(exc)
        return EXIT_USAGE
    if not rows and (search or not f.is_empty()):
        chips = [c for _, c in replace(f, search=search or f.search).chips()]
        sys.stderr.write(f"napari-cryoet-explorer ls: nothing matches {'; '.join(chips)}\n")
    try:
        if as_json:
            out.writelines(json.dumps(row) + "\n" for row in rows)
        else:
            out.write(format_table(rows) if rows or f.is_empty() else "")
        out.flush()
    except BrokenPipeError:
        # The reader went away (``ls --json | head``): that is not an error of ours.
        # Point stdout at /dev/null so the interpreter's final flush does not fail too.
        _silence_stdout()
    return 0


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (tests)
        pass
