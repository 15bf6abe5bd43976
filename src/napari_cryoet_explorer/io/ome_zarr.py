"""OME-Zarr multiscales (NGFF 0.4 and 0.5, zarr formats 2 and 3) as lazy dask arrays.

zarr opens the group (local, http(s) or anonymous s3 through fsspec) and reads its
metadata; each level of three or more dimensions is wrapped by
:func:`.plane_chunks.thin_dask`, so chunks are fetched only when napari computes them,
napari's blocks are single planes, and the decompressed data held is bounded (see
docs/benchmarks.md). ``NAPARI_CRYOET_EXPLORER_PLANE_CHUNKS=0`` wraps them as
``da.from_zarr`` would instead (blocks are whole chunks). Over the network every key is
read through the on-disk cache (:mod:`..net.cache`), so a tomogram viewed once
reopens from disk, offline too.

What a file says is checked before napari sees it: each level's data type and codecs
are checked (:mod:`.codecs`) on the metadata zarr parsed, before any chunk is decoded,
and on the metadata file read as JSON when zarr cannot open the array;
a local store reads regular files only (a FIFO in the folder would block for ever); a
scale that is zero, negative, NaN or infinite, or a translation that is not finite, is
corrected with a warning naming the file (napari would draw a negative scale mirrored
and fail on the others).
"""

from __future__ import annotations

import json
import os
import stat
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import zarr
from zarr.abc.store import ByteRequest
from zarr.core.buffer import Buffer, BufferPrototype, default_buffer_prototype
from zarr.core.sync import sync
from zarr.storage import FsspecStore, LocalStore

from ..net.cached_store import cached_store
from ..net.sources import is_url, storage_options
from .codecs import check_array_metadata
from .errors import NotOurs, ReaderError
from .ngff_transforms import Vector, corrected, place
from .plane_chunks import thin_dask, whole_chunk_dask
from .regular_files import kind_of

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


class RegularFileStore(LocalStore):
    """zarr's local store, reading regular files only.

    A FIFO among a store's files would block the read that opens it for ever (and
    napari's thread with it), a device may never end: a key that is neither a regular
    file nor a folder raises :class:`~.errors.ReaderError` naming it, unopened.
    """

    def _check(self, key: str) -> None:
        try:
            mode = os.stat(self.root / key).st_mode
        except (OSError, ValueError):  # missing: zarr answers None, as for any store
            return
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise ReaderError(
                f"{self.root / key} is {kind_of(mode)}, not a regular file; it is not read"
            )

    async def get(
        self,
        key: str,
        prototype: BufferPrototype | None = None,
        byte_range: ByteRequest | None = None,
    ) -> Buffer | None:
        """The value of ``key``, as zarr's LocalStore reads it, if it is a regular file."""
        self._check(key)
        return await super().get(key, prototype, byte_range)

    async def get_partial_values(
        self,
        prototype: BufferPrototype,
        key_ranges: Iterable[tuple[str, ByteRequest | None]],
    ) -> list[Buffer | None]:
        """Byte ranges of keys, as zarr's LocalStore reads them, if regular files."""
        wanted = list(key_ranges)
        for key, _ in wanted:
            self._check(key)
        return await super().get_partial_values(prototype, wanted)


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
        return zarr.open_group(RegularFileStore(target, read_only=True), mode="r")
    except (NotOurs, ReaderError):
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
    they are the zarr chunks (as ``da.from_zarr`` makes them).

    ``cache`` reads a URL through the on-disk cache (see :func:`open_group`).

    Scales that are not positive finite numbers, and translations that are not finite,
    are corrected with a warning naming the file (see :func:`.ngff_transforms.corrected`).

    Raises
    ------
    NotOurs
        The path is not an OME-Zarr image.
    ReaderError
        It claims to be one but its metadata is broken, a level's data type is not
        numeric or it names a codec outside the allow-list (:mod:`.codecs`).
    """
    group = open_group(path, cache=cache)
    attrs = dict(group.attrs)
    multiscales = _multiscales(attrs)
    if multiscales is None:
        raise NotOurs(f"{path} is a zarr but not an OME-Zarr image (no 'multiscales')")
    if not multiscales or not isinstance(multiscales[0], Mapping):
        raise ReaderError(f"{path}: 'multiscales' is empty or not a list of objects")
    ms = multiscales[0]
    raw_axes = ms.get("axes") or []
    datasets = ms.get("datasets") or []
    if not isinstance(raw_axes, list) or not isinstance(datasets, list):
        raise ReaderError(f"{path}: 'axes' and 'datasets' of 'multiscales' must be lists")
    axes = tuple(str(a.get("name") if isinstance(a, Mapping) else a) for a in raw_axes)
    # A unit is a name; anything else in its place is no unit.
    units = tuple(
        a.get("unit") if isinstance(a, Mapping) and isinstance(a.get("unit"), str) else None
        for a in raw_axes
    )
    levels: list[da.Array] = []
    scales: list[Vector] = []
    translations: list[Vector | None] = []
    level_paths: list[str] = []
    for dataset in datasets:
        level_path = dataset.get("path") if isinstance(dataset, Mapping) else None
        try:
            array = group[str(level_path)]
        except Exception as exc:  # KeyError locally, other errors over the network
            # Metadata zarr would not open (an object dtype, a codec it refuses): say why.
            _check_level_metadata(group, str(level_path), str(path))
            raise ReaderError(f"{path}: level {level_path!r} is missing ({exc})") from exc
        if not isinstance(array, zarr.Array):
            raise ReaderError(f"{path}: level {level_path!r} is a group, not an array")
        levels.append(thin_dask(array) if _plane_chunks() else whole_chunk_dask(array))
        scale, translation = place(ms, dataset, array.ndim, f"{path}: level {level_path!r}")
        scales.append(scale)
        translations.append(translation)
        level_paths.append(str(level_path))
    if not levels:
        raise ReaderError(f"{path}: 'multiscales' lists no datasets")
    shapes = [tuple(int(n) for n in level.shape) for level in levels]
    scales, translations = corrected(str(path), level_paths, shapes, scales, translations)
    if not axes:  # NGFF 0.1-0.3 had none: assume the trailing axes are z, y, x
        axes = ("t", "c", "z", "y", "x")[-levels[0].ndim :]
        units = (None,) * levels[0].ndim
    return Multiscale(levels, scales, translations, axes, units, {"multiscale": ms, **attrs})


def _check_level_metadata(group: zarr.Group, level_path: str, source: str) -> None:
    """Check a level's ``.zarray`` / ``zarr.json``, read as JSON, when zarr could not
    open it. An array zarr opened is checked on the metadata zarr parsed, before any
    chunk is decoded (:func:`.codecs.check_array` in :mod:`.plane_chunks`): reading the
    file a second time here would count as a cache hit on a first open.

    A missing file is left to zarr (the level is then reported missing).

    Raises
    ------
    ReaderError
        It cannot be read, is not JSON, or names a data type or codec we do not read.
    """
    name = ".zarray" if group.metadata.zarr_format == 2 else "zarr.json"
    key = f"{level_path.strip('/')}/{name}"
    where = f"{source.rstrip('/')}/{key}"
    try:
        raw = sync((group.store_path / key).get(prototype=default_buffer_prototype()))
    except ReaderError:
        raise
    except Exception as exc:  # network errors
        raise ReaderError(f"cannot read {where}: {exc}") from exc
    if raw is None:
        return
    try:
        doc = json.loads(raw.to_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReaderError(f"{where} is not JSON ({exc})") from exc
    check_array_metadata(doc, where)


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
