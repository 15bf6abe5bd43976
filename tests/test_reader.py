"""Drag and drop: npe2 readers on files and folders of a download."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from napari_cryoet_explorer._reader import get_reader
from napari_cryoet_explorer._sample_data import synthetic_run
from napari_cryoet_explorer.replica.synthetic import GeneratedPortal

PLUGIN = "napari-cryoet-explorer"


def _run_dir(portal: GeneratedPortal) -> Path:
    return portal.root / "10000" / "TS_001"


def test_run_folder_opens_aligned_layers(
    make_napari_viewer: Callable[..., Any], tiny_portal: GeneratedPortal
) -> None:
    viewer = make_napari_viewer()
    viewer.open(_run_dir(tiny_portal), plugin=PLUGIN)
    kinds = sorted(type(layer).__name__ for layer in viewer.layers)
    assert kinds == ["Image", "Labels", "Labels", "Points", "Points", "Points", "Vectors"]
    for layer in viewer.layers:
        assert np.allclose(layer.scale, 10.0), layer.name  # finest spacing, in Angstrom
    image = next(layer for layer in viewer.layers if type(layer).__name__ == "Image")
    assert image.multiscale and len(image.data) == 3
    names = {layer.name for layer in viewer.layers}
    assert "TS_001 ribosome (OrientedPoint)" in names
    # Only the first alignment's annotations: the ribosomes sit on the ground truth.
    ribosomes = viewer.layers["TS_001 ribosome (OrientedPoint)"]
    truth = np.asarray(
        tiny_portal.ground_truth["runs"]["10000/TS_001"]["objects"]["ribosome"][
            "centres_zyx_angstrom"
        ]
    )
    assert np.allclose(ribosomes.data * ribosomes.scale, truth)


@pytest.mark.parametrize(
    ("relative", "n_images", "min_layers"),
    [
        ("10000/TS_001/Reconstructions/VoxelSpacing20.000", 1, 5),
        ("10000/TS_001/Reconstructions", 1, 7),
        ("10000/TS_001/Reconstructions/VoxelSpacing10.000/Tomograms/1", 1, 7),
    ],
)
def test_other_folders(
    tiny_portal: GeneratedPortal, relative: str, n_images: int, min_layers: int
) -> None:
    reader = get_reader(str(tiny_portal.root / relative))
    assert reader is not None
    layers = reader(str(tiny_portal.root / relative))
    assert sum(kind == "image" for _, _, kind in layers) == n_images
    assert len(layers) >= min_layers


def test_annotation_folder_and_files(tiny_portal: GeneratedPortal) -> None:
    spacing_dir = _run_dir(tiny_portal) / "Reconstructions" / "VoxelSpacing20.000"
    ndjson = next(spacing_dir.glob("Annotations/*/ribosome-1.0_orientedpoint.ndjson"))
    reader = get_reader(str(ndjson))
    assert reader is not None
    layers = reader(str(ndjson))
    assert [k for _, _, k in layers] == ["points", "vectors"]
    # A dropped file finds its voxel spacing from the download's metadata.
    assert np.allclose(layers[0][1]["scale"], 20.0)
    folder_layers = get_reader(str(ndjson.parent))(str(ndjson.parent))  # type: ignore[misc]
    assert [k for _, _, k in folder_layers] == ["points", "vectors"]


def test_dataset_folder_opens_one_run_and_says_so(tiny_portal: GeneratedPortal) -> None:
    dataset = tiny_portal.root / "10000"
    reader = get_reader(str(dataset))
    assert reader is not None
    with pytest.warns(UserWarning, match="opened TS_001"):
        layers = reader(str(dataset))
    assert sum(kind == "image" for _, _, kind in layers) == 1


def test_declines_what_is_not_ours(tmp_path: Path) -> None:
    plain = tmp_path / "notes.txt"
    plain.write_text("hello")
    other_zarr = tmp_path / "plain.zarr"
    other_zarr.mkdir()
    (other_zarr / ".zgroup").write_text('{"zarr_format": 2}')
    empty = tmp_path / "empty"
    empty.mkdir()
    for path in (plain, other_zarr, empty, tmp_path / "missing.ndjson", ["a", "b"], 42):
        assert get_reader(path if not isinstance(path, Path) else str(path)) is None


def test_sample_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    layers = synthetic_run()
    assert {kind for _, _, kind in layers} == {"image", "points", "vectors", "labels"}
