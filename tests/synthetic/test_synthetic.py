"""The synthetic portal matches the portal's formats and carries usable ground truth."""

from __future__ import annotations

import json
import re
import struct
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

import mrcfile
import numpy as np
import pytest
import trimesh
import zarr
from graphql import (
    GraphQLEnumType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
)

from napari_cryoet_explorer.replica.graphql_engine import portal_schema
from napari_cryoet_explorer.replica.store import FILES_PLACEHOLDER, Store
from napari_cryoet_explorer.synthetic.omezarr import downsample
from napari_cryoet_explorer.synthetic.portal import (
    GeneratedPortal,
    generate_portal,
    load_ground_truth,
    object_locations,
)

NDJSON_KEYS = {
    "point": {"type", "location"},
    "orientedPoint": {"type", "location", "xyz_rotation_matrix"},
    "instancePoint": {"type", "location", "instance_id"},
}
MASK_DTYPES = {"segmentationmask": "|i1", "instancesegmentationmask": "<u2"}
S3 = "s3://cryoet-data-portal-public/"
SMALL = {  # one run, one spacing: quick to generate in a test
    "n_datasets": 1,
    "runs_per_dataset": 1,
    "voxel_spacings": (10.0,),
    "second_alignment": False,
    "key_photos": False,
}


# -- helpers -------------------------------------------------------------------------


def _scalar_fields(type_name: str) -> dict[str, Any]:
    gql_type = portal_schema().get_type(type_name)
    assert isinstance(gql_type, GraphQLObjectType), type_name
    return {
        n: f.type
        for n, f in gql_type.fields.items()
        if not isinstance(get_named_type(f.type), GraphQLObjectType)
    }


def _relation_targets(type_name: str) -> dict[str, str]:
    """``<relation>Id`` field -> type it points to."""
    gql_type = portal_schema().get_type(type_name)
    assert isinstance(gql_type, GraphQLObjectType)
    out = {}
    for name, f in gql_type.fields.items():
        target = get_named_type(f.type)
        if isinstance(target, GraphQLObjectType) and f"{name}Id" in gql_type.fields:
            out[f"{name}Id"] = target.name
    return out


def _value_fits(value: Any, gql_type: Any) -> bool:
    named = get_named_type(gql_type)
    if value is None:
        return not isinstance(gql_type, GraphQLNonNull)
    if isinstance(named, GraphQLEnumType):
        return value in named.values
    assert isinstance(named, GraphQLScalarType)
    if named.name == "Int":
        return isinstance(value, int) and not isinstance(value, bool)
    if named.name == "Float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if named.name == "Boolean":
        return isinstance(value, bool)
    if named.name == "DateTime":
        return datetime.fromisoformat(value).tzinfo is not None
    return isinstance(value, str)


def _check_rows(type_name: str, rows: list[dict[str, Any]]) -> None:
    scalars = _scalar_fields(type_name)
    required = {n for n, t in scalars.items() if isinstance(t, GraphQLNonNull)} - {"_id"}
    for row in rows:
        assert set(row) <= set(scalars), (type_name, set(row) - set(scalars))
        assert required <= set(row), (type_name, required - set(row))
        for key, value in row.items():
            assert _value_fits(value, scalars[key]), (type_name, key, value)


def _check_foreign_keys(entities: dict[str, list[dict[str, Any]]]) -> None:
    ids = {t: {r["id"] for r in rows} for t, rows in entities.items()}
    for type_name, rows in entities.items():
        assert len(ids[type_name]) == len(rows), f"duplicate ids in {type_name}"
        for fk, target in _relation_targets(type_name).items():
            dangling = {r[fk] for r in rows if r.get(fk) is not None} - ids.get(target, set())
            assert not dangling, (type_name, fk, sorted(dangling)[:5])


def _read_ndjson(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().split("\n")]


def _zyx(record: dict[str, Any]) -> np.ndarray:
    return np.array([record["location"][k] for k in "zyx"], float)


def _peak(volume: np.ndarray, near: np.ndarray) -> np.ndarray:
    """Sub-voxel peak near ``near`` (zyx voxels): a gaussian fitted to the 3x3x3 voxels
    around the brightest voxel (weighted least squares on log intensity)."""
    c = np.round(near).astype(int)
    patch = volume[c[0] - 1 : c[0] + 2, c[1] - 1 : c[1] + 2, c[2] - 1 : c[2] + 2]
    m = np.array(np.unravel_index(np.argmax(patch), patch.shape)) + c - 1
    lo = m - 1
    patch = volume[lo[0] : m[0] + 2, lo[1] : m[1] + 2, lo[2] : m[2] + 2].astype(float)
    d = np.indices(patch.shape).reshape(3, -1).T + lo - m
    dz, dy, dx = d.T.astype(float)
    design = np.stack(
        [np.ones(len(d)), dz, dy, dx, dz * dz, dy * dy, dx * dx, dz * dy, dz * dx, dy * dx],
        axis=1,
    )
    values = patch.reshape(-1)
    weights = np.clip(values, 0.0, None) ** 2  # the bright core, where noise matters least
    logs = np.log(np.clip(values, 1e-3, None))
    coef = np.linalg.lstsq(design * weights[:, None], logs * weights, rcond=None)[0]
    hessian = np.array(
        [
            [2 * coef[4], coef[7], coef[8]],
            [coef[7], 2 * coef[5], coef[9]],
            [coef[8], coef[9], 2 * coef[6]],
        ]
    )
    return np.asarray(m - np.linalg.solve(hessian, coef[1:4]))


