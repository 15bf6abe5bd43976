"""Tilt series: the projection stack (MRC or OME-Zarr, lazy) with its tilt angles.

The stack opens as an image layer with axes (tilt, y, x) and scale
(1, pixel spacing, pixel spacing): one world unit a tilt image along the first axis,
Angstrom in the image plane. The angles (degrees, one per image) go in the layer's
``metadata["tilt_angles"]`` for the viewer to show the angle of the current image.

The angle list is the portal's ``httpsAngleList`` (``<run>.rawtlt``: one angle a line,
as IMOD writes them); in a download it sits beside the stack in ``TiltSeries/<id>/``
with ``tiltseries_metadata.json``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..net.sources import is_url, name_of
from .download_tree import positive_number
from .errors import ReaderError
from .layers import LayerData, image_layer
from .mrc import read_mrc
from .ome_zarr import angstrom_factor, read_multiscale
from .regular_files import read_bytes, read_json

if TYPE_CHECKING:
    from ..portal.models import TiltSeries

TILT_SERIES = "TiltSeries"
METADATA_JSON = "tiltseries_metadata.json"
ANGLE_SUFFIXES = (".rawtlt", ".tlt")
# What the layer's metadata holds: the angles (or None) and where they came from.
ANGLES_KEY = "tilt_angles"
ANGLES_SOURCE_KEY = "tilt_angles_source"
AXIS_LABELS = ("tilt", "y", "x")


def parse_angle_list(text: str, source: str) -> list[float]:
    """Tilt angles (degrees) from an angle list: one number a line, blank lines skipped.

    Raises
    ------
    ReaderError
        A line is not a number; the message names the file and the line.
    """
    angles = []
    for number, line in enumerate(text.splitlines(), 1):
        word = line.strip()
        if not word:
            continue
        try:
            angles.append(float(word.split()[0]))
        except ValueError:
            raise ReaderError(f"{source}: line {number} is not a tilt angle: {word!r}") from None
    return angles


def read_angle_list(path_or_url: str | Path) -> list[float]:
    """The angles of a local or remote angle list.

    Raises
    ------
    ReaderError
        It cannot be read or holds something else than angles.
    """
    try:
        text = read_bytes(path_or_url).decode("utf-8", errors="replace")
    except OSError as exc:
        raise ReaderError(f"cannot read the angle list {path_or_url}: {exc}") from exc
    return parse_angle_list(text, str(path_or_url))


def read_tiltseries(
    stack: str | Path,
    *,
    angles: str | Path | Sequence[float] | None = None,
    pixel_spacing: float | None = None,
    name: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> LayerData:
    """A tilt series as an image LayerData (no image data is read).

    Parameters
    ----------
    stack : str or Path
        The ``.mrc`` file or ``.zarr`` folder, local or an http(s) / s3 URL.
    angles : str, Path or sequence of float, optional
        The angle list (file or URL) or the angles themselves; for a local stack, a
        ``.rawtlt`` / ``.tlt`` beside it is used when not given.
    pixel_spacing : float, optional
        Angstrom per pixel; by default from the file (OME-Zarr scale, MRC header), then
        from ``tiltseries_metadata.json`` beside a local stack.
    name : str, optional
        Layer name; default ``<run> tilt series <id>`` inside a download, else the
        file name.
    metadata : Mapping, optional
        Merged into the layer's metadata (e.g. the portal's tilt-series fields).

    Returns
    -------
    LayerData
        An image layer; ``metadata["tilt_angles"]`` holds one angle per image, or None
        when there is no angle list or it disagrees with the image count (a warning
        naming the file says so; the stack opens all the same).

    Raises
    ------
    ReaderError
        The stack, or an angle list given by name, cannot be read.
    """
    source = str(stack).rstrip("/")
    levels, file_spacing = _levels(source)
    local_meta = _local_metadata(source)
    spacing = pixel_spacing or file_spacing or positive_number(local_meta.get("pixel_spacing"))
    if not spacing:
        warnings.warn(f"{source}: no pixel spacing known; opening in pixels", stacklevel=2)
        spacing = 1.0
    n_images = int(levels[0].shape[0])
    found, angle_source = _angles(source, angles)
    if found is not None and len(found) != n_images:
        warnings.warn(
            f"{angle_source}: {len(found)} tilt angles for the {n_images} images of "
            f"{source}; the angles are not shown",
            stacklevel=2,
        )
        found = None
    layer_meta: dict[str, Any] = {
        ANGLES_KEY: found,
        ANGLES_SOURCE_KEY: angle_source,
        "axis_labels": AXIS_LABELS,
        "source": source,
    }
    if local_meta:
        layer_meta["tiltseries_metadata"] = local_meta
    layer_meta.update(metadata or {})
    return image_layer(
        levels,
        scale=(1.0, spacing, spacing),
        translate=None,
        name=name or default_name(source),
        metadata=layer_meta,
    )


def read_tiltseries_model(tilt_series: TiltSeries, run_name: str = "") -> LayerData:
    """The layer of a tilt series of the portal (or a download's model): its OME-Zarr,
    else its MRC, with its angle list and pixel spacing.

    Raises
    ------
    ReaderError
        The model names no stack, or it cannot be read.
    """
    stack = tilt_series.https_omezarr_dir or tilt_series.https_mrc_file
    if not stack:
        raise ReaderError(f"tilt series {tilt_series.id} has no MRC or OME-Zarr file")
    name = " ".join(w for w in (run_name, "tilt series", str(tilt_series.id)) if w)
    return read_tiltseries(
        stack,
        angles=tilt_series.https_angle_list,
        pixel_spacing=tilt_series.pixel_spacing,
        name=name,
        metadata={"tiltseries": dict(tilt_series.fields)},
    )


def default_name(source: str) -> str:
    """``TS_001 tilt series 100`` inside ``TiltSeries/100/``, else the file name."""
    parts = source.replace("\\", "/").split("/")
    if len(parts) >= 4 and parts[-3] == TILT_SERIES:
        return f"{parts[-4]} tilt series {parts[-2]}"
    return name_of(source)


def open_tiltseries_folder(folder: str | Path) -> list[LayerData]:
    """Every tilt series of a download's ``TiltSeries`` folder, or the one of a
    ``TiltSeries/<id>`` folder: the OME-Zarr when there is one, else the MRC.

    Raises
    ------
    ReaderError
        A ``TiltSeries/<id>`` folder holds no stack.
    """
    path = Path(folder)
    if path.name == TILT_SERIES:
        return [layer for p in sorted(path.iterdir()) if _has_stack(p) for layer in _open_one(p)]
    return _open_one(path)


def _open_one(folder: Path) -> list[LayerData]:
    stack = _stack_of(folder)
    if stack is None:
        raise ReaderError(f"{folder}: no tilt series stack (.zarr or .mrc) in it")
    return [read_tiltseries(stack)]


def _has_stack(folder: Path) -> bool:
    return folder.is_dir() and _stack_of(folder) is not None


def _stack_of(folder: Path) -> Path | None:
    zarrs = sorted(p for p in folder.glob("*.zarr") if p.is_dir())
    mrcs = sorted(p for p in folder.glob("*.mrc") if p.is_file())
    found = zarrs or mrcs
    return found[0] if found else None


def is_tiltseries_folder(path: str | Path) -> bool:
    """A download's ``<run>/TiltSeries`` or ``<run>/TiltSeries/<id>`` folder with a stack."""
    if is_url(path):
        return False
    p = Path(path)
    if not p.is_dir() or p.suffix.lower() == ".zarr":
        return False
    if p.name == TILT_SERIES:
        return any(_has_stack(c) for c in p.iterdir())
    return p.parent.name == TILT_SERIES and _stack_of(p) is not None


def _levels(source: str) -> tuple[list[Any], float | None]:
    """The stack's levels (finest first) and the pixel spacing its file gives."""
    if source.lower().endswith(".zarr"):
        ms = read_multiscale(source)
        if len(ms.axes) != 3:
            raise ReaderError(f"{source}: a tilt series has 3 axes, this has {ms.axes}")
        factor = angstrom_factor(ms, None, source)
        spacing = float(ms.scales[0][-1]) * factor
        return list(ms.levels), spacing if spacing > 0 else None
    volume, voxel_size = read_mrc(source)
    if volume.ndim != 3:
        raise ReaderError(f"{source}: a tilt series is a stack of images, this is one image")
    return [volume], voxel_size


def _angles(
    source: str, angles: str | Path | Sequence[float] | None
) -> tuple[list[float] | None, str | None]:
    if angles is not None and not isinstance(angles, str | Path):
        return [float(a) for a in angles], "given angles"
    if angles is not None:
        return read_angle_list(angles), str(angles)
    if is_url(source):
        return None, None
    path = Path(source)
    for suffix in ANGLE_SUFFIXES:
        beside = path.with_suffix(suffix)
        if beside.is_file():
            return read_angle_list(beside), str(beside)
    return None, None


def _local_metadata(source: str) -> dict[str, Any]:
    """``tiltseries_metadata.json`` beside a local stack ({} when absent or broken)."""
    if is_url(source):
        return {}
    doc = read_json(Path(source).parent / METADATA_JSON)
    return doc if isinstance(doc, dict) else {}
