"""Zarr arrays as dask arrays of thin z slabs, read through a bounded chunk cache.

napari shows a 2D plane of a 3D image by computing the dask blocks it cuts. With the
portal's 256^3 chunks a block is a whole chunk, 64 MB of float32 decompressed, and a
1024^2 plane cuts 16 of them: computed together, and kept by napari's dask cache, they
are a gigabyte. Here each block is one plane of one chunk. The zarr chunk behind it is
fetched and decoded once, and the slab of planes around the one asked for is kept in a
byte-bounded, thread-safe LRU, so the next planes inside the same chunks are served from
memory without a new request.

Memory is bounded process-wide, over all arrays: chunk reads in flight, each holding one
chunk's compressed bytes (``NAPARI_CRYOET_EXPLORER_CHUNK_LOADS``, default 2); one chunk
decoded at a time; the LRU of slabs (``NAPARI_CRYOET_EXPLORER_PLANE_CACHE_MB``, default
128). Chunks of zarr format 2 arrays (the portal's) are read as raw bytes from the
array's store and decoded by the array's own compressor (numcodecs) into the array the
slabs are copied from: no intermediate copy. Other arrays (zarr 3 codecs, filters,
Fortran order) are read through zarr, within the same bounds.

Every array is checked first (:func:`.codecs.check_array`: numbers only, codecs of the
allow-list), and a chunk that cannot be read or decoded, on any path, raises
:class:`~.errors.ReaderError` naming its key and the array's URL or folder.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from itertools import product
from typing import Any

import dask.array as da
import numpy as np
import zarr
from zarr.core.buffer import Buffer, default_buffer_prototype
from zarr.core.sync import sync

from ..net.cache import SourceUnavailable
from .codecs import check_array
from .errors import ReaderError

# Decompressed slabs kept, all arrays together. With 256^3 float32 chunks a 1024^2 plane
# cuts 16 chunks; each keeps a slab of 16 planes (4 MB), so the next planes need no read,
# and the rest is room for the coarse levels (napari's thumbnail reads the coarsest at
# every step) and a mask or two. Measured, 192 MB saved no time over 128 and raised the
# peak by about 50-100 MB. BUDGET_ENV overrides it.
DEFAULT_BUDGET = 128 * 2**20
BUDGET_ENV = "NAPARI_CRYOET_EXPLORER_PLANE_CACHE_MB"
# The slabs across one plane of one array take at most this fraction of the budget, and
# at most this many planes, so that the layers shown together fit: were the budget
# smaller than their slabs, each step would drop what the next one needs.
SLAB_SHARE = 0.5
SLAB_PLANES = 16
# A chunk of at most this fraction of the budget is kept whole (all its slabs).
WHOLE_CHUNK_SHARE = 64
# Chunks fetched at once, all arrays together; each holds its compressed bytes until
# decoded (about 64 MB for a portal chunk of float32). Two keep the network busy while a
# chunk is decoded; LOADS_ENV overrides it.
DEFAULT_LOADS = 2
LOADS_ENV = "NAPARI_CRYOET_EXPLORER_CHUNK_LOADS"
# The prefix of the dask names of :func:`thin_dask` arrays.
NAME_PREFIX = "plane-chunks-"


class ChunkCache:
    """A thread-safe LRU of numpy arrays bounded by their total size in bytes.

    Parameters
    ----------
    budget : int
        The most bytes kept; an array larger than that is not kept at all.
    """

    def __init__(self, budget: int = DEFAULT_BUDGET) -> None:
        self.budget = int(budget)
        self._entries: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._nbytes = 0
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        """Bytes held now (the sum of the kept arrays' ``nbytes``)."""
        with self._lock:
            return self._nbytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, key: Hashable) -> np.ndarray | None:
        """The array kept under ``key`` (now the most recently used), or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: Hashable, value: np.ndarray) -> None:
        """Keep ``value``, dropping the least recently used arrays to stay in budget."""
        size = int(value.nbytes)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._nbytes -= int(old.nbytes)
            if size > self.budget:
                return
            self._entries[key] = value
            self._nbytes += size
            while self._nbytes > self.budget:
                _, dropped = self._entries.popitem(last=False)
                self._nbytes -= int(dropped.nbytes)

    def items(self) -> list[tuple[Hashable, np.ndarray]]:
        """What is kept, least recently used first (a snapshot)."""
        with self._lock:
            return list(self._entries.items())

    def clear(self) -> None:
        """Drop everything."""
        with self._lock:
            self._entries.clear()
            self._nbytes = 0


def _int_from_env(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return max(1, int(value)) if value.isdigit() else default


_CACHE = ChunkCache(_int_from_env(BUDGET_ENV, DEFAULT_BUDGET // 2**20) * 2**20)
_LOADS = threading.BoundedSemaphore(_int_from_env(LOADS_ENV, DEFAULT_LOADS))
# One decoded chunk in memory at a time: decoding takes tens of milliseconds, fetching
# hundreds, so the loads in flight rarely wait here.
_DECODES = threading.BoundedSemaphore(1)


def _malloc_trim() -> Callable[[], object]:
    """glibc's ``malloc_trim(0)``, or nothing where there is no glibc."""
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return lambda: None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: trim(0)


