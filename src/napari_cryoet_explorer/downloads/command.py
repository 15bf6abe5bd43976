"""``napari-cryoet-explorer download TARGET``: the portal's layout on disk, resumable."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO, TypeVar

from ..portal.client import PortalClient
from ..portal.errors import PortalError
from ..portal.targets import split_target
from .handoffs import aws_command, python_snippet, resolve_target
from .plan import Choice, Item, dataset_items, run_items
from .transfer import Cancelled, DiskFull, Report, download, measure

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
T = TypeVar("T")
NAME = "napari-cryoet-explorer download"


def plan_target(
    client: PortalClient, target: str, choice: Choice, *, via: str = "https"
) -> list[Item]:
    """The files of ``DATASET_ID[/RUN_NAME[/VOXEL_SPACING]]`` that ``choice`` includes,
    at their HTTPS or S3 (``via``) paths."""
    dataset_id, run_name, spacing = split_target(target)
    if dataset_id is None:
        raise ValueError("give a target: DATASET_ID[/RUN_NAME[/VOXEL_SPACING]]")
    if spacing is not None:
        choice = Choice(
            choice.tomograms, choice.annotations, choice.formats, spacing, choice.annotation_ids
        )
    if run_name is None:
        return dataset_items(client, dataset_id, choice, via=via)
    return run_items(client, dataset_id, run_name, choice, via=via)


def _ask(url: str | None, question: Callable[[PortalClient], T], err: TextIO) -> T | int:
    """``question`` answered by the portal, or the exit code after a one-line message
    (1 when the portal or the file server failed or lacks the node, 2 for a malformed
    target)."""
    try:
        with PortalClient(url) as client:
            return question(client)
    except PortalError as exc:
        err.write(f"{NAME}: {exc}\n")
        return EXIT_FAILED
    except ValueError as exc:
        err.write(f"{NAME}: {exc}\n")
        return EXIT_USAGE
    except OSError as exc:  # a listing or metadata file the plan needs, refused or gone
        err.write(f"{NAME}: while planning: {exc}\n")
        return EXIT_FAILED


def _unwritable(root: Path) -> str | None:
    """Why files cannot be written under ``root``, or None. Nothing is created: the
    nearest existing folder on the way gets a probe file, removed at once (a real
    write, so that read-only mounts, immutable folders and ACLs all count, for root
    too)."""
    here = root
    while not here.exists() and here.parent != here:
        here = here.parent
    if not here.is_dir():
        return f"the destination {root} cannot be made: {here} is a file, not a folder"
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=here)
    except OSError as exc:
        made = "" if here == root else f" (to make {root} in it)"
        return f"cannot write in {here}{made}: {exc.strerror or exc}"
    os.close(fd)
    os.unlink(probe)
    return None


def human_size(n: float) -> str:
    """``1.4 MiB``, ``512 bytes``: a size for people."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{int(n)} bytes"


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return (
        f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )


def progress_line(report: Report, elapsed: float, total_bytes: int | None = None) -> str:
    """``[####......] 52/277 files, 12.3 MiB of 40.0 MiB, 3.1 MiB/s, 0:09 left``.

    Without ``total_bytes`` (sizes over HTTP are known only by asking for each file)
    the total is estimated from the files done so far and marked ``~``.
    """
    done_bytes = report.bytes_so_far
    rate = done_bytes / max(elapsed, 1e-6)
    if total_bytes is None:
        counted = report.fetched + report.missing + len(report.failed)
        left = report.total - report.skipped
        estimate = done_bytes / counted * left if counted else 0.0
        total, mark = max(estimate, done_bytes), "~"
    else:
        total, mark = float(total_bytes), ""
    share = min(done_bytes / total, 1.0) if total > 0 else report.done / max(report.total, 1)
    bar = "#" * int(share * 20)
    eta = f", {_clock((total - done_bytes) / rate)} left" if rate > 0 and total > done_bytes else ""
    return (
        f"[{bar:.<20}] {report.done}/{report.total} files, {human_size(done_bytes)} of "
        f"{mark}{human_size(int(total))}, {human_size(int(rate))}/s{eta}"
    )


def _large_kind(item: Item) -> bool:
    return item.path.endswith((".mrc", ".ndjson", ".glb"))


