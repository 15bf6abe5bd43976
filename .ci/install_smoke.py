"""Check an installed plugin from inside a napari environment (run under Xvfb).

Run by ``.ci/install-check`` with the Python of a fresh venv that holds napari from PyPI
and the plugin's wheel, nothing from the checkout. It checks, in that environment:

- the plugin is imported from the environment, not from the checkout;
- the Plugins menu lists the explorer and docking it gives the explorer widget, which
  connects to a local replica of a small synthetic portal and lists its datasets;
- napari opens a run folder of that portal through the plugin's reader (tomogram,
  oriented points with their axes, points, masks) and File > Open Sample's run;
- ``napari-cryoet-explorer demo`` opens napari on the portal and saves a picture of
  the window with the run in it.

Exits 0 when all hold; an AssertionError says what did not.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PLUGIN = "napari-cryoet-explorer"
WIDGET = "CryoET Explorer"


def _isolate(work: Path) -> None:
    """Keep napari's settings and the plugin's caches and choices inside ``work``."""
    os.environ["NAPARI_CONFIG"] = str(work / "napari-settings.yaml")
    os.environ["XDG_CACHE_HOME"] = str(work / "cache")
    os.environ["XDG_CONFIG_HOME"] = str(work / "config")


def _wait(condition: Callable[[], bool], what: str, timeout_s: float = 120.0) -> None:
    from qtpy.QtWidgets import QApplication

    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        QApplication.processEvents()
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def check_installed_copy() -> None:
    import napari_cryoet_explorer

    where = Path(napari_cryoet_explorer.__file__).resolve()
    assert Path(sys.prefix).resolve() in where.parents, f"plugin imported from {where}"
    print(f"plugin: {where.parent}", flush=True)


def check_plugins_menu_and_widget(server_url: str, n_datasets: int) -> None:
    import napari
    from qtpy.QtWidgets import QMenu

    viewer = napari.Viewer(show=True)
    try:
        bar = viewer.window._qt_window.menuBar()
        plugins_menu = next(
            action.menu() for action in bar.actions() if action.text().replace("&", "") == "Plugins"
        )
        assert isinstance(plugins_menu, QMenu)
        plugins_menu.aboutToShow.emit()  # napari fills plugin submenus on demand
        entries = [action.text().replace("&", "") for action in plugins_menu.actions()]
        assert any(WIDGET in text for text in entries), entries
        _dock, widget = viewer.window.add_plugin_dock_widget(PLUGIN, WIDGET)
        assert type(widget).__name__ == "ExplorerWidget", type(widget)
        widget.connect_to_portal(server_url)
        _wait(
            lambda: widget.tree.topLevelItemCount() == n_datasets and not widget.jobs.busy,
            f"the explorer to list {n_datasets} datasets",
        )
        print(f"Plugins menu: {WIDGET}; the explorer lists {n_datasets} datasets", flush=True)
    finally:
        viewer.close()


def check_reader_and_sample(run_dir: Path) -> None:
    import napari

    viewer = napari.Viewer(show=True)
    try:
        layers = viewer.open(run_dir, plugin=PLUGIN)
        kinds = {type(layer).__name__ for layer in layers}
        assert {"Image", "Points", "Vectors", "Labels"} <= kinds, kinds
        _wait(lambda: all(layer.loaded for layer in viewer.layers), "the layers' slices")
        image = next(layer for layer in layers if type(layer).__name__ == "Image")
        assert float(abs(image.data[0][0].max())) > 0, "the tomogram reads as zeros"
        print(f"reader: {len(layers)} layers from {run_dir.name} ({sorted(kinds)})", flush=True)
        viewer.layers.clear()
        sample = viewer.open_sample(PLUGIN, "synthetic-run")
        assert len(sample) >= 4, [layer.name for layer in sample]
        print(f"sample data: {len(sample)} layers", flush=True)
    finally:
        viewer.close()


def check_demo_command(portal_root: Path, work: Path) -> None:
    import numpy as np
    from imageio.v3 import imread

    shot = work / "demo.png"
    command = Path(sys.executable).with_name(PLUGIN)
    started = time.monotonic()
    result = subprocess.run(
        [str(command), "demo", "--data", str(portal_root), "--screenshot", str(shot)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    picture = imread(shot)
    assert picture.shape[0] > 300 and picture.shape[1] > 300, picture.shape
    lit = float((np.asarray(picture)[..., :3].max(axis=-1) > 40).mean())
    assert lit > 0.05, f"the demo's window is dark ({lit:.3f} lit)"
    print(
        f"demo command: {shot.name} {picture.shape[1]}x{picture.shape[0]}, "
        f"{time.monotonic() - started:.0f} s",
        flush=True,
    )


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="cryoet-install-") as tmp:
        work = Path(tmp)
        _isolate(work)
        check_installed_copy()

        from napari_cryoet_explorer.replica.server import ReplicaServer
        from napari_cryoet_explorer.synthetic.portal import generate_portal

        portal = generate_portal(work / "portal", "tiny")
        datasets = sorted(p for p in portal.root.iterdir() if p.is_dir() and p.name.isdigit())
        run_dir = next(p for p in sorted(datasets[0].iterdir()) if (p / "Reconstructions").is_dir())
        with ReplicaServer(portal.root) as server:
            check_plugins_menu_and_widget(server.url, len(datasets))
        check_reader_and_sample(run_dir)
        check_demo_command(portal.root, work)
    print("installed plugin: all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
