"""``napari-cryoet-explorer ls``: print one level of the portal tree."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from .client import PortalClient
from .errors import PortalError
from .models import Dataset, Run


def _split_target(target: str | None) -> tuple[int | None, str | None, float | None]:
    parts = [p for p in (target or "").strip("/").split("/") if p]
    if len(parts) > 3:
        raise ValueError(f"expected DATASET_ID[/RUN_NAME[/VOXEL_SPACING]], got {target!r}")
    try:
        dataset_id = int(parts[0]) if parts else None
    except ValueError:
        raise ValueError(f"dataset id must be a number, got {parts[0]!r}") from None
    spacing = None
    if len(parts) == 3:
        text = parts[2].removeprefix("VoxelSpacing")
        try:
            spacing = float(text)
        except ValueError:
            raise ValueError(f"voxel spacing must be a number, got {parts[2]!r}") from None
    return dataset_id, parts[1] if len(parts) > 1 else None, spacing


def _dataset_rows(datasets: Iterable[Dataset]) -> list[dict[str, Any]]:
    return [
        {
            "id": d.id,
            "title": d.title,
            "organism": d.organism_name,
            "runs": d.run_count,
            "children": d.run_count,
        }
        for d in datasets
    ]


def _run_rows(runs: Iterable[Run]) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "name": r.name,
            "voxel_spacings": [v.voxel_spacing for v in r.voxel_spacings],
            "tomograms": r.tomogram_count,
            "annotations": r.annotation_count,
            "children": len(r.voxel_spacings),
        }
        for r in runs
    ]


def collect(client: PortalClient, target: str | None, search: str | None) -> list[dict[str, Any]]:
    """The rows ``ls`` prints for ``target`` (one dict a node)."""
    dataset_id, run_name, spacing = _split_target(target)
    if dataset_id is None:
        if search:
            return _dataset_rows(client.search(search).datasets)
        return _dataset_rows(client.datasets())
    if run_name is None:
        if search:
            return _run_rows(
                r for page in client.iter_run_pages(dataset_id, f"%{search}%") for r in page
            )
        return _run_rows(client.runs(dataset_id))
    run = client.run(dataset_id, run_name)
    if spacing is None:
        return [
            {
                "id": v.id,
                "name": v.folder_name,
                "voxel_spacing": v.voxel_spacing,
                "tomograms": v.tomogram_count,
                "children": v.tomogram_count,
            }
            for v in run.voxel_spacings
        ]
    contents = client.voxel_spacing_contents(client.find_voxel_spacing(run, spacing).id)
    rows: list[dict[str, Any]] = [
        {
            "kind": "tomogram",
            "id": t.id,
            "name": t.name,
            "alignment_id": t.alignment_id,
            "processing": t.processing,
            "size_zyx": list(t.size_zyx),
            "omezarr": t.https_omezarr_dir,
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
                        "format": f.format,
                        "shape": f.shape_type,
                        "alignment_id": f.alignment_id,
                        "url": f.https_path,
                    }
                    for f in a.files
                ],
                "children": len(a.files),
            }
        )
    return rows


def _table(rows: list[dict[str, Any]], out: TextIO) -> None:
    for row in rows:
        if row.get("kind") == "annotation":
            formats = ", ".join(
                f"{f['shape']}:{f['format']}(al {f['alignment_id']})" for f in row["files"]
            )
            out.write(f"annotation {row['id']:>6}  {row['name']:<24} {formats}\n")
        elif row.get("kind") == "tomogram":
            z, y, x = row["size_zyx"]
            out.write(
                f"tomogram   {row['id']:>6}  {row['name']:<24} {x}x{y}x{z} alignment {row['alignment_id']} {row['processing']}\n"
            )
        elif "title" in row:
            out.write(f"{row['id']:>6}  {row['runs']:>5} runs  {row['title']}\n")
        elif "annotations" in row:
            spacings = ", ".join(f"{v:.3f}" for v in row["voxel_spacings"])
            out.write(
                f"{row['name']:<16} {row['tomograms']:>3} tomograms {row['annotations']:>3} annotations  [{spacings}]\n"
            )
        else:
            out.write(f"{row['name']:<22} {row['tomograms']:>3} tomograms\n")


def run_ls(
    target: str | None,
    *,
    url: str | None,
    search: str | None,
    as_json: bool,
    out: TextIO,
) -> int:
    """Print the level of the tree named by ``target``; return an exit code."""
    try:
        with PortalClient(url) as client:
            rows = collect(client, target, search)
    except (PortalError, ValueError) as exc:
        sys.stderr.write(f"napari-cryoet-explorer ls: {exc}\n")
        return 1
    if as_json:
        for row in rows:
            out.write(json.dumps(row) + "\n")
    else:
        _table(rows, out)
    return 0
