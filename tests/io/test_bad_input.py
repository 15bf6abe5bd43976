"""Bad input gives a clear message naming the file, and never a crash."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import zarr
from portal_files import PortalFiles

from napari_cryoet_explorer.io import (
    NotOurs,
    ReaderError,
    open_run,
    read_annotation_file,
    read_tomogram,
)
from napari_cryoet_explorer.replica.server import ReplicaServer

GOOD = '{"type": "point", "location": {"x": 1, "y": 2, "z": 3}}'


def _write(tmp_path: Path, lines: list[str], name: str = "thing-1.0_point.ndjson") -> Path:
    path = tmp_path / "VoxelSpacing10.000" / "Annotations" / "1" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def test_malformed_lines_are_skipped_counted_and_named(tmp_path: Path) -> None:
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
    assert str(path) in message and "skipped 3 bad line(s), kept 3 point(s)" in message
    assert "2 (malformed JSON)" in message and "4 (no location x/y/z)" in message
    assert "5 (location is not finite" in message
    assert kind == "points" and np.allclose(data, [[3, 2, 1]] * 3)
    assert kwargs["scale"] == (10.0, 10.0, 10.0)
    assert kwargs["metadata"]["skipped_lines"] == [2, 4, 5]


def test_unknown_type_and_missing_fields(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            '{"type": "orientedPoint", "location": {"x": 1, "y": 2, "z": 3}, "xyz_rotation_matrix": [[1,0,0],[0,1,0],[0,0,1]]}',
            '{"type": "orientedPoint", "location": {"x": 1, "y": 2, "z": 3}}',
            '{"type": "sphere", "location": {"x": 1, "y": 2, "z": 3}}',
            '{"type": "orientedPoint", "location": {"x": 1, "y": 2, "z": 3}, "xyz_rotation_matrix": [[1,0],[0,1]]}',
        ],
        name="thing-1.0_orientedpoint.ndjson",
    )
    with pytest.warns(UserWarning, match="unknown type 'sphere'") as record:
        layers = read_annotation_file(path)
    assert "2 (no xyz_rotation_matrix)" in str(record[0].message)
    assert [kind for _, _, kind in layers] == ["points", "vectors"]
    # One good particle: one point, and its triad (three axes).
    assert len(layers[0][0]) == 1 and len(layers[1][0]) == 3


def test_a_file_of_an_unknown_type_opens_empty(tmp_path: Path) -> None:
    path = _write(tmp_path, ['{"type": "mesh", "location": {"x": 1, "y": 2, "z": 3}}'] * 3)
    with pytest.warns(UserWarning, match=r"skipped 3 bad line\(s\), kept 0.*unknown type 'mesh'"):
        ((data, _, kind),) = read_annotation_file(path)
    assert kind == "points" and len(data) == 0


def test_empty_file(tmp_path: Path) -> None:
    path = _write(tmp_path, ["", "  "])
    with pytest.warns(UserWarning, match=f"{path}: empty"):
        ((data, _, kind),) = read_annotation_file(path)
    assert kind == "points" and np.asarray(data).shape == (0, 3)


def test_no_voxel_spacing_opens_in_voxels(tmp_path: Path) -> None:
    path = tmp_path / "loose_point.ndjson"
    path.write_text(GOOD + "\n")
    with pytest.warns(UserWarning, match=f"{path}: no voxel spacing found.*voxel units"):
        ((_, kwargs, _),) = read_annotation_file(path)
    assert kwargs["scale"] == (1.0, 1.0, 1.0)


def test_broken_annotation_json_is_ignored(tmp_path: Path) -> None:
    path = _write(tmp_path, [GOOD])
    (path.parent / "thing-1.0.json").write_text("{broken")
    ((_, kwargs, _),) = read_annotation_file(path)
    assert kwargs["scale"] == (10.0, 10.0, 10.0)  # from the folder name
    assert "annotation_json" not in kwargs["metadata"]
    assert json.dumps(kwargs["metadata"], default=str)


def test_missing_and_unreadable_files(
    tmp_path: Path, serve_folder: Callable[..., ReplicaServer]
) -> None:
    with pytest.raises(ReaderError, match="missing_point.ndjson"):
        read_annotation_file(tmp_path / "VoxelSpacing10.000" / "missing_point.ndjson")
    server = serve_folder(tmp_path)
    with pytest.raises(ReaderError, match="gone_point.ndjson"):
        read_annotation_file(f"{server.files_url}/VoxelSpacing10.000/gone_point.ndjson")
    with pytest.raises(NotOurs, match="notes.txt"):
        read_annotation_file(tmp_path / "notes.txt")


def test_zarr_that_is_not_ome(tmp_path: Path) -> None:
    group = zarr.open_group(str(tmp_path / "plain.zarr"), mode="w", zarr_format=2)
    group.create_array("0", shape=(4, 4, 4), dtype="u1")
    with pytest.raises(ReaderError, match=r"plain\.zarr is a zarr but not an OME-Zarr"):
        read_tomogram(tmp_path / "plain.zarr")
    mask = tmp_path / "VoxelSpacing10.000" / "thing-1.0_segmentationmask.zarr"
    shutil.copytree(tmp_path / "plain.zarr", mask)
    with pytest.raises(ReaderError, match="mask is not an OME-Zarr"):
        read_annotation_file(mask)


@pytest.mark.parametrize("lost", ["one", "all"])
def test_missing_chunks_read_as_fill_value(
    local_files: PortalFiles,
    tmp_path: Path,
    serve_folder: Callable[..., ReplicaServer],
    lost: str,
) -> None:
    """Missing chunks are zeros (zarr's fill value), locally and over HTTP (404)."""
    source = local_files.tomogram()
    copy = tmp_path / source.name
    shutil.copytree(source, copy)
    if lost == "all":
        shutil.rmtree(copy / "0" / "0")  # every chunk of the first z block of level 0
    else:
        (copy / "0" / "0" / "0" / "0").unlink()
    server = serve_folder(tmp_path)
    for where in (copy, f"{server.files_url}/{copy.name}"):
        data, _, _ = read_tomogram(where, voxel_spacing=10.0)
        plane = np.asarray(data[0][0])
        assert plane.shape == data[0].shape[1:]
        assert not plane[:16, :16].any()  # the lost chunk: zeros, no crash
        assert np.asarray(data[0][-1]).any()  # the rest is intact


def test_truncated_chunk_fails_at_display_with_the_url(
    local_files: PortalFiles, tmp_path: Path
) -> None:
    """A corrupt chunk cannot be decoded: the error comes when it is read, naming it."""
    source = local_files.tomogram()
    copy = tmp_path / source.name
    shutil.copytree(source, copy)
    chunk = copy / "0" / "0" / "0" / "0"
    chunk.write_bytes(chunk.read_bytes()[:10])
    data, _, _ = read_tomogram(copy, voxel_spacing=10.0)  # opening reads no chunk: fine
    with pytest.raises(ReaderError, match=f"chunk 0/0/0 of {copy}/0: "):
        np.asarray(data[0][0])
    assert np.asarray(data[0][-1]).any()  # other chunks still read


def test_one_broken_file_in_a_run_does_not_lose_the_others(
    local_files: PortalFiles, tmp_path: Path
) -> None:
    run = tmp_path / "TS_001"
    shutil.copytree(local_files.run_dir, run)

    def copied(path: Path) -> Path:
        return run / path.relative_to(local_files.run_dir)

    broken = copied(local_files.annotation("ribosome", "_orientedpoint.ndjson"))
    broken.write_text("{broken\n" + GOOD + "\n")
    mask = copied(local_files.annotation("nucleosome", "_segmentationmask.zarr"))
    for name in (".zattrs", ".zgroup"):
        (mask / name).unlink()
    with pytest.warns(UserWarning) as record:
        layers = open_run(run)
    messages = [str(r.message) for r in record]
    assert any(str(broken) in m and "line 1 (malformed JSON)" in m for m in messages)
    assert any(str(mask) in m and "mask is not an OME-Zarr" in m for m in messages)
    kinds = sorted(kind for _, _, kind in layers)
    # The ribosome file keeps its one good (plain point) line: no vectors.
    assert kinds == ["image", "labels", "points", "points", "points", "surface"]
