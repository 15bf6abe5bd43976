"""Screenshot of the Download dialog with a download under way, beside the explorer.

Serves the ``tiny`` synthetic portal from a local replica, docks the explorer in
napari, selects a run, opens its Download dialog and starts a download slowed by the
replica's latency, then saves the window and the dialog side by side::

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python scripts/screenshot_download.py \
        docs/screenshots/download-dialog.png
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from qtpy.QtCore import QPoint, Qt
from qtpy.QtGui import QPainter, QPixmap
from qtpy.QtWidgets import QApplication
from screenshot_filters import wait  # this folder is on sys.path when run as a script

from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.synthetic.portal import generate_portal

LATENCY_MS = 250  # slow enough that the progress shows part way


def main(path: str) -> int:
    # Keep the remembered download folder out of the user's own configuration.
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="cryoet-config-")
    import napari

    from napari_cryoet_explorer._qt.widget import ExplorerWidget

    work = Path(tempfile.mkdtemp(prefix="cryoet-screenshot-"))
    portal = generate_portal(work / "portal", "tiny")
    server = ReplicaServer(portal.root).start()
    try:
        viewer = napari.Viewer(title="napari-cryoet-explorer", show=True)
        window = viewer.window._qt_window
        window.resize(1250, 950)
        window.move(0, 0)
        widget = ExplorerWidget(viewer)
        dock = viewer.window.add_dock_widget(widget, name="CryoET Explorer", area="right")
        window.resizeDocks([dock], [620], Qt.Orientation.Horizontal)
        idle = lambda: not widget.jobs.busy  # noqa: E731
        widget.connect_to_portal(server.url)
        wait(lambda: widget.tree.topLevelItemCount() > 0 and idle())
        dataset = widget.tree.topLevelItem(0)
        dataset.setExpanded(True)
        wait(lambda: dataset.childCount() > 0 and dataset.child(0).text(0) == "TS_001" and idle())
        run = dataset.child(0)
        widget.tree.setCurrentItem(run)
        wait(idle)
        dialog = widget.handoffs.open_download_dialog()
        assert dialog is not None
        dialog.dest_edit.setText(str(work / "downloads"))
        dialog.replan()
        wait(lambda: dialog.survey is not None)
        dialog.move(window.width() + 10, 0)
        server.latency_ms = LATENCY_MS
        dialog.start_button.click()
        wait(lambda: dialog.progress.value() >= dialog.progress.maximum() * 0.4)
        for _ in range(10):
            QApplication.processEvents()
            time.sleep(0.02)
        shot_window, shot_dialog = window.grab(), dialog.grab()
        dialog.cancel()
        wait(lambda: not dialog.downloading)
        gap = 16
        canvas = QPixmap(
            shot_window.width() + gap + shot_dialog.width(),
            max(shot_window.height(), shot_dialog.height()),
        )
        canvas.fill(Qt.GlobalColor.darkGray)
        painter = QPainter(canvas)
        painter.drawPixmap(QPoint(0, 0), shot_window)
        painter.drawPixmap(QPoint(shot_window.width() + gap, 0), shot_dialog)
        painter.end()
        canvas.save(path)
        server.latency_ms = 0
        viewer.close()
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"saved {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "download-dialog.png"))
