"""Instance points: one palette colour per instance id, the same for every point of it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from napari_cryoet_explorer.io import read_annotation_file
from napari_cryoet_explorer.io.colors import PALETTE
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal


def test_each_instance_has_its_palette_colour(tiny_portal: GeneratedPortal) -> None:
    path = next(Path(tiny_portal.root, "10000", "TS_001").rglob("*_instancesegmentation.ndjson"))
    ((data, kwargs, kind),) = read_annotation_file(path)
    assert kind == "points" and len(data) > 1
    ids = np.asarray(kwargs["features"]["instance_id"])
    assert len(set(ids.tolist())) > 1
    colors = np.asarray(kwargs["face_color"])
    assert colors.shape == (len(data), 4) and colors.dtype == np.float32
    palette = np.asarray(PALETTE, dtype=np.float32)  # as napari holds colours
    for i, instance in enumerate(ids):
        assert np.array_equal(colors[i], palette[int(instance) % len(PALETTE)])
