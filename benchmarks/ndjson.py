"""ndJSON points end to end: ours through ``npe2.read`` vs napari-cryoet-data-portal 0.5.0.

Writes ``point``, ``orientedPoint`` and ``instancePoint`` files in the portal's format
(full-precision floats, as Python's ``json`` writes them) into a download-shaped
folder, then reads each file with both readers, every run in a fresh process (imports
done before the clock starts), the two alternating, and prints medians:

* ours: ``npe2.read([path], plugin_name="napari-cryoet-explorer")``, the same call
  napari makes, through to the layer data tuples (Points, plus Vectors for oriented
  points);
* the existing plugin: ``napari_cryoet_data_portal._reader.read_points_annotations_ndjson``
  called directly in its own venv (``--ncdp-python``), which returns its layer data.

Peak memory is the process's maximum resident set (``getrusage``) minus its resident
set just before the read, so the interpreter and imports are left out.

The existing plugin reads ``point`` and ``orientedPoint`` lines (locations only) and
skips ``instancePoint`` lines, so on those files it returns no points. Without
``--ncdp-python`` only ours runs. ``--huge N`` instead reads one orientedPoint file of
``N`` points with ours and prints the time, the memory and the messages.
``--napari-layers`` also times what napari does next, building the layers from each
reader's layer data (no window), apart from the read.

Each run inherits the environment: ``NUMPY_MADVISE_HUGEPAGE=0`` keeps numpy from asking
for transparent huge pages, whose first touch is slow and erratic on VMs whose host takes
free memory back in huge-page blocks (virtio-balloon free page reporting).

Usage::

    python -m venv /tmp/ncdp-venv
    /tmp/ncdp-venv/bin/pip install napari-cryoet-data-portal==0.5.0 pyqt5
    python benchmarks/ndjson.py --ncdp-python /tmp/ncdp-venv/bin/python \\
        [--sizes 300000 1000000] [--kinds orientedPoint point instancePoint] [--repeats 5]
    python benchmarks/ndjson.py --huge 10000000 --sizes 1000000
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

FILE_SUFFIX = {
    "point": "point",
    "orientedPoint": "orientedpoint",
    "instancePoint": "instancesegmentation",
}


def write_file(path: Path, kind: str, n: int, seed: int = 0) -> None:
    """``n`` records of ``kind``; oriented points carry proper rotation matrices."""
    import numpy as np

    rng = np.random.default_rng(seed)
    with path.open("w") as fh:
        for start in range(0, n, 100_000):
            m = min(100_000, n - start)
            xyz = rng.uniform(0, 1000, (m, 3)).tolist()
            q, r = np.linalg.qr(rng.normal(size=(m, 3, 3)))
            q = q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]
            q[np.linalg.det(q) < 0, :, 0] *= -1
            for i, (x, y, z) in enumerate(xyz):
                record: dict[str, Any] = {"type": kind, "location": {"x": x, "y": y, "z": z}}
                if kind == "orientedPoint":
                    record["xyz_rotation_matrix"] = q[i].tolist()
                elif kind == "instancePoint":
                    record["instance_id"] = (start + i) // 40
                fh.write(json.dumps(record) + "\n")


def _rss_now() -> int:
    """Resident set size in bytes (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def worker(contender: str, path: str) -> None:
    """Read ``path`` once, print seconds, points, memory and a checksum as JSON."""
    import numpy as np

    if contender == "ours":
        import npe2

        import napari_cryoet_explorer._reader  # noqa: F401  (imports are not timed)

        npe2.PluginManager.instance().discover()

        def read() -> Any:
            return npe2.read([path], stack=False, plugin_name="napari-cryoet-explorer")

    else:
        # This script's folder comes first on the path, and its name would shadow the
        # ``ndjson`` package that reader imports.
        here = Path(__file__).resolve().parent
        sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
        from napari_cryoet_data_portal._reader import read_points_annotations_ndjson

        def read() -> Any:
            return [read_points_annotations_ndjson(path)]

    before = _rss_now()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        layers = read()
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    napari_seconds = None
    if os.environ.get("NDJSON_BENCH_NAPARI_LAYERS"):
        # What napari does next with the layer data (no window): build the layers.
        import napari.layers

        start = time.perf_counter()
        for data, kwargs, kind in layers:
            getattr(napari.layers, kind.capitalize())(data, **kwargs)
        napari_seconds = time.perf_counter() - start
    points = [d for d, _, kind in layers if kind == "points"]
    zyx = np.asarray(points[0], dtype=np.float64).reshape(-1, 3) if points else np.zeros((0, 3))
    out = {
        "seconds": seconds,
        "points": len(zyx),
        "extra_rss": peak - before,
        "checksum": float(zyx.sum()),
        "layers": [kind for _, _, kind in layers],
        "warnings": [str(w.message) for w in caught],
        "napari_seconds": napari_seconds,
    }
    print(json.dumps(out))


def run_once(
    python: str, contender: str, path: Path, napari_layers: bool = False
) -> dict[str, Any]:
    env = dict(os.environ)
    if napari_layers:
        env["NDJSON_BENCH_NAPARI_LAYERS"] = "1"
    proc = subprocess.run(
        [python, __file__, "--worker", contender, str(path)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if proc.returncode:
        raise RuntimeError(f"{contender} failed on {path}:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def huge(folder: Path, n: int, unit: int) -> None:
    """Read an ``n``-point file once with ours; print time, memory and the messages."""
    source = folder / f"bench{unit}-1.0_orientedpoint.ndjson"
    if not source.exists():
        write_file(source, "orientedPoint", unit)
    path = folder / f"huge{n}-1.0_orientedpoint.ndjson"
    if not path.exists():
        with path.open("wb") as out:
            for start in range(0, n, unit):
                with source.open("rb") as fh:
                    if n - start >= unit:
                        shutil.copyfileobj(fh, out)
                    else:
                        out.writelines(itertools.islice(fh, n - start))
    result = run_once(sys.executable, "ours", path)
    size = path.stat().st_size
    print(
        f"{n:,} orientedPoint points, {size / 1e9:.2f} GB: {result['seconds']:.1f} s, "
        f"{result['points'] / result['seconds']:,.0f} points/s, extra peak RSS "
        f"{result['extra_rss'] / 1e9:.2f} GB ({result['extra_rss'] / size:.2f}x the file), "
        f"layers {result['layers']}"
    )
    for message in result["warnings"]:
        print(f"warning: {message}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[300_000, 1_000_000])
    parser.add_argument("--kinds", nargs="+", default=list(FILE_SUFFIX), choices=list(FILE_SUFFIX))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ncdp-python", help="python of a venv with napari-cryoet-data-portal")
    parser.add_argument("--workdir", type=Path, help="keep the generated files here")
    parser.add_argument(
        "--huge",
        type=int,
        metavar="N",
        help="instead: read one orientedPoint file of N points (copies of the largest size)",
    )
    parser.add_argument(
        "--napari-layers",
        action="store_true",
        help="also build napari's layers from each reader's layer data (no window), timed apart",
    )
    parser.add_argument("--worker", nargs=2, metavar=("CONTENDER", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ndjson-bench-"))
    folder = workdir / "TS_001" / "Reconstructions" / "VoxelSpacing10.000" / "Annotations" / "1"
    folder.mkdir(parents=True, exist_ok=True)
    if args.huge:
        huge(folder, args.huge, max(args.sizes))
        return
    contenders = [("ours", sys.executable)]
    if args.ncdp_python:
        contenders.append(("ncdp 0.5.0", args.ncdp_python))
    print(
        "| kind | points | file MB | reader | median s [min-max] | points/s | "
        "extra peak RSS MB | x file | speed-up |"
    )
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for kind in args.kinds:
        for n in args.sizes:
            path = folder / f"bench{n}-1.0_{FILE_SUFFIX[kind]}.ndjson"
            if not path.exists():
                write_file(path, kind, n)
            size = path.stat().st_size
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in contenders}
            for repeat in range(args.repeats):
                # Alternate who goes first, so drift on the shared machine hits both.
                order = contenders if repeat % 2 == 0 else contenders[::-1]
                for name, python in order:
                    runs[name].append(run_once(python, name.split()[0], path, args.napari_layers))
            ours_median = statistics.median(r["seconds"] for r in runs["ours"])
            for name, _ in contenders:
                times = [r["seconds"] for r in runs[name]]
                median = statistics.median(times)
                extra = statistics.median(r["extra_rss"] for r in runs[name]) / 1e6
                got = runs[name][0]["points"]
                note = "" if got == n else f" ({got:,} points read)"
                if args.napari_layers:
                    layers = statistics.median(r["napari_seconds"] for r in runs[name])
                    note += f", then napari's layers {layers:.2f} s"
                print(
                    f"| {kind} | {n:,} | {size / 1e6:.0f} | {name}{note} | "
                    f"{median:.2f} [{min(times):.2f}-{max(times):.2f}] | {got / median:,.0f} | "
                    f"{extra:,.0f} | {extra * 1e6 / size:.2f} | {median / ours_median:.1f}x |",
                    flush=True,
                )
            if len(contenders) > 1 and runs[contenders[1][0]][0]["points"] == n:
                a, b = (runs[name][0]["checksum"] for name, _ in contenders)
                assert abs(a - b) <= 1e-9 * abs(a), f"the readers disagree on {path}"


if __name__ == "__main__":
    main()
