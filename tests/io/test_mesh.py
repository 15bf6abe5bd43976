"""GLB meshes: the portal's convention (x, y, z in voxels), aligned surfaces, bad input."""

from __future__ import annotations

import json
import shutil
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh
import zarr
from napari.layers import Layer
from portal_files import PortalFiles

from napari_cryoet_explorer._reader import get_reader
from napari_cryoet_explorer.io import ReaderError, read_annotation_file, read_tomogram
from napari_cryoet_explorer.io.colors import object_color
from napari_cryoet_explorer.io.mesh import read_glb

MESH = "_triangularmesh.glb"
MASK = "_segmentationmask.zarr"
PLUGIN = "napari-cryoet-explorer"
LayerTuple = tuple[Any, dict[str, Any], str]


# -- helpers -------------------------------------------------------------------------


def _glb(
    positions: Any,
    indices: Any | None,
    *,
    mode: int = 4,
    translation: tuple[float, float, float] | None = None,
    buffer_uri: str | None = None,
) -> bytes:
    """A GLB written from the glTF 2.0 layout by hand (not by the reader's library)."""
    pos = np.asarray(positions, "<f4").reshape(-1, 3)
    idx = np.asarray([] if indices is None else indices, "<u4").reshape(-1)
    blob = pos.tobytes() + idx.tobytes()
    views: list[dict[str, Any]] = [{"buffer": 0, "byteOffset": 0, "byteLength": pos.nbytes}]
    bounds = {"min": [0.0] * 3, "max": [0.0] * 3}
    if len(pos) and np.isfinite(pos).all():
        bounds = {"min": pos.min(0).tolist(), "max": pos.max(0).tolist()}
    accessors: list[dict[str, Any]] = [
        {"bufferView": 0, "componentType": 5126, "count": len(pos), "type": "VEC3", **bounds}
    ]
    primitive: dict[str, Any] = {"attributes": {"POSITION": 0}, "mode": mode}
    if indices is not None:
        views.append({"buffer": 0, "byteOffset": pos.nbytes, "byteLength": idx.nbytes})
        accessors.append(
            {"bufferView": 1, "componentType": 5125, "count": len(idx), "type": "SCALAR"}
        )
        primitive["indices"] = 1
    node: dict[str, Any] = {"mesh": 0}
    if translation is not None:
        node["translation"] = list(translation)
    buffer: dict[str, Any] = {"byteLength": len(blob)}
    if buffer_uri is not None:
        buffer["uri"] = buffer_uri
    doc = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [node],
        "meshes": [{"primitives": [primitive]}],
        "accessors": accessors,
        "bufferViews": views,
        "buffers": [buffer],
    }
    text = json.dumps(doc).encode()
    text += b" " * (-len(text) % 4)
    blob += b"\0" * (-len(blob) % 4)
    body = struct.pack("<II", len(text), 0x4E4F534A) + text
    if buffer_uri is None:
        body += struct.pack("<II", len(blob), 0x004E4942) + blob
    return struct.pack("<III", 0x46546C67, 2, 12 + len(body)) + body


def _winding_numbers(vertices: np.ndarray, faces: np.ndarray, points: np.ndarray) -> np.ndarray:
    """How many times the closed surface wraps each point (1 inside, 0 outside)."""
    out = []
    for p in np.asarray(points, float).reshape(-1, 3):
        a, b, c = (vertices[faces[:, k]] - p for k in range(3))
        la, lb, lc = (np.linalg.norm(v, axis=1) for v in (a, b, c))
        det = np.einsum("ij,ij->i", a, np.cross(b, c))
        div = (
            la * lb * lc
            + np.einsum("ij,ij->i", a, b) * lc
            + np.einsum("ij,ij->i", b, c) * la
            + np.einsum("ij,ij->i", c, a) * lb
        )
        out.append(np.sum(2 * np.arctan2(det, div)) / (4 * np.pi))
    return np.array(out)