# After a chunk read, hand the heap memory freed meanwhile back to the system: the
# blocks napari assembles a plane from, and the plane itself, are a few MB each, and
# malloc keeps freed blocks of that size in its per-thread heaps once it has seen larger
# ones freed, so the resident set would keep growing while scrolling.
_trim = _malloc_trim()


def default_cache() -> ChunkCache:
    """The process-wide cache that :func:`thin_dask` arrays share by default."""
    return _CACHE


def _mapped(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An array in its own anonymous memory map, unmapped when the array goes.

    malloc serves blocks of a few MB from its heap once it has seen larger ones freed,
    and keeps what is freed there: slabs dropped by the LRU would stay resident.
    """
    nbytes = int(np.prod(shape)) * dtype.itemsize
    if nbytes == 0:
        return np.empty(shape, dtype)
    return np.frombuffer(mmap.mmap(-1, nbytes), dtype=dtype).reshape(shape)


def _raw_codec(array: zarr.Array) -> tuple[bool, Any]:
    """Whether the chunks can be decoded here, and by what (None: stored raw).

    Zarr format 2 without filters, in C order, of a numeric dtype: a chunk is the
    compressor's encoding of the whole chunk's bytes. Anything else is left to zarr.
    """
    meta = array.metadata
    if meta.zarr_format != 2 or meta.filters or meta.order != "C":
        return False, None
    if np.dtype(array.dtype).kind not in "biufc":
        return False, None
    return True, meta.compressor


def _location(array: zarr.Array) -> str:
    """The array's URL or folder, for error messages."""
    store = array.store_path.store
    root = getattr(store, "url", None) or getattr(store, "path", None)
    root = root or getattr(store, "root", None) or store
    return "/".join(p for p in (str(root).rstrip("/"), array.store_path.path) if p)


def _chunk_key(array: zarr.Array, index: tuple[int, ...]) -> str:
    """The store key holding chunk ``index`` (of ``array.chunks``): its shard's key
    for a sharded array."""
    shards = getattr(array, "shards", None)
    if shards:
        index = tuple(i * c // s for i, c, s in zip(index, array.chunks, shards, strict=True))
    return str(array.metadata.encode_chunk_key(index))


def _keys_in(array: zarr.Array, key: Any) -> str:
    """The chunk keys that indexing ``array`` with ``key`` reads, for messages."""
    shape = tuple(int(n) for n in array.shape)
    try:
        bounds, _ = _as_bounds(key, shape)
    except IndexError:
        bounds = None
    if bounds is None:
        return "chunks"
    ranges = [range(lo // c, -(-hi // c)) for (lo, hi), c in zip(bounds, array.chunks, strict=True)]
    keys = sorted({_chunk_key(array, index) for index in product(*ranges)})
    shown = ", ".join(keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")
    return f"chunk {shown}" if len(keys) == 1 else f"chunks {shown}"


def _read_named(array: zarr.Array, key: Any, where: str) -> np.ndarray:
    """``array[key]`` read by zarr; a failure names the chunk keys and the array."""
    try:
        return np.asarray(array[key])
    except SourceUnavailable:  # offline and not cached: it names the chunk's URL
        raise
    except Exception as exc:  # a codec's error names no file: add it
        raise ReaderError(f"cannot read {_keys_in(array, key)} of {where}: {exc}") from exc


class PlaneReader:
    """A zarr array read chunk by chunk through a :class:`ChunkCache`.

    It is what :func:`thin_dask` wraps: indexing it with slices (or integers) returns a
    numpy array. Each zarr chunk it needs is read whole, once, by at most ``loads``
    threads at a time over all readers sharing the semaphore; of it the cache keeps the
    slabs of ``slab_depth`` planes (along ``axis``, the third from last: z) that the read
    touched. A missing chunk reads as the fill value; a chunk that cannot be fetched or
    decoded raises :class:`~.errors.ReaderError` naming its key and the array's URL.

    Parameters
    ----------
    array : zarr.Array
        Three or more dimensions.
    cache : ChunkCache, optional
        Where slabs are kept; the process-wide one by default.
    loads : threading.Semaphore, optional
        Bounds concurrent chunk reads; the process-wide one by default.
    """

    def __init__(
        self,
        array: zarr.Array,
        cache: ChunkCache | None = None,
        loads: threading.Semaphore | None = None,
    ) -> None:
        self._where = _location(array)
        check_array(array, self._where)
        self.array = array
        self.cache = cache if cache is not None else _CACHE
        self._loads = loads if loads is not None else _LOADS
        self.shape: tuple[int, ...] = tuple(int(n) for n in array.shape)
        self.dtype = np.dtype(array.dtype)
        self.ndim = len(self.shape)
        self.chunks: tuple[int, ...] = tuple(int(c) for c in array.chunks)
        self.axis = self.ndim - 3
        self.slab_depth = self._slab_depth()
        self.raw, self._codec = _raw_codec(array)
        fill = array.fill_value
        self._fill = np.asarray(0 if fill is None else fill, dtype=self.dtype)
        self._token = uuid.uuid4().hex
        self._loading: dict[tuple[int, ...], threading.Lock] = {}
        self._loading_lock = threading.Lock()

    def _slab_depth(self) -> int:
        """Planes per kept slab: the largest divisor of the chunk's depth (the slabs tile
        a chunk evenly) of at most ``SLAB_PLANES``, whose slabs across a whole plane fit
        in ``SLAB_SHARE`` of the budget."""
        plane_bytes = int(np.prod(self.shape[-2:])) * self.dtype.itemsize
        share = int(self.cache.budget * SLAB_SHARE) // max(1, plane_bytes)
        most = max(1, min(SLAB_PLANES, share))
        depth = self.chunks[self.axis]
        return max(d for d in range(1, min(depth, most) + 1) if depth % d == 0)

    def __repr__(self) -> str:
        return f"PlaneReader({self.array!r}, slab_depth={self.slab_depth})"

    def __dask_tokenize__(self) -> str:
        return self._token

    def __getitem__(self, key: Any) -> np.ndarray:
        bounds, squeeze = _as_bounds(key, self.shape)
        if bounds is None:  # steps or fancy indexing: not what napari slices with
            return _read_named(self.array, key, self._where)
        out = np.empty(tuple(hi - lo for lo, hi in bounds), dtype=self.dtype)
        for index in self._chunks_in(bounds):
            self._copy_from_chunk(index, bounds, out)
        return out[squeeze] if squeeze else out

    def _chunks_in(self, bounds: list[tuple[int, int]]) -> Iterator[tuple[int, ...]]:
        ranges = [
            range(lo // c, -(-hi // c)) if hi > lo else range(0)
            for (lo, hi), c in zip(bounds, self.chunks, strict=True)
        ]
        return iter(product(*ranges))

    def _copy_from_chunk(
        self, index: tuple[int, ...], bounds: list[tuple[int, int]], out: np.ndarray
    ) -> None:
        """Copy the part of chunk ``index`` inside ``bounds`` into ``out``."""
        a, depth = self.axis, self.slab_depth
        z0 = index[a] * self.chunks[a]
        lo, hi = max(bounds[a][0], z0), min(bounds[a][1], z0 + self.chunks[a])
        slabs = range((lo - z0) // depth, (hi - 1 - z0) // depth + 1)
        found = self._cached(index, slabs)
        if found is None:
            found = self._load(index, slabs)
        for s, slab in found.items():
            # The slab's region inside bounds, in slab and in ``out`` coordinates.
            src, dst = [], []
            for i, ((b0, b1), c) in enumerate(zip(bounds, self.chunks, strict=True)):
                start = z0 + s * depth if i == a else index[i] * c
                r0, r1 = max(b0, start), min(b1, start + slab.shape[i])
                if r1 <= r0:
                    break
                src.append(slice(r0 - start, r1 - start))
                dst.append(slice(r0 - b0, r1 - b0))
            else:
                out[tuple(dst)] = slab[tuple(src)]

    def _cached(self, index: tuple[int, ...], slabs: range) -> dict[int, np.ndarray] | None:
        """The slabs of chunk ``index`` if the cache holds them all."""
        found = {}
        for s in slabs:
            slab = self.cache.get(self._key(index, s))
            if slab is None:
                return None
            found[s] = slab
        return found

    def _key(self, index: tuple[int, ...], slab: int) -> tuple[str, tuple[int, ...], int]:
        return (self._token, index, slab)

    def _load(self, index: tuple[int, ...], slabs: range) -> dict[int, np.ndarray]:
        """Read chunk ``index`` whole and keep the wanted slabs; one thread per chunk reads,
        others asking for it meanwhile wait and take what it kept."""
        with self._loading_lock:  # one lock per chunk, kept: a handful per level
            lock = self._loading.setdefault(index, threading.Lock())
        with lock:
            found = self._cached(index, slabs)
            if found is not None:  # read by the thread this one waited for
                return found
            region = tuple(
                slice(i * c, min((i + 1) * c, n))
                for i, c, n in zip(index, self.chunks, self.shape, strict=True)
            )
            with self._loads:
                raw = self._fetch(index) if self.raw else None
                with _DECODES:
                    if self.raw:
                        chunk = self._decode(raw, index, region)
                    else:
                        chunk = _read_named(self.array, region, self._where)
                    raw = None  # the compressed bytes go before the slabs are copied
                    kept = self._keep(index, chunk, self._kept_slabs(chunk, slabs))
                    del chunk
        _trim()
        return kept

    def _kept_slabs(self, chunk: np.ndarray, slabs: range) -> range:
        """The slabs asked for; every slab of a chunk small beside the budget (a coarse
        level's, which napari's thumbnail and the picture read at different planes)."""
        if chunk.nbytes * WHOLE_CHUNK_SHARE > self.cache.budget:
            return slabs
        return range(-(-chunk.shape[self.axis] // self.slab_depth))

    def _fetch(self, index: tuple[int, ...]) -> Buffer | None:
        """The stored bytes of chunk ``index`` (through the on-disk cache when the array
        reads through it), or None when there is no such chunk."""
        key = _chunk_key(self.array, index)
        try:
            return sync((self.array.store_path / key).get(prototype=default_buffer_prototype()))
        except SourceUnavailable:  # offline and not cached: it names the chunk's URL
            raise
        except Exception as exc:
            raise ReaderError(f"cannot read chunk {key} of {self._where}: {exc}") from exc

    def _decode(
        self, raw: Buffer | None, index: tuple[int, ...], region: tuple[slice, ...]
    ) -> np.ndarray:
        """Chunk ``index`` cut to ``region`` (edge chunks are stored whole), from its bytes."""
        shape = tuple(r.stop - r.start for r in region)
        if raw is None:  # never written: the fill value, as zarr reads it
            return np.broadcast_to(self._fill, shape)
        try:
            stored = raw.as_numpy_array()
            data = stored if self._codec is None else self._codec.decode(stored)
            whole = np.frombuffer(data, dtype=self.dtype).reshape(self.chunks)
        except Exception as exc:
            key = _chunk_key(self.array, index)
            raise ReaderError(f"cannot decode chunk {key} of {self._where}: {exc}") from exc
        return whole[tuple(slice(0, n) for n in shape)]

    def _keep(
        self, index: tuple[int, ...], chunk: np.ndarray, slabs: range
    ) -> dict[int, np.ndarray]:
        """Copy the wanted slabs out of ``chunk`` into the cache."""
        kept = {}
        for s in slabs:
            cut = [slice(None)] * self.ndim
            cut[self.axis] = slice(s * self.slab_depth, (s + 1) * self.slab_depth)
            part = chunk[tuple(cut)]
            slab = _mapped(part.shape, self.dtype)
            slab[...] = part  # a copy: the chunk goes
            self.cache.put(self._key(index, s), slab)
            kept[s] = slab
        return kept


def _as_bounds(
    key: Any, shape: tuple[int, ...]
) -> tuple[list[tuple[int, int]] | None, tuple[Any, ...]]:
    """``key`` as ``(start, stop)`` per axis, and the index that drops integer axes;
    None for anything but integers and step-1 slices."""
    if not isinstance(key, tuple):
        key = (key,)
    if any(k is Ellipsis for k in key):
        at = key.index(Ellipsis)
        key = key[:at] + (slice(None),) * (len(shape) - len(key) + 1) + key[at + 1 :]
    key = key + (slice(None),) * (len(shape) - len(key))
    if len(key) != len(shape):
        return None, ()
    bounds: list[tuple[int, int]] = []
    squeeze: list[Any] = []
    dropped = False
    for k, n in zip(key, shape, strict=True):
        if isinstance(k, slice):
            start, stop, step = k.indices(n)
            if step != 1:
                return None, ()
            bounds.append((start, max(start, stop)))
            squeeze.append(slice(None))
        elif isinstance(k, int | np.integer):
            i = int(k) + n if k < 0 else int(k)
            if not 0 <= i < n:
                raise IndexError(f"index {k} is out of bounds for size {n}")
            bounds.append((i, i + 1))
            squeeze.append(0)
            dropped = True
        else:
            return None, ()
    return bounds, tuple(squeeze) if dropped else ()


def thin_dask(
    array: zarr.Array,
    cache: ChunkCache | None = None,
    loads: threading.Semaphore | None = None,
) -> da.Array:
    """``array`` as a dask array whose blocks are one plane of one zarr chunk.

    Arrays of fewer than three dimensions are wrapped whole-chunk, as
    :func:`whole_chunk_dask` does. See :class:`PlaneReader` for ``cache`` and ``loads``.

    Raises
    ------
    ReaderError
        The array is not one of numbers, or names a codec outside the allow-list.
    """
    if array.ndim < 3:
        return whole_chunk_dask(array)
    reader = PlaneReader(array, cache, loads)
    chunks = [1] * (reader.ndim - 3) + [1, *reader.chunks[-2:]]
    return da.from_array(
        reader,
        chunks=tuple(chunks),
        name=f"{NAME_PREFIX}{reader._token}",
        asarray=False,
        fancy=False,
        lock=False,
        meta=np.empty((0,) * reader.ndim, dtype=reader.dtype),
    )


class _NamedReads:
    """A zarr array for ``da.from_array`` whose read errors name chunk keys and the array.

    What ``da.from_zarr`` would hand dask, but a codec's error ("Error -3 while
    decompressing data") names no file.
    """

    def __init__(self, array: zarr.Array) -> None:
        self._where = _location(array)
        check_array(array, self._where)
        self.array = array
        self.shape: tuple[int, ...] = tuple(int(n) for n in array.shape)
        self.dtype = np.dtype(array.dtype)
        self.ndim = len(self.shape)
        self._token = uuid.uuid4().hex

    def __dask_tokenize__(self) -> str:
        return self._token

    def __getitem__(self, key: Any) -> np.ndarray:
        return _read_named(self.array, key, self._where)


def whole_chunk_dask(array: zarr.Array) -> da.Array:
    """``array`` as a dask array whose blocks are its zarr chunks, as ``da.from_zarr``
    makes it, with read errors naming the chunk keys and the array's URL or folder.

    Raises
    ------
    ReaderError
        The array is not one of numbers, or names a codec outside the allow-list.
    """
    reads = _NamedReads(array)
    return da.from_array(
        reads,
        chunks=tuple(int(c) for c in array.chunks),
        name=f"from-zarr-{reads._token}",
        asarray=False,
        fancy=False,
        meta=np.empty((0,) * reads.ndim, dtype=reads.dtype),
    )


def is_plane_chunked(data: Any) -> bool:
    """Whether ``data`` is a :func:`thin_dask` array (its planes are kept by our cache)."""
    return isinstance(data, da.Array) and str(data.name).startswith(NAME_PREFIX)


__all__ = [
    "DEFAULT_BUDGET",
    "ChunkCache",
    "PlaneReader",
    "default_cache",
    "is_plane_chunked",
    "thin_dask",
    "whole_chunk_dask",
]
