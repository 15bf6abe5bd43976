"""A zarr array read chunk by chunk, one slab of planes at a time, through the bounded
:class:`~.chunk_cache.ChunkCache`: each chunk is fetched and decoded once (the portal's
zarr format 2 chunks by the array's own compressor, straight from the store's bytes;
other arrays through zarr), and the slabs around the planes asked for are kept."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from itertools import product
from typing import Any

import numpy as np
import zarr
from zarr.core.buffer import Buffer, default_buffer_prototype
from zarr.core.sync import sync

from ..net.cache import SourceUnavailable
from .chunk_cache import DECODES, LOADS, ChunkCache, default_cache, mapped, trim_heap
from .codecs import check_array
from .errors import ReaderError
from .zarr_chunks import as_bounds, chunk_key, location, raw_codec, read_named

# The slabs across one plane of one array take at most this fraction of the budget, and
# at most this many planes, so that the layers shown together fit: were the budget
# smaller than their slabs, each step would drop what the next one needs.
SLAB_SHARE = 0.5
SLAB_PLANES = 16
# A chunk of at most this fraction of the budget is kept whole (all its slabs).
WHOLE_CHUNK_SHARE = 64


class PlaneReader:
    """A zarr array read chunk by chunk through a :class:`ChunkCache`.

    It is what :func:`~.plane_chunks.thin_dask` wraps: indexing it with slices (or integers) returns a
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
        self._where = location(array)
        check_array(array, self._where)
        self.array = array
        self.cache = cache if cache is not None else default_cache()
        self._loads = loads if loads is not None else LOADS
        self.shape: tuple[int, ...] = tuple(int(n) for n in array.shape)
        self.dtype = np.dtype(array.dtype)
        self.ndim = len(self.shape)
        self.chunks: tuple[int, ...] = tuple(int(c) for c in array.chunks)
        self.axis = self.ndim - 3
        self.slab_depth = self._slab_depth()
        self.raw, self._codec = raw_codec(array)
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
        bounds, squeeze = as_bounds(key, self.shape)
        if bounds is None:  # steps or fancy indexing: not what napari slices with
            return read_named(self.array, key, self._where)
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
                with DECODES:
                    if self.raw:
                        chunk = self._decode(raw, index, region)
                    else:
                        chunk = read_named(self.array, region, self._where)
                    raw = None  # the compressed bytes go before the slabs are copied
                    kept = self._keep(index, chunk, self._kept_slabs(chunk, slabs))
                    del chunk
        trim_heap()
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
        key = chunk_key(self.array, index)
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
            key = chunk_key(self.array, index)
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
            slab = mapped(part.shape, self.dtype)
            slab[...] = part  # a copy: the chunk goes
            self.cache.put(self._key(index, s), slab)
            kept[s] = slab
        return kept


__all__ = ["SLAB_PLANES", "SLAB_SHARE", "PlaneReader"]
