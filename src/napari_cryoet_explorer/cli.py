"""Command line: ``napari-cryoet-explorer {demo,replica,ls,open}``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="napari-cryoet-explorer",
        description="Browse the CryoET Data Portal and local downloads in napari.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser(
        "demo", help="start the local replica on synthetic data and open napari on it"
    )
    demo.add_argument("--data", help="synthetic portal folder (default: a cache folder)")
    demo.add_argument("--screenshot", metavar="PATH", help="save a picture of the window and exit")
    demo.add_argument("--3d", dest="three_d", action="store_true", help="start in 3D")

    op = sub.add_parser("open", help="open napari with a run loaded and the explorer docked")
    op.add_argument("--url", help="GraphQL URL (default: the public portal)")
    op.add_argument("--screenshot", metavar="PATH", help="save a picture of the window and exit")
    op.add_argument("target", help="DATASET_ID/RUN_NAME[/VOXEL_SPACING] or a local path")

    rep = sub.add_parser("replica", help="serve a local portal replica on 127.0.0.1")
    rep.add_argument("--data", help="portal folder written by the generator (default: demo data)")
    rep.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any free)")
    rep.add_argument("--latency-ms", type=float, default=0.0, help="delay added to each request")

    ls = sub.add_parser("ls", help="print one level of the portal tree")
    ls.add_argument("--url", help="GraphQL URL (default: the public portal)")
    ls.add_argument("--json", action="store_true", help="one JSON object a line")
    ls.add_argument("--search", help="server-side search text")
    ls.add_argument("target", nargs="?", help="DATASET_ID[/RUN_NAME[/VOXEL_SPACING]]")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    args = _build_parser().parse_args(argv)
    if args.command == "ls":
        from .portal.ls import run_ls

        return run_ls(
            args.target, url=args.url, search=args.search, as_json=args.json, out=sys.stdout
        )
    if args.command == "replica":
        from .replica.cli import run_replica

        return run_replica(data=args.data, port=args.port, latency_ms=args.latency_ms)
    if args.command in ("demo", "open"):
        # The viewers we start load slices in the background (napari's asynchronous
        # slicing), so panning over the network never freezes them. Taken from the
        # environment, the choice is not written to the user's napari settings.
        os.environ.setdefault("NAPARI_ASYNC", "1")
    if args.command == "demo":
        from ._qt.demo import run_demo

        return run_demo(
            data=args.data, screenshot_path=args.screenshot, ndisplay=3 if args.three_d else 2
        )
    if args.command == "open":
        from ._qt.launch import run_open
        from .portal.errors import PortalError

        try:
            return run_open(args.target, url=args.url, screenshot_path=args.screenshot)
        except (PortalError, ValueError, OSError) as exc:
            sys.stderr.write(f"napari-cryoet-explorer open: {exc}\n")
            return 1
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
