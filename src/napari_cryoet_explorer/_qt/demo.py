"""``napari-cryoet-explorer demo``: the replica on synthetic data, opened in napari."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ..opening import default_tomogram, openable_files, plan
from ..portal.client import PortalClient
from ..portal.models import Tomogram
from ..replica.cache import cached_portal
from ..replica.server import ReplicaServer


def demo_layers(server_url: str) -> tuple[list[Any], Tomogram]:
    """LayerData of the first run's default tomogram and its matching annotations.

    Everything goes through the portal client and the file server, as it would
    against the real portal.
    """
    with PortalClient(server_url) as client:
        dataset = client.datasets()[0]
        run = client.runs(dataset.id)[0]
        contents = client.voxel_spacing_contents(run.voxel_spacings[0].id)
    tomogram = default_tomogram(contents)
    steps = plan(contents, tomogram, openable_files(contents, tomogram), run_name=run.name)
    return [layer for step in steps for layer in step.run()], tomogram


def run_demo(data: str | None = None, screenshot: str | None = None) -> int:
    """Start the replica, open napari with a tomogram and its annotations.

    Parameters
    ----------
    data : str, optional
        A generated portal folder; default: the cached demo portal (made on first use).
    screenshot : str, optional
        Save a picture of the window to this path and exit.
    """
    import napari
    from napari.layers import Layer
    from qtpy.QtWidgets import QApplication

    folder = Path(data) if data else cached_portal("demo")
    with ReplicaServer(folder) as server:
        print(f"replica: {server.url}", flush=True)
        layers, tomogram = demo_layers(server.url)
        viewer = napari.Viewer(title="napari-cryoet-explorer demo", show=True)
        for data_, kwargs, layer_type in layers:
            viewer.add_layer(Layer.create(data_, kwargs, layer_type))
        # A slab a few voxels thick shows the particles near the slice, not only those cut.
        viewer.dims.thickness = (4 * tomogram.voxel_spacing, *viewer.dims.thickness[1:])
        viewer.dims.set_current_step(0, tomogram.size_zyx[0] // 2)
        viewer.reset_view()
        if screenshot:
            viewer.window._qt_window.resize(1400, 900)
            for _ in range(20):
                QApplication.processEvents()
            viewer.screenshot(screenshot, canvas_only=False)
            print(f"screenshot: {screenshot}", flush=True)
            viewer.close()
            return 0
        napari.run()
    return 0


if __name__ == "__main__":
    sys.exit(run_demo(*sys.argv[1:2]))
