"""The synthetic portal matches the portal's formats and carries usable ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import mrcfile
import numpy as np
import zarr
from graphql import GraphQLNonNull, GraphQLObjectType, get_named_type

from napari_cryoet_explorer.replica.graphql_engine import portal_schema
from napari_cryoet_explorer.replica.store import Store
from napari_cryoet_explorer.replica.synthetic import GeneratedPortal, load_ground_truth

NDJSON_KEYS = {
    "point": {"type", "location"},
    "orientedPoint": {"type", "location", "xyz_rotation_matrix"},
    "instancePoint": {"type", "location", "instance_id"},
}


def _vs_dir(root: Path, run: str, spacing: float) -> Path:
    return root / "10000" / run / "Reconstructions" / f"VoxelSpacing{spacing:.3f}"


def test_rows_fit_the_schema(tiny_portal: GeneratedPortal) -> None:
    schema = portal_schema()
    for type_name, rows in tiny_portal.entities.items():
        gql_type = schema.get_type(type_name)
        assert isinstance(gql_type, GraphQLObjectType), type_name
        scalars = {
            n
            for n, f in gql_type.fields.items()
            if not isinstance(get_named_type(f.type), GraphQLObjectType)
        }
        required = {n for n in scalars if isinstance(gql_type.fields[n].type, GraphQLNonNull)} - {
            "_id"
        }
        for row in rows:
            assert set(row) <= scalars, (type_name, set(row) - scalars)
            assert all(row.get(n) is not None for n in required), (type_name, required - set(row))


def test_ome_zarr_matches_the_portal_format(tiny_portal: GeneratedPortal) -> None:
    (zarr_path,) = (_vs_dir(tiny_portal.root, "TS_001", 10.0) / "Tomograms").glob("1/*.zarr")
    attrs = json.loads((zarr_path / ".zattrs").read_text())
    (ms,) = attrs["multiscales"]
    assert ms["version"] == "0.4"
    assert [a["unit"] for a in ms["axes"]] == ["angstrom"] * 3
    assert [a["name"] for a in ms["axes"]] == ["z", "y", "x"]
    scales = [d["coordinateTransformations"][0]["scale"] for d in ms["datasets"]]
    assert scales == [[10.0] * 3, [20.0] * 3, [40.0] * 3]
    shapes = []
    for level in "012":
        meta = json.loads((zarr_path / level / ".zarray").read_text())
        assert meta["zarr_format"] == 2
        assert meta["dimension_separator"] == "/"
        assert meta["compressor"]["id"] == "blosc" and meta["compressor"]["cname"] == "lz4"
        assert meta["dtype"] == "<f4"
        shapes.append(meta["shape"])
    assert shapes == [[24, 40, 56], [12, 20, 28], [6, 10, 14]]
    # Chunks are stored under nested keys ("0/1/2"), not dotted ones.
    assert (zarr_path / "0" / "0" / "0" / "0").is_file()


def test_masks_are_int8_and_uint16_labels(tiny_portal: GeneratedPortal) -> None:
    ann = _vs_dir(tiny_portal.root, "TS_001", 10.0) / "Annotations"
    (seg,) = ann.glob("*/nucleosome-1.0_segmentationmask.zarr")
    (inst,) = ann.glob("*/vesicle-1.0_instancesegmentationmask.zarr")
    seg_arr = zarr.open_array(str(seg / "0"), mode="r")
    inst_arr = zarr.open_array(str(inst / "0"), mode="r")
    assert seg_arr.dtype == np.int8 and set(np.unique(seg_arr[:])) == {0, 1}
    assert inst_arr.dtype == np.uint16
    attrs = json.loads((inst / ".zattrs").read_text())
    assert "image-label" in attrs["multiscales"][0]["metadata"]
    with mrcfile.open(seg.with_suffix(".mrc")) as mrc:
        assert np.array_equal(mrc.data, seg_arr[:])
        assert float(mrc.voxel_size.x) == 10.0


def test_ndjson_fields_and_blob_centres(tiny_portal: GeneratedPortal) -> None:
    truth = load_ground_truth(tiny_portal.root)["runs"]["10000/TS_001"]
    vs_dir = _vs_dir(tiny_portal.root, "TS_001", 10.0)
    (zarr_path,) = (vs_dir / "Tomograms").glob("1/*.zarr")
    volume = zarr.open_array(str(zarr_path / "0"), mode="r")[:]
    for path in (vs_dir / "Annotations").glob("*/*.ndjson"):
        meta = json.loads(next(path.parent.glob("*-1.0.json")).read_text())
        if not meta["alignment_metadata_path"].endswith("/1/alignment_metadata.json"):
            continue
        records = [json.loads(line) for line in path.read_text().splitlines()]
        assert records
        for rec in records:
            assert set(rec) == NDJSON_KEYS[rec["type"]]
            assert set(rec["location"]) == {"x", "y", "z"}
            zyx = np.array([rec["location"][k] for k in "zyx"])
            # The blob's centroid around the annotation is within half a voxel of it.
            lo = np.round(zyx).astype(int) - 1
            patch = np.clip(
                volume[lo[0] : lo[0] + 3, lo[1] : lo[1] + 3, lo[2] : lo[2] + 3], 0, None
            )
            grid = np.indices(patch.shape).reshape(3, -1) + lo[:, None]
            centroid = (grid * patch.reshape(-1)).sum(axis=1) / patch.sum()
            assert np.all(np.abs(centroid - zyx) <= 0.5), (path.name, zyx, centroid)
            assert patch.max() > 0.5  # a blob, not noise
        if records[0]["type"] == "orientedPoint":
            expected = truth["objects"]["ribosome"]["xyz_rotation_matrices"]
            assert np.allclose([r["xyz_rotation_matrix"] for r in records], expected)


def test_portal_scale_sizes(portal_scale_store: Store) -> None:
    counts = portal_scale_store.counts()
    assert counts["Dataset"] == 600
    assert 29_000 <= counts["Run"] <= 31_000
    assert len(portal_scale_store.children("Run", "datasetId", 10000)) == 2000