def _only(layers: list[LayerTuple], kind: str, shape_type: str | None = None) -> LayerTuple:
    """The one layer of ``kind`` (and of the portal's ``shape_type``, when given)."""
    found = [
        layer
        for layer in layers
        if layer[2] == kind
        and (shape_type is None or layer[1]["metadata"].get("shape_type") == shape_type)
    ]
    assert len(found) == 1, [layer[1]["name"] for layer in found]
    return found[0]


def _is_mesh_name(name: str, obj: str) -> bool:
    return name.startswith("TS_001 ") and obj in name and name.endswith("(Mesh)")


def _mesh_in_mask_voxels(surface: LayerTuple, mask: LayerTuple) -> tuple[np.ndarray, np.ndarray]:
    """The surface's vertices in the mask's voxel indices, via both layers' scales."""
    (vertices, faces), kwargs, kind = surface
    assert kind == "surface"
    world = np.asarray(vertices, float) * np.asarray(kwargs["scale"])
    return world / np.asarray(mask[1]["scale"]), np.asarray(faces)


# -- the synthetic portal's meshes -------------------------------------------------------


@pytest.mark.parametrize(("spacing", "primary"), [(10.0, True), (20.0, True), (10.0, False)])
def test_synthetic_mesh_lies_on_its_mask(files: PortalFiles, spacing: float, primary: bool) -> None:
    glb = files.annotation("nucleosome", MESH, spacing, primary)
    mask_path = files.annotation("nucleosome", MASK, spacing, primary)
    (surface,) = read_annotation_file(files.source(glb))
    (mask_layer,) = read_annotation_file(files.source(mask_path))
    tomogram = read_tomogram(files.source(files.tomogram(spacing, primary)))
    assert surface[1]["scale"] == pytest.approx(tomogram[1]["scale"])
    assert surface[1]["scale"] == pytest.approx((spacing,) * 3)
    assert _is_mesh_name(surface[1]["name"], "nucleosome")
    assert np.allclose(surface[1]["colormap"][0], object_color("nucleosome"))

    voxels, faces = _mesh_in_mask_voxels(surface, mask_layer)
    mask = zarr.open_array(str(mask_path / "0"), mode="r")[:] > 0
    assert len(voxels) > 0 and faces.max() < len(voxels)
    # Every vertex sits halfway between a voxel inside the mask and one outside it.
    outside = np.pad(mask, 1)  # beyond the volume counts as outside
    half = np.abs(voxels - np.floor(voxels) - 0.5) < 1e-4
    assert np.all(half.sum(axis=1) == 1)
    step = half.astype(int)
    below = np.floor(voxels).astype(int) * step + np.round(voxels).astype(int) * (1 - step)
    above = below + step
    inner = outside[tuple((below + 1).T)]
    outer = outside[tuple((above + 1).T)]
    assert np.all(inner != outer)
    # The surface wraps each mask ball once and nothing else.
    nucleosomes = files.centres("nucleosome", primary) / spacing
    ribosomes = files.centres("ribosome", primary) / spacing
    assert np.allclose(_winding_numbers(voxels, faces, nucleosomes), 1.0, atol=1e-6)
    assert np.allclose(_winding_numbers(voxels, faces, ribosomes), 0.0, atol=1e-6)
    # Its box is the mask's, half a voxel out.
    inside = np.argwhere(mask)
    assert np.allclose(voxels.min(axis=0), inside.min(axis=0) - 0.5, atol=1e-4)
    assert np.allclose(voxels.max(axis=0), inside.max(axis=0) + 0.5, atol=1e-4)
    # It parts the voxels around every ball exactly as the mask does: centres of voxels
    # in the mask are wrapped once, those outside not at all.
    near = np.unique(
        np.concatenate(
            [np.argwhere(np.ones((9, 9, 9))) + np.round(c).astype(int) - 4 for c in nucleosomes]
        ),
        axis=0,
    )
    near = near[np.all((near >= 0) & (near < mask.shape), axis=1)]
    wraps = _winding_numbers(voxels, faces, near)
    assert np.allclose(wraps, np.round(wraps), atol=1e-6)
    assert np.array_equal(np.round(wraps).astype(bool), mask[tuple(near.T)])
    assert mask[tuple(near.T)].sum() == mask.sum()  # every masked voxel was looked at


