"""The memory that plane-chunk reading keeps, bounded process-wide over all arrays.

A byte-bounded, thread-safe LRU of decoded slabs (:class:`ChunkCache`,
``NAPARI_CRYOET_EXPLORER_PLANE_CACHE_MB``, default 128), each slab in its own anonymous
memory map so that what the LRU drops leaves the process; chunk reads in flight, each
holding one chunk's compressed bytes (``NAPARI_CRYOET_EXPLORER_CHUNK_LOADS``, default 2);
one chunk decoded at a time; and glibc's heap trimmed after each read.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import numpy as np

# Decompressed slabs kept, all arrays together. With 256^3 float32 chunks a 1024^2 plane
# cuts 16 chunks; each keeps a slab of 16 planes (4 MB), so the next planes need no read,
# and the rest is room for the coarse levels (napari's thumbnail reads the coarsest at
# every step) and a mask or two. Measured, 192 MB saved no time over 128 and raised the
# peak by about 50-100 MB. BUDGET_ENV overrides it.
DEFAULT_BUDGET = 128 * 2**20
BUDGET_ENV = "NAPARI_CRYOET_EXPLORER_PLANE_CACHE_MB"
# Chunks fetched at once, all arrays together; each holds its compressed bytes until
# decoded (about 64 MB for a portal chunk of float32). Two keep the network busy while a
# chunk is decoded; LOADS_ENV overrides it.
DEFAULT_LOADS = 2
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


def _int_from_env(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return max(1, int(value)) if value.isdigit() else default


_CACHE = ChunkCache(_int_from_env(BUDGET_ENV, DEFAULT_BUDGET // 2**20) * 2**20)
LOADS = threading.BoundedSemaphore(_int_from_env(LOADS_ENV, DEFAULT_LOADS))
# One decoded chunk in memory at a time: decoding takes tens of milliseconds, fetching
# hundreds, so the loads in flight rarely wait here.
DECODES = threading.BoundedSemaphore(1)


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
trim_heap = _malloc_trim()


def default_cache() -> ChunkCache:
    """The process-wide cache that :func:`~.plane_chunks.thin_dask` arrays share by default."""
    return _CACHE


def mapped(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An array in its own anonymous memory map, unmapped when the array goes.

    malloc serves blocks of a few MB from its heap once it has seen larger ones freed,
    and keeps what is freed there: slabs dropped by the LRU would stay resident.
    """
    nbytes = int(np.prod(shape)) * dtype.itemsize
    if nbytes == 0:
        return np.empty(shape, dtype)
    return np.frombuffer(mmap.mmap(-1, nbytes), dtype=dtype).reshape(shape)


__all__ = [
    "DECODES",
    "DEFAULT_BUDGET",
    "LOADS",
    "ChunkCache",
    "default_cache",
    "mapped",
    "trim_heap",
]
