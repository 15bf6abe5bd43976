"""MRC / REC volumes as lazy dask arrays: memory-mapped on disk, range requests over HTTP."""

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

from .errors import ReaderError
from .sources import filesystem, is_url

# Chunks of whole planes, about this many bytes each: one plane costs one read.
CHUNK_BYTES = 8 * 2**20


def read_mrc(path: str | Path) -> tuple[da.Array, float | None]:
    """Open an MRC file lazily.

    Parameters
    ----------
    path : str or Path
        A local ``.mrc`` / ``.rec`` or an http(s) / s3 URL.

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
        return _read_remote(str(path))
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


class _RemoteVolume:
    """An array-like over an MRC data block read with range requests (whole planes)."""

    def __init__(self, url: str, offset: int, shape: tuple[int, ...], dtype: np.dtype[Any]):
        self.url = url
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
        fs, inner = filesystem(self.url)
        begin = self.offset + start * plane
        raw = fs.cat_file(inner, begin, begin + (stop - start) * plane) if stop > start else b""
        if len(raw) != (stop - start) * plane:
            raise ReaderError(f"{self.url}: MRC data ends early (truncated file)")
        block = np.frombuffer(raw, dtype=self.dtype).reshape((stop - start, *self.shape[1:]))
        rest = (slice(None, None, first.step), *key[1:])
        out: np.ndarray = block[rest]
        if not isinstance(key[0], slice):
            out = out[0]
        return out


def _read_remote(url: str) -> tuple[da.Array, float | None]:
    """Header by one range request; data planes fetched when dask computes them."""
    try:
        fs, inner = filesystem(url)
        head = fs.cat_file(inner, 0, HEADER_DTYPE.itemsize)
        size = fs.size(inner)
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
        _RemoteVolume(url, offset, shape, dtype), chunks=_chunks(shape, dtype), asarray=False
    )
    mx = int(header.mx)
    voxel = float(header.cella.x) / mx if mx > 0 else 0.0
    return volume, _voxel_size(voxel)
