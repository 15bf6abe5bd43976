"""Oriented points draw each particle's frame as the portal's viewer does: x, y, z triads."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from portal_files import PortalFiles

from napari_cryoet_explorer.io import read_annotation_file
from napari_cryoet_explorer.io.layers import AXIS_COLORS
from napari_cryoet_explorer.io.names import TRIAD, axis_name, portal_names
from napari_cryoet_explorer.io.points import auto_vector_length
from napari_cryoet_explorer.io.spacing import nearest_neighbour_distance
from napari_cryoet_explorer.opening import openable_files, plan
from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.replica.server import ReplicaServer

Layer = tuple[Any, dict[str, Any], str]


def _ribosomes(files: PortalFiles, **options: Any) -> list[Layer]:
    path = files.source(files.annotation("ribosome", "_orientedpoint.ndjson"))
    return read_annotation_file(path, **options)


def _truth(files: PortalFiles) -> tuple[np.ndarray, np.ndarray]:
    truth = files.truth["objects"]["ribosome"]
    return (
        np.asarray(truth["centres_zyx_angstrom"], dtype=float),
        np.asarray(truth["xyz_rotation_matrices"], dtype=float),
    )


def _median_nn(world: np.ndarray) -> float:
    d = np.linalg.norm(world[:, None, :] - world[None, :, :], axis=-1)
    np.fill_diagonal(d, np.inf)
    return float(np.median(d.min(axis=1)))


@pytest.mark.parametrize("length", [None, 50.0], ids=["auto", "50A"])
def test_triads_are_the_rotation_columns(files: PortalFiles, length: float | None) -> None:
    points, vectors = _ribosomes(files, vector_length=length, all_axes=True)
    centres, rotations = _truth(files)
    assert vectors[2] == "vectors"
    assert vectors[1]["metadata"]["axis"] == TRIAD
    n = len(centres)
    assert n >= 2
    scale = np.asarray(vectors[1]["scale"])
    data = np.asarray(vectors[0]).reshape(n, 3, 2, 3)  # particle, axis, anchor/direction
    world_length = vectors[1]["metadata"]["vector_length_angstrom"]
    if length is not None:
        assert world_length == pytest.approx(length)
    # Anchored at the particle, which is where the ground truth puts it.
    world_points = np.asarray(points[0]) * np.asarray(points[1]["scale"])
    assert np.allclose(world_points, centres, atol=1e-6)
    for axis in range(3):
        assert np.allclose(data[:, axis, 0] * scale, centres, atol=1e-6)
        # The particle's axis is a column of R (xyz), drawn in napari's zyx order.
        expected = rotations[:, :, axis][:, ::-1] * world_length
        assert np.allclose(data[:, axis, 1] * scale, expected, atol=1e-6)
    # x red, y green, z blue: each vector's colour is strongest in its own channel.
    colours = np.asarray(vectors[1]["edge_color"]).reshape(n, 3, 4)
    assert np.array_equal(colours[:, :, :3].argmax(axis=2), np.tile([0, 1, 2], (n, 1)))
    # Each vector says which particle and axis it draws.
    assert list(vectors[1]["features"]["particle"]) == np.repeat(np.arange(n), 3).tolist()
    assert list(vectors[1]["features"]["axis"]) == list("xyz") * n


def test_z_axis_only(local_files: PortalFiles) -> None:
    points, vectors = _ribosomes(local_files, vector_length=80.0, all_axes=False)
    centres, rotations = _truth(local_files)
    assert vectors[1]["metadata"]["axis"] == "z"
    assert vectors[1]["name"] == f"{points[1]['name']} z axis"
    data = np.asarray(vectors[0])
    assert data.shape == (len(centres), 2, 3)
    world = data[:, 1] * np.asarray(vectors[1]["scale"])
    assert np.allclose(world, rotations[:, :, 2][:, ::-1] * 80.0, atol=1e-6)
    assert np.allclose(vectors[1]["edge_color"][:, :3].argmax(axis=1), 2)


def test_points_keep_the_rotation_exactly(local_files: PortalFiles) -> None:
    path = local_files.annotation("ribosome", "_orientedpoint.ndjson")
    in_file = np.array(
        [json.loads(line)["xyz_rotation_matrix"] for line in path.read_text().splitlines()],
        dtype=np.float64,
    )
    points = _ribosomes(local_files, all_axes=True)[0]
    features = points[1]["features"]
    for i, row in enumerate("xyz"):
        for j, col in enumerate("xyz"):
            column = np.asarray(features[f"r{row}{col}"])
            assert column.dtype == np.float64
            assert np.array_equal(column, in_file[:, i, j])  # bit for bit
    assert np.allclose(in_file, _truth(local_files)[1], atol=1e-9)


def test_auto_length_keeps_neighbouring_triads_apart(files: PortalFiles) -> None:
    _, vectors = _ribosomes(files, all_axes=True)
    centres, _ = _truth(files)
    length = vectors[1]["metadata"]["vector_length_angstrom"]
    assert 0 < length < _median_nn(centres) / 2
    assert "nearest-neighbour" in vectors[1]["metadata"]["vector_length_rule"]
    drawn = np.linalg.norm(np.asarray(vectors[0])[:, 1] * np.asarray(vectors[1]["scale"]), axis=1)
    assert np.allclose(drawn, length)


def test_napari_builds_the_triads_layer(files: PortalFiles) -> None:
    """float32 vectors, a colour per axis and a categorical axis, as napari holds them."""
    from napari.layers import Vectors

    _, (data, kwargs, kind) = _ribosomes(files, all_axes=True)
    assert kind == "vectors" and data.dtype == np.float32
    layer = Vectors(data, **kwargs)
    n = len(data) // 3
    colours = np.asarray(layer.edge_color).reshape(n, 3, 4)
    for axis, name in enumerate("xyz"):
        assert np.allclose(colours[:, axis], AXIS_COLORS[name])
    assert list(layer.features["axis"].cat.categories) == ["x", "y", "z"]
    assert layer.features["axis"].tolist() == list("xyz") * n
    assert layer.features["particle"].tolist() == np.repeat(np.arange(n), 3).tolist()
    assert np.array_equal(layer.data, data)


def test_nearest_neighbour_distance() -> None:
    rng = np.random.default_rng(0)
    grid = np.stack(np.meshgrid(*[np.arange(6)] * 3, indexing="ij"), axis=-1).reshape(-1, 3)
    positions = grid * 300.0 + rng.uniform(-1, 1, grid.shape)
    assert nearest_neighbour_distance(positions) == pytest.approx(_median_nn(positions))
    assert nearest_neighbour_distance(positions[:1]) is None
    assert nearest_neighbour_distance(np.repeat(positions[:1], 3, axis=0)) is None
    # Sparse particles keep a bounded length; one particle the default.
    far, rule = auto_vector_length(positions * 100)
    assert far < _median_nn(positions * 100) / 2 and "kept within" in rule
    assert auto_vector_length(positions[:1])[1].startswith("default")


def test_names_say_triad_or_axis() -> None:
    assert (
        axis_name("TS_1 ribosome 7 (OrientedPoint)", TRIAD)
        == "TS_1 ribosome 7 (OrientedPoint) axes"
    )
    assert axis_name("TS_1 ribosome 7 (OrientedPoint)", "z") == (
        "TS_1 ribosome 7 (OrientedPoint) z axis"
    )
    meta = {
        "object_name": "ribosome",
        "shape_type": "OrientedPoint",
        "axis": TRIAD,
        "source": "/d/10000/TS_1/Reconstructions/VoxelSpacing10.000/Annotations/7/r.ndjson",
    }
    layer = (np.zeros((0, 2, 3)), {"name": "x", "metadata": meta}, "vectors")
    assert portal_names([layer])[0][1]["name"] == "TS_1 ribosome 7 (OrientedPoint) axes"


@pytest.mark.parametrize(
    ("orientation", "suffix", "per_particle"),
    [("triads", " axes", 3), ("z axis", " z axis", 1), ("none", None, 0)],
)
def test_plan_passes_the_orientation_choice(
    tiny_replica: ReplicaServer, orientation: Any, suffix: str | None, per_particle: int
) -> None:
    with PortalClient(tiny_replica.url) as client:
        run = client.run(10000, "TS_001")
        spacing = next(v for v in run.voxel_spacings if v.voxel_spacing == 10.0)
        contents = client.voxel_spacing_contents(spacing.id)
    tomogram = sorted(contents.tomograms, key=lambda t: not t.is_visualization_default)[0]
    files = [
        (a, f) for a, f in openable_files(contents, tomogram) if f.shape_type == "OrientedPoint"
    ]
    assert len(files) == 1
    steps = plan(
        contents,
        tomogram,
        files,
        run_name=run.name,
        include_tomogram=False,
        download_folders=[],
        orientation=orientation,
        vector_length=70.0,
    )
    layers = [layer for step in steps for layer in step.run()]
    points = [layer for layer in layers if layer[2] == "points"]
    vectors = [layer for layer in layers if layer[2] == "vectors"]
    assert len(points) == 1
    if suffix is None:
        assert vectors == []
        return
    (data, kwargs, _) = vectors[0]
    assert kwargs["name"] == points[0][1]["name"] + suffix
    assert len(data) == per_particle * len(points[0][0])
    lengths = np.linalg.norm(np.asarray(data)[:, 1] * np.asarray(kwargs["scale"]), axis=1)
    assert np.allclose(lengths, 70.0)
