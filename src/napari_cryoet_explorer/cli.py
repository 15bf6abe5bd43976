"""Command line: ``napari-cryoet-explorer {demo,replica,ls,open,download}``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any


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

    ls = sub.add_parser(
        "ls",
        help="print one level of the portal tree, filtered on the server",
        description=(
            "Print one level of the portal tree. Filters narrow it on the server: "
            "different filters AND, repeated values of one filter OR; conditions below "
            "the dataset hold in the same run, and those on one annotation, tilt series "
            "or tomogram on the same row."
        ),
    )
    ls.add_argument("--url", help="GraphQL URL (default: the public portal)")
    ls.add_argument("--json", action="store_true", help="one JSON object a line")
    ls.add_argument(
        "--facets",
        action="store_true",
        help="each filter value with the number of datasets that match with it",
    )
    ls.add_argument(
        "--depositions",
        action="store_true",
        help="the depositions, newest first, with what each brought (--deposition ID: its datasets)",
    )
    ls.add_argument("target", nargs="?", help="DATASET_ID[/RUN_NAME[/VOXEL_SPACING]]")
    add_filter_arguments(ls)

    dl = sub.add_parser(
        "download",
        help="download a dataset, run or voxel spacing in the portal's layout (resumable)",
    )
    dl.add_argument("target", help="DATASET_ID[/RUN_NAME[/VOXEL_SPACING]]")
    dl.add_argument("--dest", default=".", help="destination folder (default: here)")
    dl.add_argument("--url", help="GraphQL URL (default: the public portal)")
    dl.add_argument("--tomograms", action=argparse.BooleanOptionalAction, default=True)
    dl.add_argument("--annotations", action=argparse.BooleanOptionalAction, default=True)
    dl.add_argument(
        "--format", choices=("zarr", "mrc", "both"), default="both", help="tomogram format"
    )
    dl.add_argument("--voxel-spacing", type=float, metavar="A", help="one voxel spacing only")
    dl.add_argument(
        "--annotation-id",
        type=int,
        action="append",
        default=[],
        metavar="ID",
        help="only these annotations (repeatable)",
    )
    dl.add_argument("--dry-run", action="store_true", help="count the files, write nothing")
    dl.add_argument("--jobs", type=int, default=8, help="files fetched at once")
    dl.add_argument(
        "--via",
        choices=("https", "s3"),
        default="https",
        help="fetch over HTTPS (default) or from the S3 bucket (anonymous; endpoint from "
        "AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL if set)",
    )
    dl.add_argument(
        "--print-aws",
        action="store_true",
        help="print the AWS CLI command that fetches the same, and stop",
    )
    dl.add_argument(
        "--print-python",
        action="store_true",
        help="print the official client's lines that fetch the same, and stop",
    )
    return parser


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    """The portal's filters as ``ls`` flags (see :class:`~.portal.filters.Filters`)."""
    from .portal.filters import HAS_KINDS

    group = parser.add_argument_group("filters")
    add = group.add_argument
    many: dict[str, Any] = {"action": "append", "default": []}
    add("--search", help="text in titles, descriptions, ids, run or object names")
    add("--ground-truth", action="store_true", help="an annotation that is ground truth")
    add("--has", metavar="KIND", **many, help=f"at least one of: {', '.join(HAS_KINDS)}")
    add("--runs-min", type=int, metavar="N", help="datasets with at least N runs")
    add("--dataset-id", type=int, metavar="ID", **many, help="dataset id")
    add("--run-id", type=int, metavar="ID", **many, help="run id")
    add("--deposition", type=int, metavar="ID", **many, help="deposition id")
    add("--empiar", metavar="ID", **many, help="EMPIAR entry (10499 or EMPIAR-10499)")
    add("--emdb", metavar="ID", **many, help="EMDB entry (EMD-1234)")
    add("--run-name", metavar="TEXT", help="run name contains TEXT")
    add("--author", metavar="TEXT", help="a dataset author's name contains TEXT")
    add("--orcid", metavar="ID", help="a dataset author's ORCID")
    add("--organism", metavar="NAME", **many, help="organism (exact, any case)")
    add("--object", metavar="TEXT", **many, help="object name, or id (GO:..., UniProtKB:...)")
    add("--shape", metavar="SHAPE", **many, help="annotation shape (Point, OrientedPoint, ...)")
    add("--method", metavar="TYPE", **many, help="annotation method: manual, automated, hybrid")
    add("--camera", metavar="NAME", **many, help="camera manufacturer")
    add("--microscope", metavar="NAME", **many, help="microscope manufacturer")
    add("--tilt-range-min", type=float, metavar="DEG", help="tilt range at least DEG")
    add("--tilt-range-max", type=float, metavar="DEG", help="tilt range at most DEG")
    add("--tilt-quality-min", type=int, metavar="N", help="tilt-series quality at least N (1-5)")
    add("--fiducial-alignment", metavar="STATUS", help="FIDUCIAL or NON_FIDUCIAL")
    add("--reconstruction-method", metavar="NAME", **many, help="WBP, SART, SIRT, ...")
    add("--reconstruction-software", metavar="NAME", **many, help="IMOD, AreTomo3, ...")
    add("--voxel-spacing-min", type=float, metavar="A", help="a tomogram's voxel spacing >= A")
    add("--voxel-spacing-max", type=float, metavar="A", help="a tomogram's voxel spacing <= A")


