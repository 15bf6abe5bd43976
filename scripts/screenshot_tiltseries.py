"""Screenshot of a tilt series opened from the explorer, its tilt angle on the canvas.

Serves the ``tiny`` synthetic portal from a local replica, docks the explorer in
napari, selects run TS_001's tilt series (the open panel offers it), presses Open,
steps the tilt slider and saves the window::

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python scripts/screenshot_tiltseries.py \
        docs/screenshots/explorer-tiltseries.png
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QApplication
from screenshot_filters import wait  # this folder is on sys.path when run as a script

from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.synthetic.portal import generate_portal

RUN = "TS_001"
TILT_INDEX = 30  # +30° in the tiny portal's -60..+60 step 3 scheme


def main(path: str) -> int:
    # Keep the remembered choices out of the user's own configuration.
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="cryoet-config-")
    import napari

    from napari_cryoet_explorer._qt.tree import PortalTree
    from napari_cryoet_explorer._qt.widget import ExplorerWidget

    work = Path(tempfile.mkdtemp(prefix="cryoet-screenshot-"))
    portal = generate_portal(work / "portal", "tiny")
    server = ReplicaServer(portal.root).start()
    try:
        viewer = napari.Viewer(title="napari-cryoet-explorer", show=True)
        window = viewer.window._qt_window
        window.resize(1800, 1000)
        window.move(0, 0)
        widget = ExplorerWidget(viewer)
        dock = viewer.window.add_dock_widget(widget, name="CryoET Explorer", area="right")
        window.resizeDocks([dock], [680], Qt.Orientation.Horizontal)
        idle = lambda: not widget.jobs.busy  # noqa: E731
        widget.connect_to_portal(server.url)
        wait(lambda: widget.tree.topLevelItemCount() > 0 and idle())
        dataset = widget.tree.topLevelItem(0)
        dataset.setExpanded(True)
        wait(lambda: dataset.childCount() > 0 and dataset.child(0).text(0) == RUN and idle())
        run = dataset.child(0)
        run.setExpanded(True)
        wait(lambda: not PortalTree.needs_children(run) and idle())
        row = next(
            run.child(i)
            for i in range(run.childCount())
            if PortalTree.kind(run.child(i)) == "tiltseries"
        )
        widget.tree.setCurrentItem(row)
        wait(idle)
        opened: list[int] = []
        widget.layers_opened.connect(opened.append)
        widget.open_panel.open_button.click()
        wait(lambda: bool(opened) and idle())
        viewer.dims.set_current_step(0, TILT_INDEX)
        wait(lambda: all(layer.loaded for layer in viewer.layers))
        viewer.reset_view()
        for _ in range(20):
            QApplication.processEvents()
            time.sleep(0.02)
        viewer.screenshot(path, canvas_only=False)
        viewer.close()
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"saved {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "explorer-tiltseries.png"))
