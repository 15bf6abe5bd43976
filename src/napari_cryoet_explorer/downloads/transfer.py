"""Fetching a download's files: bounded concurrency, complete files only, resumable.

Each file is written under a temporary name beside its real one and renamed when the
bytes the server announced have all arrived, so a cancelled or failed download leaves
only complete files; a second run skips the files that are there and fetches the rest.
Transient failures (connection resets, 429, 5xx) are retried with backoff and jitter.
"""

from __future__ import annotations

import errno
import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from ..io.sources import filesystem
from .plan import Item

PART_SUFFIX = ".part"
BLOCK = 1 << 20
ATTEMPTS = 6
BACKOFF_S = 0.25


class Cancelled(Exception):
    """The download was cancelled; complete files stay, partial ones are removed."""


class DiskFull(OSError):
    """The destination filled up: the download stopped, complete files stay."""


def measure(items: Sequence[Item], *, jobs: int = 8) -> dict[str, int | None]:
    """Each file's size as the server announces it (None where it does not say, or
    has no such optional file), asked ``jobs`` at a time."""

    def size(item: Item) -> int | None:
        fs, inner = filesystem(item.url)
        try:
            value = fs.info(inner).get("size")
        except (FileNotFoundError, OSError, ValueError):
            return None
        return int(value) if isinstance(value, int | float) else None

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return dict(zip((i.path for i in items), pool.map(size, items), strict=True))


@dataclass
class Report:
    """What a download did: files fetched, skipped (already complete), missing (optional
    files the server does not have), and failed (with why)."""

    fetched: int = 0
    skipped: int = 0
    missing: int = 0
    bytes: int = 0
    failed: list[tuple[Item, str]] = field(default_factory=list)
    total: int = 0

    @property
    def done(self) -> int:
        """Files accounted for so far."""
        return self.fetched + self.skipped + self.missing + len(self.failed)


def _transient(exc: BaseException) -> bool:
    """Worth another try: a body cut short or a dropped connection (whatever status
    aiohttp gives it), 429, 5xx, a timeout."""
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientConnectionError):
        return True
    cause = exc.__cause__ or exc.__context__
    if cause is not None and cause is not exc and _transient(cause):
        return True
    status = getattr(exc, "status", None) or getattr(exc, "code", None)
    if isinstance(status, int):
        return status == 429 or status >= 500
    return isinstance(exc, ConnectionError | TimeoutError | OSError) and not isinstance(
        exc, FileNotFoundError | PermissionError | IsADirectoryError | NotADirectoryError
    )


def _really_missing(item: Item) -> bool:
    """Whether the server says 404 (or 403, as S3 does for a missing key) for a file
    that fsspec reported as not found: its streaming open says so for a 503 as well."""
    fs, inner = filesystem(item.url)
    try:
        fs.cat_file(inner, start=0, end=1)
    except FileNotFoundError:
        return True
    except Exception as exc:
        status = getattr(exc, "status", None)
        return status in (403, 404, 410)
    return False


def _fetch_one(item: Item, target: Path, cancel: threading.Event) -> int:
    """Fetch one file to ``target`` through a temporary name; returns its size."""
    fs, inner = filesystem(item.url)
    part = target.with_name(target.name + PART_SUFFIX)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with fs.open(inner, "rb", block_size=0) as src, open(part, "wb") as out:
            expected = getattr(src, "size", None)
            written = 0
            while True:
                if cancel.is_set():
                    raise Cancelled()
                block = src.read(BLOCK)
                if not block:
                    break
                out.write(block)
                written += len(block)
        if isinstance(expected, int) and expected != written:
            raise OSError(f"{item.url}: {written} bytes arrived of the {expected} announced")
        os.replace(part, target)
        return written
    finally:
        part.unlink(missing_ok=True)


def download(
    items: Sequence[Item],
    dest: str | Path,
    *,
    jobs: int = 8,
    cancel: threading.Event | None = None,
    progress: Callable[[Report], None] | None = None,
) -> Report:
    """Fetch ``items`` into ``dest`` (each at its ``path``).

    Parameters
    ----------
    items : sequence of Item
        What to fetch (see :mod:`.plan`).
    dest : path
        The destination folder; created if needed.
    jobs : int
        Files fetched at once.
    cancel : threading.Event, optional
        Set it to stop: files under way are dropped, complete ones stay.
    progress : callable, optional
        Called with the report after each file.

    Raises
    ------
    Cancelled
        ``cancel`` was set.
    NotADirectoryError
        ``dest`` is a file.
    """
    root = Path(dest)
    if root.exists() and not root.is_dir():
        raise NotADirectoryError(f"the destination {root} is a file, not a folder")
    root.mkdir(parents=True, exist_ok=True)
    stop = cancel or threading.Event()
    report = Report(total=len(items))
    lock = threading.Lock()

    def one(item: Item) -> None:
        target = root / item.path
        if target.is_file():
            with lock:
                report.skipped += 1
            return
        for attempt in range(ATTEMPTS):
            try:
                size = _fetch_one(item, target, stop)
            except FileNotFoundError:
                if not _really_missing(item):  # fsspec says "not found" for a 503 too
                    if attempt + 1 < ATTEMPTS and not stop.is_set():
                        time.sleep(BACKOFF_S * 2**attempt * (0.5 + random.random()))
                        continue
                    with lock:
                        report.failed.append((item, f"{item.url}: the server kept failing"))
                    return
                with lock:
                    if item.optional:
                        report.missing += 1
                    else:
                        report.failed.append((item, f"{item.url}: not found on the server"))
                return
            except Cancelled:
                raise
            except OSError as exc:
                if exc.errno == errno.ENOSPC:
                    stop.set()
                    raise DiskFull(
                        errno.ENOSPC, f"no space left in {root} while writing {item.path}"
                    ) from None
                if attempt + 1 < ATTEMPTS and _transient(exc) and not stop.is_set():
                    time.sleep(BACKOFF_S * 2**attempt * (0.5 + random.random()))
                    continue
                with lock:
                    report.failed.append((item, f"{item.url}: {exc}"))
                return
            except Exception as exc:
                if attempt + 1 < ATTEMPTS and _transient(exc) and not stop.is_set():
                    time.sleep(BACKOFF_S * 2**attempt * (0.5 + random.random()))
                    continue
                with lock:
                    report.failed.append((item, f"{item.url}: {exc}"))
                return
            with lock:
                report.fetched += 1
                report.bytes += size
            return

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(one, item) for item in items]
        try:
            for future in as_completed(futures):
                future.result()
                if progress is not None:
                    progress(report)
        except (Cancelled, KeyboardInterrupt):
            stop.set()
            for f in futures:
                f.cancel()
            raise Cancelled() from None
        except DiskFull:
            for f in futures:
                f.cancel()
            raise
    return report


__all__ = ["PART_SUFFIX", "Cancelled", "DiskFull", "Report", "download", "measure"]
