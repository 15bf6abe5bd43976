"""Tomograms (OME-Zarr or MRC) as napari image layers in Angstrom."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..net.sources import is_url, name_of
from .download_tree import (
    positive_number,
    run_name_from_path,
    spacing_from_path,
    tomogram_id_from_path,
    tomogram_metadata,
)
from .errors import NotOurs, ReaderError
from .layers import LayerData, image_layer
from .mrc import read_mrc
from .names import tomogram_name
from .ome_zarr import angstrom_factor, read_multiscale

MRC_SUFFIXES = (".mrc", ".rec", ".map")


def default_name(source: str) -> str:
    """``TS_026 tomogram 100`` inside a download, else the file name.

    :func:`.names.portal_names` completes it with the processing when a run is opened.
    """
    run, tomo = run_name_from_path(source), tomogram_id_from_path(source)
    if run and tomo:
        return tomogram_name(run, tomo, None)
    return name_of(source)


def read_tomogram(
    path_or_url: str | Path,
    *,
    voxel_spacing: float | None = None,
    name: str | None = None,
    multiscale: bool = True,
    level: int | None = None,
    metadata: Mapping[str, Any] | None = None,
    cache: bool = True,
) -> LayerData:
    """A tomogram as an image LayerData; nothing but metadata is read.

    Parameters
    ----------
    path_or_url : str or Path
        An OME-Zarr folder or URL (http(s), s3), or an ``.mrc`` / ``.rec`` file or URL.
    voxel_spacing : float, optional
        Angstrom per voxel, used when the file says scale 1 (OME-Zarr) or has no voxel
        size (MRC). Found from ``tomogram_metadata.json`` or the ``VoxelSpacing`` folder
        when not given.
    name : str, optional
        Layer name; default ``<run> tomogram <id>`` inside a download, else the file name.
    multiscale : bool
        All pyramid levels (napari shows the one that fits the screen) or one.
    level : int, optional
        The level to open when not multiscale (default 0, the finest).
    metadata : mapping, optional
        Portal metadata to keep on the layer (``tomogram_metadata.json`` is added when
        found beside the file).
    cache : bool
        Read a URL's chunks through the on-disk cache (unless turned off by environment).

    Raises
    ------
    NotOurs
        Not a 3D OME-Zarr image nor an MRC file, or a label image.
    ReaderError
        A broken file; the message names it.
    """
    source = str(path_or_url).rstrip("/")
    meta: dict[str, Any] = {"source": source, **(metadata or {})}
    # Over the network, callers that know the spacing (the portal browser) spare the
    # extra request.
    wanted = "tomogram_metadata" not in meta and (voxel_spacing is None or not is_url(source))
    doc = tomogram_metadata(source) if wanted else None
    if doc:
        meta["tomogram_metadata"] = doc
    known = voxel_spacing or _spacing_from(doc) or spacing_from_path(source)
    layer_name = name or default_name(source)
    if source.lower().endswith(MRC_SUFFIXES):
        volume, header_spacing = read_mrc(source, cache=cache)
        spacing = voxel_spacing or header_spacing or known
        if spacing is None:
            warnings.warn(
                f"{source}: no voxel size in header; opening in voxel units", stacklevel=2
            )
        meta["voxel_spacing"] = spacing
        s = spacing or 1.0
        return image_layer(
            [volume], scale=(s,) * volume.ndim, translate=None, name=layer_name, metadata=meta
        )
    ms = read_multiscale(source, cache=cache)
    if ms.image_label is not None:
        raise NotOurs(f"{source} is a label image, not a tomogram")
    if not ms.is_spatial_3d:
        raise NotOurs(f"{source} has axes {ms.axes}, not a (z, y, x) tomogram")
    factor = angstrom_factor(ms, known, source)
    chosen = list(range(len(ms.levels))) if multiscale else [level or 0]
    if chosen[-1] >= len(ms.levels):
        raise ReaderError(f"{source} has {len(ms.levels)} levels, not {chosen[-1] + 1}")
    levels = [ms.levels[i] for i in chosen]
    meta["ome_zarr"] = ms.attrs.get("multiscale")
    scale = tuple(v * factor for v in ms.scales[chosen[0]])
    translation = ms.translations[chosen[0]]
    meta["voxel_spacing"] = ms.scales[0][0] * factor
    return image_layer(
        levels,
        scale=scale,
        translate=None if translation is None else tuple(v * factor for v in translation),
        name=layer_name,
        metadata=meta,
        contrast_limits=_contrast(levels[-1]),
    )


def _spacing_from(doc: Mapping[str, Any] | None) -> float | None:
    return positive_number((doc or {}).get("voxel_spacing"))


# Percentiles of the central plane that bound the contrast: a few outliers (gold
# fiducials, hot pixels) would otherwise squeeze the cell into a few grey levels.
CONTRAST_PERCENTILES = (0.5, 99.5)


def with_contrast_limits(layer: LayerData) -> LayerData:
    """The image layer with contrast limits from the central plane of its coarsest level.

    Reads that one plane (a few chunks), so call it off the GUI thread. Layers that
    already have limits, and planes with no finite value, are returned unchanged.
    """
    data, kwargs, kind = layer
    if kind != "image" or "contrast_limits" in kwargs:
        return layer
    coarsest = data[-1] if isinstance(data, list) else data
    plane = np.asarray(coarsest[coarsest.shape[0] // 2], dtype=np.float64)
    finite = plane[np.isfinite(plane)]
    if finite.size == 0:
        return layer
    low, high = (float(v) for v in np.percentile(finite, CONTRAST_PERCENTILES))
    if high <= low:
        low, high = float(finite.min()), float(finite.max())
        if high <= low:
            return layer
    return (data, {**kwargs, "contrast_limits": (low, high)}, kind)


def _contrast(coarsest: Any) -> tuple[float, float] | None:
    """Contrast limits from the dtype when it is small (no data read); else napari's."""
    dtype = np.dtype(coarsest.dtype)
    if dtype.kind in "iu" and dtype.itemsize == 1:
        info = np.iinfo(dtype)
        return (float(info.min), float(info.max))
    return None
