"""ndJSON parsing: points per second, ours vs a plain ``json.loads`` loop with dict access.

Writes orientedPoint files of 10^4, 10^5 and 10^6 lines in the portal's format, then
times, side by side in one run (median of ``--repeats``):

* ours: :func:`napari_cryoet_explorer.io.ndjson.parse_ndjson` (orjson on large batches
  of lines joined into JSON arrays, collector paused, columns straight into numpy);
* the existing plugin's way: ``json.loads`` per line, then dict access per point.

Usage: ``python benchmarks/ndjson.py [--sizes 10000 100000 1000000] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from napari_cryoet_explorer.io.ndjson import parse_ndjson


def write_file(path: Path, n: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    xyz = rng.uniform(0, 1000, (n, 3))
    rot = rng.normal(size=(n, 3, 3))
    with path.open("w") as fh:
        for p, r in zip(xyz, rot, strict=True):
            record = {
                "type": "orientedPoint",
                "location": {"x": p[0], "y": p[1], "z": p[2]},
                "xyz_rotation_matrix": r.tolist(),
            }
            fh.write(json.dumps(record) + "\n")


def plain_loop(path: Path) -> tuple[np.ndarray, np.ndarray]:
    points, rotations = [], []
    with path.open() as fh:
        for line in fh:
            record = json.loads(line)
            loc = record["location"]
            points.append([loc["z"], loc["y"], loc["x"]])
            rotations.append(record["xyz_rotation_matrix"])
    return np.array(points), np.array(rotations)


def ours(path: Path) -> tuple[np.ndarray, np.ndarray]:
    parsed = parse_ndjson(path.read_bytes(), str(path))
    assert parsed.rotations is not None
    return parsed.zyx, parsed.rotations


def median_time(func: object, path: Path, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func(path)  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(
        "| points | file (MB) | ours (s) | ours (points/s) | json.loads loop (s) | loop (points/s) | speed-up |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            path = Path(tmp) / f"p{n}_orientedpoint.ndjson"
            write_file(path, n)
            a, b = ours(path), plain_loop(path)
            assert np.allclose(a[0], b[0]) and np.allclose(a[1], b[1])
            t_ours = median_time(ours, path, args.repeats)
            t_loop = median_time(plain_loop, path, args.repeats)
            mb = path.stat().st_size / 1e6
            print(
                f"| {n:,} | {mb:.1f} | {t_ours:.3f} | {n / t_ours:,.0f} | {t_loop:.3f} | {n / t_loop:,.0f} | {t_loop / t_ours:.1f}x |"
            )


if __name__ == "__main__":
    main()
