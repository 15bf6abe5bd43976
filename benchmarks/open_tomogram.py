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
  refined one (``-dask-cache``: the same with napari's dask cache on for the layer;
  ``-from-zarr``: the same with ``NAPARI_CRYOET_EXPLORER_PLANE_CHUNKS=0``, levels as
  ``da.from_zarr``);
* coarsest level in memory: the whole coarsest level read into a numpy array, then
  shown (what a reader that loads one level eagerly does);
* plain napari: ``viewer.add_image([da.from_zarr(url/level) ...], multiscale=True)`` on
  the same URL, napari's defaults (synchronous slicing);
* empty viewer: the same viewer with no layer, the memory baseline.

Memory: a thread in the napari process samples its resident set (``VmRSS``) every few
milliseconds; the peak while opening and while scrolling is reported above the resident
set just before opening (the empty, shown viewer). Scrolling: after the first slice,
``--steps`` moves along z at the level napari shows, half of them one plane at a time
(inside the same chunks), half of them ``--stride`` planes (across chunk boundaries);
each step is timed until its slice is in, and the bytes the replica sent meanwhile are
counted.

Bytes are counted by the replica (bodies sent), requests likewise.

Usage: ``xvfb-run -a -s "-screen 0 1920x1080x24" python benchmarks/open_tomogram.py [--shape 512 1024 1024]
[--latency-ms 50] [--repeats 3] [--cache /tmp/cryoet-bench] [--modes ...] [--steps 20]`` (the viewer needs a display;
``xvfb-run`` gives one on a headless machine). The "ours" modes read levels as the
explorer does by default: the plane-chunk reading of ``io/plane_chunks.py``, whose
knobs (``NAPARI_CRYOET_EXPLORER_CHUNK_LOADS``, ``NAPARI_CRYOET_EXPLORER_PLANE_CACHE_MB``)
pass through from the environment.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.synthetic.portal import generate_portal

MODES = (
    "empty",
    "ours",
    "ours-level0",
    "ours-coarse-first",
    "ours-coarse-first-dask-cache",
    "ours-coarse-first-from-zarr",
    "napari",
    "coarsest",
)
# Modes that scroll through z after the first slice.
SCROLLED = (
    "ours",
    "ours-coarse-first",
    "ours-coarse-first-dask-cache",
    "ours-coarse-first-from-zarr",
    "napari",
)
LABELS = {
    "empty": "empty viewer (baseline)",
    "ours": "ours: open + first slice in napari",
    "ours-level0": "ours: open + one full-resolution slice",
    "ours-coarse-first": "ours, coarse first (background loading): refined",
    "ours-coarse-first-dask-cache": "ours, coarse first, napari's dask cache on",
    "ours-coarse-first-from-zarr": "ours, coarse first, `da.from_zarr` levels (switch off)",
    "napari": "plain napari, `da.from_zarr` per level: open + first slice",
    "coarsest": "whole coarsest level into memory, shown",
}


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


