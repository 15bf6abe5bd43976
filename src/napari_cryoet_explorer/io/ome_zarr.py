"""OME-Zarr multiscales (NGFF 0.4 and 0.5, zarr formats 2 and 3) as lazy dask arrays.

zarr opens the group (local, http(s) or anonymous s3 through fsspec) and reads its
metadata; each level of three or more dimensions is wrapped by
:func:`.plane_chunks.thin_dask`, so chunks are fetched only when napari computes them,
napari's blocks are single planes, and the decompressed data held is bounded (see
docs/benchmarks.md). ``NAPARI_CRYOET_EXPLORER_PLANE_CHUNKS=0`` wraps them with
``da.from_zarr`` instead (blocks are whole chunks). Over the network every key is read
through the on-disk cache (:mod:`..downloads.cache`), so a tomogram viewed once reopens
from disk, offline too.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import zarr
from zarr.storage import FsspecStore

from ..downloads.cached_store import cached_store
from .errors import NotOurs, ReaderError
from .plane_chunks import thin_dask
from .sources import is_url, storage_options

Vector = tuple[float, ...]
# NGFF units that portal-like files use, in Angstrom.
_TO_ANGSTROM = {"angstrom": 1.0, "nanometer": 10.0, "micrometer": 1e4}


@dataclass(frozen=True)
class Multiscale:
    """The levels of an OME-Zarr image and their placement in world space.

    Attributes
    ----------
    levels : list of dask.array.Array
        Finest first.
    scales, translations : list of tuple
        Per level, the NGFF ``coordinateTransformations`` composed (dataset, then
        multiscale-wide), in the file's units.
    axes : tuple of str
        Axis names (``z``, ``y``, ``x``).
    units : tuple of str or None
        Axis units, e.g. ``angstrom``.
    attrs : mapping
        The group's attributes plus the chosen ``multiscale`` entry.
    """

    levels: list[da.Array]
    scales: list[Vector]
    translations: list[Vector | None]
    axes: tuple[str, ...]
    units: tuple[str | None, ...]
    attrs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def image_label(self) -> Mapping[str, Any] | None:
        """The ``image-label`` metadata of a labels image, if any."""
        meta = self.attrs.get("multiscale", {}).get("metadata") or {}
        label = meta.get("image-label") or self.attrs.get("image-label")
        ome = self.attrs.get("ome")
        if label is None and isinstance(ome, Mapping):
            label = ome.get("image-label")
        return label if isinstance(label, Mapping) else None

    @property
    def is_spatial_3d(self) -> bool:
        """Three axes, all spatial (z, y, x): what a tomogram or a mask is."""
        return len(self.axes) == 3 and set(self.axes) == {"z", "y", "x"}


def _multiscales(attrs: Mapping[str, Any]) -> list[Any] | None:
    if "multiscales" in attrs:  # NGFF 0.4 and earlier
        found = attrs["multiscales"]
    elif isinstance(attrs.get("ome"), Mapping) and "multiscales" in attrs["ome"]:  # NGFF 0.5
        found = attrs["ome"]["multiscales"]
    else:
        return None
    return found if isinstance(found, list) else []


def _transforms(entries: Any, ndim: int) -> tuple[Vector, Vector | None]:
    scale: Vector = (1.0,) * ndim
    translation = None
    for t in entries if isinstance(entries, list) else []:
        if not isinstance(t, Mapping):
            continue
        if t.get("type") == "scale" and "scale" in t:
            scale = tuple(float(v) for v in t["scale"])
        elif t.get("type") == "translation" and "translation" in t:
            translation = tuple(float(v) for v in t["translation"])
    return scale, translation


def open_group(path: str | Path, *, cache: bool = True) -> zarr.Group:
    """Open a zarr group read-only from a local path, http(s) URL or ``s3://`` (anonymous).

    Parameters
    ----------
    path : str or Path
        The group's folder or URL.
    cache : bool
        Read a URL's keys through the on-disk cache (unless turned off by environment).

    Raises
    ------
    NotOurs
        There is no zarr group there.
    ReaderError
        It could not be read (network error, broken metadata); the message names it.
    """
    target = str(path).rstrip("/")
    try:
        if is_url(target):
            remote = FsspecStore.from_url(
                target, storage_options=storage_options(target), read_only=True
            )
            return zarr.open_group(cached_store(remote, target, cache), mode="r")
        if not Path(target).is_dir():
            raise NotOurs(f"{path} is not a zarr group (no such folder)")
        return zarr.open_group(target, mode="r")
    except NotOurs:
        raise
    except (FileNotFoundError, zarr.errors.GroupNotFoundError, KeyError) as exc:
        raise NotOurs(f"{path} is not a zarr group") from exc
    except Exception as exc:  # network errors, bad metadata: say which URL
        raise ReaderError(f"cannot open zarr {path}: {exc}") from exc


PLANE_CHUNKS_ENV = "NAPARI_CRYOET_EXPLORER_PLANE_CHUNKS"


def _plane_chunks() -> bool:
    """Whether levels are read a plane of a chunk at a time: unless the environment says
    ``0`` (or ``false``, ``no``, ``off``)."""
    return os.environ.get(PLANE_CHUNKS_ENV, "").strip().lower() not in ("0", "false", "no", "off")


def read_multiscale(path: str | Path, *, cache: bool = True) -> Multiscale:
    """Read the NGFF metadata and wrap each level as a dask array (no chunk is read).

    Each level's blocks are single z planes of its zarr chunks, read through the bounded
    chunk cache of :mod:`.plane_chunks`; with ``NAPARI_CRYOET_EXPLORER_PLANE_CHUNKS=0``
    they are the zarr chunks (``da.from_zarr``).

    ``cache`` reads a URL through the on-disk cache (see :func:`open_group`).

    Raises
    ------
    NotOurs
        The path is not an OME-Zarr image.
    ReaderError
        It claims to be one but its metadata is broken.
    """
    group = open_group(path, cache=cache)
    attrs = dict(group.attrs)
    multiscales = _multiscales(attrs)
    if multiscales is None:
        raise NotOurs(f"{path} is a zarr but not an OME-Zarr image (no 'multiscales')")
    if not multiscales or not isinstance(multiscales[0], Mapping):
        raise ReaderError(f"{path}: 'multiscales' is empty")
    ms = multiscales[0]
    raw_axes = ms.get("axes") or []
    axes = tuple(str(a.get("name") if isinstance(a, Mapping) else a) for a in raw_axes)
    units = tuple((a.get("unit") if isinstance(a, Mapping) else None) for a in raw_axes)
    levels: list[da.Array] = []
    scales: list[Vector] = []
    translations: list[Vector | None] = []
    for dataset in ms.get("datasets") or []:
        level_path = dataset.get("path") if isinstance(dataset, Mapping) else None
        try:
            array = group[str(level_path)]
        except Exception as exc:  # KeyError locally, other errors over the network
            raise ReaderError(f"{path}: level {level_path!r} is missing ({exc})") from exc
        if not isinstance(array, zarr.Array):
            raise ReaderError(f"{path}: level {level_path!r} is a group, not an array")
        levels.append(thin_dask(array) if _plane_chunks() else da.from_zarr(array))
        scale, translation = _place(ms, dataset, array.ndim)
        scales.append(scale)
        translations.append(translation)
    if not levels:
        raise ReaderError(f"{path}: 'multiscales' lists no datasets")
    if not axes:  # NGFF 0.1-0.3 had none: assume the trailing axes are z, y, x
        axes = ("t", "c", "z", "y", "x")[-levels[0].ndim :]
        units = (None,) * levels[0].ndim
    return Multiscale(levels, scales, translations, axes, units, {"multiscale": ms, **attrs})


def _place(
    ms: Mapping[str, Any], dataset: Mapping[str, Any], ndim: int
) -> tuple[Vector, Vector | None]:
    """A level's scale and translation: its own transforms, then the multiscale-wide ones."""
    scale, translation = _transforms(dataset.get("coordinateTransformations"), ndim)
    outer_scale, outer_translation = _transforms(ms.get("coordinateTransformations"), ndim)
    total_scale = tuple(s * o for s, o in zip(scale, outer_scale, strict=False))
    if translation is None and outer_translation is None:
        return total_scale, None
    inner = translation or (0.0,) * ndim
    outer = outer_translation or (0.0,) * ndim
    total = tuple(t * o + u for t, o, u in zip(inner, outer_scale, outer, strict=False))
    return total_scale, total


def angstrom_factor(ms: Multiscale, voxel_spacing: float | None, source: str) -> float:
    """What turns the file's scale and translation into Angstrom.

    The file's own values when in Angstrom; converted from nanometres or micrometres;
    the voxel spacing when the file says scale 1 (voxel units, as older portal data).
    """
    if voxel_spacing and np.allclose(ms.scales[0], 1.0):
        return float(voxel_spacing)
    units = {u.lower() for u in ms.units if u}
    factor = _TO_ANGSTROM.get(units.pop(), 1.0) if len(units) == 1 else 1.0
    if factor == 1.0 and not voxel_spacing and np.allclose(ms.scales[0], 1.0):
        warnings.warn(
            f"{source}: no voxel spacing known (scale 1, no metadata); opening in voxel units",
            stacklevel=3,
        )
    return factor
