"""Opening a downloaded portal tree: run, dataset, voxel-spacing, tomogram or annotation folders.

The download keeps the portal's layout::

    <dataset>/<run>/Reconstructions/VoxelSpacing13.480/Tomograms/<id>/<run>.zarr
    <dataset>/<run>/Reconstructions/VoxelSpacing13.480/Annotations/<id>/<object>-1.0_*.ndjson
    <dataset>/<run>/Reconstructions/VoxelSpacing13.480/Annotations/<id>/<object>-1.0_triangularmesh.glb

Annotations belong with a tomogram when they sit under the same voxel spacing and name
the same ``alignment_metadata_path`` as the tomogram's ``tomogram_metadata.json``.

Folders are listed with :mod:`.regular_files`: only regular files and folders are
considered, so a FIFO, socket or device named like a portal file is skipped unopened.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .annotations import read_annotation_file
from .download_tree import (
    TOMOGRAM_METADATA,
    parse_annotation_name,
    positive_number,
    spacing_from_path,
)
from .errors import ReaderError
from .layers import LayerData, hidden
from .regular_files import files_in, folders_in, read_json
from .tomogram import read_tomogram

log = logging.getLogger(__name__)
READABLE_SHAPES = (
    "Point",
    "OrientedPoint",
    "InstanceSegmentation",
    "SegmentationMask",
    "InstanceSegmentationMask",
    "Mesh",
)
# Zarr before MRC: multiscale and lazy. (A mesh's GLB competes with no other format.)
_FORMAT_RANK = {".zarr": 0, ".mrc": 1, ".rec": 2}


@dataclass(frozen=True)
class LocalTomogram:
    """A tomogram folder of a download.

    Attributes
    ----------
    path : Path
        The ``.zarr`` (or the ``.mrc`` when there is no zarr).
    voxel_spacing : float or None
        From ``tomogram_metadata.json`` or the folder name.
    alignment : str or None
        The ``alignment_metadata_path`` it was reconstructed with.
    is_default : bool
        The portal's visualization default for its voxel spacing.
    metadata : dict
        ``tomogram_metadata.json``.
    """

    path: Path
    voxel_spacing: float | None
    alignment: str | None
    is_default: bool
    metadata: dict[str, Any]


def _json(path: Path) -> dict[str, Any]:
    doc = read_json(path)
    return doc if isinstance(doc, dict) else {}


def is_run_dir(path: Path) -> bool:
    """A run folder holds ``Reconstructions/`` (and usually ``run_metadata.json``)."""
    return (path / "Reconstructions").is_dir()


def run_dirs(path: Path) -> list[Path]:
    """Run folders of a dataset folder, sorted by name."""
    return [p for p in folders_in(path) if is_run_dir(p)]


def spacing_dirs(run_dir: Path) -> list[Path]:
    """``VoxelSpacing*`` folders of a run, finest first."""
    found = [
        p for p in folders_in(run_dir / "Reconstructions") if p.name.startswith("VoxelSpacing")
    ]
    return sorted(found, key=lambda p: spacing_from_path(p.name) or 0.0)


def tomograms(spacing_dir: Path) -> list[LocalTomogram]:
    """Tomograms under a voxel-spacing folder, the visualization default first."""
    out = []
    for folder in folders_in(spacing_dir / "Tomograms"):
        # A store is a folder, an MRC a regular file: nothing else is opened.
        stores = [p for p in folders_in(folder) if p.suffix.lower() == ".zarr"]
        volumes = [p for p in files_in(folder) if p.suffix.lower() in _FORMAT_RANK]
        files = sorted(
            stores + volumes,
            key=lambda p: (_FORMAT_RANK[p.suffix.lower()], p.name),
        )
        if not files:
            continue
        meta = _json(folder / TOMOGRAM_METADATA)
        spacing = positive_number(meta.get("voxel_spacing")) or spacing_from_path(spacing_dir.name)
        out.append(
            LocalTomogram(
                files[0],
                spacing or None,
                meta.get("alignment_metadata_path"),
                bool(meta.get("is_visualization_default")),
                meta,
            )
        )
    return sorted(out, key=lambda t: not t.is_default)


def annotation_files(spacing_dir: Path, alignment: str | None) -> list[Path]:
    """Readable annotation files of a voxel spacing made on ``alignment`` (Zarr over MRC,
    GLB meshes beside the rest).

    Annotation folders whose metadata names no alignment are kept.
    """
    out: list[Path] = []
    for folder in folders_in(spacing_dir / "Annotations"):
        out.extend(_folder_files(folder, alignment))
    return out


def _folder_files(folder: Path, alignment: str | None) -> list[Path]:
    files = files_in(folder)
    docs = [_json(p) for p in files if p.suffix.lower() == ".json"]
    made_on = {d.get("alignment_metadata_path") for d in docs} - {None}
    if alignment and made_on and alignment not in made_on:
        return []
    chosen: dict[tuple[str, str], Path] = {}
    # Mask stores are folders; every other annotation file a regular file.
    stores = [p for p in folders_in(folder) if p.suffix.lower() == ".zarr"]
    for path in sorted(files + stores):
        parsed = parse_annotation_name(path.name)
        if parsed is None or parsed.shape_type not in READABLE_SHAPES:
            continue
        key = (parsed.stem, parsed.shape_type)
        rank = _FORMAT_RANK.get(path.suffix.lower(), 0)
        if key not in chosen or rank < _FORMAT_RANK.get(chosen[key].suffix.lower(), 0):
            chosen[key] = path
    return list(chosen.values())


def _read_annotations(
    paths: list[Path], spacing: float | None, run_name: str, options: dict[str, Any]
) -> list[LayerData]:
    layers: list[LayerData] = []
    for path in paths:
        try:
            layers.extend(
                read_annotation_file(path, voxel_spacing=spacing, run_name=run_name, **options)
            )
        except ReaderError as exc:  # one broken file must not lose the others
            warnings.warn(str(exc), stacklevel=3)
    return layers


def open_spacing_dir(
    spacing_dir: Path,
    *,
    run_name: str | None = None,
    tomogram_dir: Path | None = None,
    multiscale: bool = True,
    **options: Any,
) -> list[LayerData]:
    """A voxel spacing's tomogram(s) and the annotations made on the same alignment.

    Parameters
    ----------
    spacing_dir : Path
        A ``Reconstructions/VoxelSpacing13.480`` folder.
    run_name : str, optional
        For layer names; default: the run folder's name.
    tomogram_dir : Path, optional
        The ``Tomograms/<id>`` folder to open; default: the visualization default.
        Other tomograms of the same alignment open hidden.
    multiscale : bool
        Open every pyramid level of the tomograms.
    **options
        ``point_size``, ``vector_length``, ``all_axes`` for :func:`read_annotation_file`.
    """
    found = tomograms(spacing_dir)
    if tomogram_dir is not None:
        wanted = [t for t in found if t.path.parent == tomogram_dir]
        found = wanted + [t for t in found if t.path.parent != tomogram_dir]
    spacing = spacing_from_path(spacing_dir.name)
    name = run_name or spacing_dir.parent.parent.name
    layers: list[LayerData] = []
    alignment = None
    if found:
        chosen = found[0]
        alignment = chosen.alignment
        spacing = chosen.voxel_spacing or spacing
        same = [t for t in found if t.alignment == alignment]
        others = [t.path.parent.name for t in found if t.alignment != alignment]
        if others:
            log.info(
                "%s: opened tomogram %s; tomogram(s) %s were made on another alignment: "
                "open their Tomograms/<id> folder to see them with their own annotations",
                spacing_dir,
                chosen.path.parent.name,
                ", ".join(others),
            )
        # Extras of the same alignment go below the chosen one, hidden.
        for tomo in reversed(same):
            layer = read_tomogram(
                tomo.path,
                voxel_spacing=tomo.voxel_spacing or spacing,
                name=f"{name} tomogram {tomo.path.parent.name}",
                multiscale=multiscale,
                metadata={"tomogram_metadata": tomo.metadata},
            )
            layers.append(layer if tomo is chosen else hidden(layer))
    files = annotation_files(spacing_dir, alignment)
    return layers + _read_annotations(files, spacing, name, options)


def open_run_dir(
    run_dir: Path,
    *,
    voxel_spacing: float | None = None,
    **options: Any,
) -> list[LayerData]:
    """One voxel spacing of a run, aligned: the finest, or the nearest to ``voxel_spacing``."""
    spacings = spacing_dirs(run_dir)
    if not spacings:
        return []
    chosen = spacings[0]
    if voxel_spacing is not None:
        chosen = min(
            spacings, key=lambda p: abs((spacing_from_path(p.name) or 0.0) - voxel_spacing)
        )
        found = spacing_from_path(chosen.name) or 0.0
        if abs(found - voxel_spacing) > 0.01 * voxel_spacing:
            warnings.warn(
                f"{run_dir} has no voxel spacing {voxel_spacing:g}; opened {found:.3f} "
                f"(available: {', '.join(p.name[12:] for p in spacings)})",
                stacklevel=2,
            )
    elif len(spacings) > 1:
        log.info(
            "%s: opened voxel spacing %s; also available: %s (open its VoxelSpacing folder)",
            run_dir,
            chosen.name[12:],
            ", ".join(p.name[12:] for p in spacings[1:]),
        )
    return open_spacing_dir(chosen, run_name=run_dir.name, **options)


def open_folder(path: str | Path, **options: Any) -> list[LayerData] | None:
    """Layers for any folder of a download, or None if it is not one.

    A run opens its finest voxel spacing; a dataset opens its first run and warns how to
    open another, rather than loading everything; a ``Tomograms/<id>`` folder opens that
    tomogram with its annotations; an ``Annotations/<id>`` folder opens its files only.
    """
    path = Path(path)
    if not path.is_dir() or path.suffix.lower() == ".zarr":
        return None
    voxel_spacing = options.pop("voxel_spacing", None)
    if path.name.startswith("VoxelSpacing"):
        return open_spacing_dir(path, **options)
    kind = path.parent.name
    spacing_dir = path.parent.parent
    if kind in ("Tomograms", "Annotations") and spacing_dir.name.startswith("VoxelSpacing"):
        if kind == "Tomograms":
            return open_spacing_dir(spacing_dir, tomogram_dir=path, **options)
        options.pop("multiscale", None)
        run_name = spacing_dir.parent.parent.name
        # Each file finds its spacing from the download (tomogram metadata, folder name).
        return _read_annotations(_folder_files(path, None), None, run_name, options)
    if path.name == "Reconstructions":
        path = path.parent
    if is_run_dir(path):
        return open_run_dir(path, voxel_spacing=voxel_spacing, **options)
    runs = run_dirs(path)
    if runs:
        if len(runs) > 1:
            others = ", ".join(r.name for r in runs[1:4]) + (", ..." if len(runs) > 4 else "")
            warnings.warn(
                f"{path} holds {len(runs)} runs; opened {runs[0].name} only. To see another "
                f"({others}), open its run folder, e.g. {runs[1]}",
                stacklevel=2,
            )
        return open_run_dir(runs[0], voxel_spacing=voxel_spacing, **options)
    return None
