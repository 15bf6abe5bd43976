"""Fetching a download's files: bounded concurrency, complete files only, resumable.

Each file is written under a temporary name beside its real one and renamed when the
bytes the server announced have all arrived, so a cancelled or failed download leaves
only complete files; a second run skips the files that are there and fetches the rest.
Transient failures (connection resets, 429, 5xx) are retried with backoff and jitter.
Every transfer goes through fsspec's ``get_file``: one GET a file (S3 objects over
50 MiB in ranged parts at once, as s3fs does), streamed to disk.

Bounds (:mod:`..net.limits`): connect and read timeouts on every request; a body slower than
the rate floor over a read timeout's span is abandoned; a body larger than its listed
size, or than ``max_file_bytes`` when no size was announced, is stopped. A file whose
server timed out is tried ``TIMEOUT_ATTEMPTS`` times, not ``ATTEMPTS``; one too large is
not tried again.
"""

from __future__ import annotations

import errno
import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from fsspec.callbacks import Callback

from ..net.bounded import timed_out
from ..net.limits import Limits, LowSpeed, NetworkTimeout, TooLarge, TooSlow, rate, variable
from ..net.sources import filesystem
from .plan import Item

PART_SUFFIX = ".part"
# Beside a zarr store whose download began and did not complete (see ``download``).
INCOMPLETE_SUFFIX = ".incomplete"
ATTEMPTS = 6
# A server that timed out once is unlikely to answer a moment later: one more try.
TIMEOUT_ATTEMPTS = 2
BACKOFF_S = 0.25
PROGRESS_S = 0.25  # how often progress is told while large files arrive


class Cancelled(Exception):
    """The download was cancelled; complete files stay, partial ones are removed."""


class DiskFull(OSError):
    """The destination filled up: the download stopped, complete files stay."""


class SizeChanged(OSError):
    """A file arrived whole but not at the size its listing gave: it changed on the
    server since the plan. Not retried (it would arrive the same); a new plan sees it."""


def measure(items: Sequence[Item], *, jobs: int = 8) -> dict[str, int | None]:
    """Each file's size as the server announces it (None where it does not say, or
    has no such optional file), asked ``jobs`` at a time."""

    def size(item: Item) -> int | None:
        if item.size is not None:  # listed with the plan: no need to ask again
            return item.size
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
    arriving: int = 0

    @property
    def done(self) -> int:
        """Files accounted for so far."""
        return self.fetched + self.skipped + self.missing + len(self.failed)

    @property
    def bytes_so_far(self) -> int:
        """Bytes of complete files plus those arrived so far of the files under way
        (what a progress bar shows: a large file moves it as it comes)."""
        return self.bytes + self.arriving


def _transient(exc: BaseException) -> bool:
    """Worth another try: a body cut short or a dropped connection (whatever status
    aiohttp gives it), 429, 5xx, a timeout; not a body over its cap."""
    if isinstance(exc, TooLarge):
        return False
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientConnectionError):
        return True
    cause = exc.__cause__ or exc.__context__
    if cause is not None and cause is not exc and _transient(cause):
        return True
    if isinstance(exc, SizeChanged):
        return False
    status = getattr(exc, "status", None) or getattr(exc, "code", None)
    if isinstance(status, int):
        return status == 429 or status >= 500
    return isinstance(exc, ConnectionError | TimeoutError | OSError) and not isinstance(
        exc, FileNotFoundError | PermissionError | IsADirectoryError | NotADirectoryError
    )


def _timeout(exc: BaseException) -> bool:
    """Whether ``exc`` is (or wraps) a timeout or a trickle."""
    while exc is not None:
        if isinstance(exc, TimeoutError | NetworkTimeout):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


class _Watch(Callback):
    """Notes the size the server announced and the bytes written (``value``); stops a
    transfer under way when the download is cancelled, when the body grows past the
    size expected of it, or when it arrives slower than the rate floor.

    Parameters
    ----------
    cancel : threading.Event
        Set when the download is cancelled.
    limits : Limits, optional
        Rate floor and cap (default: from the environment).
    listed : int, optional
        The file's size in the listing.
    """

    def __init__(
        self, cancel: threading.Event, limits: Limits | None = None, listed: int | None = None
    ) -> None:
        super().__init__()
        self.cancel = cancel
        self.limits = limits or Limits.from_env()
        self.listed = listed
        self._slow: LowSpeed | None = None

    def call(self, *args: Any, **kwargs: Any) -> None:
        if self.cancel.is_set():
            raise Cancelled()
        expected = self.size if isinstance(self.size, int) else self.listed
        if expected is not None and self.value > expected:
            raise SizeChanged(f"size mismatch, more than the {expected} bytes expected arrived")
        if expected is None and self.value > self.limits.max_file_bytes:
            raise TooLarge(
                f"no size announced and more than {self.limits.max_file_bytes} bytes arrived "
                f"({variable('max_file_bytes')}); stopped",
                received=self.value,
            )
        if self._slow is None:  # measured from the answer's start, not the request's
            self._slow = LowSpeed(self.limits.min_rate, self.limits.read_s)
        too_slow = self._slow.update(self.value)
        if too_slow is not None:
            raise TooSlow(
                f"arriving at {rate(too_slow)}, below the floor of "
                f"{rate(self.limits.min_rate)} ({variable('min_rate')}); stopped"
            )


def _retry(exc: BaseException, attempt: int) -> bool:
    """Whether attempt ``attempt`` (0-based) that failed with ``exc`` is tried again."""
    attempts = TIMEOUT_ATTEMPTS if _timeout(exc) else ATTEMPTS
    return attempt + 1 < attempts and _transient(exc)


