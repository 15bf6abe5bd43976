"""A bounded on-disk cache of the files read from the portal while viewing (Qt-free).

Every chunk, metadata file or byte range fetched over http(s) / s3 is kept in one file
under :func:`~.cache_config.chunk_cache_root`, named by a hash of its URL, so reopening a
tomogram is served from disk and works with the network gone. What it does:

- Persistent across processes: the folder is the index; nothing is kept only in memory.
- Bounded: ``NAPARI_CRYOET_EXPLORER_CACHE_MAX_GB`` (default 10 GiB). A hit refreshes the
  file's modification time, so eviction (oldest first, down to 80 % of the bound) is
  least recently used across sessions.
- Atomic: written under a temporary name and renamed; a partial file never has an
  entry's name. Written behind: a background thread writes what was fetched (served
  from memory until then), so a first view does not wait for the disk.
- Checked: each entry holds its length and a CRC-32 of its URL and bytes (cheap next
  to decompressing a chunk); a corrupt or foreign file reads as a miss and is removed.
- Absences remembered: a key the server answered 404 for (a fill-value chunk, zarr's
  format probes such as ``zarr.json`` of a v2 store) is stored as such, so reading it
  offline gives what it gave online.
- Counted: hits and misses per opened source (:func:`~.cache_counts.counts`), for the widget to say
  "served from the cache".

zarr's own ``CacheStore`` keeps its LRU bookkeeping in memory (it neither knows nor
bounds the files left by earlier sessions) and does not remember absent keys; fsspec's
``filecache`` / ``simplecache`` have no size bound. Hence this small cache.

``NAPARI_CRYOET_EXPLORER_CACHE_OFF=1`` (or ``cache=False`` to the readers) turns it off.

This module holds the cache itself (:class:`DiskCache`); its folder, bound, off switch
and shared instance are :mod:`.cache_config`'s, the counts :mod:`.cache_counts`'s.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .cache_counts import count_read

# Eviction goes below the bound, so that it runs once per many writes, not every write.
LOW_WATER = 0.8
# Temporary files older than this are left over from a crash.
STALE_TMP_S = 3600.0
# Fetched bytes waiting for the background writer; beyond this, readers write themselves.
PENDING_MAX_BYTES = 256 * 2**20

_MAGIC = b"NCXCACHE1"
_DATA, _ABSENT = b"D", b"A"
# Magic, kind, payload length (8 bytes), CRC-32 of URL and payload (4 bytes).
HEADER_BYTES = len(_MAGIC) + 1 + 8 + 4
_TMP = ".tmp-"
_HEX2 = re.compile(r"[0-9a-f]{2}")
_HEX64 = re.compile(r"[0-9a-f]{64}")


class SourceUnavailable(OSError):
    """A file is neither in the cache nor readable from the network; names the URL."""


def _check(url: str, payload: bytes) -> bytes:
    return zlib.crc32(payload, zlib.crc32(url.encode() + b"\0")).to_bytes(4, "little")


class DiskCache:
    """Files keyed by URL in a folder, bounded in total size, least recently used evicted.

    Safe to share between threads; processes sharing the folder each keep it under the
    bound as they write (their running totals are re-read from disk when they evict).

    Parameters
    ----------
    root : path
        The cache folder (created when first written).
    max_bytes : int
        The bound on the total size of the entries.
    """

    def __init__(self, root: str | Path, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = int(max_bytes)
        self._lock = threading.Lock()
        self._total: int | None = None  # bytes on disk, scanned when first needed
        self._pending: dict[str, bytes | None] = {}  # queued for the writer
        self._pending_bytes = 0
        self._writer: ThreadPoolExecutor | None = None

    def path_for(self, url: str) -> Path:
        """Where the entry of ``url`` lives."""
        name = hashlib.sha256(url.encode()).hexdigest()
        return self.root / name[:2] / name

    def lookup(self, url: str) -> tuple[bool, bytes | None]:
        """``(found, data)``: data is None where the server said there is no such file.

        A corrupt entry is removed and reads as not found.
        """
        with self._lock:
            if url in self._pending:
                return True, self._pending[url]
        path = self.path_for(url)
        try:
            with open(path, "rb") as f:
                kind, length, check = self._header(f.read(HEADER_BYTES))
                whole = kind is not None and os.fstat(f.fileno()).st_size == HEADER_BYTES + length
                # One read of the payload, no slicing: chunks can be tens of MB.
                payload = f.read(length) if whole else b""
        except OSError:
            return False, None
        if not whole or len(payload) != length or _check(url, payload) != check:
            self._remove(path)
            return False, None
        with contextlib.suppress(OSError):
            os.utime(path)  # recency for LRU across sessions
        return True, payload if kind == _DATA else None

    @staticmethod
    def _header(head: bytes) -> tuple[bytes | None, int, bytes]:
        """Kind (None when not an entry), payload length and check of an entry's header."""
        if len(head) < HEADER_BYTES or not head.startswith(_MAGIC):
            return None, 0, b""
        at = len(_MAGIC)
        kind = head[at : at + 1]
        length = int.from_bytes(head[at + 1 : at + 9], "little")
        return (kind if kind in (_DATA, _ABSENT) else None), length, head[at + 9 : HEADER_BYTES]

    def store(self, url: str, data: bytes | None) -> None:
        """Keep ``data`` for ``url`` (None: the server has no such file).

        Values larger than the bound are not kept; failures to write (a full disk, a
        read-only folder) are ignored: the cache only saves work.
        """
        payload = b"" if data is None else bytes(data)
        size = HEADER_BYTES + len(payload)
        if size > self.max_bytes:
            return
        head = _MAGIC + (_ABSENT if data is None else _DATA) + len(payload).to_bytes(8, "little")
        path = self.path_for(url)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=_TMP, dir=path.parent)
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(head + _check(url, payload))
                out.write(payload)
            try:
                before = path.stat().st_size
            except OSError:
                before = 0
            os.replace(tmp, path)
        except OSError:
            return
        finally:
            Path(tmp).unlink(missing_ok=True)
        with self._lock:
            if self._total is None:  # first write: the scan counts this entry too
                self._total = self._scan_total()
            else:
                self._total += size - before
            if self._total > self.max_bytes:
                self._evict()

    def store_later(self, url: str, data: bytes | None) -> None:
        """:meth:`store` in the background; :meth:`lookup` serves it meanwhile.

        When too many bytes are already waiting, it is stored at once instead.
        """
        size = len(data or b"")
        with self._lock:
            queued = self._pending_bytes + size <= PENDING_MAX_BYTES
            if queued:
                self._pending[url] = data
                self._pending_bytes += size
                if self._writer is None:
                    self._writer = ThreadPoolExecutor(1, thread_name_prefix="chunk-cache")
                writer = self._writer
        if not queued:
            self.store(url, data)
            return
        writer.submit(self._write_pending, url, data)

    def _write_pending(self, url: str, data: bytes | None) -> None:
        try:
            self.store(url, data)
        finally:
            with self._lock:
                if url in self._pending and self._pending[url] is data:
                    del self._pending[url]
                self._pending_bytes -= len(data or b"")

    def flush(self) -> None:
        """Wait until what was queued by :meth:`store_later` is on disk."""
        with self._lock:
            writer = self._writer
        if writer is not None:
            writer.submit(lambda: None).result()  # one worker: runs after the queue

    def total_bytes(self) -> int:
        """The size of all entries on disk now (after the queued writes)."""
        self.flush()
        with self._lock:
            self._total = self._scan_total()
            return self._total

    def _entries(self) -> list[tuple[float, int, Path]]:
        """``(mtime, size, path)`` of every entry; stale temporary files are removed."""
        found: list[tuple[float, int, Path]] = []
        if not self.root.is_dir():
            return found
        now = time.time()
        # Only names this cache gives are touched, whatever else the folder holds.
        for sub in os.scandir(self.root):
            if not _HEX2.fullmatch(sub.name) or not sub.is_dir():
                continue
            try:
                listing = list(os.scandir(sub.path))
            except OSError:  # removed meanwhile by another process
                continue
            for entry in listing:
                ours = entry.name.startswith(sub.name) and _HEX64.fullmatch(entry.name)
                stale = entry.name.startswith(_TMP)
                if not ours and not stale:
                    continue
                try:
                    st = entry.stat()
                except OSError:
                    continue
                if stale:
                    if now - st.st_mtime > STALE_TMP_S:
                        self._remove(Path(entry.path))
                    continue
                found.append((st.st_mtime, st.st_size, Path(entry.path)))
        return found

    def _scan_total(self) -> int:
        return sum(size for _, size, _ in self._entries())

    def _evict(self) -> None:
        """Remove the least recently used entries until the total is under the low water
        mark (called with the lock held; the total is re-read from disk)."""
        entries = sorted(self._entries(), key=lambda e: e[0])
        total = sum(size for _, size, _ in entries)
        goal = int(self.max_bytes * LOW_WATER)
        for _, size, path in entries:
            if total <= goal:
                break
            if self._remove(path):
                total -= size
        self._total = total

    @staticmethod
    def _remove(path: Path) -> bool:
        try:
            path.unlink()
        except OSError:
            return False
        return True

    def clear(self) -> None:
        """Remove every entry."""
        self.flush()
        with self._lock:
            for _, _, path in self._entries():
                self._remove(path)
            self._total = 0

    def read(
        self, url: str, fetch: Callable[[], bytes | None], *, source: str | None = None
    ) -> bytes:
        """The bytes of ``url``: from the cache, else ``fetch()`` and kept.

        Parameters
        ----------
        url : str
            The cache key (a file's URL, or a URL with a byte range appended).
        fetch : callable
            Reads it from the network; returns None when the server has no such file.
        source : str, optional
            What the hit or miss is counted under (default ``url``).

        Raises
        ------
        FileNotFoundError
            The server has no such file (now, or when it was last asked).
        SourceUnavailable
            Not cached, and the network read failed.
        """
        found, data = self.lookup(url)
        if found:
            count_read(source or url, hit=True, size=len(data or b""))
            if data is None:
                raise FileNotFoundError(url)
            return data
        try:
            data = fetch()
        except FileNotFoundError:
            data = None
        except Exception as exc:
            raise SourceUnavailable(unavailable(url, exc)) from exc
        self.store_later(url, data)
        count_read(source or url, hit=False, size=len(data or b""))
        if data is None:
            raise FileNotFoundError(url)
        return data


def unavailable(url: str, exc: BaseException) -> str:
    return (
        f"cannot read {url}: it is not in the on-disk cache and the network read failed "
        f"({type(exc).__name__}: {exc})"
    )


__all__ = [
    "HEADER_BYTES",
    "DiskCache",
    "SourceUnavailable",
    "unavailable",
]
