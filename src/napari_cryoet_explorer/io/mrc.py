"""MRC / REC volumes as lazy dask arrays: memory-mapped on disk, range requests over HTTP.

Over the network the header, the size and each block of planes go through the on-disk
cache (:mod:`..downloads.cache`), keyed by URL and byte range: the blocks are whole
planes in fixed chunks, so reopening asks for the same ranges and finds them on disk.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import dask.array as da
import mrcfile
import numpy as np
from mrcfile import utils as mrc_utils
from mrcfile.dtypes import HEADER_DTYPE

from ..downloads.cache import DiskCache, cache_for
from .errors import ReaderError
from .sources import filesystem, is_url

# Chunks of whole planes, about this many bytes each: one plane costs one read.
CHUNK_BYTES = 8 * 2**20


def read_mrc(path: str | Path, *, cache: bool = True) -> tuple[da.Array, float | None]:
    """Open an MRC file lazily.

    Parameters
    ----------
    path : str or Path
        A local ``.mrc`` / ``.rec`` or an http(s) / s3 URL.
    cache : bool
        Read a URL's ranges through the on-disk cache (unless turned off by environment).

    Returns
    -------
    volume : dask.array.Array
        ``(z, y, x)``; nothing is read until chunks are computed.
    voxel_size : float or None
        Angstrom per voxel from the header (None when the header says 0).

    Raises
    ------
    ReaderError
        The file is truncated or not MRC; the message names it.
    """
    if is_url(path):
        return _read_remote(str(path), cache_for(str(path), cache))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mrc = mrcfile.mmap(str(path), mode="r", permissive=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ReaderError(f"{path} is not a readable MRC file: {exc}") from exc
    data = mrc.data
    if data is None or data.ndim not in (2, 3):
        raise ReaderError(f"{path}: MRC holds no 2D or 3D volume")
    volume = da.from_array(data, chunks=_chunks(data.shape, data.dtype), asarray=np.asarray)
    return volume, _voxel_size(mrc.voxel_size.x)


def _voxel_size(value: Any) -> float | None:
    size = float(value)
    return size if size > 0 and math.isfinite(size) else None


def _chunks(shape: tuple[int, ...], dtype: np.dtype[Any]) -> tuple[int, ...]:
    plane = int(np.prod(shape[1:])) * np.dtype(dtype).itemsize
    depth = max(1, min(shape[0], CHUNK_BYTES // max(plane, 1)))
    return (depth, *shape[1:])


def _read_range(url: str, start: int, end: int, disk: DiskCache | None) -> bytes:
    """Bytes ``start`` to ``end`` of ``url``, through the cache when there is one."""

    def fetch() -> bytes:
        fs, inner = filesystem(url)
        data: bytes = fs.cat_file(inner, start, end)
        return data

    if disk is None:
        return fetch()
    return disk.read(f"{url}#bytes={start}-{end}", fetch, source=url)


def _size(url: str, disk: DiskCache | None) -> int | None:
    """The file's size as the server says (None when it does not), cached as text."""

    def fetch() -> bytes:
        fs, inner = filesystem(url)
        size = fs.size(inner)
        return b"" if size is None else str(int(size)).encode()

    raw = fetch() if disk is None else disk.read(f"{url}#size", fetch, source=url)
    return int(raw) if raw.strip().isdigit() else None


class _RemoteVolume:
    """An array-like over an MRC data block read with range requests (whole planes)."""

    def __init__(
        self,
        url: str,
        offset: int,
        shape: tuple[int, ...],
        dtype: np.dtype[Any],
        disk: DiskCache | None,
    ):
        self.url = url
        self.disk = disk
        self.offset = offset
        self.shape = shape
        self.dtype = dtype
        self.ndim = len(shape)

    def __getitem__(self, key: Any) -> np.ndarray:
        key = key if isinstance(key, tuple) else (key,)
        first = key[0] if key else slice(None)
        if not isinstance(first, slice):
            first = slice(int(first), int(first) + 1)
        start, stop, _ = first.indices(self.shape[0])
        stop = max(start, stop)
        plane = int(np.prod(self.shape[1:])) * self.dtype.itemsize
        begin = self.offset + start * plane
        end = begin + (stop - start) * plane
        raw = _read_range(self.url, begin, end, self.disk) if stop > start else b""
        if len(raw) != (stop - start) * plane:
            raise ReaderError(f"{self.url}: MRC data ends early (truncated file)")
        block = np.frombuffer(raw, dtype=self.dtype).reshape((stop - start, *self.shape[1:]))
        rest = (slice(None, None, first.step), *key[1:])
        out: np.ndarray = block[rest]
        if not isinstance(key[0], slice):
            out = out[0]
        return out


def _read_remote(url: str, disk: DiskCache | None) -> tuple[da.Array, float | None]:
    """Header by one range request; data planes fetched when dask computes them."""
    try:
        head = _read_range(url, 0, HEADER_DTYPE.itemsize, disk)
        size = _size(url, disk)
    except (OSError, ValueError) as exc:
        raise ReaderError(f"cannot read MRC {url}: {exc}") from exc
    if len(head) < HEADER_DTYPE.itemsize or bytes(head[208:211]) != b"MAP":
        raise ReaderError(f"{url} is not a readable MRC file (no MRC header)")
    header = np.frombuffer(head, dtype=HEADER_DTYPE).reshape(()).view(np.recarray)
    try:
        order = mrc_utils.byte_order_from_machine_stamp(header.machst)
        header = header.view(header.dtype.newbyteorder(order))
        dtype = np.dtype(mrc_utils.data_dtype_from_header(header))
        shape = tuple(int(s) for s in mrc_utils.data_shape_from_header(header))
    except ValueError as exc:
        raise ReaderError(f"{url}: bad MRC header: {exc}") from exc
    offset = HEADER_DTYPE.itemsize + int(header.nsymbt)
    if len(shape) == 2:
        shape = (1, *shape)
    expected = offset + int(np.prod(shape)) * dtype.itemsize
    if size is not None and int(size) < expected:
        raise ReaderError(
            f"{url} is not a readable MRC file: truncated ({size} of {expected} bytes)"
        )
    volume = da.from_array(
        _RemoteVolume(url, offset, shape, dtype, disk), chunks=_chunks(shape, dtype), asarray=False
    )
    mx = int(header.mx)
    voxel = float(header.cella.x) / mx if mx > 0 else 0.0
    return volume, _voxel_size(voxel)
