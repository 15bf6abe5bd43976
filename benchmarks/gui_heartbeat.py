"""GUI responsiveness while browsing and opening: the heartbeat test, repeated.

Runs ``tests/_qt/test_widget.py::test_gui_heartbeat_during_expand_and_open`` (a 10 ms
QTimer while the widget connects, expands dataset -> run -> voxel spacing and opens a
tomogram with five annotations, 100 ms added to every request) in fresh pytest processes,
and prints, for background (napari's asynchronous slicing) and foreground loading side
by side, the median and range of the longest gap, and of the longest gap that no full
garbage collection overlaps.

Usage: ``python benchmarks/gui_heartbeat.py [--repeats 5]`` (pytest-xvfb gives the
viewer a display).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

TEST = "tests/_qt/test_widget.py::test_gui_heartbeat_during_expand_and_open"


def _run_once(junit: Path) -> dict[str, dict[str, float]]:
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", TEST, f"--junitxml={junit}"],
        check=True,
        capture_output=True,
    )
    found: dict[str, dict[str, float]] = {}
    for case in ET.parse(junit).iter("testcase"):
        mode = case.get("name", "").rsplit("[", 1)[-1].rstrip("]")
        found[mode] = {
            p.get("name", ""): float(p.get("value", "nan")) for p in case.iter("property")
        }
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            runs.append(_run_once(Path(tmp) / f"run{i}.xml"))
    print(f"{args.repeats} runs, each in a fresh process; milliseconds, median [min-max]")
    print("| loading | longest gap | longest gap outside full GCs |")
    print("| --- | ---: | ---: |")
    for mode in ("background", "foreground"):
        cells = []
        for key in ("longest_heartbeat_gap_ms", "longest_heartbeat_gap_outside_gc_ms"):
            values = [run[mode][key] for run in runs]
            cells.append(
                f"{statistics.median(values):,.0f} [{min(values):,.0f}-{max(values):,.0f}]"
            )
        print(f"| {mode} | {cells[0]} | {cells[1]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