def _zarr_levels(path: Path) -> list[np.ndarray]:
    return [zarr.open_array(str(path / level), mode="r")[:] for level in "012"]


def _alignments(truth: dict[str, Any]) -> tuple[int, int]:
    """Ids of a run's first alignment and of its shifted second one."""
    ids = sorted(truth["alignments"], key=lambda a: not truth["alignments"][a]["is_primary"])
    return int(ids[0]), int(ids[1])


def _tomogram_for(truth: dict[str, Any], spacing: float, alignment_id: int) -> dict[str, Any]:
    (tomo,) = [
        t
        for t in truth["tomograms"]
        if t["voxel_spacing"] == spacing and t["alignment_id"] == alignment_id
    ]
    return tomo


# -- metadata rows -------------------------------------------------------------------


def test_rows_fit_the_schema(tiny_portal: GeneratedPortal) -> None:
    expected = {"Dataset", "Run", "TomogramVoxelSpacing", "Tomogram", "Annotation"}
    expected |= {"AnnotationShape", "AnnotationFile", "Alignment", "Tiltseries", "Deposition"}
    expected |= {"DatasetAuthor", "AnnotationAuthor", "TomogramAuthor"}
    assert expected <= set(tiny_portal.entities)
    for type_name, rows in tiny_portal.entities.items():
        _check_rows(type_name, rows)
    _check_foreign_keys(tiny_portal.entities)
    stored = json.loads((tiny_portal.root / "portal.json").read_text())
    assert stored == {"version": 1, "entities": tiny_portal.entities}


def test_rows_carry_portal_values(tiny_portal: GeneratedPortal) -> None:
    store = Store(tiny_portal.entities)
    (run,) = [r for r in store.rows("Run") if r["name"] == "TS_001"]
    spacings = store.children("TomogramVoxelSpacing", "runId", run["id"])
    assert sorted(v["voxelSpacing"] for v in spacings) == [10.0, 20.0]
    tomograms = store.children("Tomogram", "runId", run["id"])
    assert len(tomograms) == 3
    assert sum(t["isVisualizationDefault"] for t in tomograms) == 1
    finest = next(t for t in tomograms if t["sizeZ"] == 24 and t["alignmentId"] == 1)
    assert (finest["sizeX"], finest["sizeY"], finest["sizeZ"]) == (56, 40, 24)
    assert [finest[f"scale{k}Dimensions"] for k in range(3)] == ["56,40,24", "28,20,12", "14,10,6"]
    assert finest["httpsOmezarrDir"] == (
        f"{FILES_PLACEHOLDER}/10000/TS_001/Reconstructions/VoxelSpacing10.000/Tomograms/100/TS_001.zarr"
    )
    shapes = {s["shapeType"] for s in store.rows("AnnotationShape")}
    assert shapes == {
        "OrientedPoint",
        "Point",
        "SegmentationMask",
        "InstanceSegmentation",
        "InstanceSegmentationMask",
        "Mesh",
    }
    assert {f["format"] for f in store.rows("AnnotationFile")} == {"ndjson", "zarr", "mrc", "glb"}
    # The mesh is a shape of the segmentation mask's annotation, at every spacing.
    meshes = [s for s in store.rows("AnnotationShape") if s["shapeType"] == "Mesh"]
    for shape in meshes:
        (annotation,) = [a for a in store.rows("Annotation") if a["id"] == shape["annotationId"]]
        assert annotation["objectName"] == "nucleosome"
        (file,) = store.children("AnnotationFile", "annotationShapeId", shape["id"])
        assert file["format"] == "glb" and file["httpsPath"].endswith("_triangularmesh.glb")
    assert len(meshes) == 4 * 3  # runs, times the spacings and alignments of each
    for ann in store.rows("Annotation"):
        assert re.fullmatch(r"GO:\d{7}", ann["objectId"])


