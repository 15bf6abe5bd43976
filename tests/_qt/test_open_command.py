"""``napari-cryoet-explorer open``: a portal run or a local path, explorer docked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from imageio.v3 import imread

from napari_cryoet_explorer._qt.launch import parse_target, portal_layers
from napari_cryoet_explorer.portal.errors import PortalNotFoundError
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal

needs_display = pytest.mark.skipif(
    not os.environ.get("DISPLAY"), reason="needs an X display (pytest-xvfb)"
)


def _open(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "napari_cryoet_explorer.cli", "open", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_parse_target() -> None:
    assert parse_target("10000/TS_026") == (10000, "TS_026", None)
    assert parse_target("10000/TS_026/VoxelSpacing13.480") == (10000, "TS_026", 13.48)
    with pytest.raises(ValueError, match="DATASET_ID/RUN_NAME"):
        parse_target("TS_026")


def test_portal_layers_at_a_voxel_spacing(tiny_replica: ReplicaServer) -> None:
    layers = portal_layers(tiny_replica.url, "10000/TS_002/20")
    assert layers[0][2] == "image"
    assert all(tuple(kw["scale"]) == (20.0, 20.0, 20.0) for _, kw, _ in layers)


def test_open_names_what_is_missing(tiny_replica: ReplicaServer) -> None:
    with pytest.raises(PortalNotFoundError, match="no dataset 99999"):
        portal_layers(tiny_replica.url, "99999/TS_001")
    with pytest.raises(PortalNotFoundError, match="no run 'TS_999' in dataset 10000"):
        portal_layers(tiny_replica.url, "10000/TS_999")


@needs_display
def test_open_portal_run_screenshot(tiny_replica: ReplicaServer, tmp_path: Path) -> None:
    shot = tmp_path / "open.png"
    result = _open("--url", tiny_replica.url, "10000/TS_001", "--screenshot", str(shot))
    assert result.returncode == 0, result.stderr[-3000:]
    picture = imread(shot)
    assert (picture[..., :3].max(axis=-1) > 40).mean() > 0.05


@needs_display
def test_open_local_path_and_errors(tiny_portal: GeneratedPortal, tmp_path: Path) -> None:
    shot = tmp_path / "local.png"
    result = _open(str(tiny_portal.root / "10000" / "TS_002"), "--screenshot", str(shot))
    assert result.returncode == 0, result.stderr[-3000:]
    assert shot.is_file()
    bad = _open("--url", "http://127.0.0.1:9/graphql", "10000/TS_001")
    assert bad.returncode == 1
    assert "cannot reach http://127.0.0.1:9/graphql" in bad.stderr