def test_mesh_of_a_folder_opens_with_the_rest(local_files: PortalFiles) -> None:
    run_dir = local_files.run_dir
    reader = get_reader(str(run_dir))
    assert reader is not None
    layers = reader(str(run_dir))
    surface = _only(layers, "surface")
    assert _is_mesh_name(surface[1]["name"], "nucleosome")
    tomogram = next(layer for layer in layers if layer[2] == "image")
    assert surface[1]["scale"] == pytest.approx(tomogram[1]["scale"])
    assert surface[1]["metadata"]["annotation_json"]["annotation_object"]["name"] == "nucleosome"
    # Only the first alignment's mesh: it lies on that alignment's mask.
    mask = _only(layers, "labels", "SegmentationMask")
    voxels, _ = _mesh_in_mask_voxels(surface, mask)
    inside = np.argwhere(zarr.open_array(str(local_files.annotation("nucleosome", MASK) / "0"))[:])
    assert np.allclose(voxels.min(axis=0), inside.min(axis=0) - 0.5, atol=1e-4)
    assert np.allclose(voxels.max(axis=0), inside.max(axis=0) + 0.5, atol=1e-4)
    # napari takes the layer data as it is.
    made = Layer.create(*surface)
    assert type(made).__name__ == "Surface" and made.opacity == surface[1]["opacity"]
    # An Annotations/<id> folder alone opens its mesh too.
    folder = str(local_files.annotation("nucleosome", MESH).parent)
    folder_reader = get_reader(folder)
    assert folder_reader is not None
    assert sorted(kind for *_, kind in folder_reader(folder)) == ["labels", "points", "surface"]


def test_dropped_mesh_file_opens_alone_in_angstrom(files: PortalFiles, tmp_path: Path) -> None:
    local = files.annotation("nucleosome", MESH, 20.0)
    glb = files.source(local)
    reader = get_reader(glb)
    assert reader is not None
    (surface,) = reader(glb)
    assert surface[2] == "surface" and surface[1]["scale"] == pytest.approx((20.0,) * 3)
    # The same bytes under another name are some GLB scene, not a portal annotation:
    # left to other readers.
    other = tmp_path / "scene.glb"
    shutil.copyfile(local, other)
    assert get_reader(str(other)) is None


def test_run_folder_in_a_viewer_shows_the_mesh(
    make_napari_viewer: Callable[..., Any], local_files: PortalFiles
) -> None:
    viewer = make_napari_viewer()
    viewer.open(local_files.run_dir, plugin=PLUGIN)
    (surface,) = [layer for layer in viewer.layers if type(layer).__name__ == "Surface"]
    (image,) = [layer for layer in viewer.layers if type(layer).__name__ == "Image"]
    assert _is_mesh_name(surface.name, "nucleosome")
    assert np.allclose(surface.scale, image.scale)
    # The balls' surfaces, in world Angstrom, surround the nucleosome centres.
    world = surface.data[0] * surface.scale
    centres = local_files.centres("nucleosome")
    assert np.all(world.min(axis=0) < centres.min(axis=0))
    assert np.all(world.max(axis=0) > centres.max(axis=0))


# -- the convention, on files written by hand ----------------------------------------------


