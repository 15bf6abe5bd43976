"""What reading each source took from the on-disk cache and from the network, counted in
this process (:func:`counts`), and the widget's sentence about it (:func:`describe`)."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Counts:
    """What reading one source took from the cache and from the network.

    Attributes
    ----------
    hits : int
        Files (chunks, metadata, byte ranges) served from disk, absences included.
    misses : int
        Files fetched from the network (and then cached).
    bytes_from_cache, bytes_from_network : int
        Their sizes.
    """

    hits: int = 0
    misses: int = 0
    bytes_from_cache: int = 0
    bytes_from_network: int = 0

    @property
    def all_from_cache(self) -> bool:
        """Something was read, and all of it came from the cache."""
        return self.hits > 0 and self.misses == 0

    def __sub__(self, other: Counts) -> Counts:
        return Counts(
            self.hits - other.hits,
            self.misses - other.misses,
            self.bytes_from_cache - other.bytes_from_cache,
            self.bytes_from_network - other.bytes_from_network,
        )

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.hits + other.hits,
            self.misses + other.misses,
            self.bytes_from_cache + other.bytes_from_cache,
            self.bytes_from_network + other.bytes_from_network,
        )


_counts: dict[str, Counts] = {}
_counts_lock = threading.Lock()


def _source_key(source: str) -> str:
    return source.rstrip("/")


def counts(source: str) -> Counts:
    """Hits and misses so far, in this process, of a source (a zarr's URL, a file's URL).

    Take it before and after reading and subtract to see one read alone.
    """
    with _counts_lock:
        return _counts.get(_source_key(source), Counts())


def count_read(source: str, *, hit: bool, size: int) -> None:
    key = _source_key(source)
    with _counts_lock:
        now = _counts.get(key, Counts())
        _counts[key] = now + (Counts(1, 0, size, 0) if hit else Counts(0, 1, 0, size))


def describe(source: str, count: Counts | None = None) -> str:
    """A sentence for the widget: ``from the on-disk cache (12 files)``, ``partly from the
    on-disk cache (3 of 5 files)``, or empty when nothing came from the cache."""
    c = count if count is not None else counts(source)
    if c.hits == 0:
        return ""
    if c.misses == 0:
        return f"from the on-disk cache ({c.hits} files)"
    return f"partly from the on-disk cache ({c.hits} of {c.hits + c.misses} files)"


__all__ = ["Counts", "count_read", "counts", "describe"]
