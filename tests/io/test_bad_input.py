"""Bad input gives a clear message naming the file, and never a crash."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from napari_cryoet_explorer.io import ReaderError, read_annotation_file, read_tomogram
from napari_cryoet_explorer.io.ndjson import parse_ndjson
from napari_cryoet_explorer.replica.synthetic import GeneratedPortal

GOOD = '{"type": "point", "location": {"x": 1, "y": 2, "z": 3}}'


def _write(tmp_path: Path, lines: list[str], name: str = "thing-1.0_point.ndjson") -> Path:
    path = tmp_path / "VoxelSpacing10.000" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def test_malformed_lines_are_skipped_and_named(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            GOOD,
            "{not json",
            GOOD,
            '{"type": "point"}',
            '{"type": "point", "location": {"x": NaN, "y": 1, "z": 1}}',
            GOOD,
        ],
    )
    with pytest.warns(UserWarning) as record:
        ((data, kwargs, kind),) = read_annotation_file(path)
    message = str(record[0].message)
    assert str(path) in message and "3 bad line(s)" in message
    assert (
        "2 (malformed JSON)" in message and "4 (no location x/y/z)" in message and "5 (" in message
    )
    assert kind == "points" and np.allclose(data, [[3, 2, 1]] * 3)
    assert kwargs["scale"] == (10.0, 10.0, 10.0)


def test_unknown_type_and_missing_fields(tmp_path: Path) -> None:
    lines = [
        '{"type": "orientedPoint", "location": {"x": 1, "y": 2, "z": 3}, "xyz_rotation_matrix": [[1,0,0],[0,1,0],[0,0,1]]}',
        '{"type": "orientedPoint", "location": {"x": 1, "y": 2, "z": 3}}',
        '{"type": "sphere", "location": {"x": 1, "y": 2, "z": 3}}',
        '{"type": "orientedPoint", "location": {"x": 1, "y": 2, "z": 3}, "xyz_rotation_matrix": [[1,0],[0,1]]}',
    ]
    with pytest.warns(UserWarning, match="unknown type 'sphere'"):
        result = parse_ndjson("\n".join(lines).encode(), "x.ndjson")
    assert result.kind == "orientedPoint" and len(result.xyz) == 1
    assert [n for n, _ in result.skipped] == [2, 3, 4]


def test_empty_file(tmp_path: Path) -> None:
    path = _write(tmp_path, [""])
    with pytest.warns(UserWarning, match=f"{path}: empty"):
        ((data, _, kind),) = read_annotation_file(path)
    assert kind == "points" and len(data) == 0


def test_no_voxel_spacing_opens_in_voxels(tmp_path: Path) -> None:
    path = tmp_path / "loose_point.ndjson"
    path.write_text(GOOD + "\n")
    with pytest.warns(UserWarning, match="voxel units"):
        ((_, kwargs, _),) = read_annotation_file(path)
    assert kwargs["scale"] == (1.0, 1.0, 1.0)


def test_zarr_that_is_not_ome(tmp_path: Path) -> None:
    import zarr

    group = zarr.open_group(str(tmp_path / "plain.zarr"), mode="w", zarr_format=2)
    group.create_array("0", shape=(4, 4, 4), dtype="u1")
    with pytest.raises(ReaderError, match="not an OME-Zarr"):
        read_tomogram(tmp_path / "plain.zarr")


def test_missing_chunks_read_as_fill_value(tiny_portal: GeneratedPortal, tmp_path: Path) -> None:
    source = next(
        (tiny_portal.root / "10000/TS_001/Reconstructions/VoxelSpacing10.000/Tomograms/1").glob(
            "*.zarr"
        )
    )
    copy = tmp_path / source.name
    shutil.copytree(source, copy)
    shutil.rmtree(copy / "0" / "0")  # every chunk of the first z block of level 0
    data, _, _ = read_tomogram(copy)
    plane = np.asarray(data[0][0])
    assert plane.shape == data[0].shape[1:] and not plane.any()  # zeros, no crash
    assert np.asarray(data[0][-1]).any()  # the rest is intact


def test_truncated_mrc(tiny_portal: GeneratedPortal, tmp_path: Path) -> None:
    source = next(
        (tiny_portal.root / "10000/TS_001/Reconstructions/VoxelSpacing10.000/Tomograms/1").glob(
            "*.mrc"
        )
    )
    cut = tmp_path / "cut.mrc"
    cut.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    with pytest.raises(ReaderError, match=str(cut)):
        read_tomogram(cut)
    good, kwargs, _ = read_tomogram(source)
    assert kwargs["scale"] == (10.0, 10.0, 10.0) and good.shape == (24, 40, 56)


def test_broken_annotation_json_is_ignored(tmp_path: Path) -> None:
    path = _write(tmp_path, [GOOD])
    (path.parent / "thing-1.0.json").write_text("{broken")
    ((_, kwargs, _),) = read_annotation_file(path)
    assert kwargs["scale"] == (10.0, 10.0, 10.0)  # from the folder name
    assert json.dumps(kwargs["metadata"], default=str)
