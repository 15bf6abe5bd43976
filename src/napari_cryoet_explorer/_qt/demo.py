"""``napari-cryoet-explorer demo``: the replica on synthetic data, opened in napari."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ..io import read_annotation_file, read_tomogram
from ..portal.client import PortalClient
from ..portal.models import Tomogram, files_for_tomogram
from ..replica.cache import cached_portal
from ..replica.server import ReplicaServer

# Formats the readers draw; meshes (glb) and duplicate MRC masks are left out.
_OPENABLE = {"ndjson", "zarr"}


def demo_layers(server_url: str) -> tuple[list[Any], Tomogram]:
    """LayerData of the first run's default tomogram and its matching annotations.

    Everything goes through the portal client and the file server, as it would
    against the real portal.
    """
    with PortalClient(server_url) as client:
        dataset = client.datasets()[0]
        run = client.runs(dataset.id)[0]
        contents = client.voxel_spacing_contents(run.voxel_spacings[0].id)
    tomograms = sorted(contents.tomograms, key=lambda t: (not t.is_visualization_default, t.id))
    tomogram = tomograms[0]
    assert tomogram.https_omezarr_dir is not None
    layers: list[Any] = [
        read_tomogram(
            tomogram.https_omezarr_dir,
            voxel_spacing=tomogram.voxel_spacing,
            name=f"{run.name} tomogram {tomogram.id}",
            metadata=dict(tomogram.fields),
        )
    ]
    for annotation, file in files_for_tomogram(contents.annotations, tomogram):
        if file.format not in _OPENABLE:
            continue
        layers += read_annotation_file(
            file.https_path,
            voxel_spacing=tomogram.voxel_spacing,
            shape_type=file.shape_type,
            object_name=annotation.object_name,
            run_name=run.name,
            metadata={"annotation": dict(annotation.fields), "file": dict(file.fields)},
        )
    return layers, tomogram


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