def filters_of(args: argparse.Namespace) -> Any:
    """The :class:`~.portal.filters.Filters` that the parsed flags ask for."""
    from .portal.filters import Filters

    return Filters(
        search=args.search or "",
        ground_truth=args.ground_truth,
        has=tuple(args.has),
        runs_min=args.runs_min,
        dataset_ids=tuple(args.dataset_id),
        run_ids=tuple(args.run_id),
        deposition_ids=tuple(args.deposition),
        empiar_ids=tuple(args.empiar),
        emdb_ids=tuple(args.emdb),
        run_name=args.run_name or "",
        author=args.author or "",
        orcid=args.orcid or "",
        organisms=tuple(args.organism),
        objects=tuple(args.object),
        shapes=tuple(args.shape),
        methods=tuple(args.method),
        cameras=tuple(args.camera),
        microscopes=tuple(args.microscope),
        tilt_range_min=args.tilt_range_min,
        tilt_range_max=args.tilt_range_max,
        tilt_quality_min=args.tilt_quality_min,
        fiducial_alignment=args.fiducial_alignment,
        reconstruction_methods=tuple(args.reconstruction_method),
        reconstruction_softwares=tuple(args.reconstruction_software),
        voxel_spacing_min=args.voxel_spacing_min,
        voxel_spacing_max=args.voxel_spacing_max,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    args = _build_parser().parse_args(argv)
    if args.command == "ls":
        from .portal.filters import FilterError
        from .portal.ls import EXIT_USAGE, run_ls

        try:
            filters = filters_of(args)
        except FilterError as exc:
            sys.stderr.write(f"napari-cryoet-explorer ls: {exc}\n")
            return EXIT_USAGE
        return run_ls(
            args.target,
            url=args.url,
            as_json=args.json,
            out=sys.stdout,
            filters=filters,
            facets=args.facets,
            depositions=args.depositions,
        )
    if args.command == "download":
        from .downloads.command import run_download
        from .downloads.plan import FORMATS, Choice

        choice = Choice(
            tomograms=args.tomograms,
            annotations=args.annotations,
            formats=FORMATS if args.format == "both" else (args.format,),
            voxel_spacing=args.voxel_spacing,
            annotation_ids=tuple(args.annotation_id),
        )
        if args.print_aws or args.print_python:
            from .downloads.command import run_handoff

            return run_handoff(
                args.target, args.dest, url=args.url, aws=args.print_aws, python=args.print_python
            )
        return run_download(
            args.target,
            args.dest,
            url=args.url,
            choice=choice,
            dry_run=args.dry_run,
            jobs=args.jobs,
            via=args.via,
        )
    if args.command == "replica":
        from .replica.cli import run_replica

        if args.data is None:  # the demo's synthetic portal, generated on first use
            from .synthetic.cache import cached_portal

            args.data = str(cached_portal("demo"))
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
