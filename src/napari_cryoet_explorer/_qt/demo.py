"""``napari-cryoet-explorer demo``: the replica on synthetic data, browsed and opened in napari."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..portal.client import PortalClient
from ..portal.models import Tomogram
from ..replica.server import ReplicaServer
from ..synthetic.cache import cache_root, cached_portal
from .launch import add_layers, dock_explorer, run_layers, screenshot, settle, show_slab


def demo_layers(server_url: str) -> tuple[list[Any], Tomogram]:
    """LayerData of the first run's default tomogram and its matching annotations.

    Everything goes through the portal client and the file server, as it would
    against the real portal.
    """
    with PortalClient(server_url) as client:
        dataset = client.datasets()[0]
        return run_layers(client, client.runs(dataset.id)[0])


def run_demo(data: str | None = None, screenshot_path: str | None = None, ndisplay: int = 2) -> int:
    """Start the replica, open napari with the explorer connected and a run loaded.

    Parameters
    ----------
    data : str, optional
        A generated portal folder; default: the cached demo portal (made on first use).
    screenshot_path : str, optional
        Save a picture of the window to this path and exit.
    ndisplay : int
        2 or 3 dimensions.
    """
    import napari

    if data:
        folder = Path(data)
    else:
        # The first demo writes its portal (a few hundred MB, some seconds): say where.
        print(f"demo data: a synthetic portal in {cache_root()}, written once", flush=True)
        folder = cached_portal("demo")
    with ReplicaServer(folder) as server:
        print(f"replica: {server.url}", flush=True)
        viewer = napari.Viewer(title="napari-cryoet-explorer demo", show=True)
        widget = dock_explorer(viewer, server.url)
        layers, tomogram = demo_layers(server.url)
        add_layers(viewer, layers)
        show_slab(viewer, tomogram.voxel_spacing)
        viewer.dims.ndisplay = ndisplay
        settle(widget)
        # Show where the open run sits in the tree: dataset -> run -> voxel spacing.
        first = widget.tree.topLevelItem(0)
        if first is not None:
            first.setExpanded(True)
            settle(widget)
            run_item = first.child(0)
            if run_item is not None:
                run_item.setExpanded(True)
                spacing = run_item.child(0)
                if spacing is not None:
                    spacing.setExpanded(True)
                    settle(widget)
                    # Its first tomogram: the metadata panel shows the key photo too.
                    widget.tree.setCurrentItem(spacing.child(0) or spacing)
                    settle(widget)
        if screenshot_path:
            screenshot(viewer, screenshot_path)
            print(f"screenshot: {screenshot_path}", flush=True)
            viewer.close()
            return 0
        napari.run()
    return 0
