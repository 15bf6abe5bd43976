"""Every layer lands where the ground truth says, from local files and over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from portal_files import PortalFiles, matches

from napari_cryoet_explorer.io import read_annotation_file, read_tomogram
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal

POINT_FILES = [
    ("ribosome", "_orientedpoint.ndjson"),
    ("nucleosome", "_point.ndjson"),
    ("vesicle", "_instancesegmentation.ndjson"),
]


def _world(layer: tuple[Any, dict[str, Any], str]) -> np.ndarray:
    data, kwargs, _ = layer
    return np.asarray(data) * np.asarray(kwargs["scale"]) + np.asarray(kwargs.get("translate", 0.0))


@pytest.mark.parametrize("spacing", [10.0, 20.0])
@pytest.mark.parametrize(("obj", "suffix"), POINT_FILES)
def test_points_land_on_ground_truth(
    files: PortalFiles, spacing: float, obj: str, suffix: str
) -> None:
    # No voxel spacing given: it comes from the download's metadata, locally and over HTTP.
    layers = read_annotation_file(files.source(files.annotation(obj, suffix, spacing)))
    assert layers[0][2] == "points"
    assert layers[0][1]["scale"] == (spacing,) * 3
    matches(_world(layers[0]), files.centres(obj), tol=1e-6)
    assert layers[0][1]["name"] == f"TS_001 {obj} ({layers[0][1]['metadata']['shape_type']})"
    if obj == "vesicle":
        ids = list(layers[0][1]["features"]["instance_id"])
        assert ids == files.truth["objects"]["vesicle"]["instance_ids"]
        colors = np.asarray(layers[0][1]["face_color"])
        assert len(np.unique(colors, axis=0)) == len(set(ids))


def test_second_alignment_is_shifted(local_files: PortalFiles) -> None:
    shift = local_files.shift(primary=False)
    assert np.any(shift != 0)
    path = local_files.annotation("ribosome", "_orientedpoint.ndjson", primary=False)
    points = read_annotation_file(path)[0]
    matches(_world(points), local_files.centres("ribosome", primary=False), tol=1e-6)


def test_vectors_follow_rotations(files: PortalFiles) -> None:
    path = files.source(files.annotation("ribosome", "_orientedpoint.ndjson"))
    points, vectors = read_annotation_file(path, vector_length=50.0, all_axes=False)
    assert vectors[2] == "vectors" and vectors[1]["scale"] == points[1]["scale"]
    vec = np.asarray(vectors[0])
    assert np.allclose(vec[:, 0], points[0])  # anchored on the particles
    truth = files.truth["objects"]["ribosome"]
    rotations = np.asarray(truth["xyz_rotation_matrices"])
    # Lines are in the ground truth's order.
    assert np.allclose(_world(points), truth["centres_zyx_angstrom"])
    world_dirs = vec[:, 1] * np.asarray(vectors[1]["scale"])
    assert np.allclose(np.linalg.norm(world_dirs, axis=1), 50.0)
    expected_zyx = rotations[:, :, 2][:, ::-1]  # particle z axis, R @ [0, 0, 1], xyz -> zyx
    assert np.allclose(world_dirs / 50.0, expected_zyx)
    assert np.allclose(expected_zyx[:, ::-1], truth["particle_z_axes_xyz"])
    # Rotation matrices are kept as features, one column per element.
    assert np.allclose(points[1]["features"]["rxz"], rotations[:, 0, 2])

    # By default each particle's x, y and z axes, in one layer (tests/io/test_triads.py).
    every = read_annotation_file(path, vector_length=50.0)
    assert [kind for _, _, kind in every] == ["points", "vectors"]
    data, kwargs, _ = every[1]
    assert kwargs["name"].endswith(" axes")
    dirs = np.asarray(data)[:, 1].reshape(-1, 3, 3) * np.asarray(kwargs["scale"]) / 50.0
    assert np.allclose(dirs, np.transpose(rotations, (0, 2, 1))[:, :, ::-1])


@pytest.mark.parametrize("http", [False, True], ids=["local", "http"])
def test_points_sit_on_blobs_at_every_level(
    sparse_portal: GeneratedPortal, replica_factory: Callable[..., ReplicaServer], http: bool
) -> None:
    """As napari places each pyramid level, every annotated point is on its blob."""
    server = replica_factory(sparse_portal.root) if http else None
    files = PortalFiles(sparse_portal, server=server)
    image = read_tomogram(files.source(files.tomogram(10.0)))
    data, kwargs, kind = image
    assert kind == "image" and kwargs["multiscale"] and len(data) == 3
    levels = [np.asarray(level) for level in data]
    world_points = np.concatenate(
        [
            _world(read_annotation_file(files.source(files.annotation(o, s)))[0])
            for o, s in POINT_FILES
        ]
    )
    scale0 = np.asarray(kwargs["scale"])
    for k, volume in enumerate(levels):
        # napari draws level k with the level-0 scale times its downsample factor.
        factor = np.asarray(levels[0].shape) / np.asarray(volume.shape)
        coords = world_points / (scale0 * factor)
        checked = 0
        for i, c in enumerate(coords):
            others = np.delete(world_points, i, axis=0)
            crowded = np.any(
                np.linalg.norm(others - world_points[i], axis=1) < 3 * scale0[0] * 2**k
            )
            if crowded or np.any(c < 1.5) or np.any(c > np.array(volume.shape) - 2.5):
                continue  # neighbours or the border would pull the centroid
            lo = np.round(c).astype(int) - 1
            patch = np.clip(
                volume[lo[0] : lo[0] + 3, lo[1] : lo[1] + 3, lo[2] : lo[2] + 3], 0, None
            )
            grid = np.indices(patch.shape).reshape(3, -1) + lo[:, None]
            centroid = (grid * patch.reshape(-1)).sum(axis=1) / patch.sum()
            assert np.all(np.abs(centroid - c) <= 0.5), (k, c, centroid)
            checked += 1
        assert checked >= 2, k


@pytest.mark.parametrize(
    ("obj", "suffix", "dtype"),
    [
        ("nucleosome", "_segmentationmask.zarr", np.int8),
        ("vesicle", "_instancesegmentationmask.zarr", np.uint16),
        ("nucleosome", "_segmentationmask.mrc", np.int8),
        ("vesicle", "_instancesegmentationmask.mrc", np.uint16),
    ],
)
def test_masks_cover_the_blobs(files: PortalFiles, obj: str, suffix: str, dtype: Any) -> None:
    ((data, kwargs, kind),) = read_annotation_file(files.source(files.annotation(obj, suffix)))
    assert kind == "labels" and kwargs["scale"] == (10.0, 10.0, 10.0)
    levels = data if isinstance(data, list) else [data]
    assert kwargs["multiscale"] == suffix.endswith(".zarr")
    labels = np.asarray(files.truth["objects"][obj]["mask"]["labels"])
    for k, level in enumerate(levels):
        volume = np.asarray(level)
        assert volume.dtype == dtype
        voxels = np.floor(files.centres(obj) / (np.asarray(kwargs["scale"]) * 2**k)).astype(int)
        if k == 0:  # every blob centre is inside its label
            assert list(volume[tuple(voxels.T)]) == list(labels)
            continue
        # Coarser levels, at napari's placement: each label left (blobs smaller than a
        # coarse voxel may vanish) is next to one of its blob centres.
        for label in set(np.unique(volume).tolist()) - {0}:
            near = [
                volume[tuple(slice(max(v - 1, 0), v + 2) for v in voxel)]
                for voxel in voxels[labels == label]
            ]
            assert any(label in n for n in near), (k, label)
    if obj == "nucleosome":  # the mask takes the colour of its object's points
        points = read_annotation_file(files.source(files.annotation(obj, "_point.ndjson")))
        assert np.allclose(kwargs["colormap"][1], points[0][1]["face_color"])
