"""npe2 reader entry points: thin wrappers that decline what is not theirs (return None)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .io import LayerData, ReaderError, read_annotation_file, read_tomogram
from .io.errors import NotOurs
from .io.folders import open_folder
from .io.metadata import parse_annotation_name

ReaderFunction = Callable[[Any], list[LayerData]]


def _single(path: Any) -> str | None:
    if isinstance(path, list | tuple):
        return str(path[0]) if len(path) == 1 else None
    return str(path) if isinstance(path, str | Path) else None


def _read_file(path: str) -> list[LayerData] | None:
    parsed = parse_annotation_name(path)
    lower = path.lower().rstrip("/")
    if lower.endswith(".ndjson") or (
        parsed and parsed[1] in ("SegmentationMask", "InstanceSegmentationMask")
    ):
        return read_annotation_file(path)
    if lower.endswith((".zarr", ".mrc", ".rec")):
        try:
            return [read_tomogram(path)]
        except NotOurs:
            # A label image without the portal's file name: open it as a mask.
            return read_annotation_file(path, shape_type="InstanceSegmentationMask")
    return None


def get_reader(path: Any) -> ReaderFunction | None:
    """A reader for a portal file or download folder, or None if ``path`` is not one."""
    single = _single(path)
    if single is None:
        return None
    p = Path(single)
    lower = single.lower().rstrip("/")
    if lower.endswith((".ndjson", ".mrc", ".rec")):
        return _reader if p.is_file() else None
    if lower.endswith(".zarr"):
        return _reader if _is_ome_zarr(p) else None
    if p.is_dir():
        try:
            from .io.folders import is_dataset_dir, is_run_dir

            ours = (
                p.name.startswith("VoxelSpacing")
                or p.parent.name in ("Tomograms", "Annotations")
                or is_run_dir(p)
                or is_dataset_dir(p)
                or p.name == "Reconstructions"
            )
        except OSError:
            return None
        return _reader if ours else None
    return None


def _is_ome_zarr(path: Path) -> bool:
    for name in (".zattrs", "zarr.json"):
        try:
            text = (path / name).read_text()
        except OSError:
            continue
        return '"multiscales"' in text
    return False


def _reader(path: Any) -> list[LayerData]:
    single = _single(path)
    assert single is not None
    is_folder = Path(single).is_dir() and not single.rstrip("/").lower().endswith(".zarr")
    try:
        layers = open_folder(single) if is_folder else _read_file(single)
    except ReaderError as exc:
        # napari shows the message; it names the file.
        raise ReaderError(str(exc)) from exc
    if not layers:
        warnings.warn(f"{single}: nothing to open", stacklevel=2)
    return layers or []
