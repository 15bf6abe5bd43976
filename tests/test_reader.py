"""Drag and drop: the npe2 reader on files and folders of a download, in a real viewer."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from napari_cryoet_explorer._reader import get_reader
from napari_cryoet_explorer._sample_data import synthetic_run
from napari_cryoet_explorer.io import ReaderError
from napari_cryoet_explorer.io.colors import object_color
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.replica.synthetic import GeneratedPortal

PLUGIN = "napari-cryoet-explorer"
RUN = "10000/TS_001"


def _truth(portal: GeneratedPortal, obj: str) -> np.ndarray:
    return np.asarray(portal.ground_truth["runs"][RUN]["objects"][obj]["centres_zyx_angstrom"])


def _kinds(viewer: Any) -> list[str]:
    return sorted(type(layer).__name__ for layer in viewer.layers)


def test_run_folder_opens_aligned_layers(
    make_napari_viewer: Callable[..., Any], tiny_portal: GeneratedPortal
) -> None:
    viewer = make_napari_viewer()
    viewer.open(tiny_portal.root / RUN, plugin=PLUGIN)
    assert _kinds(viewer) == ["Image", "Labels", "Labels", "Points", "Points", "Points", "Vectors"]
    for layer in viewer.layers:
        assert np.allclose(layer.scale, 10.0), layer.name  # finest spacing, in Angstrom
    image = viewer.layers[0]
    assert type(image).__name__ == "Image" and image.name == "TS_001 tomogram 100"
    assert image.multiscale and len(image.data) == 3
    # Only the first alignment's annotations: they sit on the ground truth.
    for obj, shape in [
        ("ribosome", "OrientedPoint"),
        ("nucleosome", "Point"),
        ("vesicle", "InstanceSegmentation"),
    ]:
        layer = viewer.layers[f"TS_001 {obj} ({shape})"]
        assert np.allclose(layer.data * layer.scale, _truth(tiny_portal, obj))
    ribosomes = viewer.layers["TS_001 ribosome (OrientedPoint)"]
    assert np.allclose(ribosomes.face_color, object_color("ribosome"))
    assert list(ribosomes.features.columns)[:3] == ["rxx", "rxy", "rxz"]
    vesicles = viewer.layers["TS_001 vesicle (InstanceSegmentation)"]
    assert list(vesicles.features["instance_id"]) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert len(np.unique(vesicles.face_color, axis=0)) == 3
    mask = viewer.layers["TS_001 nucleosome (SegmentationMask)"]
    assert mask.multiscale and np.allclose(mask.get_color(1), object_color("nucleosome"))
    # All of it shares one world: the extent is the tomogram's box in Angstrom.
    box = tiny_portal.ground_truth["runs"][RUN]["box_zyx_angstrom"]
    assert np.allclose(image.extent.world[1] - image.extent.world[0], box, atol=10.0)


@pytest.mark.parametrize(
    ("relative", "spacing", "n_layers"),
    [
        (f"{RUN}/Reconstructions/VoxelSpacing20.000", 20.0, 7),
        (f"{RUN}/Reconstructions", 10.0, 7),
        (f"{RUN}/Reconstructions/VoxelSpacing10.000/Tomograms/101", 10.0, 7),
        ("10000", 10.0, 7),
    ],
)
def test_other_folders_in_a_viewer(
    make_napari_viewer: Callable[..., Any],
    tiny_portal: GeneratedPortal,
    relative: str,
    spacing: float,
    n_layers: int,
) -> None:
    viewer = make_napari_viewer()
    if relative == "10000":
        with pytest.warns(UserWarning, match="opened TS_001 only"):
            viewer.open(tiny_portal.root / relative, plugin=PLUGIN)
    else:
        viewer.open(tiny_portal.root / relative, plugin=PLUGIN)
    assert len(viewer.layers) == n_layers
    assert sum(type(layer).__name__ == "Image" for layer in viewer.layers) == 1
    for layer in viewer.layers:
        assert np.allclose(layer.scale, spacing), layer.name


def test_dropped_files_find_their_voxel_spacing(
    make_napari_viewer: Callable[..., Any], tiny_portal: GeneratedPortal
) -> None:
    spacing_dir = tiny_portal.root / RUN / "Reconstructions" / "VoxelSpacing20.000"
    tomogram = next(spacing_dir.glob("Tomograms/*/*.zarr"))
    ndjson = next(spacing_dir.glob("Annotations/*/ribosome-1.0_orientedpoint.ndjson"))
    mask = next(spacing_dir.glob("Annotations/*/vesicle-1.0_instancesegmentationmask.mrc"))
    viewer = make_napari_viewer()
    for path in (tomogram, ndjson, mask):
        viewer.open(path, plugin=PLUGIN)
    assert [type(layer).__name__ for layer in viewer.layers] == [
        "Image",
        "Points",
        "Vectors",
        "Labels",
    ]
    for layer in viewer.layers:
        assert np.allclose(layer.scale, 20.0), layer.name
    points = viewer.layers["TS_001 ribosome (OrientedPoint)"]
    assert np.allclose(points.data * points.scale, _truth(tiny_portal, "ribosome"))


def test_url_of_a_tomogram(
    make_napari_viewer: Callable[..., Any],
    tiny_portal: GeneratedPortal,
    tiny_replica: ReplicaServer,
) -> None:
    tomogram = next(
        (tiny_portal.root / RUN).glob("Reconstructions/VoxelSpacing10.000/Tomograms/100/*.zarr")
    )
    url = f"{tiny_replica.files_url}/{tomogram.relative_to(tiny_portal.root).as_posix()}"
    assert get_reader(url) is not None
    viewer = make_napari_viewer()
    viewer.open(url, plugin=PLUGIN)
    (layer,) = viewer.layers
    assert layer.multiscale and np.allclose(layer.scale, 10.0)


def test_sample_data(
    make_napari_viewer: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    layers = synthetic_run()
    assert {kind for _, _, kind in layers} == {"image", "points", "vectors", "labels"}
    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "synthetic-run")
    assert len(viewer.layers) == len(layers)


def test_broken_file_raises_a_message_naming_it(tmp_path: Path) -> None:
    cut = tmp_path / "cut.mrc"
    cut.write_bytes(b"\0" * 100)
    reader = get_reader(str(cut))
    assert reader is not None
    with pytest.raises(ReaderError, match="cut.mrc"):
        reader(str(cut))


def test_declines_what_is_not_ours(tmp_path: Path, tiny_replica: ReplicaServer) -> None:
    plain = tmp_path / "notes.txt"
    plain.write_text("hello")
    other_zarr = tmp_path / "plain.zarr"
    other_zarr.mkdir()
    (other_zarr / ".zgroup").write_text('{"zarr_format": 2}')
    cells = tmp_path / "cells.zarr"
    cells.mkdir()
    (cells / ".zattrs").write_text(
        json.dumps({"multiscales": [{"axes": ["c", "z", "y", "x"], "datasets": []}]})
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    for path in (
        str(plain),
        str(other_zarr),
        str(cells),
        str(empty),
        str(tmp_path / "missing.ndjson"),
        f"{tiny_replica.files_url}/nothing.zarr",
        ["a", "b"],
        42,
        None,
    ):
        assert get_reader(path) is None, path