def test_file_x_y_z_become_napari_z_y_x(tmp_path: Path) -> None:
    path = tmp_path / "Annotations" / "1" / "thing-1.0_triangularmesh.glb"
    path.parent.mkdir(parents=True)
    xyz = np.array([[1.0, 2.0, 3.0], [5.0, 2.0, 3.0], [1.0, 7.0, 3.0], [1.0, 2.0, 11.0]])
    tetra = [[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]]
    path.write_bytes(_glb(xyz, tetra, translation=(10.0, 20.0, 30.0)))
    mesh = read_glb(str(path))
    # The node's translation is applied; the axes are reversed and nothing else changes.
    assert np.allclose(mesh.vertices_zyx, (xyz + [10.0, 20.0, 30.0])[:, ::-1])
    assert mesh.parts == 1
    # Outward in the file stays outward in napari's zyx: positive enclosed volume both ways.
    in_file = trimesh.Trimesh(xyz, tetra, process=False).volume
    assert in_file > 0
    assert trimesh.Trimesh(mesh.vertices_zyx, mesh.faces, process=False).volume > 0
    # No download around it: voxel units, with a warning saying so.
    with pytest.warns(UserWarning, match="no voxel spacing"):
        ((data, kwargs, kind),) = read_annotation_file(path)
    assert kind == "surface" and kwargs["scale"] == (1.0, 1.0, 1.0)
    assert kwargs["name"] == "thing (Mesh)"
    # Under a VoxelSpacing folder the layer is in Angstrom.
    placed = tmp_path / "VoxelSpacing13.480" / "Annotations" / "1" / path.name
    placed.parent.mkdir(parents=True)
    shutil.copyfile(path, placed)
    ((_, kwargs, _),) = read_annotation_file(placed)
    assert kwargs["scale"] == pytest.approx((13.48,) * 3)


# -- bad input ---------------------------------------------------------------------------


BAD_GLBS = {
    "points": (_glb([[0, 0, 0], [1, 0, 0], [0, 1, 0]], None, mode=0), "no triangle mesh"),
    "faceless": (_glb([[0, 0, 0], [1, 0, 0], [0, 1, 0]], []), "no faces"),
    "not_glb": (b"solid cube\nendsolid cube\n", "not a GLB file"),
    "empty": (b"", "not a GLB file"),
    "truncated": (_glb([[0, 0, 0], [1, 0, 0], [0, 1, 0]], [0, 1, 2])[:60], "broken GLB"),
    "outside_buffer": (
        _glb([[0, 0, 0], [1, 0, 0], [0, 1, 0]], [0, 1, 2], buffer_uri="secret.bin"),
        "outside file",
    ),
    "nan": (_glb([[0, 0, 0], [np.nan, 0, 0], [0, 1, 0]], [0, 1, 2]), "non-finite"),
    "index_out_of_range": (
        _glb([[0, 0, 0], [1, 0, 0], [0, 1, 0]], [0, 1, 7]),
        "face indices beyond",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_GLBS))
def test_bad_glb_gives_a_clear_message(tmp_path: Path, case: str) -> None:
    data, expected = BAD_GLBS[case]
    path = tmp_path / "VoxelSpacing10.000" / "Annotations" / "1" / f"{case}-1.0{MESH}"
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    # The outside file exists and is good: it is still not read.
    triangle = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], "<f4").tobytes()
    (path.parent / "secret.bin").write_bytes(triangle + np.array([0, 1, 2], "<u4").tobytes())
    with pytest.raises(ReaderError, match=expected) as info:
        read_annotation_file(path)
    assert str(path) in str(info.value)
    # The message says it all: no chained traceback from the mesh library.
    error = info.value
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


def test_point_cloud_from_the_mesh_library_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "VoxelSpacing10.000" / "Annotations" / "1" / f"cloud-1.0{MESH}"
    path.parent.mkdir(parents=True)
    path.write_bytes(
        trimesh.PointCloud(np.random.default_rng(0).random((20, 3))).export(file_type="glb")
    )
    with pytest.raises(ReaderError, match="no triangle mesh .only PointCloud."):
        read_annotation_file(path)


def test_broken_mesh_in_a_folder_keeps_the_other_layers(
    local_files: PortalFiles, tmp_path: Path
) -> None:
    run_dir = tmp_path / "TS_001"
    shutil.copytree(local_files.run_dir, run_dir)
    relative = local_files.annotation("nucleosome", MESH).relative_to(local_files.run_dir)
    broken = run_dir / relative
    broken.write_bytes(BAD_GLBS["points"][0])
    reader = get_reader(str(run_dir))
    assert reader is not None
    with pytest.warns(UserWarning, match="no triangle mesh") as record:
        layers = reader(str(run_dir))
    assert any(str(broken) in str(w.message) for w in record)
    assert not [layer for layer in layers if layer[2] == "surface"]
    assert _only(layers, "labels", "SegmentationMask")
    assert layers[0][2] == "image" and len(layers) == 7