def store_of(path: str) -> str | None:
    """The zarr store (``.../TS_001.zarr``) that a layout path lies in, if any."""
    at = path.find(".zarr/")
    return path[: at + len(".zarr")] if at >= 0 else None


def in_progress(store: Path) -> bool:
    """Whether a download of the zarr store ``store`` has begun and not completed: its
    chunks may be partly there (an absent chunk would read as fill value)."""
    return store.with_name(store.name + INCOMPLETE_SUFFIX).exists()


def _fetch_one(item: Item, target: Path, cancel: threading.Event, watch: _Watch) -> int:
    """Fetch one file to ``target`` through a temporary name; returns its size.

    fsspec's ``get_file`` sends one GET and writes the body as it comes, in the
    filesystem's event loop (S3 objects over 50 MiB in ranged parts at once). Over
    HTTP it asks no HEAD first, as opening the file would: a round trip saved a file.
    """
    fs, inner = filesystem(item.url)
    part = target.with_name(target.name + PART_SUFFIX)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        try:
            fs.get_file(inner, str(part), callback=watch)
        except aiohttp.ClientPayloadError as exc:  # the body ended early
            raise OSError(
                f"size mismatch, the body ended before the {watch.size} bytes announced ({exc})"
            ) from exc
        except NetworkTimeout:
            raise
        except TimeoutError as exc:  # aiohttp's (or botocore's) connect or read timeout
            raise NetworkTimeout(timed_out(item.url, watch.limits, None)) from exc
        written = part.stat().st_size
        if isinstance(watch.size, int) and watch.size != written:
            raise OSError(f"size mismatch, {written} bytes arrived of the {watch.size} announced")
        if item.size is not None and item.size != written:
            raise SizeChanged(
                f"size mismatch, {written} bytes where the listing gave "
                f"{item.size} (it changed on the server; run again)"
            )
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
        Called with the report after each file, and a few times a second while large
        files arrive (``Report.bytes_so_far``).

    Raises
    ------
    Cancelled
        ``cancel`` was set.
    NotADirectoryError
        ``dest`` is a file.

    Notes
    -----
    A zarr store's chunks cannot be told complete from their files (an absent chunk is
    a fill-value chunk), so while a store is being downloaded an empty
    ``<store>.incomplete`` marker lies beside it (:func:`in_progress`); it is removed when
    every file of the store arrived, and stays after a cancel or a failure.
    """
    root = Path(dest)
    if root.exists() and not root.is_dir():
        raise NotADirectoryError(f"the destination {root} is a file, not a folder")
    root.mkdir(parents=True, exist_ok=True)
    stop = cancel or threading.Event()
    report = Report(total=len(items))
    lock = threading.Lock()
    under_way: dict[str, _Watch] = {}
    disk_full: list[DiskFull] = []
    stores = {s for s in map(store_of, (i.path for i in items)) if s}
    for store in stores:
        marker = root / (store + INCOMPLETE_SUFFIX)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()

    def one(item: Item) -> None:
        target = root / item.path
        if target.is_file():
            with lock:
                report.skipped += 1
            return
        limits = Limits.from_env()
        for attempt in range(ATTEMPTS):
            watch = _Watch(stop, limits, item.size)
            with lock:
                under_way[item.path] = watch
            try:
                size = _fetch_one(item, target, stop, watch)
            except FileNotFoundError:  # a 404 (get_file raises others by their status)
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
                    full = DiskFull(
                        errno.ENOSPC, f"no space left in {root} while writing {item.path}"
                    )
                    with lock:
                        disk_full.append(full)
                    stop.set()  # the other files stop too (they end as Cancelled)
                    raise full from None
                if _retry(exc, attempt) and not stop.is_set():
                    time.sleep(BACKOFF_S * 2**attempt * (0.5 + random.random()))
                    continue
                with lock:
                    report.failed.append((item, f"{item.url}: {exc}"))
                return
            except Exception as exc:
                if _retry(exc, attempt) and not stop.is_set():
                    time.sleep(BACKOFF_S * 2**attempt * (0.5 + random.random()))
                    continue
                with lock:
                    report.failed.append((item, f"{item.url}: {exc}"))
                return
            with lock:
                report.fetched += 1
                report.bytes += size
            return

    def tracked(item: Item) -> None:
        try:
            one(item)
        finally:
            with lock:
                under_way.pop(item.path, None)

    def tell() -> None:
        if progress is not None:
            with lock:
                report.arriving = sum(w.value for w in under_way.values())
            progress(report)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        pending = {pool.submit(tracked, item) for item in items}
        futures = list(pending)
        try:
            while pending:
                finished, pending = wait(pending, timeout=PROGRESS_S, return_when=FIRST_COMPLETED)
                for future in finished:
                    future.result()
                tell()
        except (Cancelled, KeyboardInterrupt):
            stop.set()
            for f in futures:
                f.cancel()
            if disk_full:  # the files stopped because the disk filled, not by the user
                raise disk_full[0] from None
            raise Cancelled() from None
        except DiskFull:
            for f in futures:
                f.cancel()
            raise
    failed_stores = {store_of(i.path) for i, _ in report.failed}
    for store in stores - failed_stores:
        (root / (store + INCOMPLETE_SUFFIX)).unlink(missing_ok=True)
    return report


__all__ = [
    "INCOMPLETE_SUFFIX",
    "PART_SUFFIX",
    "Cancelled",
    "DiskFull",
    "Report",
    "SizeChanged",
    "download",
    "in_progress",
    "measure",
    "store_of",
]
