"""The files of a zarr v2 group over HTTP, where no bucket listing is available.

The group's ``.zgroup`` and ``.zattrs`` name its arrays (the OME-Zarr ``multiscales``
datasets); each array's ``.zarray`` gives its shape, chunks and key separator, which
imply every chunk key. A chunk the server does not have is a fill-value chunk, so
chunk keys are marked optional: a 404 on one is not an error.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StoreKey:
    """A file of a zarr store: its key (``0/.zarray``, ``0/1/2/3``), and whether the
    server may lack it (chunks that were never written hold the fill value)."""

    key: str
    optional: bool = False


def _json(fetch: Callable[[str], bytes | None], key: str, where: str) -> dict[str, Any]:
    raw = fetch(key)
    if raw is None:
        return {}
    try:
        doc = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{where}/{key} is not valid JSON: {exc}") from None
    return doc if isinstance(doc, dict) else {}


def array_chunks(zarray: dict[str, Any], prefix: str, where: str) -> Iterator[str]:
    """Every chunk key of one array, from its ``.zarray`` (zarr v2)."""
    shape, chunks = zarray.get("shape"), zarray.get("chunks")
    if not isinstance(shape, list) or not isinstance(chunks, list) or len(shape) != len(chunks):
        raise ValueError(f"{where}/{prefix}.zarray has no usable shape and chunks")
    if any(not isinstance(c, int) or c <= 0 for c in chunks):
        raise ValueError(f"{where}/{prefix}.zarray has chunk sizes that are not positive")
    separator = zarray.get("dimension_separator") or "."
    grid = [range(math.ceil(int(n) / int(c))) for n, c in zip(shape, chunks, strict=True)]
    for index in itertools.product(*grid):
        yield prefix + separator.join(str(i) for i in index)


def level_paths(attrs: dict[str, Any]) -> list[str]:
    """The arrays an OME-Zarr group's ``.zattrs`` names (its ``multiscales`` datasets)."""
    paths: list[str] = []
    for multiscale in attrs.get("multiscales") or []:
        paths += [str(d["path"]) for d in multiscale.get("datasets") or [] if "path" in d]
    return list(dict.fromkeys(paths))


def store_keys(fetch: Callable[[str], bytes | None], where: str) -> list[StoreKey]:
    """The files of the zarr group at ``where``.

    Parameters
    ----------
    fetch : callable
        ``fetch(key)`` returns a file of the store, or None where the server has none.
    where : str
        The store's URL, for messages.
    """
    keys = [StoreKey(".zgroup")]
    attrs = _json(fetch, ".zattrs", where)
    if fetch(".zattrs") is not None:
        keys.append(StoreKey(".zattrs"))
    paths = level_paths(attrs)
    if not paths and fetch(".zarray") is not None:
        paths = [""]  # a bare array rather than a group
        keys = []
    for path in dict.fromkeys(paths):
        prefix = f"{path.strip('/')}/" if path else ""
        zarray = _json(fetch, f"{prefix}.zarray", where)
        if not zarray:
            raise ValueError(f"{where}/{prefix}.zarray is missing")
        keys.append(StoreKey(f"{prefix}.zarray"))
        if fetch(f"{prefix}.zattrs") is not None:
            keys.append(StoreKey(f"{prefix}.zattrs"))
        keys += [StoreKey(k, optional=True) for k in array_chunks(zarray, prefix, where)]
    return keys


__all__ = ["StoreKey", "array_chunks", "level_paths", "store_keys"]