def test_every_url_is_a_written_file(tiny_portal: GeneratedPortal) -> None:
    urls = 0
    for rows in tiny_portal.entities.values():
        for row in rows:
            for key, value in row.items():
                if isinstance(value, str) and value.startswith(FILES_PLACEHOLDER):
                    rel = value[len(FILES_PLACEHOLDER) + 1 :]
                    assert (tiny_portal.root / rel).exists(), (key, rel)
                    urls += 1
                    s3_key = "s3" + key[len("https") :] if key.startswith("https") else None
                    if s3_key in row:
                        assert row[s3_key] == S3 + rel
    assert urls > 100


# -- the data tree -------------------------------------------------------------------


def test_tree_is_the_download_layout(tiny_portal: GeneratedPortal) -> None:
    root = tiny_portal.root
    run = root / "10000" / "TS_001"
    for rel in [
        "10000/dataset_metadata.json",
        "10000/Images/thumbnail.png",
        "10000/TS_001/run_metadata.json",
        "10000/TS_001/Alignments/100/alignment_metadata.json",
        "10000/TS_001/Alignments/101/alignment_metadata.json",
        "10000/TS_001/Reconstructions/VoxelSpacing10.000/Tomograms/100/TS_001.zarr/.zattrs",
        "10000/TS_001/Reconstructions/VoxelSpacing10.000/Tomograms/100/TS_001.mrc",
        "10000/TS_001/Reconstructions/VoxelSpacing10.000/Tomograms/100/tomogram_metadata.json",
        "10000/TS_001/Reconstructions/VoxelSpacing10.000/Images/100/key-photo-thumbnail.png",
        "10000/TS_001/Reconstructions/VoxelSpacing20.000/Tomograms/102/TS_001.zarr/.zattrs",
        "ground_truth.json",
    ]:
        assert (root / rel).exists(), rel
    names = {p.name for p in run.glob("Reconstructions/VoxelSpacing10.000/Annotations/*/*")}
    assert names == {
        "ribosome-1.0.json",
        "ribosome-1.0_orientedpoint.ndjson",
        "nucleosome-1.0.json",
        "nucleosome-1.0_point.ndjson",
        "nucleosome-1.0_segmentationmask.zarr",
        "nucleosome-1.0_segmentationmask.mrc",
        "nucleosome-1.0_triangularmesh.glb",
        "vesicle-1.0.json",
        "vesicle-1.0_instancesegmentation.ndjson",
        "vesicle-1.0_instancesegmentationmask.zarr",
        "vesicle-1.0_instancesegmentationmask.mrc",
    }
    for meta_path in run.glob("Reconstructions/*/Annotations/*/*-1.0.json"):
        meta = json.loads(meta_path.read_text())
        listed = {Path(f["path"]).name for f in meta["files"]}
        present = {p.name for p in meta_path.parent.iterdir()} - {meta_path.name}
        assert listed == present
        assert (root / meta["alignment_metadata_path"]).is_file()
        ndjson = next(f for f in meta["files"] if f["format"] == "ndjson")
        assert meta["object_count"] == len(_read_ndjson(root / ndjson["path"]))
    tomo_meta = json.loads(
        (
            run / "Reconstructions/VoxelSpacing20.000/Tomograms/102/tomogram_metadata.json"
        ).read_text()
    )
    assert tomo_meta["size"] == {"z": 12, "y": 20, "x": 28}
    assert tomo_meta["scales"][2] == {"x": 7, "y": 5, "z": 3}
    assert (root / tomo_meta["omezarr_dir"]).is_dir() and (root / tomo_meta["mrc_file"]).is_file()


