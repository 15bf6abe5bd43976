"""``napari-cryoet-explorer download TARGET``: the portal's layout on disk, resumable."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO, TypeVar

from ..portal.client import PortalClient
from ..portal.errors import PortalError
from ..portal.ls import split_target
from .handoffs import aws_command, python_snippet, resolve_target
from .plan import Choice, Item, dataset_items, run_items
from .transfer import Cancelled, DiskFull, Report, download, measure

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
T = TypeVar("T")
NAME = "napari-cryoet-explorer download"


def plan_target(client: PortalClient, target: str, choice: Choice) -> list[Item]:
    """The files of ``DATASET_ID[/RUN_NAME[/VOXEL_SPACING]]`` that ``choice`` includes."""
    dataset_id, run_name, spacing = split_target(target)
    if dataset_id is None:
        raise ValueError("give a target: DATASET_ID[/RUN_NAME[/VOXEL_SPACING]]")
    if spacing is not None:
        choice = Choice(
            choice.tomograms, choice.annotations, choice.formats, spacing, choice.annotation_ids
        )
    if run_name is None:
        return dataset_items(client, dataset_id, choice)
    return run_items(client, dataset_id, run_name, choice)


def _ask(url: str | None, question: Callable[[PortalClient], T], err: TextIO) -> T | int:
    """``question`` answered by the portal, or the exit code after a one-line message
    (1 when the portal failed or lacks the node, 2 for a malformed target)."""
    try:
        with PortalClient(url) as client:
            return question(client)
    except PortalError as exc:
        err.write(f"{NAME}: {exc}\n")
        return EXIT_FAILED
    except ValueError as exc:
        err.write(f"{NAME}: {exc}\n")
        return EXIT_USAGE


def _size(n: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def _line(report: Report, started: float) -> str:
    rate = report.bytes / max(time.monotonic() - started, 1e-6) / 2**20
    return f"\r{report.done}/{report.total} files, {report.bytes / 2**20:.1f} MiB, {rate:.1f} MiB/s"


def run_download(
    target: str,
    dest: str,
    *,
    url: str | None = None,
    choice: Choice | None = None,
    dry_run: bool = False,
    jobs: int = 8,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Download ``target`` into ``dest``; return an exit code (1 if any file failed,
    2 for a malformed target or a destination that is a file)."""
    out, err = out or sys.stdout, err or sys.stderr
    choice = choice or Choice()
    root = Path(dest).expanduser()
    if root.exists() and not root.is_dir():
        err.write(f"{NAME}: the destination {root} is a file, not a folder\n")
        return EXIT_USAGE
    planned = _ask(url, lambda client: plan_target(client, target, choice), err)
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
            f"{len(items)} files, {_size(sum(known))}{note}, for {target} "
            f"({present} already in {root})\n"
        )
        return EXIT_OK
    started = time.monotonic()
    cancel = threading.Event()
    live = err.isatty()  # a progress line that rewrites itself, on a terminal only

    def show(report: Report) -> None:
        if live:
            err.write(_line(report, started))
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
        err.write(_line(report, started) + "\n")
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


__all__ = ["plan_target", "run_download", "run_handoff"]
