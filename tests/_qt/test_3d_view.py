"""A 3D view that reads: oblique camera, volumes finer than their coarsest level."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from napari_cryoet_explorer._qt.view_3d import OBLIQUE_ANGLES, camera_of, looks_straight_down
from napari_cryoet_explorer._qt.widget import ExplorerWidget
from napari_cryoet_explorer.io.layers import POINT_DIAMETER_ANGSTROM, level_for_3d
from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.replica.server import ReplicaServer

TIMEOUT = 30_000


def _open(widget: ExplorerWidget, server: ReplicaServer, qtbot: Any) -> None:
    """Open TS_001's first voxel spacing with the annotations ticked by default."""
    with PortalClient(server.url) as client:
        run = client.run(10000, "TS_001")
        contents = client.voxel_spacing_contents(run.voxel_spacings[0].id)
    widget.open_panel.set_contents(contents, run.name)
    with qtbot.waitSignal(widget.layers_opened, timeout=TIMEOUT):
        widget.open_panel.open_button.click()
    qtbot.waitUntil(lambda: all(layer.loaded for layer in widget.viewer.layers), timeout=TIMEOUT)


def _of(widget: ExplorerWidget, kind: str) -> list[Any]:
    return [layer for layer in widget.viewer.layers if type(layer).__name__ == kind]


def _volumes(widget: ExplorerWidget) -> list[Any]:
    return [layer for layer in widget.viewer.layers if getattr(layer, "multiscale", False)]


def test_budget_picks_the_finest_level_that_fits() -> None:
    shapes = [(400, 800, 800), (200, 400, 400), (100, 200, 200)]
    assert level_for_3d(shapes, budget=200 * 400 * 400) == 1
    assert level_for_3d(shapes, budget=400 * 800 * 800) == 0
    assert level_for_3d(shapes, budget=10) == 2  # nothing fits: the coarsest


def test_switching_to_3d_after_opening(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, qtbot: Any
) -> None:
    _open(widget, tiny_replica, qtbot)
    masks = _of(widget, "Labels")
    assert masks and all(mask.multiscale for mask in masks)
    image = _of(widget, "Image")[0]
    flat_contrast = tuple(image.contrast_limits)

    widget.viewer.dims.ndisplay = 3
    angles = tuple(camera_of(widget.viewer).angles)
    assert not looks_straight_down(angles)
    assert not np.allclose(angles, (0, 0, 90))
    assert np.allclose(angles, OBLIQUE_ANGLES)
    for layer in _volumes(widget):
        coarsest = len(layer.level_shapes) - 1
        assert layer.data_level == level_for_3d(layer.level_shapes) < coarsest, layer.name
    qtbot.waitUntil(lambda: all(layer.loaded for layer in widget.viewer.layers), timeout=TIMEOUT)
    for mask in masks:  # what napari draws is the finer level's data
        assert mask._slice.image.raw.shape == tuple(mask.level_shapes[mask.data_level])
    # The projection's contrast starts above the plane's, so noise does not fill the box.
    assert image.contrast_limits[0] > flat_contrast[0]

    # Points are sized in Angstrom: the same diameter whatever the voxel spacing, and
    # larger than a voxel, so they show at the tomogram's scale.
    for points in _of(widget, "Points"):
        diameter = float(np.mean(points.size)) * points.scale[0]
        assert diameter == pytest.approx(POINT_DIAMETER_ANGSTROM)
        assert diameter > 2 * image.scale[0]

    widget.viewer.dims.ndisplay = 2  # napari chooses levels again; contrast as it was
    assert all(layer.locked_data_level is None for layer in _volumes(widget))
    assert tuple(image.contrast_limits) == pytest.approx(flat_contrast)


def test_opening_in_3d_refines_the_new_layers(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, qtbot: Any
) -> None:
    widget.open_panel.three_d.setChecked(True)
    _open(widget, tiny_replica, qtbot)
    assert widget.viewer.dims.ndisplay == 3
    volumes = _volumes(widget)
    assert len(volumes) >= 2  # the tomogram and its masks
    for layer in volumes:  # not left on the coarse first picture
        assert layer.data_level == level_for_3d(layer.level_shapes) < len(layer.level_shapes) - 1


def test_a_rotated_camera_is_left_alone(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, qtbot: Any
) -> None:
    _open(widget, tiny_replica, qtbot)
    widget.viewer.dims.ndisplay = 3
    chosen = (12.0, -40.0, 70.0)
    camera_of(widget.viewer).angles = chosen
    widget.viewer.dims.ndisplay = 2
    widget.viewer.dims.ndisplay = 3
    assert np.allclose(camera_of(widget.viewer).angles, chosen)
    # A user's own level lock survives the switch too.
    mask = _of(widget, "Labels")[0]
    widget.viewer.dims.ndisplay = 2
    mask.locked_data_level = len(mask.level_shapes) - 1
    widget.viewer.dims.ndisplay = 3
    assert mask.locked_data_level == len(mask.level_shapes) - 1
