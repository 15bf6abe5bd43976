"""Tilt series in the explorer: the tree row, opening the stack, the angle shown."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from napari_cryoet_explorer._qt.tilt_angle import angle_text, text_overlay
from napari_cryoet_explorer._qt.tree import PortalTree
from napari_cryoet_explorer._qt.tree_columns import COUNT, NAME, QUALITY, SIZE, TITLE
from napari_cryoet_explorer._qt.widget import ExplorerWidget
from napari_cryoet_explorer.portal.models import TiltSeries
from napari_cryoet_explorer.portal.vocabulary import quality_label
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal

TIMEOUT = 30_000


def _children(item: Any) -> list[Any]:
    return [item.child(i) for i in range(item.childCount())]


def _expand(widget: ExplorerWidget, item: Any, qtbot: Any) -> None:
    item.setExpanded(True)
    qtbot.waitUntil(
        lambda: not PortalTree.needs_children(item) and not widget.jobs.busy, timeout=TIMEOUT
    )


def _run_item(widget: ExplorerWidget, source: str, qtbot: Any, run: str = "TS_001") -> Any:
    widget.connect_to_portal(source)
    qtbot.waitUntil(
        lambda: widget.tree.topLevelItemCount() >= 1 and not widget.jobs.busy, timeout=TIMEOUT
    )
    tops = [widget.tree.topLevelItem(i) for i in range(widget.tree.topLevelItemCount())]
    (dataset,) = [t for t in tops if t.text(NAME) == "10000"]
    _expand(widget, dataset, qtbot)
    (item,) = [r for r in _children(dataset) if r.text(NAME) == run]
    _expand(widget, item, qtbot)
    return item


def _open(widget: ExplorerWidget, row: Any, qtbot: Any) -> Any:
    widget._double_clicked(row, 0)
    qtbot.waitUntil(
        lambda: len(widget.viewer.layers) == 1 and not widget.jobs.busy, timeout=TIMEOUT
    )
    return widget.viewer.layers[0]


def _sliced_at(layer: Any) -> int:
    """The tilt index of the slice the layer holds."""
    return round(float(layer._slice.slice_input.world_slice.point[0]))


def _move_to(widget: ExplorerWidget, layer: Any, index: int, qtbot: Any) -> None:
    widget.viewer.dims.set_current_step(0, index)
    # With background loading (napari's asynchronous slicing) the slice lands later.
    qtbot.waitUntil(lambda: layer.loaded and _sliced_at(layer) == index, timeout=TIMEOUT)


def _check_angles(widget: ExplorerWidget, layer: Any, truth: dict[str, Any], qtbot: Any) -> None:
    angles = truth["angles"]
    overlay = text_overlay(widget.viewer)
    assert widget.viewer.dims.axis_labels[0] == "tilt"
    for index in (0, 7, len(angles) - 1):
        _move_to(widget, layer, index, qtbot)
        assert overlay.visible
        assert f"tilt {angles[index]:+.1f}°" in overlay.text, overlay.text
        assert f"image {index + 1} of {len(angles)}" in overlay.text
        # The image shown is that tilt's: the slice napari draws is the file's plane.
        np.testing.assert_allclose(
            np.asarray(layer._slice.image.raw), np.asarray(layer.data[0][index]), rtol=1e-6
        )
    layer.visible = False
    assert not overlay.visible and angle_text(widget.viewer) == ""


def test_replica_tilt_series_row_opens_the_stack_with_angles(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal, qtbot: Any
) -> None:
    run = _run_item(widget, tiny_replica.url, qtbot)
    rows = [r for r in _children(run) if PortalTree.kind(r) == "tiltseries"]
    kinds = [PortalTree.kind(r) for r in _children(run)]
    assert kinds == ["spacing", "spacing", "tiltseries"]  # beside the voxel spacings
    (row,) = rows
    (entity,) = [
        t for t in tiny_portal.entities["Tiltseries"] if t["runId"] == int(run.text(TITLE))
    ]
    assert row.text(NAME) == f"tilt series {entity['id']}"
    assert row.text(COUNT) == f"{entity['sizeZ']} images"
    assert row.text(QUALITY) == quality_label(entity["tiltSeriesQuality"])
    assert row.text(SIZE) == f"{entity['sizeX']}×{entity['sizeY']}×{entity['sizeZ']}"
    assert isinstance(PortalTree.node_model(row), TiltSeries)

    # Selecting it shows its sections in the metadata panel.
    widget.tree.setCurrentItem(row)
    qtbot.waitUntil(lambda: not widget.jobs.busy, timeout=TIMEOUT)
    files = widget.metadata.rows("Tilt series files")
    assert files["Angle List"].text(1).endswith("/TiltSeries/100/TS_001.rawtlt")
    assert widget.metadata.rows("Tilt series")["Camera Model"].text(1) == entity["cameraModel"]

    truth = tiny_portal.ground_truth["runs"]["10000/TS_001"]["tiltseries"][0]
    layer = _open(widget, row, qtbot)
    assert layer.name == f"TS_001 tilt series {entity['id']}"
    assert layer.data[0].shape == tuple(truth["shape_zyx"])
    assert tuple(layer.scale) == pytest.approx(
        (1.0, truth["pixel_spacing"], truth["pixel_spacing"])
    )
    _check_angles(widget, layer, truth, qtbot)


def test_download_folder_tilt_series_opens_the_same_way(
    widget: ExplorerWidget, tiny_portal: GeneratedPortal, qtbot: Any
) -> None:
    run = _run_item(widget, str(tiny_portal.root / "10000"), qtbot, "TS_002")
    (row,) = [r for r in _children(run) if PortalTree.kind(r) == "tiltseries"]
    assert row.text(NAME) == "tilt series 100"  # the folder's number
    truth = tiny_portal.ground_truth["runs"]["10000/TS_002"]["tiltseries"][0]
    layer = _open(widget, row, qtbot)
    assert layer.data[0].shape == tuple(truth["shape_zyx"])
    _check_angles(widget, layer, truth, qtbot)


def _copy_run(portal: GeneratedPortal, tmp_path: Path) -> Path:
    """A download folder of dataset 10000 holding run TS_001 alone, to spoil at will."""
    copy = tmp_path / "10000"
    (copy / "TS_001").mkdir(parents=True)
    shutil.copyfile(portal.root / "10000/dataset_metadata.json", copy / "dataset_metadata.json")
    for part in ("run_metadata.json", "TiltSeries", "Reconstructions"):
        source = portal.root / "10000/TS_001" / part
        target = copy / "TS_001" / part
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copyfile(source, target)
    return copy


def test_mismatched_angle_list_opens_without_angles_and_says_so(
    widget: ExplorerWidget, tiny_portal: GeneratedPortal, tmp_path: Path, qtbot: Any
) -> None:
    copy = _copy_run(tiny_portal, tmp_path)
    angle_list = copy / "TS_001/TiltSeries/100/TS_001.rawtlt"
    angle_list.write_text("0.0\n1.0\n")
    run = _run_item(widget, str(copy), qtbot)
    (row,) = [r for r in _children(run) if PortalTree.kind(r) == "tiltseries"]
    layer = _open(widget, row, qtbot)
    assert layer.metadata["tilt_angles"] is None
    assert "TS_001.rawtlt: 2 tilt angles for the 41 images" in widget.status.text()
    _move_to(widget, layer, 4, qtbot)
    assert text_overlay(widget.viewer).text == f"{layer.name}: image 5, no tilt angles"


def test_selecting_a_tilt_series_offers_it_to_the_open_button(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal, qtbot: Any
) -> None:
    panel = widget.open_panel
    viewer = widget.viewer
    viewer.add_image(np.zeros((2, 8, 8), dtype=np.float32), name="before")
    viewer.dims.ndisplay = 3
    run = _run_item(widget, tiny_replica.url, qtbot)
    (row,) = [r for r in _children(run) if PortalTree.kind(r) == "tiltseries"]
    truth = tiny_portal.ground_truth["runs"]["10000/TS_001"]["tiltseries"][0]
    n_images, height, width = truth["shape_zyx"]

    widget.tree.setCurrentItem(row)
    assert panel.isEnabled() and panel.open_button.isEnabled()
    assert panel.open_button.text() == "Open tilt series"
    assert panel.tiltseries_label.isVisibleTo(panel)
    label = panel.tiltseries_label.text()
    assert f"TS_001 tilt series {truth['id']}" in label
    assert f"{n_images} images of {width}×{height}" in label
    # A tilt series has no tomogram, resolution, annotations or 3D view to choose.
    assert panel.tomogram.count() == 0 and not panel.tomogram.isEnabled()
    assert panel.annotations.count() == 0 and not panel.annotations.isEnabled()
    assert not panel.three_d.isEnabled()

    panel.keep_layers.setChecked(False)
    with qtbot.waitSignal(widget.layers_opened, timeout=TIMEOUT) as opened:
        panel.open_button.click()
    assert opened.args == [1]
    (layer,) = viewer.layers  # "before" went: keep existing layers was unticked
    assert layer.name == f"TS_001 tilt series {truth['id']}"
    assert layer.data[0].shape == tuple(truth["shape_zyx"])
    assert viewer.dims.ndisplay == 2  # the stack reads image by image
    angles = truth["angles"]
    assert widget.status.text().startswith(
        f"opened {layer.name} ({n_images} images, tilt {min(angles):+.1f}° to {max(angles):+.1f}°)"
    )
    assert not panel.busy and panel.open_button.isEnabled()
    _check_angles(widget, layer, truth, qtbot)

    # A voxel spacing row gives the panel back to the tomograms.
    spacing = next(r for r in _children(run) if PortalTree.kind(r) == "spacing")
    widget.tree.setCurrentItem(spacing)
    qtbot.waitUntil(lambda: panel.contents is not None, timeout=TIMEOUT)
    assert panel.open_button.text() == "Open"
    assert panel.offered_tiltseries() is None
    assert not panel.tiltseries_label.isVisibleTo(panel)
    assert panel.tomogram.count() > 0 and panel.tomogram.isEnabled()
    assert panel.three_d.isEnabled()


def test_a_broken_tilt_series_stack_is_named_and_opens_nothing(
    widget: ExplorerWidget, tiny_portal: GeneratedPortal, tmp_path: Path, qtbot: Any
) -> None:
    copy = _copy_run(tiny_portal, tmp_path)
    stack = copy / "TS_001/TiltSeries/100/TS_001.zarr"
    (stack / ".zattrs").write_text("this is not JSON")
    run = _run_item(widget, str(copy), qtbot)
    (row,) = [r for r in _children(run) if PortalTree.kind(r) == "tiltseries"]
    widget.tree.setCurrentItem(row)
    widget.open_panel.open_button.click()
    qtbot.waitUntil(lambda: not widget.open_panel.busy, timeout=TIMEOUT)
    status = widget.status.text()
    assert status.startswith("cannot open TS_001 tilt series 100"), status
    assert str(stack) in status
    assert len(widget.viewer.layers) == 0
    assert widget.open_panel.open_button.isEnabled()
