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

The cache and the bounds are :mod:`.chunk_cache`'s, the reading :mod:`.plane_reader`'s
(with :mod:`.zarr_chunks`); this module wraps arrays for dask.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import dask.array as da
import numpy as np
import zarr

from .chunk_cache import ChunkCache
from .codecs import check_array
from .plane_reader import PlaneReader
from .zarr_chunks import location, read_named

# The prefix of the dask names of :func:`thin_dask` arrays.
NAME_PREFIX = "plane-chunks-"


def thin_dask(
    array: zarr.Array,
    cache: ChunkCache | None = None,
    loads: threading.Semaphore | None = None,
) -> da.Array:
    """``array`` as a dask array whose blocks are one plane of one zarr chunk.

    Arrays of fewer than three dimensions are wrapped whole-chunk, as
    :func:`whole_chunk_dask` does. See :class:`~.plane_reader.PlaneReader` for ``cache`` and ``loads``.

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
        self._where = location(array)
        check_array(array, self._where)
        self.array = array
        self.shape: tuple[int, ...] = tuple(int(n) for n in array.shape)
        self.dtype = np.dtype(array.dtype)
        self.ndim = len(self.shape)
        self._token = uuid.uuid4().hex

    def __dask_tokenize__(self) -> str:
        return self._token

    def __getitem__(self, key: Any) -> np.ndarray:
        return read_named(self.array, key, self._where)


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
    "is_plane_chunked",
    "thin_dask",
    "whole_chunk_dask",
]
