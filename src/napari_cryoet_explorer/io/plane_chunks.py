"""Zarr arrays as dask arrays of thin z slabs, read through a bounded chunk cache.

napari shows a 2D plane of a 3D image by computing the dask blocks it cuts. With the
portal's 256^3 chunks a block is a whole chunk, 64 MB of float32 decompressed, and a
1024^2 plane cuts 16 of them: computed together, and kept by napari's dask cache, they
are a gigabyte. Here each block is one plane of one chunk. The zarr chunk behind it is
fetched and decompressed once (a bounded number at a time), and the slab of planes
around the one asked for is kept in a byte-bounded, thread-safe LRU, so the next planes
inside the same chunks are served from memory without a new request.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from itertools import product
from typing import Any

import dask.array as da
import numpy as np
import zarr

# Decompressed slabs kept, all arrays together. With 256^3 float32 chunks a 1024^2 plane
# cuts 16 chunks; each keeps a slab of 12 planes (3 MB), so the next planes need no read,
# and the rest is room for the slabs of other levels and layers.
DEFAULT_BUDGET = 192 * 2**20
# Chunks fetched and decompressed at once, all arrays together: each one in flight holds
# its compressed bytes, the decompressed chunk and zarr's copy of it (about 3 x 64 MB for
# a portal chunk of float32). Measured, two at a time cost 150-250 MB more at the peak
# and saved little time; LOADS_ENV overrides it.
DEFAULT_LOADS = 1
LOADS_ENV = "NAPARI_CRYOET_EXPLORER_CHUNK_LOADS"


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


_CACHE = ChunkCache()


def _loads_from_env() -> int:
    value = os.environ.get(LOADS_ENV, "")
    return max(1, int(value)) if value.strip().isdigit() else DEFAULT_LOADS


_LOADS = threading.BoundedSemaphore(_loads_from_env())


def default_cache() -> ChunkCache:
    """The process-wide cache that :func:`thin_dask` arrays share by default."""
    return _CACHE


class PlaneReader:
    """A zarr array read chunk by chunk through a :class:`ChunkCache`.

    It is what :func:`thin_dask` wraps: indexing it with slices (or integers) returns a
    numpy array. Each zarr chunk it needs is read whole, once, by at most ``loads``
    threads at a time over all readers sharing the semaphore (one by default); of it the cache keeps the
    slabs of ``slab_depth`` planes (along ``axis``, the third from last: z) that the
    read touched.

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
        self.array = array
        self.cache = cache if cache is not None else _CACHE
        self._loads = loads if loads is not None else _LOADS
        self.shape: tuple[int, ...] = tuple(int(n) for n in array.shape)
        self.dtype = np.dtype(array.dtype)
        self.ndim = len(self.shape)
        self.chunks: tuple[int, ...] = tuple(int(c) for c in array.chunks)
        self.axis = self.ndim - 3
        self.slab_depth = self._slab_depth()
        self._token = uuid.uuid4().hex
        self._loading: dict[tuple[int, ...], threading.Lock] = {}
        self._loading_lock = threading.Lock()

    def _slab_depth(self) -> int:
        """Planes per kept slab: a plane's slabs fill at most a quarter of the budget, so
        the slabs of the plane before and of other levels fit beside them."""
        in_plane = [c for i, c in enumerate(self.chunks) if i != self.axis]
        chunk_plane_bytes = int(np.prod(in_plane)) * self.dtype.itemsize
        per_plane = 1
        for i, (n, c) in enumerate(zip(self.shape, self.chunks, strict=True)):
            if i != self.axis:
                per_plane *= -(-n // c)
        depth = (self.cache.budget // 4) // max(1, per_plane * chunk_plane_bytes)
        return int(min(max(depth, 1), self.chunks[self.axis]))

    def __repr__(self) -> str:
        return f"PlaneReader({self.array!r}, slab_depth={self.slab_depth})"

    def __dask_tokenize__(self) -> str:
        return self._token

    def __getitem__(self, key: Any) -> np.ndarray:
        bounds, squeeze = _as_bounds(key, self.shape)
        if bounds is None:  # steps or fancy indexing: not what napari slices with
            return np.asarray(self.array[key])
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
                chunk = np.asarray(self.array[region])
            kept = {}
            for s in slabs:
                cut = [slice(None)] * self.ndim
                cut[self.axis] = slice(s * self.slab_depth, (s + 1) * self.slab_depth)
                slab = chunk[tuple(cut)].copy()  # a copy: the chunk itself is let go
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

    Arrays of fewer than three dimensions are wrapped with ``da.from_zarr`` as they are.
    See :class:`PlaneReader` for ``cache`` and ``loads``.
    """
    if array.ndim < 3:
        return da.from_zarr(array)
    reader = PlaneReader(array, cache, loads)
    chunks = [1] * (reader.ndim - 3) + [1, *reader.chunks[-2:]]
    return da.from_array(
        reader,
        chunks=tuple(chunks),
        name=f"plane-chunks-{reader._token}",
        asarray=False,
        fancy=False,
        lock=False,
        meta=np.empty((0,) * reader.ndim, dtype=reader.dtype),
    )


__all__ = ["DEFAULT_BUDGET", "ChunkCache", "PlaneReader", "default_cache", "thin_dask"]
