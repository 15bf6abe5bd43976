"""A tilt series dropped on napari (the plugin's reader, no explorer widget) shows its
tilt angle as the widget does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from napari_cryoet_explorer._qt import tilt_angle
from napari_cryoet_explorer._qt.tilt_angle import (
    display_for,
    show_on_current_viewer,
    text_overlay,
)
from napari_cryoet_explorer._qt.widget import ExplorerWidget
from napari_cryoet_explorer._reader import get_reader
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal

PLUGIN = "napari-cryoet-explorer"
TIMEOUT = 30_000


def _truth(portal: GeneratedPortal, run: str = "10000/TS_001") -> dict[str, Any]:
    (tilt,) = portal.ground_truth["runs"][run]["tiltseries"]
    return dict(tilt)


def _dropped(portal: GeneratedPortal, what: str) -> Path:
    """What a user drops: the run's TiltSeries folder, one tilt series' folder, or
    its stack file."""
    truth = _truth(portal)
    folder = portal.root / truth["path"]
    return {
        "TiltSeries folder": folder.parent,
        "TiltSeries/<id> folder": folder,
        ".mrc": portal.root / truth["mrc"],
        ".zarr": portal.root / truth["zarr"],
    }[what]


def _step_and_check(viewer: Any, layer: Any, angles: list[float], qtbot: Any) -> None:
    overlay = text_overlay(viewer)
    assert viewer.dims.axis_labels[0] == "tilt"
    for index in (0, 1, len(angles) // 2, len(angles) - 1):
        viewer.dims.set_current_step(0, index)
        qtbot.waitUntil(lambda i=index: viewer.dims.current_step[0] == i, timeout=TIMEOUT)
        assert overlay.visible
        assert overlay.text == (
            f"{layer.name}: tilt {angles[index]:+.1f}° (image {index + 1} of {len(angles)})"
        )


@pytest.mark.parametrize("what", ["TiltSeries folder", "TiltSeries/<id> folder", ".mrc", ".zarr"])
def test_dropped_tilt_series_shows_its_tilt_angle(
    what: str,
    tiny_portal: GeneratedPortal,
    make_napari_viewer: Callable[..., Any],
    qtbot: Any,
) -> None:
    viewer = make_napari_viewer()
    truth = _truth(tiny_portal)
    (layer,) = viewer.open(str(_dropped(tiny_portal, what)), plugin=PLUGIN)
    assert layer.metadata["tilt_angles"] == pytest.approx(truth["angles"])
    _step_and_check(viewer, layer, truth["angles"], qtbot)
    # Hidden, the tilt series no longer speaks; removed, the overlay goes.
    layer.visible = False
    assert not text_overlay(viewer).visible
    layer.visible = True
    assert text_overlay(viewer).visible
    viewer.layers.remove(layer)
    assert not text_overlay(viewer).visible


def test_two_tilt_series_each_show_their_angle(
    tiny_portal: GeneratedPortal, make_napari_viewer: Callable[..., Any], qtbot: Any
) -> None:
    viewer = make_napari_viewer()
    # Two tilt schemes: 41 images from -60° and 51 from -50°.
    first, second = (_truth(tiny_portal, run) for run in ("10000/TS_001", "10001/TS_101"))
    for truth in (first, second):
        viewer.open(str(tiny_portal.root / truth["path"]), plugin=PLUGIN)
    viewer.dims.set_current_step(0, 3)
    # One display per viewer, however many tilt series were read: no line twice.
    assert text_overlay(viewer).text.splitlines() == [
        f"TS_101 tilt series 100: tilt {second['angles'][3]:+.1f}° (image 4 of 51)",
        f"TS_001 tilt series 100: tilt {first['angles'][3]:+.1f}° (image 4 of 41)",
    ]


def test_the_widget_shares_the_readers_display(
    tiny_portal: GeneratedPortal, make_napari_viewer: Callable[..., Any], qtbot: Any
) -> None:
    viewer = make_napari_viewer()
    truth = _truth(tiny_portal)
    (layer,) = viewer.open(str(tiny_portal.root / truth["path"]), plugin=PLUGIN)
    widget = ExplorerWidget(viewer)  # docked after the drop
    qtbot.addWidget(widget)
    assert widget.tiltseries.angle_display is display_for(viewer)
    _step_and_check(viewer, layer, truth["angles"], qtbot)


def test_a_tomogram_read_leaves_the_overlay_alone(
    tiny_portal: GeneratedPortal, make_napari_viewer: Callable[..., Any]
) -> None:
    viewer = make_napari_viewer()
    text_overlay(viewer).text = "the user's own text"
    tomogram = next(tiny_portal.root.glob("10000/TS_001/Reconstructions/*/Tomograms/*/*.zarr"))
    (layer,) = viewer.open(str(tomogram), plugin=PLUGIN)
    assert "tilt_angles" not in layer.metadata
    viewer.dims.set_current_step(0, 2)
    assert text_overlay(viewer).text == "the user's own text"


def test_without_a_viewer_the_reader_only_reads(tiny_portal: GeneratedPortal) -> None:
    assert show_on_current_viewer() is None  # no napari window in this test
    folder = tiny_portal.root / _truth(tiny_portal)["path"]
    reader = get_reader(str(folder))
    assert reader is not None
    ((data, kwargs, kind),) = reader(str(folder))
    assert kind == "image" and kwargs["metadata"]["tilt_angles"]
    assert np.asarray(data[0][0]).ndim == 2


def test_a_failing_display_costs_the_angle_only(
    tiny_portal: GeneratedPortal,
    make_napari_viewer: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken() -> None:
        raise RuntimeError("no overlay today")

    monkeypatch.setattr(tilt_angle, "show_on_current_viewer", broken)
    viewer = make_napari_viewer()
    folder = tiny_portal.root / _truth(tiny_portal)["path"]
    (layer,) = viewer.open(str(folder), plugin=PLUGIN)
    assert layer.metadata["tilt_angles"]
    assert f"{folder}: the tilt angles cannot be shown: no overlay today" in caplog.text
