"""Opening a large tomogram over HTTP: time and bytes until the first slice is on screen.

A synthetic portal with one tomogram (default 512 x 1024 x 1024 float32, chunks of
256^3, three levels, the portal's layout) is served by the local replica with 50 ms of
latency per request. Side by side, median of ``--repeats`` runs, each in a fresh process
(no warm caches):

* ours: ``read_tomogram(url)`` (metadata only), then ``viewer.add_image`` in a real
  napari viewer, which fetches the chunks of the slice it shows (at the pyramid level that
  fits the canvas, plus the coarsest level's plane for the thumbnail);
* ours, zoomed in: the same slice at full resolution (level 0), what a user gets when
  zooming in, without ever loading the volume;
* ours, coarse first: what the explorer does, with its default background loading
  (napari's asynchronous slicing): the layer is locked to the coarsest level until
  that slice is in, then napari refines; timed to the first picture and to the
  refined one;
* coarsest level in memory: the whole coarsest level read into a numpy array, then
  shown (what a reader that loads one level eagerly does).

Bytes are counted by the replica (bodies sent), requests likewise.

Usage: ``xvfb-run -a -s "-screen 0 1920x1080x24" python benchmarks/open_tomogram.py [--shape 512 1024 1024]
[--latency-ms 50] [--repeats 3] [--cache /tmp/cryoet-bench]`` (the viewer needs a display;
``xvfb-run`` gives one on a headless machine).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.replica.synthetic import generate_portal

MODES = ("ours", "ours-level0", "ours-coarse-first", "coarsest")


def portal(cache: Path, shape: tuple[int, int, int], dtype: str) -> Path:
    """The benchmark portal, generated once per shape and dtype."""
    root = cache / f"open-tomogram-{'x'.join(map(str, shape))}-{dtype}"
    if not (root / "ground_truth.json").exists():
        print(f"generating {shape} {dtype} into {root} (once)...", file=sys.stderr)
        generate_portal(
            root,
            "benchmark",
            tomogram_shape=shape,
            dtype=dtype,
            write_mrc=False,
            key_photos=False,
        )
    return root


def tomogram_path(root: Path) -> str:
    truth = json.loads((root / "ground_truth.json").read_text())
    run = next(iter(truth["runs"].values()))
    return str(run["tomograms"][0]["zarr"])


def _settle(viewer: Any, layer: Any, quiet: float = 1.0, limit: float = 120.0) -> float:
    """Run the event loop until the layer stops changing; when it last changed.

    A shown viewer first slices at the level it starts with, then fits the camera to the
    canvas and reslices at the level that fits the screen: both count as showing.
    """
    from qtpy.QtWidgets import QApplication

    app = QApplication.instance()
    state = None
    changed = time.perf_counter()
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        app.processEvents()
        now = (layer.data_level, layer.loaded, tuple(layer.corner_pixels.ravel()))
        if now != state:
            state, changed = now, time.perf_counter()
        elif layer.loaded and time.perf_counter() - changed >= quiet:
            break  # loaded, and nothing changed for a while
        time.sleep(0.005)
    return changed


def child(mode: str, url: str) -> dict[str, Any]:
    """One measurement in this (fresh) process; prints what it saw."""
    import napari
    import numpy as np

    from napari_cryoet_explorer.io import read_tomogram

    viewer = napari.Viewer(show=True)
    viewer.window.resize(1280, 900)
    start = time.perf_counter()
    data, kwargs, _ = read_tomogram(url)
    opened = time.perf_counter() - start
    first = first_wall = None
    if mode == "ours-coarse-first":
        from napari.layers import Image
        from qtpy.QtWidgets import QApplication

        from napari_cryoet_explorer._qt.layer_queue import add_coarse_first

        layer = Image(data, **kwargs)
        add_coarse_first(viewer, layer)
        app = QApplication.instance()
        while not (layer.loaded and layer.data_level == len(data) - 1):
            app.processEvents()
            time.sleep(0.005)
        first = time.perf_counter() - start
        first_wall = time.time()
        while layer.locked_data_level is not None or layer.data_level == len(data) - 1:
            app.processEvents()  # released, and napari picks its own level
            time.sleep(0.005)
        done = _settle(viewer, layer)
        level, shape = int(layer.data_level), tuple(data[layer.data_level].shape)
    elif mode == "ours-level0":
        plane = np.asarray(data[0][data[0].shape[0] // 2])
        level, shape, done = 0, plane.shape, time.perf_counter()
    else:
        if mode == "coarsest":
            volume = np.asarray(data[-1])  # the whole level, into memory
            factor = np.asarray(data[0].shape) / np.asarray(volume.shape)
            scale = tuple(np.asarray(kwargs["scale"]) * factor)
            layer = viewer.add_image(volume, scale=scale, name="coarsest")
        else:
            layer = viewer.add_image(data, **kwargs)
        done = _settle(viewer, layer)
        level = len(data) - 1 if mode == "coarsest" else int(layer.data_level)
        shape = tuple(data[level].shape)
    viewer.close()
    return {
        "mode": mode,
        "seconds": done - start,
        "first_picture_seconds": first,
        "first_picture_wall": first_wall,
        "open_seconds": opened,
        "level": level,
        "shape": list(shape),
    }


def measure(mode: str, url: str, server: ReplicaServer) -> dict[str, Any]:
    server.clear_log()
    # Background loading (napari's asynchronous slicing) for the explorer's way only;
    # from the environment, so napari does not save it into the user's settings.
    env = {**os.environ, "NAPARI_ASYNC": "1" if mode == "ours-coarse-first" else "0"}
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--url", url],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    records = [r for r in server.records("file") if r.status in (200, 206)]
    result["bytes"] = sum(r.bytes for r in records)
    if result.get("first_picture_wall"):
        # Requests that arrived before the first picture was on screen.
        early = [r for r in records if r.time <= result["first_picture_wall"]]
        result["first_picture_bytes"] = sum(r.bytes for r in early)
    result["requests"] = len(server.records("file"))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=int, nargs=3, default=[512, 1024, 1024])
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/cryoet-bench"))
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.url)))
        return

    shape = (args.shape[0], args.shape[1], args.shape[2])
    root = portal(args.cache, shape, args.dtype)
    with ReplicaServer(root, latency_ms=args.latency_ms) as server:
        url = f"{server.files_url}/{tomogram_path(root)}"
        print(
            f"tomogram {shape} {args.dtype}, chunks 256^3, {args.latency_ms:g} ms latency, "
            f"median of {args.repeats}"
        )
        print("| what | level shown | seconds | MB fetched | requests |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for mode in MODES:
            runs = [measure(mode, url, server) for _ in range(args.repeats)]
            secs = statistics.median(r["seconds"] for r in runs)
            mb = statistics.median(r["bytes"] for r in runs) / 1e6
            reqs = statistics.median(r["requests"] for r in runs)
            label = {
                "ours": "ours: open + first slice in napari",
                "ours-level0": "ours: open + one full-resolution slice",
                "ours-coarse-first": "ours, coarse first (background loading): refined",
                "coarsest": "whole coarsest level into memory, shown",
            }[mode]
            first = runs[0]
            print(
                f"| {label} | {first['level']} {tuple(first['shape'])} | {secs:.2f} | "
                f"{mb:.1f} | {reqs:g} |"
            )
            if mode == "ours-coarse-first":
                pictured = statistics.median(r["first_picture_seconds"] for r in runs)
                early_mb = statistics.median(r["first_picture_bytes"] for r in runs) / 1e6
                print(
                    f"|   (of which the first picture, coarsest level) | | {pictured:.2f} | "
                    f"{early_mb:.1f} | |"
                )
            if mode != "coarsest":
                opened = statistics.median(r["open_seconds"] for r in runs)
                print(f"|   (of which opening, metadata only) | | {opened:.2f} | | |")


if __name__ == "__main__":
    main()
