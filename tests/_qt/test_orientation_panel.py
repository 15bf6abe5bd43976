"""The open panel's orientation choice reaches the layers opened."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from napari_cryoet_explorer._qt.widget import ExplorerWidget
from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.replica.server import ReplicaServer

TIMEOUT = 30_000


@pytest.mark.parametrize(
    ("choice", "length", "suffix", "per_particle"),
    [("triads", 0.0, " axes", 3), ("z axis", 90.0, " z axis", 1), ("none", 0.0, None, 0)],
)
def test_orientation_choice(
    widget: ExplorerWidget,
    tiny_replica: ReplicaServer,
    qtbot: Any,
    choice: str,
    length: float,
    suffix: str | None,
    per_particle: int,
) -> None:
    with PortalClient(tiny_replica.url) as client:
        run = client.run(10000, "TS_001")
        contents = client.voxel_spacing_contents(run.voxel_spacings[0].id)
    panel = widget.open_panel
    panel.set_contents(contents, run.name)
    assert panel.orientation.currentText() == "triads"  # the portal viewer's way first
    assert panel.vector_length.text() == "auto"
    panel.orientation.setCurrentText(choice)
    panel.vector_length.setValue(length)
    assert panel.vector_length.isEnabled() == (choice != "none")
    with qtbot.waitSignal(widget.layers_opened, timeout=TIMEOUT):
        panel.open_button.click()
    layers = {layer.name: layer for layer in widget.viewer.layers}
    points = next(layer for name, layer in layers.items() if name.endswith("(OrientedPoint)"))
    vectors = [layer for layer in widget.viewer.layers if type(layer).__name__ == "Vectors"]
    if suffix is None:
        assert vectors == []
        return
    assert [layer.name for layer in vectors] == [points.name + suffix]
    data = np.asarray(vectors[0].data)
    assert len(data) == per_particle * len(points.data)
    drawn = np.linalg.norm(data[:, 1] * vectors[0].scale, axis=1)
    expected = length or vectors[0].metadata["vector_length_angstrom"]
    assert np.allclose(drawn, expected)
