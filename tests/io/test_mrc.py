"""MRC / REC: lazy, voxel size from the header, locally (memory map) and over HTTP (ranges)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import dask.array as da
import mrcfile
import numpy as np
import pytest
from portal_files import PortalFiles

from napari_cryoet_explorer.io import ReaderError, read_tomogram
from napari_cryoet_explorer.io.mrc import read_mrc
from napari_cryoet_explorer.replica.server import ReplicaServer


def _volume(shape: tuple[int, int, int] = (6, 8, 10)) -> np.ndarray:
    return np.arange(np.prod(shape), dtype=np.float32).reshape(shape)


def _write(path: Path, data: np.ndarray, voxel_size: float | None = 4.5) -> Path:
    with mrcfile.new(str(path), overwrite=True) as mrc:
        mrc.set_data(data)
        if voxel_size is not None:
            mrc.voxel_size = voxel_size
    return path


def test_local_mrc_is_lazy_with_header_voxel_size(tmp_path: Path) -> None:
    path = _write(tmp_path / "tomo.rec", _volume())
    data, kwargs, kind = read_tomogram(path)
    assert kind == "image" and isinstance(data, da.Array) and not kwargs["multiscale"]
    assert kwargs["scale"] == (4.5, 4.5, 4.5)
    assert np.array_equal(np.asarray(data[3]), _volume()[3])
    # An explicit spacing (from the portal) wins over the header.
    _, kwargs, _ = read_tomogram(path, voxel_spacing=9.0)
    assert kwargs["scale"] == (9.0, 9.0, 9.0)


def test_no_voxel_size_opens_in_voxels(tmp_path: Path) -> None:
    path = _write(tmp_path / "bare.mrc", _volume(), voxel_size=None)
    with pytest.warns(UserWarning, match="voxel units"):
        _, kwargs, _ = read_tomogram(path)
    assert kwargs["scale"] == (1.0, 1.0, 1.0)


def test_mrc_over_http_reads_by_ranges(
    tmp_path: Path, serve_folder: Callable[..., ReplicaServer]
) -> None:
    volume = _volume((16, 32, 48))
    _write(tmp_path / "tomo.mrc", volume, voxel_size=13.48)
    server = serve_folder(tmp_path)
    url = f"{server.files_url}/tomo.mrc"
    server.clear_log()
    data, voxel = read_mrc(url)
    assert voxel == pytest.approx(13.48) and data.shape == volume.shape
    opened = sum(r.bytes for r in server.records("file"))
    assert opened <= 1024 + 64  # the header, and a HEAD for the size
    server.clear_log()
    plane = np.asarray(data[5])
    assert np.array_equal(plane, volume[5])
    fetched = sum(r.bytes for r in server.records("file"))
    assert fetched == volume[5].nbytes  # one plane's bytes, not the file
    assert np.array_equal(np.asarray(data[2:7, 3:9, ::5]), volume[2:7, 3:9, ::5])


def test_portal_mrc_matches_its_zarr(files: PortalFiles) -> None:
    mrc, mrc_kwargs, _ = read_tomogram(files.source(files.tomogram(fmt="mrc")))
    zarr_data, zarr_kwargs, _ = read_tomogram(files.source(files.tomogram()))
    assert mrc_kwargs["scale"] == zarr_kwargs["scale"] == (10.0, 10.0, 10.0)
    assert np.array_equal(np.asarray(mrc[7]), np.asarray(zarr_data[0][7]))
    assert mrc_kwargs["name"] == zarr_kwargs["name"] == "TS_001 tomogram 100"


@pytest.mark.parametrize("http", [False, True], ids=["local", "http"])
def test_truncated_mrc_names_the_file(
    tmp_path: Path, serve_folder: Callable[..., ReplicaServer], http: bool
) -> None:
    good = _write(tmp_path / "good.mrc", _volume())
    cut = tmp_path / "cut.mrc"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size - 100])
    junk = tmp_path / "junk.mrc"
    junk.write_bytes(b"not an mrc file at all" * 100)
    source = str(cut)
    if http:
        server = serve_folder(tmp_path)
        source = f"{server.files_url}/cut.mrc"
        with pytest.raises(ReaderError, match="junk.mrc"):
            read_tomogram(f"{server.files_url}/junk.mrc")
        with pytest.raises(ReaderError, match="missing.mrc"):
            read_tomogram(f"{server.files_url}/missing.mrc")
    else:
        with pytest.raises(ReaderError, match="junk.mrc"):
            read_tomogram(junk)
    with pytest.raises(ReaderError, match="cut.mrc"):
        read_tomogram(source)


def test_copy_of_portal_mrc_keeps_its_voxel_size(local_files: PortalFiles, tmp_path: Path) -> None:
    """Out of the download (no metadata, no folder name) the header alone places it."""
    copy = tmp_path / "loose.mrc"
    shutil.copy(local_files.tomogram(fmt="mrc"), copy)
    _, kwargs, _ = read_tomogram(copy)
    assert kwargs["scale"] == (10.0, 10.0, 10.0) and kwargs["name"] == "loose.mrc"


# Header words (little-endian int32, as mrcfile writes them): byte offset, new value.
BAD_HEADERS = {
    "negative nx": ([(0, -10)], r"size -10 x 8 x 6 voxels"),
    "2^21 voxels a side": ([(0, 2**21)], r"size 2097152 x 8 x 6 voxels"),
    "2^21 voxels every side": ([(0, 2**21), (4, 2**21), (8, 2**21)], r"size 2097152 x"),
    "zero nz": ([(8, 0)], r"size 10 x 8 x 0 voxels"),
    "sides within limits, exabytes in all": (
        [(0, 2**20), (4, 2**20), (8, 2**20)],
        r"more than the .* read here",
    ),
    "negative nsymbt": ([(92, -5000)], r"extended header of -5000 bytes"),
    "nsymbt beyond the file": ([(92, 2**31 - 1)], r"truncated \(2,944 of 2,147,486,591 bytes"),
    "more planes than the file": ([(8, 600)], r"truncated \(2,944 of 193,024 bytes"),
    "unknown mode": ([(12, 99)], r"bad MRC header: .*mode"),
}


def _broken(path: Path, words: list[tuple[int, int]]) -> Path:
    raw = bytearray(_write(path, _volume()).read_bytes())
    for offset, value in words:
        raw[offset : offset + 4] = np.int32(value).astype("<i4").tobytes()
    path.write_bytes(bytes(raw))
    return path


@pytest.mark.parametrize("case", list(BAD_HEADERS))
@pytest.mark.parametrize("http", [False, True], ids=["local", "http"])
def test_bad_headers_are_refused_before_anything_is_mapped(
    tmp_path: Path,
    serve_folder: Callable[..., ReplicaServer],
    monkeypatch: pytest.MonkeyPatch,
    case: str,
    http: bool,
) -> None:
    words, expected = BAD_HEADERS[case]
    path = _broken(tmp_path / "bad.mrc", words)
    mapped: list[str] = []

    def no_mapping(*args: object, **kwargs: object) -> None:
        mapped.append(str(args[0]) if args else "?")
        raise AssertionError("mapped a file whose header failed the checks")

    monkeypatch.setattr(mrcfile, "mmap", no_mapping)
    monkeypatch.setattr(np, "memmap", no_mapping)
    source = str(path)
    if http:
        server = serve_folder(tmp_path)
        source = f"{server.files_url}/bad.mrc"
        server.clear_log()
    with pytest.raises(ReaderError, match=expected) as info:
        read_tomogram(source)
    assert source in str(info.value) and not mapped
    assert not isinstance(info.value.__cause__, OverflowError)
    if http:  # the header and the size, no data
        assert sum(r.bytes for r in server.records("file")) <= 1024 + 64


def test_a_bad_header_through_the_reader_entry_point(tmp_path: Path) -> None:
    from napari_cryoet_explorer._reader import get_reader

    path = _broken(tmp_path / "huge.mrc", [(0, 2**21)])
    reader = get_reader(str(path))
    assert reader is not None
    with pytest.raises(ReaderError, match=r"huge\.mrc: bad MRC header: size 2097152"):
        reader(str(path))