def test_ome_zarr_matches_the_portal_format(tiny_portal: GeneratedPortal) -> None:
    zarrs = sorted(tiny_portal.root.glob("*/*/Reconstructions/*/*/*/*.zarr"))
    assert len(zarrs) == 4 * 3 + 4 * 3 * 2  # tomograms, and two masks per tomogram
    for path in zarrs:
        folder = next(p for p in path.parts if p.startswith("VoxelSpacing"))
        spacing = float(folder.removeprefix("VoxelSpacing"))
        tomogram = path.parent.parent.name == "Tomograms"
        kind = "tomogram" if tomogram else path.stem.rsplit("_", 1)[-1]
        assert json.loads((path / ".zgroup").read_text()) == {"zarr_format": 2}
        (ms,) = json.loads((path / ".zattrs").read_text())["multiscales"]
        assert ms["version"] == "0.4"
        assert ms["axes"] == [{"name": a, "type": "space", "unit": "angstrom"} for a in "zyx"]
        assert [d["path"] for d in ms["datasets"]] == ["0", "1", "2"]
        scales = [d["coordinateTransformations"] for d in ms["datasets"]]
        assert scales == [[{"type": "scale", "scale": [spacing * f] * 3}] for f in (1, 2, 4)]
        shapes = []
        for level in "012":
            meta = json.loads((path / level / ".zarray").read_text())
            assert meta["zarr_format"] == 2
            assert meta["dimension_separator"] == "/"
            assert meta["compressor"]["id"] == "blosc" and meta["compressor"]["cname"] == "lz4"
            assert meta["dtype"] == MASK_DTYPES.get(kind, "<f4"), (path, kind)
            assert meta["chunks"] == [min(16, s) for s in meta["shape"]]
            shapes.append(meta["shape"])
        assert shapes[1] == [-(-s // 2) for s in shapes[0]]
        assert shapes[2] == [-(-s // 2) for s in shapes[1]]
        # Chunks live under nested keys ("0/1/2"), not dotted ones; level 0 has several.
        assert len(list((path / "0").glob("*/*/*"))) > 1
        if kind == "instancesegmentationmask":
            colours = ms["metadata"]["image-label"]["colors"]
            labels = np.unique(zarr.open_array(str(path / "0"), mode="r")[:])
            assert [c["label-value"] for c in colours] == [int(v) for v in labels if v]
        else:
            assert "metadata" not in ms


def test_pyramids_bin_each_kind_like_the_portal(tiny_portal: GeneratedPortal) -> None:
    root = tiny_portal.root
    run = tiny_portal.run_truth(10000, "TS_001")
    tomo = _zarr_levels(root / _tomogram_for(run, 10.0, 1)["zarr"])
    masks = {
        f["shape"]: root / f["path"]
        for a in run["annotations"]
        if a["voxel_spacing"] == 10.0 and a["alignment_id"] == 1
        for f in a["files"]
        if f["format"] == "zarr"
    }
    seg = _zarr_levels(masks["SegmentationMask"])
    inst = _zarr_levels(masks["InstanceSegmentationMask"])
    expected = tomo[0].reshape(12, 2, 20, 2, 28, 2).mean(axis=(1, 3, 5))
    assert np.allclose(tomo[1], expected, atol=1e-6)
    assert np.array_equal(seg[1], seg[0].reshape(12, 2, 20, 2, 28, 2).max(axis=(1, 3, 5)))
    assert np.array_equal(inst[2], inst[0][::4, ::4, ::4])
    assert seg[2].any() and inst[2].any()
    # Odd edges keep their last, zero-padded block.
    odd = np.arange(27, dtype=np.float32).reshape(3, 3, 3)
    assert downsample(odd, "image").shape == (2, 2, 2)
    assert downsample(odd, "image")[1, 1, 1] == pytest.approx(26 / 8)


def test_ndjson_lines_are_exactly_the_portals(tiny_portal: GeneratedPortal) -> None:
    files = list(tiny_portal.root.glob("*/*/Reconstructions/*/Annotations/*/*.ndjson"))
    assert len(files) == 4 * 3 * 3
    for path in files:
        text = path.read_text()
        assert not text.endswith("\n")  # the portal's ndjson.dump adds no final newline
        for line in text.split("\n"):
            record = json.loads(line)
            assert line == json.dumps(record)  # json's default separators, key order
            assert set(record) == NDJSON_KEYS[record["type"]]
            assert list(record["location"]) == ["x", "y", "z"]
            assert all(type(v) is float for v in record["location"].values())
            if "instance_id" in record:
                assert type(record["instance_id"]) is int


# -- pictures and ground truth -------------------------------------------------------


@pytest.mark.parametrize("run", ["TS_001", "TS_002"])
def test_blob_peaks_lie_at_the_annotations(tiny_portal: GeneratedPortal, run: str) -> None:
    root = tiny_portal.root
    truth = load_ground_truth(root)["runs"][f"10000/{run}"]
    checked = 0
    for tomo in truth["tomograms"]:
        if tomo["voxel_spacing"] != 10.0:
            continue
        volume = zarr.open_array(str(root / tomo["zarr"] / "0"), mode="r")[:]
        tomo_meta = json.loads((root / tomo["path"] / "tomogram_metadata.json").read_text())
        vs_dir = root / tomo["path"] / ".." / ".."
        for path in vs_dir.glob("Annotations/*/*.ndjson"):
            meta = json.loads(next(path.parent.glob("*-1.0.json")).read_text())
            # An annotation file belongs with a tomogram when spacing and alignment match.
            if meta["alignment_metadata_path"] != tomo_meta["alignment_metadata_path"]:
                continue
            for record in _read_ndjson(path):
                zyx = _zyx(record)
                peak = _peak(volume, zyx)
                assert np.all(np.abs(peak - zyx) < 0.3), (path.name, zyx, peak)
                assert volume[tuple(np.round(zyx).astype(int))] > 0.5  # a blob, not noise
                checked += 1
    assert checked == 2 * sum(o["count"] for o in truth["objects"].values())


def test_files_hold_the_ground_truth(tiny_portal: GeneratedPortal) -> None:
    root = tiny_portal.root
    truth = load_ground_truth(root)
    assert len(truth["runs"]) == 4 and truth["seed"] == 0 and truth["preset"] == "tiny"
    for run in truth["runs"].values():
        first, second = _alignments(run)
        shift = np.array(run["alignments"][str(second)]["shift_zyx_angstrom"])
        assert np.any(shift) and not np.any(run["alignments"][str(first)]["shift_zyx_angstrom"])
        for ann in run["annotations"]:
            (ndjson,) = [f for f in ann["files"] if f["format"] == "ndjson"]
            records = _read_ndjson(root / ndjson["path"])
            obj = run["objects"][ann["object"]]
            expected = object_locations(
                run, ann["object"], ann["voxel_spacing"], ann["alignment_id"]
            )
            assert np.allclose([_zyx(r) for r in records], expected, atol=1e-9)
            assert ndjson["shape"] == obj["shape"]
            if obj["shape"] == "OrientedPoint":
                matrices = np.array([r["xyz_rotation_matrix"] for r in records])
                assert np.allclose(matrices, obj["xyz_rotation_matrices"])
                assert np.allclose(matrices[:, :, 2], obj["particle_z_axes_xyz"])
                eye = np.einsum("nij,nkj->nik", matrices, matrices)
                assert np.allclose(eye, np.eye(3)) and np.allclose(np.linalg.det(matrices), 1)
            if obj["shape"] == "InstanceSegmentation":
                assert [r["instance_id"] for r in records] == obj["instance_ids"]
                assert len(set(obj["instance_ids"])) > 1
        coarse = object_locations(run, "ribosome", 20.0)
        assert np.allclose(coarse * 2, object_locations(run, "ribosome", 10.0))
        moved = object_locations(run, "nucleosome", 10.0, second) - object_locations(
            run, "nucleosome", 10.0, first
        )
        assert np.allclose(moved, shift / 10.0)


def test_ribosome_blobs_are_elongated_along_the_particle_z_axis(
    tiny_portal: GeneratedPortal,
) -> None:
    root = tiny_portal.root
    run = load_ground_truth(root)["runs"]["10000/TS_001"]
    volume = zarr.open_array(str(root / _tomogram_for(run, 10.0, 1)["zarr"] / "0"), mode="r")[:]
    axes = np.array(run["objects"]["ribosome"]["particle_z_axes_xyz"])[:, ::-1]  # to zyx
    locations = object_locations(run, "ribosome", 10.0)
    assert len(locations) >= 3
    for zyx, axis in zip(locations, axes, strict=True):
        grid = np.indices(volume.shape).reshape(3, -1).T
        offsets = grid - zyx
        near = np.linalg.norm(offsets, axis=1) <= 4
        weights = np.clip(volume.reshape(-1)[near] - 0.15, 0, None)
        cov = np.cov(offsets[near].T, aweights=weights)
        principal = np.linalg.eigh(cov)[1][:, -1]
        assert abs(principal @ axis) > 0.9, (zyx, principal, axis)


def test_masks_cover_their_objects_blobs(tiny_portal: GeneratedPortal) -> None:
    root = tiny_portal.root
    for key, run in load_ground_truth(root)["runs"].items():
        for ann in run["annotations"]:
            obj = run["objects"][ann["object"]]
            masks = [f for f in ann["files"] if f["format"] == "zarr"]
            if "mask" not in obj:
                assert not masks
                continue
            (mask_file,) = masks
            assert mask_file["shape"] == obj["mask"]["shape"]
            mask = zarr.open_array(str(root / mask_file["path"] / "0"), mode="r")[:]
            spacing = ann["voxel_spacing"]
            locations = object_locations(run, ann["object"], spacing, ann["alignment_id"])
            at_points = [mask[tuple(np.round(p).astype(int))] for p in locations]
            assert at_points == obj["mask"]["labels"], key
            # Every labelled voxel lies within the radius of a point carrying its label.
            radius = obj["mask"]["radius_angstrom"] / spacing
            labels = np.array(obj["mask"]["labels"])
            for label in np.unique(mask[mask > 0]):
                voxels = np.argwhere(mask == label)
                own = locations[labels == label]
                d = np.linalg.norm(voxels[:, None, :] - own[None, :, :], axis=2).min(axis=1)
                assert d.max() <= radius + 1e-9
            with mrcfile.open(root / mask_file["path"].replace(".zarr", ".mrc")) as mrc:
                assert np.array_equal(mrc.data, mask)
                assert float(mrc.voxel_size.x) == pytest.approx(spacing)
        # Masks are the objects' own: nothing at the ribosomes.
        seg = next(
            a
            for a in run["annotations"]
            if a["object"] == "nucleosome" and a["alignment_id"] == _alignments(run)[0]
        )
        seg_mask = zarr.open_array(str(root / seg["files"][1]["path"] / "0"), mode="r")[:]
        for p in object_locations(run, "ribosome", seg["voxel_spacing"]):
            assert seg_mask[tuple(np.round(p).astype(int))] == 0


def test_meshes_are_the_masks_surfaces_in_the_portals_convention(
    tiny_portal: GeneratedPortal,
) -> None:
    root = tiny_portal.root
    for key, run in load_ground_truth(root)["runs"].items():
        for ann in run["annotations"]:
            meta = json.loads((root / ann["metadata"]).read_text())
            meshes = [f for f in meta["files"] if f["format"] == "glb"]
            if ann["object"] != "nucleosome":
                assert not meshes
                continue
            # Named as the portal's ingestion names it; the API calls the shape "Mesh".
            (entry,) = meshes
            assert entry["shape"] == "TriangularMesh"
            assert entry["path"].endswith("nucleosome-1.0_triangularmesh.glb")
            # Loaded the way the portal's Neuroglancer tooling loads it: x, y, z in voxels.
            mesh = trimesh.load(root / entry["path"], file_type="glb", force="mesh")
            assert mesh.is_watertight and mesh.volume > 0  # closed, normals out
            zyx = np.asarray(mesh.vertices)[:, ::-1]
            mask_path = next(f["path"] for f in ann["files"] if f["format"] == "zarr")
            shape = json.loads((root / mask_path / "0" / ".zarray").read_text())["shape"]
            assert np.all(zyx >= -0.5) and np.all(zyx <= np.array(shape) - 0.5), key
            locations = object_locations(
                run, "nucleosome", ann["voxel_spacing"], ann["alignment_id"]
            )
            # Each ball's vertices lie within its radius (plus half a voxel) of its centre.
            radius = run["objects"]["nucleosome"]["mask"]["radius_angstrom"] / ann["voxel_spacing"]
            d = np.linalg.norm(zyx[:, None, :] - locations[None, :, :], axis=2)
            assert np.all(d.min(axis=1) <= radius + 0.5 * np.sqrt(3) + 1e-6), key
            assert set(d.argmin(axis=1).tolist()) == set(range(len(locations)))


def test_mrc_copies_match_the_zarr(tiny_portal: GeneratedPortal) -> None:
    root = tiny_portal.root
    run = load_ground_truth(root)["runs"]["10001/TS_101"]
    for tomo in run["tomograms"]:
        level0 = zarr.open_array(str(root / tomo["zarr"] / "0"), mode="r")[:]
        with mrcfile.open(root / tomo["mrc"]) as mrc:
            assert mrc.data.dtype == np.float32
            assert np.array_equal(mrc.data, level0)
            assert float(mrc.voxel_size.z) == pytest.approx(tomo["voxel_spacing"])
            assert float(mrc.header.dmax) == pytest.approx(float(level0.max()))


def test_tilt_series_files_hold_the_rows_stack_and_angles(tiny_portal: GeneratedPortal) -> None:
    root = tiny_portal.root
    for key, run in load_ground_truth(root)["runs"].items():
        (tilt,) = run["tiltseries"]
        (row,) = [t for t in tiny_portal.entities["Tiltseries"] if t["id"] == tilt["id"]]
        n = row["sizeZ"]
        angles = [float(a) for a in (root / tilt["angle_list"]).read_text().split()]
        assert len(angles) == n == len(tilt["angles"]), key
        assert angles == pytest.approx(tilt["angles"])
        assert angles[0] == row["tiltMin"] and angles[-1] == pytest.approx(row["tiltMax"])
        assert np.allclose(np.diff(angles), row["tiltStep"])
        for field, rel in (
            ("httpsMrcFile", tilt["mrc"]),
            ("httpsOmezarrDir", tilt["zarr"]),
            ("httpsAngleList", tilt["angle_list"]),
        ):
            assert row[field] == f"{FILES_PLACEHOLDER}/{rel}"
        assert tilt["mrc"].endswith(f"/TiltSeries/100/{run['run']}.mrc")
        with mrcfile.open(root / tilt["mrc"]) as mrc:
            stack = mrc.data.copy()
            assert float(mrc.voxel_size.x) == pytest.approx(row["pixelSpacing"])
        assert stack.shape == (n, row["sizeY"], row["sizeX"])
        assert row["fileSizeMrc"] == (root / tilt["mrc"]).stat().st_size
        group = zarr.open_group(str(root / tilt["zarr"]), mode="r")
        assert np.array_equal(group["0"][:], stack)
        # Levels bin the images, never the tilts.
        assert [group[str(k)].shape[0] for k in range(3)] == [n] * 3
        assert group["1"].shape[1:] == tuple(-(-s // 2) for s in stack.shape[1:])
        datasets = group.attrs["multiscales"][0]["datasets"]
        spacing = row["pixelSpacing"]
        assert datasets[1]["coordinateTransformations"][0]["scale"] == pytest.approx(
            [spacing, 2 * spacing, 2 * spacing]
        )
        doc = json.loads((root / tilt["path"] / "tiltseries_metadata.json").read_text())
        assert doc["size"] == {"x": row["sizeX"], "y": row["sizeY"], "z": n}


def test_tilt_series_images_move_with_the_tilt(tmp_path: Path) -> None:
    """A lone blob projects where its centre lands after tilting about y."""
    portal = generate_portal(
        tmp_path, "tiny", **SMALL, n_ribosomes=1, n_nucleosomes=0, n_vesicles=0
    )
    run = next(iter(portal.ground_truth["runs"].values()))
    (tilt,) = run["tiltseries"]
    with mrcfile.open(portal.root / tilt["mrc"]) as mrc:
        stack = mrc.data.copy()
    (centre,) = np.asarray(run["objects"]["ribosome"]["centres_zyx_angstrom"]) / 10.0
    middle = np.asarray(run["box_zyx_angstrom"]) / 10.0 / 2
    for index, angle in enumerate(tilt["angles"]):
        theta = np.deg2rad(angle)
        dz, dx = centre[0] - middle[0], centre[2] - middle[2]
        x = dx * np.cos(theta) + dz * np.sin(theta) + middle[2]
        y_peak, x_peak = np.unravel_index(np.argmax(stack[index]), stack[index].shape)
        assert abs(y_peak - centre[1]) <= 1 and abs(x_peak - x) <= 1, (angle, x_peak, x)


def test_key_photos_are_pngs(tiny_portal: GeneratedPortal) -> None:
    path = tiny_portal.root / "10001" / "Images" / "thumbnail.png"
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width == 134 and 0 < height < width
    idat_len = struct.unpack(">I", data[33:37])[0]
    raw = zlib.decompress(data[41 : 41 + idat_len])
    assert len(raw) == height * (width + 1)


# -- options -------------------------------------------------------------------------


def test_same_seed_same_portal(tmp_path: Path) -> None:
    a = generate_portal(tmp_path / "a", seed=5, **SMALL)
    b = generate_portal(tmp_path / "b", seed=5, **SMALL)
    c = generate_portal(tmp_path / "c", seed=6, **SMALL)
    assert (tmp_path / "a/portal.json").read_bytes() == (tmp_path / "b/portal.json").read_bytes()
    assert a.ground_truth == b.ground_truth
    assert a.ground_truth["runs"] != c.ground_truth["runs"]
    rel = a.ground_truth["runs"]["10000/TS_001"]["tomograms"][0]["mrc"]
    assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()


def test_blockwise_writing_matches_one_block(tmp_path: Path) -> None:
    """Large volumes are written block by block; the files must not depend on it."""
    options = dict(SMALL, tomogram_shape=(22, 34, 45), chunk_size=8)
    whole = generate_portal(tmp_path / "whole", **options)
    blocks = generate_portal(tmp_path / "blocks", max_block_bytes=8**3 * 4, **options)
    zarr_path = whole.root / whole.run_truth(10000, "TS_001")["tomograms"][0]["zarr"]
    shapes = [json.loads((zarr_path / k / ".zarray").read_text())["shape"] for k in "012"]
    assert shapes == [[22, 34, 45], [11, 17, 23], [6, 9, 12]]  # odd edges round up
    files = sorted(p.relative_to(whole.root) for p in whole.root.rglob("*") if p.is_file())
    assert len(files) > 100
    assert files == sorted(
        p.relative_to(blocks.root) for p in blocks.root.rglob("*") if p.is_file()
    )
    for rel in files:
        if rel.suffix == ".mrc":
            with mrcfile.open(whole.root / rel) as x, mrcfile.open(blocks.root / rel) as y:
                assert np.array_equal(x.data, y.data), rel
                assert float(x.header.rms) == pytest.approx(float(y.header.rms), rel=1e-5)
        elif rel.name != "ground_truth.json":
            assert (whole.root / rel).read_bytes() == (blocks.root / rel).read_bytes(), rel


def test_int8_tomograms_at_a_portal_spacing(tmp_path: Path) -> None:
    portal = generate_portal(tmp_path, dtype="int8", **dict(SMALL, voxel_spacings=(13.48,)))
    run = portal.run_truth(10000, "TS_001")
    tomo = run["tomograms"][0]
    assert "/Reconstructions/VoxelSpacing13.480/Tomograms/100/" in tomo["zarr"]
    meta = json.loads((portal.root / tomo["zarr"] / "1" / ".zarray").read_text())
    assert meta["dtype"] == "|i1"
    volume = zarr.open_array(str(portal.root / tomo["zarr"] / "0"), mode="r")[:]
    for p in object_locations(run, "nucleosome", 13.48):
        assert volume[tuple(np.round(p).astype(int))] > 0.6 * run["intensity"]["blob_peak"]
    with mrcfile.open(portal.root / tomo["mrc"]) as mrc:
        assert mrc.header.mode == 0 and np.array_equal(mrc.data, volume)


def test_bad_presets_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown preset"):
        generate_portal(tmp_path, "huge")
    with pytest.raises(ValueError, match="tomogram_size"):
        generate_portal(tmp_path, tomogram_size=(1, 2, 3))


# -- portal scale --------------------------------------------------------------------


def test_portal_scale_sizes(portal_scale_store: Store) -> None:
    counts = portal_scale_store.counts()
    assert counts["Dataset"] == 600
    assert 29_000 <= counts["Run"] <= 31_000
    assert len(portal_scale_store.children("Run", "datasetId", 10000)) == 2000
    runs = portal_scale_store.rows("Run")
    for run in runs[::97]:
        spacings = portal_scale_store.children("TomogramVoxelSpacing", "runId", run["id"])
        assert 1 <= len(spacings) <= 2
        for vs in spacings:
            assert portal_scale_store.children("Tomogram", "tomogramVoxelSpacingId", vs["id"])
        annotations = portal_scale_store.children("Annotation", "runId", run["id"])
        assert 1 <= len(annotations) <= 3
        for ann in annotations:
            shapes = portal_scale_store.children("AnnotationShape", "annotationId", ann["id"])
            assert shapes
            for shape in shapes:
                assert portal_scale_store.children(
                    "AnnotationFile", "annotationShapeId", shape["id"]
                )
    sample = {t: portal_scale_store.rows(t)[::211] for t in counts}
    for type_name, rows in sample.items():
        _check_rows(type_name, rows)
    _check_foreign_keys({t: portal_scale_store.rows(t) for t in counts})


def test_portal_preset_writes_metadata_only(tmp_path: Path) -> None:
    portal = generate_portal(
        tmp_path, "portal", n_datasets=5, largest_dataset_runs=20, total_runs=40
    )
    assert [p.name for p in tmp_path.iterdir()] == ["portal.json"]
    store = Store.load(tmp_path)
    assert store.counts()["Dataset"] == 5 and store.counts()["Run"] == 40
    assert len(store.children("Run", "datasetId", 10000)) == 20
    assert portal.ground_truth == {}


def test_rows_vary_as_the_portal_does(
    tiny_portal: GeneratedPortal, portal_scale_store: Store
) -> None:
    e = tiny_portal.entities
    # Depositions: each dataset's own, and one that brought annotations only.
    types: dict[int, set[str]] = {}
    for t in e["DepositionType"]:
        types.setdefault(t["depositionId"], set()).add(t["type"])
    assert {d["depositionId"] for d in e["Dataset"]} < set(types)
    assert {"annotation"} in types.values()
    annotation_only = [i for i, kinds in types.items() if kinds == {"annotation"}]
    assert any(a["depositionId"] in annotation_only for a in e["Annotation"])
    # Confidence measured on some annotations only, as percentages.
    precision = [a["confidencePrecision"] for a in e["Annotation"]]
    measured = [p for p in precision if p is not None]
    assert measured and None in precision and all(1 < p <= 100 for p in measured)
    assert {a["groundTruthStatus"] for a in e["Annotation"]} == {True, False}
    assert len({a["methodType"] for a in e["Annotation"]}) >= 2
    # Authors with ORCIDs, funding, archive entries; two organisms.
    assert all(a["orcid"] for a in e["DatasetAuthor"]) and e["DatasetFunding"]
    assert any("EMPIAR-" in (d["relatedDatabaseEntries"] or "") for d in e["Dataset"])
    assert len({d["organismName"] for d in e["Dataset"]}) == 2

    # The portal preset spreads every filterable value.
    def spread(type_name: str, name: str) -> set[Any]:
        return {r[name] for r in portal_scale_store.rows(type_name)}

    assert len(spread("Dataset", "organismName")) >= 6
    assert spread("Annotation", "methodType") == {"manual", "automated", "hybrid"}
    assert spread("Tiltseries", "tiltSeriesQuality") == {1, 2, 3, 4, 5}
    assert len(spread("Tiltseries", "cameraManufacturer")) >= 3
    assert len(spread("Tiltseries", "microscopeManufacturer")) >= 3
    assert len(spread("Tiltseries", "tiltRange")) >= 4
    assert len(spread("Tomogram", "reconstructionMethod")) >= 3
    assert spread("Tomogram", "fiducialAlignmentStatus") == {"FIDUCIAL", "NON_FIDUCIAL"}
    assert len(spread("Deposition", "id")) >= 50
