"""Tomograms (OME-Zarr or MRC) as napari image layers in Angstrom."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .errors import NotOurs, ReaderError
from .layers import LayerData, image_layer
from .mrc import read_mrc
from .ome_zarr import Multiscale, read_multiscale
from .sources import name_of


def _angstrom_scales(
    ms: Multiscale, voxel_spacing: float | None, source: str
) -> list[tuple[float, ...]]:
    """Scales in Angstrom: the file's, unless it says 1 (voxel units) and we know better."""
    scales = ms.scales
    if voxel_spacing and np.allclose(scales[0], 1.0):
        # Older portal data wrote scale 1: rebuild the pyramid's scales from the spacing.
        return [tuple(voxel_spacing * s for s in sc) for sc in scales]
    units = {u for u in ms.units if u}
    if units and units != {"angstrom"}:
        factor = {"nanometer": 10.0, "micrometer": 1e4}.get(units.pop())
        if factor:
            return [tuple(s * factor for s in sc) for sc in scales]
    if not voxel_spacing and np.allclose(scales[0], 1.0):
        warnings.warn(f"{source}: no voxel spacing known; opening in voxel units", stacklevel=3)
    return scales


def read_tomogram(
    path_or_url: str | Path,
    *,
    voxel_spacing: float | None = None,
    name: str | None = None,
    multiscale: bool = True,
    level: int | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> LayerData:
    """A tomogram as an image LayerData; nothing but metadata is read.

    Parameters
    ----------
    path_or_url : str or Path
        An OME-Zarr folder or URL (http(s), s3), or a local ``.mrc`` / ``.rec``.
    voxel_spacing : float, optional
        Angstrom per voxel, used when the file itself says scale 1.
    name : str, optional
        Layer name; default: the file name.
    multiscale : bool
        All pyramid levels (napari shows the one that fits the screen) or one.
    level : int, optional
        The level to open when not multiscale (default 0, the finest).
    metadata : mapping, optional
        Portal metadata to keep on the layer.

    Raises
    ------
    NotOurs
        Not an OME-Zarr image nor an MRC file.
    ReaderError
        A broken file; the message names it.
    """
    source = str(path_or_url).rstrip("/")
    meta = dict(metadata or {})
    meta.setdefault("source", source)
    layer_name = name or name_of(source)
    if source.lower().endswith((".mrc", ".rec", ".map")):
        volume, header_spacing = read_mrc(source)
        spacing = voxel_spacing or header_spacing or 1.0
        if not (voxel_spacing or header_spacing):
            warnings.warn(
                f"{source}: no voxel size in header; opening in voxel units", stacklevel=2
            )
        return image_layer(
            [volume], scale=(spacing,) * volume.ndim, translate=None, name=layer_name, metadata=meta
        )
    ms = read_multiscale(source)
    if ms.image_label is not None:
        raise NotOurs(f"{source} is a label image, not a tomogram")
    scales = _angstrom_scales(ms, voxel_spacing, source)
    if multiscale:
        chosen = list(range(len(ms.levels)))
    else:
        chosen = [level or 0]
        if chosen[0] >= len(ms.levels):
            raise ReaderError(f"{source} has {len(ms.levels)} levels, not {chosen[0] + 1}")
    levels = [ms.levels[i] for i in chosen]
    translate = ms.translations[chosen[0]]
    meta["ome_zarr"] = ms.attrs.get("multiscale")
    return image_layer(
        levels,
        scale=scales[chosen[0]],
        translate=translate,
        name=layer_name,
        metadata=meta,
        contrast_limits=_contrast(levels[-1]),
    )


def _contrast(coarsest: Any) -> tuple[float, float] | None:
    """Contrast from the coarsest level's dtype range (no data read)."""
    dtype = np.dtype(coarsest.dtype)
    if dtype.kind in "iu" and dtype.itemsize == 1:
        info = np.iinfo(dtype)
        return (float(info.min), float(info.max))
    return None
