"""The demo: replica + portal client + readers + napari, end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from imageio.v3 import imread

from napari_cryoet_explorer._qt.demo import demo_layers
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal


def test_demo_layers_are_aligned_in_angstrom(tiny_replica: ReplicaServer) -> None:
    layers, tomogram = demo_layers(tiny_replica.url)
    kinds = [layer_type for _, _, layer_type in layers]
    assert kinds[0] == "image"
    assert {"points", "vectors", "labels"} <= set(kinds)
    for _data, kwargs, _ in layers:
        scale = np.asarray(kwargs["scale"], float)
        # Every layer's finest level maps voxels to Angstrom at the tomogram's spacing.
        assert np.allclose(scale, tomogram.voxel_spacing), (kwargs.get("name"), scale)
    assert tiny_replica.graphql_requests == 3  # datasets, runs, voxel spacing contents


@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X display (pytest-xvfb)")
def test_demo_screenshot(tiny_portal: GeneratedPortal, tmp_path: Path) -> None:
    shot = tmp_path / "demo.png"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "napari_cryoet_explorer.cli",
            "demo",
            "--data",
            str(tiny_portal.root),
            "--screenshot",
            str(shot),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    picture = imread(shot)
    assert picture.shape[0] > 300 and picture.shape[1] > 300
    lit = (picture[..., :3].max(axis=-1) > 40).mean()
    assert lit > 0.05, lit
