"""Opening a downloaded portal tree: run, dataset, voxel spacing, tomogram or annotation folders.

The download keeps the portal's layout::

    <dataset>/<run>/Reconstructions/VoxelSpacing13.480/Tomograms/<id>/<run>.zarr
    <dataset>/<run>/Reconstructions/VoxelSpacing13.480/Annotations/<id>/<object>-1.0_*.ndjson

Annotations belong with a tomogram when they sit under the same voxel spacing and name
the same ``alignment_metadata_path`` as the tomogram's ``tomogram_metadata.json``.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .annotations import read_annotation_file
from .layers import LayerData
from .metadata import parse_annotation_name, spacing_from_path
from .tomogram import read_tomogram

READABLE_SHAPES = (
    "Point",
    "OrientedPoint",
    "InstanceSegmentation",
    "SegmentationMask",
    "InstanceSegmentationMask",
)


@dataclass(frozen=True)
class LocalTomogram:
    """A tomogram folder of a download."""

    path: Path  # the .zarr (or .mrc when there is no zarr)
    voxel_spacing: float | None
    alignment: str | None
    metadata: dict[str, Any]


def _json(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    return doc if isinstance(doc, dict) else {}


def is_run_dir(path: Path) -> bool:
    """A run folder holds ``Reconstructions/`` (and usually ``run_metadata.json``)."""
    return (path / "Reconstructions").is_dir()


def is_dataset_dir(path: Path) -> bool:
    """A dataset folder holds run folders (and usually ``dataset_metadata.json``)."""
    return path.is_dir() and any(is_run_dir(p) for p in path.iterdir() if p.is_dir())


def spacing_dirs(run_dir: Path) -> list[Path]:
    """``VoxelSpacing*`` folders of a run, finest first."""
    found = [p for p in (run_dir / "Reconstructions").glob("VoxelSpacing*") if p.is_dir()]
    return sorted(found, key=lambda p: spacing_from_path(p) or 0.0)


def tomograms(spacing_dir: Path) -> list[LocalTomogram]:
    """Tomograms under a voxel-spacing folder, the portal-standard / first alignment first."""
    out = []
    for folder in sorted((spacing_dir / "Tomograms").glob("*")):
        if not folder.is_dir():
            continue
        meta = _json(folder / "tomogram_metadata.json")
        zarrs = sorted(folder.glob("*.zarr"))
        files = zarrs or sorted(folder.glob("*.mrc")) or sorted(folder.glob("*.rec"))
        if not files:
            continue
        spacing = meta.get("voxel_spacing") or spacing_from_path(folder)
        out.append(
            LocalTomogram(
                files[0],
                float(spacing) if spacing else None,
                meta.get("alignment_metadata_path"),
                meta,
            )
        )
    return out


def annotation_files(spacing_dir: Path, alignment: str | None) -> list[Path]:
    """Readable annotation files of a voxel spacing matching ``alignment`` (Zarr over MRC)."""
    out: list[Path] = []
    for folder in sorted((spacing_dir / "Annotations").glob("*")):
        if not folder.is_dir():
            continue
        metas = [_json(p) for p in folder.glob("*.json")]
        paths = {m.get("alignment_metadata_path") for m in metas if m}
        if alignment and paths and alignment not in paths:
            continue
        by_shape: dict[tuple[str, str], Path] = {}
        for path in sorted(folder.iterdir()):
            parsed = parse_annotation_name(path.name)
            if parsed is None or parsed[1] not in READABLE_SHAPES:
                continue
            key = (parsed[0], parsed[1])
            if key not in by_shape or path.suffix == ".zarr":
                by_shape[key] = path
        out.extend(by_shape.values())
    return out


def open_spacing_dir(
    spacing_dir: Path, *, run_name: str | None = None, tomogram_dir: Path | None = None
) -> list[LayerData]:
    """The tomogram and every matching annotation of one voxel-spacing folder."""
    found = tomograms(spacing_dir)
    if tomogram_dir is not None:
        found = [t for t in found if t.path.parent == tomogram_dir] or found
    spacing = spacing_from_path(spacing_dir)
    name = run_name or spacing_dir.parent.parent.name
    layers: list[LayerData] = []
    alignment = None
    if found:
        chosen = found[0]
        alignment = chosen.alignment
        spacing = chosen.voxel_spacing or spacing
        layers.append(
            read_tomogram(
                chosen.path,
                voxel_spacing=spacing,
                name=f"{name} tomogram {chosen.path.parent.name}",
                metadata=chosen.metadata,
            )
        )
    for path in annotation_files(spacing_dir, alignment):
        try:
            layers.extend(read_annotation_file(path, voxel_spacing=spacing, run_name=name))
        except ValueError as exc:  # one bad file must not lose the others
            warnings.warn(str(exc), stacklevel=2)
    return layers


def open_run_dir(run_dir: Path, *, voxel_spacing: float | None = None) -> list[LayerData]:
    """The finest voxel spacing of a run (or the one asked for), aligned."""
    spacings = spacing_dirs(run_dir)
    if not spacings:
        return []
    chosen = spacings[0]
    if voxel_spacing is not None:
        chosen = min(spacings, key=lambda p: abs((spacing_from_path(p) or 0.0) - voxel_spacing))
    return open_spacing_dir(chosen, run_name=run_dir.name)


def open_folder(path: str | Path) -> list[LayerData] | None:
    """Layers for any folder of a download, or None if it is not one.

    A dataset folder opens its first run and warns how to open another.
    """
    path = Path(path)
    if not path.is_dir() or path.suffix == ".zarr":
        return None
    if path.name.startswith("VoxelSpacing"):
        return open_spacing_dir(path)
    if path.parent.name in ("Tomograms", "Annotations") and path.parent.parent.name.startswith(
        "VoxelSpacing"
    ):
        spacing_dir = path.parent.parent
        if path.parent.name == "Tomograms":
            return open_spacing_dir(spacing_dir, tomogram_dir=path)
        tomo = tomograms(spacing_dir)
        spacing = (tomo[0].voxel_spacing if tomo else None) or spacing_from_path(spacing_dir)
        run_name = spacing_dir.parent.parent.name
        return [
            layer
            for f in annotation_files(path.parent.parent, None)
            if f.parent == path
            for layer in read_annotation_file(f, voxel_spacing=spacing, run_name=run_name)
        ]
    if path.name == "Reconstructions":
        path = path.parent
    if is_run_dir(path):
        return open_run_dir(path)
    if is_dataset_dir(path):
        runs = sorted(p for p in path.iterdir() if is_run_dir(p))
        if len(runs) > 1:
            others = ", ".join(r.name for r in runs[1:4]) + (" …" if len(runs) > 4 else "")
            warnings.warn(
                f"{path} holds {len(runs)} runs; opened {runs[0].name}. "
                f"Drop a run folder (e.g. {runs[1]}) to open another ({others}).",
                stacklevel=2,
            )
        return open_run_dir(runs[0])
    return None
