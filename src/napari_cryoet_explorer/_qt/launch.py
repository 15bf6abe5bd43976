"""Start napari with the explorer docked and a run loaded (``open`` and ``demo`` commands)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..opening import default_tomogram, openable_files, plan
from ..portal.client import PortalClient
from ..portal.models import Run, Tomogram

if TYPE_CHECKING:
    import napari

    from .widget import ExplorerWidget

PLUGIN = "napari-cryoet-explorer"


def parse_target(target: str) -> tuple[int, str, float | None]:
    """``DATASET_ID/RUN_NAME[/VOXEL_SPACING]`` as (id, run, spacing)."""
    parts = [p for p in target.strip("/").split("/") if p]
    if len(parts) not in (2, 3) or not parts[0].isdigit():
        raise ValueError(f"expected DATASET_ID/RUN_NAME[/VOXEL_SPACING] or a path, got {target!r}")
    spacing = float(parts[2].removeprefix("VoxelSpacing")) if len(parts) == 3 else None
    return int(parts[0]), parts[1], spacing


def run_layers(
    client: PortalClient, run: Run, spacing: float | None = None
) -> tuple[list[Any], Tomogram]:
    """LayerData of a run's default tomogram (at a spacing) and its matching annotations."""
    vs = client.find_voxel_spacing(run, spacing) if spacing is not None else run.voxel_spacings[0]
    contents = client.voxel_spacing_contents(vs.id)
    tomogram = default_tomogram(contents)
    steps = plan(contents, tomogram, openable_files(contents, tomogram), run_name=run.name)
    return [layer for step in steps for layer in step.run()], tomogram


def portal_layers(url: str | None, target: str) -> list[Any]:
    """LayerData for ``DATASET_ID/RUN_NAME[/VOXEL_SPACING]``."""
    return portal_run(url, target)[0]


def portal_run(url: str | None, target: str) -> tuple[list[Any], Run, float, Tomogram]:
    """LayerData for ``DATASET_ID/RUN_NAME[/VOXEL_SPACING]``, with the run, the voxel
    spacing and the tomogram they show (for the dock to select)."""
    dataset_id, run_name, spacing = parse_target(target)
    with PortalClient(url) as client:
        run = client.run(dataset_id, run_name)
        layers, tomogram = run_layers(client, run, spacing)
    return layers, run, tomogram.voxel_spacing, tomogram


def dock_explorer(viewer: napari.Viewer, url: str | None) -> ExplorerWidget:
    """Dock the explorer widget and connect it to ``url`` (default: the public portal)."""
    from .widget import ExplorerWidget

    widget = ExplorerWidget(viewer)
    viewer.window.add_dock_widget(widget, name="CryoET Explorer", area="right")
    widget.connect_to_portal(url or widget.url_edit.text())
    return widget


def add_layers(viewer: napari.Viewer, layers: list[Any]) -> None:
    """Add LayerData tuples to the viewer."""
    from .layer_queue import create_layer

    for layer in layers:
        viewer.add_layer(create_layer(*layer))


def settle(widget: ExplorerWidget, timeout_s: float = 60.0) -> None:
    """Process Qt events until the widget's jobs are done and every layer has its slice."""
    from qtpy.QtWidgets import QApplication

    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        QApplication.processEvents()
        idle = not widget.jobs.busy and not widget.revealing
        if idle and all(layer.loaded for layer in widget.viewer.layers):
            break
        time.sleep(0.01)
    for _ in range(10):
        QApplication.processEvents()


def show_slab(viewer: napari.Viewer, voxel_spacing: float | None) -> None:
    """A slab a few voxels thick around a particle's plane, so nearby particles show."""
    if voxel_spacing:
        viewer.dims.thickness = (4 * voxel_spacing, *viewer.dims.thickness[1:])
    # Start on a particle's plane, so the first view shows annotations on the image.
    points = [
        layer for layer in viewer.layers if type(layer).__name__ == "Points" and len(layer.data)
    ]
    if points:
        z = float(points[0].data[0][0] * points[0].scale[0])
    else:
        z_range = viewer.dims.range[0]
        z = (z_range.start + z_range.stop) / 2
    viewer.dims.set_point(0, z)
    viewer.reset_view()


def screenshot(
    viewer: napari.Viewer, path: str | Path, size: tuple[int, int] = (1500, 950)
) -> None:
    """Save a picture of the whole window."""
    from qtpy.QtWidgets import QApplication

    viewer.window._qt_window.resize(*size)
    for _ in range(20):
        QApplication.processEvents()
    # Fit the data to the canvas at its final size, keeping a 3D camera's angles.
    viewer.fit_to_view()
    for _ in range(20):
        QApplication.processEvents()
    viewer.screenshot(str(path), canvas_only=False)


def run_open(target: str, url: str | None = None, screenshot_path: str | None = None) -> int:
    """``napari-cryoet-explorer open``: a portal run or a local path, with the explorer docked."""
    import napari

    # Read the portal first: a bad target or an unreachable portal fails before any window.
    opened = None if Path(target).exists() else portal_run(url, target)
    viewer = napari.Viewer(title="napari-cryoet-explorer", show=True)
    widget = dock_explorer(viewer, url)
    if opened is None:
        viewer.open(target, plugin=PLUGIN)
    else:
        layers, run, spacing, tomogram = opened
        add_layers(viewer, layers)
        # The dock shows what was loaded: its run expanded, the tomogram selected.
        widget.reveal(run.dataset_id, run.name, spacing, tomogram.id)
    image = next((layer for layer in viewer.layers if type(layer).__name__ == "Image"), None)
    show_slab(viewer, float(image.scale[0]) if image is not None else None)
    if screenshot_path:
        settle(widget)
        screenshot(viewer, screenshot_path)
        viewer.close()
        return 0
    napari.run()
    return 0
