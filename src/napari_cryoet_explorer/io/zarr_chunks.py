"""What plane-chunk reading needs to know of a zarr array: whether its chunks can be
decoded here (and by which codec), the store key of a chunk, the array's URL or folder,
and an index as bounds per axis; reads by zarr whose errors name the chunk keys."""

from __future__ import annotations

from itertools import product
from typing import Any

import numpy as np
import zarr

from ..net.cache import SourceUnavailable
from .errors import ReaderError


def raw_codec(array: zarr.Array) -> tuple[bool, Any]:
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


def location(array: zarr.Array) -> str:
    """The array's URL or folder, for error messages."""
    store = array.store_path.store
    root = getattr(store, "url", None) or getattr(store, "path", None)
    root = root or getattr(store, "root", None) or store
    return "/".join(p for p in (str(root).rstrip("/"), array.store_path.path) if p)


def chunk_key(array: zarr.Array, index: tuple[int, ...]) -> str:
    """The store key holding chunk ``index`` (of ``array.chunks``): its shard's key
    for a sharded array."""
    shards = getattr(array, "shards", None)
    if shards:
        index = tuple(i * c // s for i, c, s in zip(index, array.chunks, shards, strict=True))
    return str(array.metadata.encode_chunk_key(index))


def keys_in(array: zarr.Array, key: Any) -> str:
    """The chunk keys that indexing ``array`` with ``key`` reads, for messages."""
    shape = tuple(int(n) for n in array.shape)
    try:
        bounds, _ = as_bounds(key, shape)
    except IndexError:
        bounds = None
    if bounds is None:
        return "chunks"
    ranges = [range(lo // c, -(-hi // c)) for (lo, hi), c in zip(bounds, array.chunks, strict=True)]
    keys = sorted({chunk_key(array, index) for index in product(*ranges)})
    shown = ", ".join(keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")
    return f"chunk {shown}" if len(keys) == 1 else f"chunks {shown}"


def read_named(array: zarr.Array, key: Any, where: str) -> np.ndarray:
    """``array[key]`` read by zarr; a failure names the chunk keys and the array."""
    try:
        return np.asarray(array[key])
    except SourceUnavailable:  # offline and not cached: it names the chunk's URL
        raise
    except Exception as exc:  # a codec's error names no file: add it
        raise ReaderError(f"cannot read {keys_in(array, key)} of {where}: {exc}") from exc


def as_bounds(
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


__all__ = ["as_bounds", "chunk_key", "keys_in", "location", "raw_codec", "read_named"]
