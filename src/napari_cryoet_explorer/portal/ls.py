"""``napari-cryoet-explorer ls``: print one level of the portal tree.

``ls`` lists datasets, ``ls 10000`` the runs of dataset 10000, ``ls 10000/TS_001`` its
voxel spacings, ``ls 10000/TS_001/13.48`` the tomograms and annotations there. Tables
by default; ``--json`` prints one object a line with ``kind``, ``id``, ``title`` or
``name`` and ``children`` (the number of child nodes).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from .client import PortalClient
from .errors import PortalError
from .models import Dataset, Run, SearchResult, VoxelSpacing, VoxelSpacingContents

Row = dict[str, Any]
EXIT_PORTAL_ERROR = 1
EXIT_USAGE = 2
TARGET_FORM = "DATASET_ID[/RUN_NAME[/VOXEL_SPACING]]"


class UsageError(ValueError):
    """The target does not name a node of the tree."""


def split_target(target: str | None) -> tuple[int | None, str | None, float | None]:
    """``"10000/TS_001/13.48"`` as ``(10000, "TS_001", 13.48)``; missing parts are None.

    The voxel spacing may also be given as its folder name, ``VoxelSpacing13.480``.
    """
    parts = [p for p in (target or "").strip().strip("/").split("/") if p]
    if len(parts) > 3:
        raise UsageError(f"expected {TARGET_FORM}, got {target!r}")
    try:
        dataset_id = int(parts[0]) if parts else None
    except ValueError:
        raise UsageError(f"dataset id must be a number, got {parts[0]!r}") from None
    spacing = None
    if len(parts) == 3:
        try:
            spacing = float(parts[2].removeprefix("VoxelSpacing"))
        except ValueError:
            raise UsageError(f"voxel spacing must be a number, got {parts[2]!r}") from None
    return dataset_id, parts[1] if len(parts) > 1 else None, spacing


# -- rows -------------------------------------------------------------------------


def dataset_rows(datasets: Iterable[Dataset], found: SearchResult | None = None) -> list[Row]:
    """One row a dataset; with a search result, what matched and the matching runs."""
    rows = []
    for d in datasets:
        row: Row = {
            "kind": "dataset",
            "id": d.id,
            "title": d.title,
            "organism": d.organism_name,
            "runs": d.run_count,
            "children": d.run_count,
        }
        if found is not None:
            row["matched_by"] = list(found.matched_by.get(d.id, ()))
            row["matched_runs"] = [r.name for r in found.runs if r.dataset_id == d.id]
        rows.append(row)
    return rows


def run_rows(runs: Iterable[Run]) -> list[Row]:
    """One row a run: voxel spacings and counts."""
    return [
        {
            "kind": "run",
            "id": r.id,
            "name": r.name,
            "dataset_id": r.dataset_id,
            "voxel_spacings": [v.voxel_spacing for v in r.voxel_spacings],
            "tomograms": r.tomogram_count,
            "annotations": r.annotation_count,
            "children": len(r.voxel_spacings),
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


def contents_rows(contents: VoxelSpacingContents) -> list[Row]:
    """One row a tomogram, then one an annotation with its files."""
    rows: list[Row] = [
        {
            "kind": "tomogram",
            "id": t.id,
            "name": t.name,
            "alignment_id": t.alignment_id,
            "processing": t.processing,
            "size_zyx": list(t.size_zyx),
            "voxel_spacing": t.voxel_spacing,
            "default": t.is_visualization_default,
            "omezarr": t.https_omezarr_dir,
            "mrc": t.https_mrc_file,
            "children": 0,
        }
        for t in contents.tomograms
    ]
    for a in contents.annotations:
        rows.append(
            {
                "kind": "annotation",
                "id": a.id,
                "name": a.object_name,
                "shapes": sorted({s.shape_type for s in a.shapes}),
                "files": [
                    {
                        "id": f.id,
                        "shape": f.shape_type,
                        "format": f.format,
                        "alignment_id": f.alignment_id,
                        "url": f.https_path,
                    }
                    for f in a.files
                ],
                "children": len(a.files),
            }
        )
    return rows


def collect(client: PortalClient, target: str | None, search: str | None) -> list[Row]:
    """The rows ``ls`` prints for ``target`` (one dict a node).

    With ``search``, datasets are those matching the text server-side, and runs those
    whose names contain it.
    """
    dataset_id, run_name, spacing = split_target(target)
    if dataset_id is None:
        if search:
            found = client.search(search)
            return dataset_rows(found.datasets, found)
        return dataset_rows(client.datasets())
    if run_name is None:
        if search:
            pattern = f"%{search}%"
            return run_rows(r for page in client.iter_run_pages(dataset_id, pattern) for r in page)
        runs = client.runs(dataset_id)
        if not runs:
            client.dataset(dataset_id)  # tell "no such dataset" from "no runs"
        return run_rows(runs)
    run = client.run(dataset_id, run_name)
    if spacing is None:
        return voxel_spacing_rows(run.voxel_spacings)
    return contents_rows(client.voxel_spacing_contents(client.find_voxel_spacing(run, spacing).id))


# -- output -----------------------------------------------------------------------


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Left-aligned columns under a header line (the last column is not padded)."""
    cells = [list(headers)] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(r[:-1], widths[:-1], strict=True)) + "  " + r[-1]
        for r in cells
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _spacings(values: Iterable[float]) -> str:
    return ", ".join(f"{v:.3f}" for v in values)


