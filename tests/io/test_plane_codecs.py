"""Plane-chunk reads decode chunks with the array's own codecs, whatever they are.

Zarr format 2 chunks without filters are fetched as raw bytes and decoded by the array's
compressor; anything else goes through zarr. Either way a read equals numpy slicing of
the written array, and chunks never written read as the fill value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
from numcodecs import Blosc as BloscV2
from numcodecs import Delta, GZip, Zstd
from zarr.codecs import BloscCodec

from napari_cryoet_explorer.io.chunk_cache import ChunkCache
from napari_cryoet_explorer.io.errors import ReaderError
from napari_cryoet_explorer.io.plane_chunks import thin_dask
from napari_cryoet_explorer.io.plane_reader import PlaneReader

SHAPE = (21, 30, 17)  # no axis a multiple of the chunks: edge chunks everywhere
CHUNKS = (8, 16, 8)
V2_KEYS = {"name": "v2", "separator": "/"}

CASES: dict[str, tuple[dict[str, Any], bool]] = {
    "float32 blosc lz4 (the portal's)": (
        {"dtype": "<f4", "compressors": BloscV2(cname="lz4"), "fill_value": 0.0},
        True,
    ),
    "big-endian float32 blosc zstd bitshuffle": (
        {"dtype": ">f4", "compressors": BloscV2(cname="zstd", shuffle=2), "fill_value": -1.5},
        True,
    ),
    "int8 zstd, fill 7": ({"dtype": "i1", "compressors": Zstd(), "fill_value": 7}, True),
    "uint16 gzip, no fill value": (
        {"dtype": "<u2", "compressors": GZip(), "fill_value": None},
        True,
    ),
    "int16 uncompressed": ({"dtype": "<i2", "compressors": None, "fill_value": 3}, True),
    "a filter (through zarr)": (
        {"dtype": "<i2", "filters": [Delta(dtype="<i2")], "compressors": Zstd(), "fill_value": 1},
        False,
    ),
    "Fortran order (through zarr)": (
        {"dtype": "<f4", "compressors": GZip(), "fill_value": 0.0, "order": "F"},
        False,
    ),
}


def _expected(data: np.ndarray, fill: Any) -> np.ndarray:
    """``data`` where written (the first z chunk), the fill value in the other chunks."""
    out = np.full(SHAPE, 0 if fill is None else fill, dtype=data.dtype)
    out[: CHUNKS[0]] = data[: CHUNKS[0]]
    return out


def _written(path: Path, zarr_format: int, **options: Any) -> tuple[zarr.Array, np.ndarray]:
    """An array whose first row of z chunks is written; the other chunks do not exist."""
    dtype = np.dtype(options["dtype"])
    rng = np.random.default_rng(3)
    data = (rng.normal(size=SHAPE) * 40).astype(dtype)
    if zarr_format == 2:
        options = {**options, "chunk_key_encoding": V2_KEYS}
    array = zarr.create_array(
        str(path), shape=SHAPE, chunks=CHUNKS, zarr_format=zarr_format, **options
    )
    array[: CHUNKS[0]] = data[: CHUNKS[0]]
    return zarr.open_array(str(path), mode="r"), _expected(data, options.get("fill_value"))


@pytest.mark.parametrize("case", list(CASES))
def test_reads_equal_numpy_slicing(tmp_path: Path, case: str) -> None:
    options, raw = CASES[case]
    array, expected = _written(tmp_path / "a.zarr", 2, **options)
    reader = PlaneReader(array, ChunkCache(10**7))
    assert reader.raw is raw
    for z in (0, 7, 8, SHAPE[0] - 1):  # written chunks, missing ones, the last plane
        np.testing.assert_array_equal(reader[z], expected[z])
    np.testing.assert_array_equal(reader[3:19, 5:29, 1:17], expected[3:19, 5:29, 1:17])
    np.testing.assert_array_equal(
        np.asarray(thin_dask(array, ChunkCache(10**7))), expected
    )  # every block, as napari would compute them
    assert np.asarray(thin_dask(array, ChunkCache(10**7))).dtype == expected.dtype


def test_zarr_3_arrays_are_read_through_zarr(tmp_path: Path) -> None:
    options = {"dtype": "<u2", "compressors": BloscCodec(cname="lz4"), "fill_value": 9}
    array, expected = _written(tmp_path / "a.zarr", 3, **options)
    reader = PlaneReader(array, ChunkCache(10**7))
    assert not reader.raw
    np.testing.assert_array_equal(reader[:], expected)


def test_a_chunk_of_the_wrong_size_is_an_error_naming_it(tmp_path: Path) -> None:
    options = {"dtype": "<f4", "compressors": BloscV2(cname="lz4"), "fill_value": 0.0}
    array, expected = _written(tmp_path / "a.zarr", 2, **options)
    small = BloscV2(cname="lz4").encode(np.zeros(10, dtype="<f4"))
    (tmp_path / "a.zarr" / "0" / "1" / "1").write_bytes(small)  # decodes, but too short
    reader = PlaneReader(array, ChunkCache(10**7))
    with pytest.raises(ReaderError, match=r"cannot decode chunk 0/1/1 of .*a\.zarr"):
        reader[0]
    np.testing.assert_array_equal(reader[0, :16, :16], expected[0, :16, :16])
