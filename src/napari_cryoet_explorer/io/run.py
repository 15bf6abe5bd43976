"""``open_run``: a run's tomogram and annotations, aligned, from a folder or from file URLs."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..net.sources import is_url
from .annotations import read_annotation_file
from .download_tree import parse_annotation_name, spacing_from_path
from .errors import NotOurs
from .folders import is_run_dir, open_folder, run_dirs
from .layers import LayerData
from .names import ANNOTATIONS, TOMOGRAMS, portal_names
from .tiltseries import TILT_SERIES, is_tiltseries_folder, open_tiltseries_folder, read_tiltseries
from .tomogram import read_tomogram

log = logging.getLogger(__name__)
Source = str | Path
# Folders of a run beside Reconstructions: dropping one opens the run's tomogram (a
# ``TiltSeries`` folder holding a stack opens the tilt series instead, see open_run).
RUN_PARTS = ("TiltSeries", "Alignments", "Frames")
_TOMOGRAM_SUFFIXES = (".zarr", ".mrc", ".rec")


def portal_folder(path: str | Path) -> Path | None:
    """The folder of a download to open for ``path``, or None if it is not one.

    Dataset, run, ``Reconstructions``, ``VoxelSpacing...``, ``Tomograms/<id>`` and
    ``Annotations/<id>`` folders stand for themselves; a bare ``Tomograms`` or
    ``Annotations`` folder for its voxel spacing; ``TiltSeries``, ``Alignments`` and
    ``Frames`` (and their ``<id>`` folders) for their run. Anything else, such as a
    folder of images, is not ours. Only names and one listing are read.
    """
    if is_url(path):
        return None
    path = Path(path)
    if not path.is_dir() or path.suffix.lower() == ".zarr":
        return None
    name, parent = path.name, path.parent
    if name.startswith("VoxelSpacing") and spacing_from_path(name) is not None:
        has = (path / TOMOGRAMS).is_dir() or (path / ANNOTATIONS).is_dir()
        return path if has else None
    if name in (TOMOGRAMS, ANNOTATIONS) and parent.name.startswith("VoxelSpacing"):
        return parent
    if parent.name in (TOMOGRAMS, ANNOTATIONS) and parent.parent.name.startswith("VoxelSpacing"):
        if parent.name == TOMOGRAMS:
            found = any(p.suffix.lower() in _TOMOGRAM_SUFFIXES for p in path.iterdir())
        else:
            found = any(parse_annotation_name(p.name) is not None for p in path.iterdir())
        return path if found else None
    if name == "Reconstructions":
        return parent if is_run_dir(parent) else None
    if name in RUN_PARTS and is_run_dir(parent):
        return parent
    if parent.name in RUN_PARTS and is_run_dir(parent.parent):
        return parent.parent
    return path if is_run_dir(path) or run_dirs(path) else None


def open_run(
    source: Source | Sequence[Source],
    voxel_spacing: float | None = None,
    *,
    multiscale: bool = True,
    point_size: float | None = None,
    vector_length: float | None = None,
    all_axes: bool = True,
) -> list[LayerData]:
    """Layers for a run: its tomogram first, then its annotations, all in Angstrom.

    Parameters
    ----------
    source : str, Path or sequence of them
        A local download folder (any of :func:`portal_folder`; a ``TiltSeries`` or
        ``TiltSeries/<id>`` folder with a stack opens the tilt series), or one or more
        files: a tomogram (``.zarr`` / ``.mrc``) and annotation files (``.ndjson``, mask
        ``.zarr`` / ``.mrc``), as local paths or http(s) / s3 URLs (URLs cannot be listed,
        so name the files).
    voxel_spacing : float, optional
        For a folder: the voxel spacing to open (default: the finest). For files:
        Angstrom per voxel of their data, overriding what their metadata says.
    multiscale : bool
        Open every pyramid level of the tomogram (napari picks the one to show).
    point_size, vector_length : float, optional
        Point diameter and orientation-vector length, in Angstrom.
    all_axes : bool
        Draw each oriented particle's x, y and z axes as a triad; False: z alone.

    Returns
    -------
    list of LayerData
        Empty when there is nothing to open. Layers are named as the portal browser
        names them (:mod:`.names`).

    Raises
    ------
    ReaderError
        A file named in ``source`` cannot be read (files found in a folder only warn).
    """
    options: dict[str, Any] = {
        "point_size": point_size,
        "vector_length": vector_length,
        "all_axes": all_axes,
    }
    single = source if isinstance(source, str | Path) else None
    if single is not None and is_tiltseries_folder(single):
        return open_tiltseries_folder(single)
    if single is not None and _is_folder(single):
        folder = portal_folder(single)
        if folder is not None and folder != Path(single):
            log.info("%s: opening %s, the download folder it belongs to", single, folder)
        found = open_folder(
            folder or single, voxel_spacing=voxel_spacing, multiscale=multiscale, **options
        )
        return portal_names(found or [])
    sources = [single] if single is not None else list(source)  # type: ignore[arg-type]
    return portal_names(
        open_files(sources, voxel_spacing=voxel_spacing, multiscale=multiscale, **options)
    )


def open_files(
    sources: Sequence[Source],
    *,
    voxel_spacing: float | None = None,
    multiscale: bool = True,
    **options: Any,
) -> list[LayerData]:
    """Tomograms then annotation files, local or URLs; warns about mismatched alignments."""
    tomogram_sources = [s for s in sources if _is_tomogram(s)]
    annotation_sources = [s for s in sources if not _is_tomogram(s)]
    layers: list[LayerData] = []
    alignments: set[str] = set()
    for src in tomogram_sources:
        if _is_tiltseries_file(src):
            layers.append(read_tiltseries(src))
            continue
        try:
            layer = read_tomogram(src, voxel_spacing=voxel_spacing, multiscale=multiscale)
        except NotOurs:
            # A label image without the portal's file name: open it as an instance mask.
            annotation_sources.append(src)
            continue
        layers.append(layer)
        made_on = (layer[1]["metadata"].get("tomogram_metadata") or {}).get(
            "alignment_metadata_path"
        )
        if made_on:
            alignments.add(made_on)
    for src in annotation_sources:
        named = parse_annotation_name(src) or str(src).lower().endswith(".ndjson")
        shape = None if named else "InstanceSegmentationMask"
        found = read_annotation_file(src, voxel_spacing=voxel_spacing, shape_type=shape, **options)
        doc = found[0][1]["metadata"].get("annotation_json") if found else None
        made_on = (doc or {}).get("alignment_metadata_path")
        if made_on and alignments and made_on not in alignments:
            warnings.warn(
                f"{src} was made on another alignment than the tomogram "
                f"({made_on}); it may not line up",
                stacklevel=2,
            )
        layers.extend(found)
    return layers


def _is_folder(source: Source) -> bool:
    """A local folder of a download (a ``.zarr`` folder is a file here)."""
    if is_url(source):
        return False
    path = Path(source)
    return path.is_dir() and path.suffix.lower() != ".zarr"


def _is_tiltseries_file(source: Source) -> bool:
    """A stack in a ``TiltSeries/<id>/`` folder (of a download or a portal URL)."""
    parts = str(source).replace("\\", "/").rstrip("/").split("/")
    return len(parts) >= 3 and parts[-3] == TILT_SERIES


def _is_tomogram(source: Source) -> bool:
    lower = str(source).lower().rstrip("/")
    if parse_annotation_name(source) is not None or lower.endswith(".ndjson"):
        return False
    return lower.endswith((".zarr", ".mrc", ".rec", ".map"))
