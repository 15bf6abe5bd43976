"""Screenshot of the dock with filters active, the run table and an annotation's panel.

Serves the ``portal`` preset's metadata (600 datasets) from a local replica, docks the
explorer in napari, sets a few filters, expands a matching dataset down to an
annotation and saves the window::

    xvfb-run -a .venv/bin/python scripts/screenshot_filters.py docs/screenshots/explorer-filters.png
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QApplication

from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.replica.store import Store
from napari_cryoet_explorer.synthetic.presets import PRESETS
from napari_cryoet_explorer.synthetic.scale import portal_entities


def wait(until: Callable[[], bool], timeout_s: float = 120.0) -> None:
    """Process Qt events until ``until()`` holds."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        QApplication.processEvents()
        if until():
            return
        time.sleep(0.02)
    raise TimeoutError("the widget did not settle")


def main(path: str) -> int:
    import napari

    from napari_cryoet_explorer._qt.widget import ExplorerWidget

    server = ReplicaServer(Store(portal_entities(PRESETS["portal"], np.random.default_rng(0))))
    server.start()
    try:
        viewer = napari.Viewer(title="napari-cryoet-explorer", show=True)
        viewer.window._qt_window.resize(1500, 1150)
        widget = ExplorerWidget(viewer)
        dock = viewer.window.add_dock_widget(widget, name="CryoET Explorer", area="right")
        viewer.window._qt_window.resizeDocks([dock], [760], Qt.Orientation.Horizontal)
        idle = lambda: not widget.jobs.busy and not widget.filtering.timer.isActive()  # noqa: E731
        widget.connect_to_portal(server.url)
        wait(idle)
        panel = widget.filter_panel
        panel.collapsible.expand(animate=False)
        wait(idle)
        for facet, value in (("object", "ribosome"), ("camera", "Gatan")):
            listing = panel.facet_lists[facet]
            for i in range(listing.count()):
                item = listing.item(i)
                if item is not None and item.data(Qt.ItemDataRole.UserRole) == value:
                    item.setCheckState(Qt.CheckState.Checked)
        panel.ground_truth.setChecked(True)
        panel.tilt_range.setValue((100.0, 180.0))
        wait(idle)
        # Folded, the filters leave their chips (and the room to the tables).
        panel.collapsible.collapse(animate=False)
        dataset = widget.tree.topLevelItem(0)
        dataset.setExpanded(True)
        wait(idle)
        run = dataset.child(0)
        run.setExpanded(True)
        wait(idle)
        spacing = run.child(0)
        spacing.setExpanded(True)
        wait(idle)
        # The first annotation under the spacing (under its first alignment, if several).
        node = spacing
        while node.childCount() and widget.tree.kind(node.child(0)) == "alignment":
            node.child(0).setExpanded(True)
            node = node.child(0)
        annotation = next(
            (
                node.child(i)
                for i in range(node.childCount())
                if widget.tree.kind(node.child(i)) == "annotation"
            ),
            spacing,
        )
        widget.tree.setCurrentItem(annotation)
        wait(idle)
        for _ in range(20):
            QApplication.processEvents()
            time.sleep(0.02)
        viewer.window._qt_window.grab().save(path)
        viewer.close()
    finally:
        server.stop()
    print(f"saved {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "explorer-filters.png"))
