"""MRC / REC volumes as lazy dask arrays: memory-mapped on disk, range requests over HTTP.

Over the network the header, the size and each block of planes go through the on-disk
cache (:mod:`..net.cache`), keyed by URL and byte range: the blocks are whole
planes in fixed chunks, so reopening asks for the same ranges and finds them on disk.

The header is checked before anything is mapped or fetched (:func:`check_header`): sizes
of at least one voxel and at most :data:`MAX_SIDE`, a known mode, an extended header of
no negative length, a data block of at most :data:`MAX_DATA_BYTES` and no longer than
the file. A local file is read only when it is a regular file.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dask.array as da
import mrcfile
import numpy as np
from mrcfile import utils as mrc_utils
from mrcfile.dtypes import HEADER_DTYPE

from ..net.cache import DiskCache
from ..net.cache_config import cache_for
from ..net.sources import filesystem, is_url
from .errors import ReaderError
from .regular_files import open_file

# Chunks of whole planes, about this many bytes each: one plane costs one read.
CHUNK_BYTES = 8 * 2**20
# Limits on what a header may claim, checked before the file's size (which a server may
# not tell): beyond any detector or tomogram, and below the sizes at which numpy, dask
# and napari fail or would plan an exabyte layer from a broken header.
MAX_SIDE = 2**20
MAX_DATA_BYTES = 2**42


@dataclass(frozen=True)
class MrcLayout:
    """Where an MRC file's data is and what it is, from a checked header.

    Attributes
    ----------
    shape : tuple of int
        ``(z, y, x)``, or ``(y, x)`` for a single image.
    dtype : numpy.dtype
        The voxels' type, in the file's byte order.
    offset : int
        Where the data block starts (after the extended header).
    voxel_size : float or None
        Angstrom per voxel along x (None when the header says 0 or nonsense).
    """

    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    offset: int
    voxel_size: float | None


def check_header(head: bytes, file_size: int | None, source: str) -> MrcLayout:
    """The data block an MRC header describes, once it is known to be sane.

    Parameters
    ----------
    head : bytes
        The file's first bytes (at least the 1024 of the header).
    file_size : int or None
        The file's size in bytes, if known.
    source : str
        The file or URL, for messages.

    Returns
    -------
    MrcLayout

    Raises
    ------
    ReaderError
        Not an MRC header, or one whose sizes are not positive, beyond the limits, or
        longer than the file; the message names the file and the values.
    """
    if len(head) < HEADER_DTYPE.itemsize or bytes(head[208:211]) != b"MAP":
        raise ReaderError(f"{source} is not a readable MRC file (no MRC header)")
    record = np.frombuffer(head[: HEADER_DTYPE.itemsize], dtype=HEADER_DTYPE)
    header: Any = record.reshape(()).view(np.recarray)
    try:
        order = mrc_utils.byte_order_from_machine_stamp(header.machst)
        header = header.view(header.dtype.newbyteorder(order))
        dtype = np.dtype(mrc_utils.data_dtype_from_header(header))
    except ValueError as exc:
        raise ReaderError(f"{source}: bad MRC header: {exc}") from exc
    sides = (int(header.nx), int(header.ny), int(header.nz))
    if min(sides) < 1 or max(sides) > MAX_SIDE:
        raise ReaderError(
            f"{source}: bad MRC header: size {sides[0]} x {sides[1]} x {sides[2]} voxels "
            f"(nx, ny, nz must be 1 to {MAX_SIDE})"
        )
    try:
        shape = tuple(int(n) for n in mrc_utils.data_shape_from_header(header))
    except (ValueError, ZeroDivisionError) as exc:  # mz of 0 in a volume stack
        raise ReaderError(f"{source}: bad MRC header: {exc}") from exc
    extended = int(header.nsymbt)
    if extended < 0:
        raise ReaderError(f"{source}: bad MRC header: extended header of {extended} bytes")
    offset = HEADER_DTYPE.itemsize + extended
    # Python integers: no overflow however large the header's numbers.
    data_bytes = math.prod(shape) * dtype.itemsize
    if data_bytes > MAX_DATA_BYTES:
        raise ReaderError(
            f"{source}: bad MRC header: {' x '.join(map(str, shape))} voxels of {dtype.name} "
            f"are {data_bytes:,} bytes, more than the {MAX_DATA_BYTES:,} read here"
        )
    if file_size is not None and file_size < offset + data_bytes:
        raise ReaderError(
            f"{source} is not a readable MRC file: truncated ({file_size:,} of "
            f"{offset + data_bytes:,} bytes its header describes)"
        )
    mx = int(header.mx)
    voxel = float(header.cella.x) / mx if mx > 0 else 0.0
    return MrcLayout(shape, dtype, offset, _voxel_size(voxel))


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
        Not a regular file, not MRC, a header that fails :func:`check_header`, or a
        truncated file; the message names it.
    """
    if is_url(path):
        return _read_remote(str(path), cache_for(str(path), cache))
    try:
        with open_file(path) as stream:
            head = stream.read(HEADER_DTYPE.itemsize)
            size = os.fstat(stream.fileno()).st_size
    except OSError as exc:
        raise ReaderError(f"cannot read {path}: {exc}") from exc
    check_header(head, size, str(path))
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
    layout = check_header(head, size, url)
    shape, dtype, offset = layout.shape, layout.dtype, layout.offset
    if len(shape) == 2:
        shape = (1, *shape)
    if len(shape) != 3:
        raise ReaderError(f"{url}: MRC holds no 2D or 3D volume")
    volume = da.from_array(
        _RemoteVolume(url, offset, shape, dtype, disk), chunks=_chunks(shape, dtype), asarray=False
    )
    return volume, layout.voxel_size
