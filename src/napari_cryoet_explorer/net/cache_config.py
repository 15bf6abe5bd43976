"""Where the on-disk cache lives, its size bound and its off switch (environment
variables), and the one :class:`~.cache.DiskCache` per folder and bound that readers
share (:func:`cache_for`)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from .cache import DiskCache

MAX_ENV = "NAPARI_CRYOET_EXPLORER_CACHE_MAX_GB"
OFF_ENV = "NAPARI_CRYOET_EXPLORER_CACHE_OFF"
DEFAULT_MAX_BYTES = 10 * 2**30


def chunk_cache_root() -> Path:
    """The on-disk cache of chunks and metadata read while viewing:
    ``$NAPARI_CRYOET_EXPLORER_CACHE``, else ``$XDG_CACHE_HOME/napari-cryoet-explorer/chunks``."""
    explicit = os.environ.get("NAPARI_CRYOET_EXPLORER_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "napari-cryoet-explorer" / "chunks"


def max_bytes_from_env() -> int:
    """The size bound: ``NAPARI_CRYOET_EXPLORER_CACHE_MAX_GB`` GiB, else 10 GiB."""
    raw = os.environ.get(MAX_ENV, "").strip()
    try:
        value = float(raw) if raw else None
    except ValueError:
        value = None
    return DEFAULT_MAX_BYTES if value is None or value < 0 else int(value * 2**30)


def enabled() -> bool:
    """Whether the cache is on (``NAPARI_CRYOET_EXPLORER_CACHE_OFF`` unset, 0 or empty)."""
    return os.environ.get(OFF_ENV, "").strip().lower() in ("", "0", "false", "no")


def is_cacheable(url: str) -> bool:
    """Only network sources are cached; local files are read directly."""
    return url.split("://", 1)[0].lower() in ("http", "https", "s3")


_caches: dict[tuple[Path, int], DiskCache] = {}
_caches_lock = threading.Lock()


def default_cache() -> DiskCache | None:
    """The cache under :func:`chunk_cache_root` with the configured bound, or None
    when it is turned off. One instance per folder and bound, shared by all readers."""
    if not enabled():
        return None
    key = (chunk_cache_root(), max_bytes_from_env())
    with _caches_lock:
        if key not in _caches:
            _caches[key] = DiskCache(*key)
        return _caches[key]


def cache_for(url: str, cache: bool = True) -> DiskCache | None:
    """The cache to read ``url`` through: None for local paths or when turned off."""
    return default_cache() if cache and is_cacheable(url) else None


__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_ENV",
    "OFF_ENV",
    "cache_for",
    "chunk_cache_root",
    "default_cache",
    "enabled",
    "is_cacheable",
    "max_bytes_from_env",
]
