"""Broken and hostile zarr stores: every refusal and read error names the file.

A level's metadata is checked as zarr parsed it, or read raw when zarr cannot open it,
so a refusal names the level (``t.zarr/0``) or its metadata file (``t.zarr/0/.zarray``).

Each case starts from a copy of the synthetic portal's tomogram (zarr format 2, blosc
lz4, ``/`` separated keys, levels 0-2, 16^3 chunks) and damages one thing: a chunk's
bytes, a level's ``.zarray``, the consolidated metadata or the multiscale transforms.
"""

from __future__ import annotations

import json
import pickle
import re
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
from portal_files import PortalFiles

from napari_cryoet_explorer._reader import get_reader
from napari_cryoet_explorer.io import ReaderError, read_annotation_file, read_tomogram
from napari_cryoet_explorer.io.ome_zarr import PLANE_CHUNKS_ENV
from napari_cryoet_explorer.io.plane_chunks import thin_dask, whole_chunk_dask
from napari_cryoet_explorer.replica.server import ReplicaServer

LEVELS = ("0", "1", "2")


def _copy(local_files: PortalFiles, tmp_path: Path, name: str = "t.zarr") -> Path:
    store = tmp_path / name
    shutil.copytree(local_files.tomogram(), store)
    return store


def _edit_levels(store: Path, **fields: Any) -> None:
    """Set ``fields`` in every level's ``.zarray``."""
    for level in LEVELS:
        meta = store / level / ".zarray"
        doc = json.loads(meta.read_text())
        doc.update(fields)
        meta.write_text(json.dumps(doc))


def _chunks(store: Path, level: str = "0") -> list[Path]:
    return sorted(p for p in (store / level).rglob("*") if p.is_file() and p.name[0] != ".")