def space_problem(root: Path, needed: int) -> str | None:
    """Why ``needed`` more bytes will not fit under ``root``, or None (checked on the
    nearest existing folder, with 1 % and 64 MiB to spare)."""
    here = root
    while not here.exists() and here.parent != here:
        here = here.parent
    try:
        free = shutil.disk_usage(here).free
    except OSError:
        return None
    if needed + max(needed // 100, 64 * 2**20) <= free:
        return None
    return f"not enough space in {here}: the download needs {human_size(needed)}, {human_size(free)} free"


def run_download(
    target: str,
    dest: str,
    *,
    url: str | None = None,
    choice: Choice | None = None,
    dry_run: bool = False,
    jobs: int = 8,
    via: str = "https",
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Download ``target`` into ``dest`` over HTTPS or from S3 (``via``); return an
    exit code (1 if any file failed, 2 for a malformed target or a destination that
    is a file)."""
    out, err = out or sys.stdout, err or sys.stderr
    choice = choice or Choice()
    root = Path(dest).expanduser()
    if root.exists() and not root.is_dir():
        err.write(f"{NAME}: the destination {root} is a file, not a folder\n")
        return EXIT_USAGE
    why = None if dry_run else _unwritable(root)  # before the plan, which may take long
    if why is not None:
        err.write(f"{NAME}: {why}\n")
        return EXIT_FAILED
    planned = _ask(url, lambda client: plan_target(client, target, choice, via=via), err)
    if isinstance(planned, int):
        return planned
    items = planned
    if dry_run:
        present = sum((root / i.path).is_file() for i in items)
        sizes = measure(items, jobs=jobs)
        known = [s for s in sizes.values() if s is not None]
        unknown = len(items) - len(known)
        note = f", {unknown} of unknown size or not on the server" if unknown else ""
        out.write(
            f"{len(items)} files, {human_size(sum(known))}{note}, for {target} "
            f"({present} already in {root})\n"
        )
        return EXIT_OK
    # Disk space, from the sizes the server gives: every file's from an S3 listing;
    # over HTTP (a request a file) only those of the few large kinds, MRC and ndJSON.
    to_fetch = [i for i in items if not (root / i.path).is_file()]
    sizes = measure([i for i in to_fetch if i.size is not None or _large_kind(i)], jobs=jobs)
    needed = sum(v for v in sizes.values() if v is not None)
    short = space_problem(root, needed)
    if short is not None:
        err.write(f"{NAME}: {short}; nothing was downloaded\n")
        return EXIT_FAILED
    all_known = len(sizes) == len(to_fetch) and None not in sizes.values()
    total_bytes = needed if all_known else None
    started = time.monotonic()
    cancel = threading.Event()
    live = err.isatty()  # a progress line that rewrites itself, on a terminal only

    def show(report: Report) -> None:
        if live:
            err.write("\r" + progress_line(report, time.monotonic() - started, total_bytes))
            err.flush()

    try:
        report = download(items, root, jobs=jobs, cancel=cancel, progress=show)
    except Cancelled:
        err.write(f"\n{NAME}: cancelled; complete files stay in {root}, run again to resume\n")
        return EXIT_FAILED
    except DiskFull as exc:
        err.write(f"\n{NAME}: {exc.strerror}; complete files stay, free space and run again\n")
        return EXIT_FAILED
    except OSError as exc:
        err.write(f"\n{NAME}: {exc}\n")
        return EXIT_FAILED
    if live:
        err.write("\r" + progress_line(report, time.monotonic() - started, total_bytes) + "\n")
    out.write(
        f"{report.fetched} fetched, {report.skipped} already there, "
        f"{report.missing} not on the server (optional), {len(report.failed)} failed: {root}\n"
    )
    for _item, why in report.failed:
        err.write(f"{NAME}: could not fetch {why}\n")
    return EXIT_FAILED if report.failed else EXIT_OK


def run_handoff(
    target: str,
    dest: str,
    *,
    url: str | None = None,
    aws: bool = False,
    python: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Print the AWS CLI command and / or the official client's lines for ``target``."""
    out, err = out or sys.stdout, err or sys.stderr
    resolved = _ask(url, lambda client: resolve_target(client, target), err)
    if isinstance(resolved, int):
        return resolved
    if aws:
        out.write(aws_command(resolved, dest) + "\n")
    if python:
        out.write(python_snippet(resolved, dest))
    return EXIT_OK


__all__ = [
    "human_size",
    "plan_target",
    "progress_line",
    "run_download",
    "run_handoff",
    "space_problem",
]