def _rss_mb() -> float:
    """This process's resident set now, in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / 1e6
    return float("nan")


class PeakRss:
    """Samples the resident set in a thread; ``peak()`` is the largest seen since the
    last ``reset()`` (VmHWM cannot be read per phase)."""

    def __init__(self, every: float = 0.003) -> None:
        self._peak = _rss_mb()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)
        self._thread.start()

    def _run(self, every: float) -> None:
        while not self._stop.wait(every):
            now = _rss_mb()
            with self._lock:
                self._peak = max(self._peak, now)

    def reset(self) -> None:
        with self._lock:
            self._peak = _rss_mb()

    def peak(self) -> float:
        now = _rss_mb()
        with self._lock:
            return max(self._peak, now)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _scroll(viewer: Any, layer: Any, steps: int, stride: int) -> list[tuple[float, float]]:
    """Move along z ``steps`` times; each step's wall-clock start and end (slice in).

    The first half moves one plane back at a time (napari starts in the middle, at the
    end of a chunk for an even number of chunks: these steps stay inside it), the rest
    ``stride`` planes forward. A step ends
    when napari has set the new slice's data and the layer reports it loaded.
    """
    from qtpy.QtWidgets import QApplication

    app = QApplication.instance()
    landed = [0]

    def count(_event: Any = None) -> None:
        landed[0] += 1

    layer.events.set_data.connect(count)
    level = int(layer.data_level)
    data = layer.data[level] if layer.multiscale else layer.data
    z_scale = float(layer.scale[0]) * (layer.level_shapes[0][0] / data.shape[0])
    z = int(round((viewer.dims.point[0] - float(layer.translate[0])) / z_scale))
    times = []
    for i in range(steps):
        z += -1 if i < steps // 2 else stride
        z %= data.shape[0]
        before = landed[0]
        start = time.time()
        viewer.dims.set_point(0, float(layer.translate[0]) + z * z_scale)
        while landed[0] == before or not layer.loaded:
            app.processEvents()
            time.sleep(0.001)
        times.append((start, time.time()))
    layer.events.set_data.disconnect(count)
    return times


def child(mode: str, url: str, steps: int, stride: int) -> dict[str, Any]:
    """One measurement in this (fresh) process; prints what it saw."""
    import napari
    import numpy as np

    from napari_cryoet_explorer.io import read_tomogram

    viewer = napari.Viewer(show=True)
    viewer.window.resize(1280, 900)
    from qtpy.QtWidgets import QApplication

    settle_start = time.perf_counter()
    while time.perf_counter() - settle_start < 1.0:  # the empty viewer drawn
        QApplication.instance().processEvents()
        time.sleep(0.005)
    baseline = _rss_mb()
    sampler = PeakRss()
    start = time.perf_counter()
    if mode == "empty":
        viewer.close()
        sampler.stop()
        return {"mode": mode, "baseline_mb": baseline, "open_peak_mb": sampler.peak()}
    if mode == "napari":
        import dask.array as da

        data, kwargs, _ = read_tomogram(url)  # for the scale only; its arrays unused
        data = [da.from_zarr(f"{url}/{i}") for i in range(len(data))]
        kwargs = {"scale": kwargs["scale"], "multiscale": True, "name": "plain"}
    else:
        data, kwargs, _ = read_tomogram(url)
    opened = time.perf_counter() - start
    first = first_wall = None
    layer = None
    if mode.startswith("ours-coarse-first"):
        from napari.layers import Image
        from qtpy.QtWidgets import QApplication

        from napari_cryoet_explorer._qt.layer_queue import add_coarse_first

        if mode.endswith("dask-cache"):
            # napari's global cache of computed blocks (a quarter of the machine's
            # memory by default), which the reader turns off for plane-chunk levels.
            kwargs = {**kwargs, "cache": True}
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
    open_peak = sampler.peak()
    steps_at: list[tuple[float, float]] = []
    scroll_peak = None
    if mode in SCROLLED and layer is not None and steps:
        sampler.reset()
        steps_at = _scroll(viewer, layer, steps, stride)
        scroll_peak = sampler.peak()
    sampler.stop()
    viewer.close()
    return {
        "baseline_mb": baseline,
        "open_peak_mb": open_peak,
        "scroll_peak_mb": scroll_peak,
        "steps": steps_at,
        "scroll_level": None if layer is None else int(layer.data_level),
        "mode": mode,
        "seconds": done - start,
        "first_picture_seconds": first,
        "first_picture_wall": first_wall,
        "open_seconds": opened,
        "level": level,
        "shape": list(shape),
    }


def measure(mode: str, url: str, server: ReplicaServer, args: argparse.Namespace) -> dict[str, Any]:
    server.clear_log()
    # Background loading (napari's asynchronous slicing) for the explorer's way only;
    # from the environment, so napari does not save it into the user's settings.
    # Each child its own on-disk chunk cache, empty: every chunk comes over HTTP once.
    chunks = tempfile.mkdtemp(prefix="open-tomogram-chunks-")
    env = {
        **os.environ,
        "NAPARI_ASYNC": "1" if mode.startswith("ours-coarse-first") else "0",
        "NAPARI_CRYOET_EXPLORER_CACHE": chunks,
    }
    if mode.endswith("from-zarr"):
        env["NAPARI_CRYOET_EXPLORER_PLANE_CHUNKS"] = "0"
    child_args = ["--steps", str(args.steps), "--stride", str(args.stride)]
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", mode, "--url", url, *child_args],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
    finally:
        shutil.rmtree(chunks, ignore_errors=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    records = [r for r in server.records("file") if r.status in (200, 206)]
    result["bytes"] = sum(r.bytes for r in records)
    if result.get("first_picture_wall"):
        # Requests that arrived before the first picture was on screen.
        early = [r for r in records if r.time <= result["first_picture_wall"]]
        result["first_picture_bytes"] = sum(r.bytes for r in early)
    result["requests"] = len(server.records("file"))
    steps = result.get("steps") or []
    if steps:
        scrolled = [r for r in records if r.time >= steps[0][0]]
        result["requests"] -= len(scrolled)
        result["bytes"] -= sum(r.bytes for r in scrolled)  # opening's bytes only
        result["step_seconds"] = [end - begin for begin, end in steps]
        result["step_bytes"] = [
            sum(r.bytes for r in scrolled if begin <= r.time <= end) for begin, end in steps
        ]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=int, nargs=3, default=[512, 1024, 1024])
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/cryoet-bench"))
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--steps", type=int, default=20, help="z steps scrolled")
    parser.add_argument("--stride", type=int, default=37, help="planes per long step")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.url, args.steps, args.stride)))
        return

    shape = (args.shape[0], args.shape[1], args.shape[2])
    root = portal(args.cache, shape, args.dtype)
    with ReplicaServer(root, latency_ms=args.latency_ms) as server:
        url = f"{server.files_url}/{tomogram_path(root)}"
        print(
            f"tomogram {shape} {args.dtype}, chunks 256^3, {args.latency_ms:g} ms latency, "
            f"median of {args.repeats}"
        )
        # Modes alternate within each repeat, so the machine's drift hits them alike.
        runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in args.modes}
        for _ in range(args.repeats):
            for mode in args.modes:
                runs[mode].append(measure(mode, url, server, args))
        print(json.dumps(runs), file=sys.stderr)  # everything, for a closer look
        _report(runs)


def _median(values: Any) -> float:
    return float(statistics.median(values))


def _report(runs: dict[str, list[dict[str, Any]]]) -> None:
    """Markdown tables: opening (time, bytes, memory), then scrolling through z."""
    print("| what | level shown | seconds | MB fetched | requests | peak MB above empty |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for mode, done in runs.items():
        above = _median(r["open_peak_mb"] - r["baseline_mb"] for r in done)
        if mode == "empty":
            base = _median(r["baseline_mb"] for r in done)
            print(f"| {LABELS[mode]}: {base:.0f} MB resident | | | | | {above:.0f} |")
            continue
        secs = _median(r["seconds"] for r in done)
        mb = _median(r["bytes"] for r in done) / 1e6
        reqs = _median(r["requests"] for r in done)
        first = done[0]
        print(
            f"| {LABELS[mode]} | {first['level']} {tuple(first['shape'])} | {secs:.2f} | "
            f"{mb:.1f} | {reqs:g} | {above:.0f} |"
        )
        if mode.startswith("ours-coarse-first"):
            pictured = _median(r["first_picture_seconds"] for r in done)
            early_mb = _median(r["first_picture_bytes"] for r in done) / 1e6
            print(
                f"|   (of which the first picture, coarsest level) | | {pictured:.2f} | "
                f"{early_mb:.1f} | | |"
            )
        if mode != "coarsest":
            opened = _median(r["open_seconds"] for r in done)
            print(f"|   (of which opening, metadata only) | | {opened:.2f} | | | |")
    scrolled = {m: d for m, d in runs.items() if d and d[0].get("step_seconds")}
    if not scrolled:
        return
    print()
    print(
        "| scrolling through z | level | s per plane, 1-plane steps | MB per plane | "
        "s per plane, long steps | MB per plane | peak MB above empty |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for mode, done in scrolled.items():
        half = len(done[0]["step_seconds"]) // 2
        short_s = _median(s for r in done for s in r["step_seconds"][:half])
        long_s = _median(s for r in done for s in r["step_seconds"][half:])
        short_mb = _median(b for r in done for b in r["step_bytes"][:half]) / 1e6
        long_mb = _median(b for r in done for b in r["step_bytes"][half:]) / 1e6
        peak = _median(r["scroll_peak_mb"] - r["baseline_mb"] for r in done)
        print(
            f"| {LABELS[mode].split(':')[0]} | {done[0]['scroll_level']} | {short_s:.2f} | "
            f"{short_mb:.1f} | {long_s:.2f} | {long_mb:.1f} | {peak:.0f} |"
        )


if __name__ == "__main__":
    main()