class _Marker:
    """Unpickling this creates the file ``path``: proof that something unpickled it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.path), "w"))


def _payload(marker: Path) -> bytes:
    return pickle.dumps(_Marker(marker))


# --- chunks that cannot be decoded ------------------------------------------------------


def _damage(chunk: Path, how: str) -> None:
    if how == "garbage":
        chunk.write_bytes(b"\x00not a blosc frame\xff" * 8)
    else:  # truncated: a real frame, cut short
        chunk.write_bytes(chunk.read_bytes()[:24])


@pytest.mark.parametrize("how", ["garbage", "truncated"])
@pytest.mark.parametrize("where", ["local", "http"])
@pytest.mark.parametrize("planes", ["1", "0"], ids=["plane-chunks", "whole-chunks"])
def test_a_damaged_chunk_names_its_key_and_the_store(
    local_files: PortalFiles,
    tmp_path: Path,
    serve_folder: Callable[..., ReplicaServer],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
    where: str,
    planes: str,
) -> None:
    monkeypatch.setenv(PLANE_CHUNKS_ENV, planes)
    store = _copy(local_files, tmp_path)
    _damage(store / "0" / "0" / "1" / "2", how)
    source = str(store)
    if where == "http":
        source = f"{serve_folder(tmp_path).files_url}/t.zarr"
    data, _, kind = read_tomogram(source, voxel_spacing=10.0)  # opening reads no chunk
    assert kind == "image"
    with pytest.raises(ReaderError) as info:
        np.asarray(data[0][3])  # z 3 of level 0 cuts chunk 0/1/2
    message = str(info.value)
    assert "chunk 0/1/2" in message and f"{source}/0" in message, message
    assert info.value.__cause__ is not None  # the codec's own error is kept
    # Chunks beside it still read, and the other levels are untouched.
    assert np.asarray(data[0][3, :16, :16]).any()
    assert np.asarray(data[1][1]).any()


def test_a_damaged_chunk_through_the_reader_entry_point(
    local_files: PortalFiles, tmp_path: Path
) -> None:
    store = _copy(local_files, tmp_path)
    _damage(store / "0" / "1" / "0" / "0", "garbage")
    reader = get_reader(str(store))
    assert reader is not None
    ((data, kwargs, kind),) = reader(str(store))
    assert kind == "image" and kwargs["multiscale"]
    with pytest.raises(ReaderError, match=rf"chunk 1/0/0 of {re.escape(str(store))}/0"):
        np.asarray(data[0][20])


# --- data types that are not numbers --------------------------------------------------


@pytest.mark.parametrize(
    "dtype",
    ["|O", "<U8", "|S4", "<c8", [["a", "<f4"], ["b", "<i4"]]],
    ids=["object", "unicode", "bytes", "complex", "structured"],
)
def test_an_array_that_is_not_numbers_is_refused(
    local_files: PortalFiles, tmp_path: Path, dtype: Any
) -> None:
    store = _copy(local_files, tmp_path)
    _edit_levels(store, dtype=dtype, fill_value=None)
    with pytest.raises(
        ReaderError, match=rf"{re.escape(str(store))}/0(/\.zarray)?: data type .* is not numeric"
    ):
        read_tomogram(store)
    # The same refusal through napari's entry point and as an annotation mask.
    reader = get_reader(str(store))
    assert reader is not None
    with pytest.raises(ReaderError, match="is not numeric"):
        reader(str(store))
    mask = tmp_path / "VoxelSpacing10.000" / "cell-1.0_segmentationmask.zarr"
    shutil.copytree(store, mask)
    with pytest.raises(ReaderError, match=rf"{re.escape(str(mask))}/0(/\.zarray)?: data type"):
        read_annotation_file(mask)


def test_consolidated_metadata_cannot_hide_a_string_array(
    local_files: PortalFiles, tmp_path: Path
) -> None:
    """zarr opens levels from ``.zmetadata`` when there is one: its word is checked too."""
    store = _copy(local_files, tmp_path)
    zarr.consolidate_metadata(str(store), zarr_format=2)
    consolidated = json.loads((store / ".zmetadata").read_text())
    consolidated["metadata"]["0/.zarray"].update(dtype="<U8", fill_value="")
    (store / ".zmetadata").write_text(json.dumps(consolidated))
    with pytest.raises(
        ReaderError, match=rf"{re.escape(str(store))}/0: data type '<U8' is not numeric"
    ):
        read_tomogram(store)


def test_zarr_3_strings_are_refused(tmp_path: Path) -> None:
    store = tmp_path / "s.zarr"
    group = zarr.open_group(str(store), mode="w", zarr_format=3)
    group.create_array("0", shape=(4, 4, 4), chunks=(2, 2, 2), dtype=str)[:] = "text"
    axes = [{"name": a, "type": "space", "unit": "angstrom"} for a in "zyx"]
    scale = [{"type": "scale", "scale": [5.0] * 3}]
    group.attrs["ome"] = {
        "version": "0.5",
        "multiscales": [
            {"axes": axes, "datasets": [{"path": "0", "coordinateTransformations": scale}]}
        ],
    }
    meta = store / "0" / "zarr.json"
    assert {c["name"] for c in json.loads(meta.read_text())["codecs"]} >= {"vlen-utf8"}
    with pytest.raises(
        ReaderError,
        match=rf"{re.escape(str(store))}/0(/zarr\.json)?: data type 'string' is not numeric",
    ):
        read_tomogram(store)
    # A numeric data type does not make the string codec acceptable.
    doc = json.loads(meta.read_text())
    doc.update(data_type="float32", fill_value=0.0)
    meta.write_text(json.dumps(doc))
    with pytest.raises(
        ReaderError,
        match=rf"{re.escape(str(store))}/0(/zarr\.json)?: codec 'vlen-utf8' .*decodes to strings",
    ):
        read_tomogram(store)


# --- nothing is unpickled ---------------------------------------------------------------


def test_the_payload_would_run_if_unpickled(tmp_path: Path) -> None:
    """The payload of the next test is live: unpickling it creates its marker."""
    marker = tmp_path / "ran"
    pickle.loads(_payload(marker))  # noqa: S301 - the point of the test
    assert marker.exists()


@pytest.mark.parametrize("dtype", ["<f4", "|O"])
@pytest.mark.parametrize("role", ["compressor", "filter"])
def test_the_pickle_codec_is_refused_and_nothing_unpickled(
    local_files: PortalFiles, tmp_path: Path, role: str, dtype: str
) -> None:
    store = _copy(local_files, tmp_path)
    marker = tmp_path / "unpickled"
    pickle_codec = {"id": "pickle", "protocol": 5}
    if role == "compressor":
        _edit_levels(store, dtype=dtype, compressor=pickle_codec, filters=None)
    else:
        _edit_levels(store, dtype=dtype, compressor=None, filters=[pickle_codec])
    for chunk in _chunks(store):
        chunk.write_bytes(_payload(marker))
    expected = "codec 'pickle' .*unpickling can run code" if dtype == "<f4" else "data type"
    with pytest.raises(ReaderError, match=rf"{re.escape(str(store))}/0(/\.zarray)?: {expected}"):
        read_tomogram(store)
    reader = get_reader(str(store))
    assert reader is not None
    with pytest.raises(ReaderError, match=expected):
        reader(str(store))
    assert not marker.exists()


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_the_dask_wrappers_refuse_what_zarr_opens_as_strings(
    tmp_path: Path, zarr_format: int
) -> None:
    """zarr itself opens string arrays (object dtype with ``vlen-utf8``): the wrappers that
    every level goes through check the metadata zarr parsed, whoever opened the array."""
    path = tmp_path / "strings.zarr"
    zarr.create_array(
        str(path), shape=(4, 4, 4), chunks=(2, 2, 2), dtype=str, zarr_format=zarr_format
    )[:] = "x"
    array = zarr.open_array(str(path), mode="r")
    for wrap in (thin_dask, whole_chunk_dask):
        with pytest.raises(
            ReaderError, match=rf"{re.escape(str(path))}: data type .* is not numeric"
        ):
            wrap(array)


# --- scales and translations ------------------------------------------------------------

NAN, INF = float("nan"), float("inf")


def _set_transforms(store: Path, scale: list[float], translation: list[float] | None) -> None:
    attrs = json.loads((store / ".zattrs").read_text())
    for k, dataset in enumerate(attrs["multiscales"][0]["datasets"]):
        dataset["coordinateTransformations"] = [
            {"type": "scale", "scale": [s * 2**k for s in scale]}
        ] + ([{"type": "translation", "translation": translation}] if translation else [])
    (store / ".zattrs").write_text(json.dumps(attrs))  # NaN and Infinity as JSON allows


@pytest.mark.parametrize(
    ("scale", "translation"),
    [
        ([0.0, 10.0, 10.0], None),
        ([-10.0, -10.0, -10.0], None),
        ([10.0, -10.0, 10.0], None),
        ([NAN, 10.0, 10.0], None),
        ([INF, INF, INF], None),
        ([10.0, 10.0, 10.0], [NAN, 5.0, -INF]),
    ],
    ids=["zero", "negative", "one-negative", "nan", "inf", "nan-translation"],
)
@pytest.mark.parametrize("where", ["local", "http"])
def test_bad_scales_and_translations_are_corrected_with_a_warning(
    local_files: PortalFiles,
    tmp_path: Path,
    serve_folder: Callable[..., ReplicaServer],
    scale: list[float],
    translation: list[float] | None,
    where: str,
) -> None:
    store = _copy(local_files, tmp_path)
    _set_transforms(store, scale, translation)
    source = str(store)
    if where == "http":
        source = f"{serve_folder(tmp_path).files_url}/t.zarr"
    with pytest.warns(UserWarning, match="scales must be positive finite") as record:
        data, kwargs, _ = read_tomogram(source, voxel_spacing=10.0)
    message = next(str(r.message) for r in record if "positive finite" in str(r.message))
    assert message.startswith(f"{source}: ") and "level '0'" in message
    scale_out = np.asarray(kwargs["scale"], dtype=float)
    assert np.all(np.isfinite(scale_out)) and np.all(scale_out > 0)  # never mirrored
    # Where any axis was good it gives the spacing; where none was, the voxel spacing.
    assert np.allclose(scale_out, 10.0)
    translate = np.asarray(kwargs.get("translate", (0.0, 0.0, 0.0)), dtype=float)
    assert np.all(np.isfinite(translate))
    if translation:
        assert np.allclose(translate, [0.0, 5.0, 0.0])
    # Coarser levels stay binned 2x and 4x against the finest, and the data reads.
    assert np.asarray(data[0][5]).any() and len(data) == 3


def _edit_multiscale(store: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    attrs = json.loads((store / ".zattrs").read_text())
    edit(attrs["multiscales"][0])
    (store / ".zattrs").write_text(json.dumps(attrs))


def _level_scale(value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(ms: dict[str, Any]) -> None:
        ms["datasets"][0]["coordinateTransformations"] = [{"type": "scale", "scale": value}]

    return edit


@pytest.mark.parametrize(
    "edit",
    [
        _level_scale([1e308] * 3),  # finite, but napari's extents overflow
        _level_scale([1e-320] * 3),  # positive, but its inverse overflows
        _level_scale([10**400] * 3),  # an integer no float holds
        _level_scale([10, "10", None]),
        lambda ms: [axis.update(unit=["angstrom"]) for axis in ms["axes"]],
    ],
    ids=["1e308", "subnormal", "10^400", "not-numbers", "unit-not-a-name"],
)
def test_odd_numbers_in_the_multiscale_are_corrected(
    local_files: PortalFiles, tmp_path: Path, edit: Callable[[dict[str, Any]], None]
) -> None:
    store = _copy(local_files, tmp_path)
    _edit_multiscale(store, edit)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        _, kwargs, _ = read_tomogram(store, voxel_spacing=10.0)
    assert np.allclose(kwargs["scale"], 10.0)
    messages = [str(r.message) for r in record]
    assert all(m.startswith(f"{store}: ") for m in messages), messages


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda ms: ms.update(axes=5), "'axes' and 'datasets' of 'multiscales' must be lists"),
        (lambda ms: ms.update(datasets={"path": "0"}), "'axes' and 'datasets' .* must be lists"),
        (_level_scale("10"), r"level '0': scale '10' does not give one number per axis"),
        (_level_scale([10.0, 10.0]), r"level '0': scale \[10.0, 10.0\] does not give one number"),
    ],
    ids=["axes", "datasets", "scale-string", "scale-length"],
)
def test_malformed_multiscales_are_refused_naming_the_store(
    local_files: PortalFiles, tmp_path: Path, edit: Callable[[dict[str, Any]], None], expected: str
) -> None:
    store = _copy(local_files, tmp_path)
    _edit_multiscale(store, edit)
    with pytest.raises(ReaderError, match=rf"{re.escape(str(store))}: {expected}"):
        read_tomogram(store)