def format_table(rows: list[Row]) -> str:
    """Rows of one level as human-readable tables."""
    if not rows:
        return "(nothing here)\n"
    kind = rows[0]["kind"]
    if kind == "dataset":
        searched = "matched_by" in rows[0]
        headers = ["ID", "RUNS", "TITLE"] + (["MATCHED"] if searched else [])
        return table(
            headers,
            ([r["id"], r["runs"], r["title"]] + ([_matched(r)] if searched else []) for r in rows),
        )
    if kind == "run":
        return table(
            ["RUN", "ID", "TOMOGRAMS", "ANNOTATIONS", "VOXEL SPACINGS"],
            (
                [
                    r["name"],
                    r["id"],
                    r["tomograms"],
                    r["annotations"],
                    _spacings(r["voxel_spacings"]),
                ]
                for r in rows
            ),
        )
    if kind == "voxel_spacing":
        return table(
            ["VOXEL SPACING", "ID", "TOMOGRAMS"],
            ([r["name"], r["id"], r["tomograms"]] for r in rows),
        )
    tomograms = [r for r in rows if r["kind"] == "tomogram"]
    annotations = [r for r in rows if r["kind"] == "annotation"]
    parts = []
    if tomograms:
        parts.append(
            table(
                ["TOMOGRAM", "NAME", "ALIGNMENT", "PROCESSING", "SIZE (X x Y x Z)", "OME-ZARR"],
                (
                    [
                        t["id"],
                        t["name"] + (" *" if t["default"] else ""),
                        t["alignment_id"],
                        t["processing"],
                        "x".join(str(n) for n in reversed(t["size_zyx"])),
                        t["omezarr"],
                    ]
                    for t in tomograms
                ),
            )
            + "(* the portal's default tomogram for visualization)\n"
        )
    if annotations:
        parts.append(
            table(
                ["ANNOTATION", "OBJECT", "SHAPE", "FORMAT", "ALIGNMENT", "FILE"],
                (
                    [a["id"], a["name"], f["shape"], f["format"], f["alignment_id"], f["url"]]
                    for a in annotations
                    for f in a["files"]
                ),
            )
        )
    return "\n".join(parts)


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
    search: str | None,
    as_json: bool,
    out: TextIO,
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

    Returns
    -------
    int
        0 on success, 1 if the portal failed or has no such node (a one-line message
        on stderr names the URL), 2 for a malformed target.
    """
    try:
        with PortalClient(url) as client:
            rows = collect(client, target, search)
    except PortalError as exc:
        _complain(exc)
        return EXIT_PORTAL_ERROR
    except ValueError as exc:  # a malformed target or search text
        _complain(exc)
        return EXIT_USAGE
    if as_json:
        out.writelines(json.dumps(row) + "\n" for row in rows)
    else:
        out.write(format_table(rows))
    return 0
