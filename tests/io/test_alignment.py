"""Every layer lands where the ground truth says, from local files and over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from napari_cryoet_explorer.io import read_annotation_file, read_tomogram
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.replica.synthetic import GeneratedPortal, generate_portal

RUN = "10000/TS_001"


def _truth(portal: GeneratedPortal) -> dict[str, Any]:
    return portal.ground_truth["runs"][RUN]


def _spacing_dir(portal: GeneratedPortal, spacing: float) -> Path:
    return portal.root / RUN / "Reconstructions" / f"VoxelSpacing{spacing:.3f}"


def _file(portal: GeneratedPortal, spacing: float, pattern: str, alignment: int = 1) -> Path:
    for path in sorted((_spacing_dir(portal, spacing) / "Annotations").glob(f"*/{pattern}")):
        meta = next(path.parent.glob("*-1.0.json")).read_text()
        if f"/Alignments/{alignment}/" in meta:
            return path
    raise FileNotFoundError(pattern)


def _tomogram(portal: GeneratedPortal, spacing: float, alignment: int = 1) -> Path:
    for t in _truth(portal)["tomograms"]:
        if t["voxel_spacing"] == spacing and t["alignment_id"] == alignment:
            return next((portal.root / t["path"]).glob("*.zarr"))
    raise FileNotFoundError(spacing)


def _source(path: Path, portal: GeneratedPortal, server: ReplicaServer | None) -> str:
    if server is None:
        return str(path)
    return f"{server.files_url}/{path.relative_to(portal.root).as_posix()}"


def _matches(world: np.ndarray, truth: np.ndarray, tol: float) -> None:
    """Each annotated point is within ``tol`` Angstrom of a ground-truth centre, one to one."""
    assert world.shape == truth.shape
    d = np.linalg.norm(world[:, None, :] - truth[None, :, :], axis=-1)
    assert np.all(d.min(axis=1) <= tol), d.min(axis=1)
    assert len(set(d.argmin(axis=1))) == len(truth)


@pytest.fixture(params=[False, True], ids=["local", "http"])
def http(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture(params=["local", "http"])
def server(request: pytest.FixtureRequest, tiny_replica: ReplicaServer) -> ReplicaServer | None:
    return tiny_replica if request.param == "http" else None


@pytest.mark.parametrize("spacing", [10.0, 20.0])
@pytest.mark.parametrize(
    ("obj", "pattern"),
    [
        ("ribosome", "*_orientedpoint.ndjson"),
        ("nucleosome", "*_point.ndjson"),
        ("vesicle", "*_instancesegmentation.ndjson"),
    ],
)
def test_points_land_on_ground_truth(
    tiny_portal: GeneratedPortal,
    server: ReplicaServer | None,
    spacing: float,
    obj: str,
    pattern: str,
) -> None:
    layers = read_annotation_file(
        _source(_file(tiny_portal, spacing, pattern), tiny_portal, server), voxel_spacing=spacing
    )
    data, kwargs, kind = layers[0]
    assert kind == "points"
    world = np.asarray(data) * np.asarray(kwargs["scale"])
    truth = np.asarray(_truth(tiny_portal)["objects"][obj]["centres_zyx_angstrom"])
    _matches(world, truth, tol=1e-6)
    if obj == "vesicle":
        assert (
            list(kwargs["features"]["instance_id"])
            == _truth(tiny_portal)["objects"]["vesicle"]["instance_ids"]
        )
        assert len(np.unique(np.asarray(kwargs["face_color"]), axis=0)) == len(
            set(kwargs["features"]["instance_id"])
        )


def test_second_alignment_is_shifted(tiny_portal: GeneratedPortal) -> None:
    truth = _truth(tiny_portal)
    shift = np.asarray(truth["alignments"]["2"]["shift_zyx_angstrom"])
    assert np.any(shift != 0)
    (data, kwargs, _), *_ = read_annotation_file(
        _file(tiny_portal, 10.0, "*_orientedpoint.ndjson", alignment=2)
    )
    centres = np.asarray(truth["objects"]["ribosome"]["centres_zyx_angstrom"])
    _matches(np.asarray(data) * kwargs["scale"], centres + shift, tol=1e-6)


def test_vectors_follow_rotations(
    tiny_portal: GeneratedPortal, server: ReplicaServer | None
) -> None:
    path = _source(_file(tiny_portal, 10.0, "*_orientedpoint.ndjson"), tiny_portal, server)
    points, vectors = read_annotation_file(path, voxel_spacing=10.0, vector_length=50.0)
    assert vectors[2] == "vectors"
    vec = np.asarray(vectors[0])
    assert np.allclose(vec[:, 0], points[0])  # anchored on the particles
    truth = _truth(tiny_portal)["objects"]["ribosome"]
    rotations = np.asarray(truth["xyz_rotation_matrices"])
    # Lines are in the ground truth's order; check that first, then each direction.
    assert np.allclose(points[0] * 10.0, truth["centres_zyx_angstrom"])
    world_dirs = vec[:, 1] * np.asarray(vectors[1]["scale"])
    assert np.allclose(np.linalg.norm(world_dirs, axis=1), 50.0)
    expected_zyx = rotations[:, :, 2][:, ::-1]  # particle z axis, R @ [0, 0, 1], xyz -> zyx
    assert np.allclose(world_dirs / 50.0, expected_zyx)
    all_axes = read_annotation_file(path, voxel_spacing=10.0, all_axes=True)
    names = [kw["name"] for _, kw, kind in all_axes if kind == "vectors"]
    assert [n.split()[-2] for n in names] == ["x", "y", "z"]
    assert np.allclose(points[1]["features"]["rxz"], rotations[:, 0, 2])


@pytest.fixture(scope="module")
def sparse_portal(tmp_path_factory: pytest.TempPathFactory) -> GeneratedPortal:
    """Few particles in a larger volume, so blobs stay apart even at the coarsest level."""
    return generate_portal(
        tmp_path_factory.mktemp("sparse"),
        "tiny",
        n_datasets=1,
        runs_per_dataset=1,
        tomogram_shape=(48, 96, 128),
        n_ribosomes=2,
        n_nucleosomes=3,
        n_vesicles=1,
        second_alignment=False,
    )


@pytest.mark.parametrize("level", [0, 1, 2])
def test_tomogram_blobs_at_every_level(
    sparse_portal: GeneratedPortal, replica_factory: Any, http: bool, level: int
) -> None:
    tiny_portal = sparse_portal
    server = replica_factory(sparse_portal.root) if http else None
    data, kwargs, kind = read_tomogram(
        _source(_tomogram(tiny_portal, 10.0), tiny_portal, server), voxel_spacing=10.0
    )
    assert kind == "image" and kwargs["multiscale"]
    volume = np.asarray(data[level])
    level_scale = np.asarray(kwargs["scale"]) * 2**level
    objects = _truth(tiny_portal)["objects"]
    everything = np.concatenate([np.asarray(o["centres_zyx_angstrom"]) for o in objects.values()])
    # Binned levels place a block's mean at its first voxel (scale only, as the portal
    # writes them), so a blob sits (2**level - 1) / 2 fine voxels before c / scale.
    offset = (2**level - 1) / 2 / 2**level
    checked = 0
    for centre in everything:
        expected = centre / level_scale - offset
        crowded = np.sum(np.linalg.norm(everything - centre, axis=1) < 3 * level_scale[0]) > 1
        if crowded or np.any(expected < 1) or np.any(expected > np.array(volume.shape) - 2):
            continue  # neighbours or the border would pull the centroid
        lo = np.round(expected).astype(int) - 1
        patch = np.clip(volume[lo[0] : lo[0] + 3, lo[1] : lo[1] + 3, lo[2] : lo[2] + 3], 0, None)
        grid = np.indices(patch.shape).reshape(3, -1) + lo[:, None]
        centroid = (grid * patch.reshape(-1)).sum(axis=1) / patch.sum()
        assert np.all(np.abs(centroid - expected) <= 0.5), (level, expected, centroid)
        checked += 1
    assert checked >= 2


@pytest.mark.parametrize(
    ("pattern", "dtype"),
    [
        ("*_segmentationmask.zarr", np.int8),
        ("*_instancesegmentationmask.zarr", np.uint16),
        ("*_segmentationmask.mrc", np.int8),
    ],
)
def test_masks_cover_the_blobs(
    tiny_portal: GeneratedPortal, server: ReplicaServer | None, pattern: str, dtype: Any
) -> None:
    if server is not None and pattern.endswith(".mrc"):
        pytest.skip("MRC is read from local files")
    path = _file(tiny_portal, 10.0, pattern)
    ((data, kwargs, kind),) = read_annotation_file(
        _source(path, tiny_portal, server), voxel_spacing=10.0
    )
    assert kind == "labels"
    level0 = np.asarray(data[0] if isinstance(data, list) else data)
    assert level0.dtype == dtype
    obj = "vesicle" if "instance" in pattern else "nucleosome"
    truth = np.asarray(_truth(tiny_portal)["objects"][obj]["centres_zyx_angstrom"])
    voxels = np.round(truth / np.asarray(kwargs["scale"])).astype(int)
    values = level0[tuple(voxels.T)]
    assert np.all(values > 0)
    if obj == "vesicle":
        assert list(values - 1) == _truth(tiny_portal)["objects"]["vesicle"]["instance_ids"]
