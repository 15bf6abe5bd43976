"""Planes of a tomogram read over HTTP through the bounded chunk cache.

A float32 OME-Zarr (NGFF 0.4, zarr 2, '/' separator, blosc) is written into tmp_path
and served by the replica; every chunk read is one request in its log.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import dask
import numpy as np
import pytest
import zarr
from numcodecs import Blosc

from napari_cryoet_explorer.io import read_tomogram
from napari_cryoet_explorer.io.chunk_cache import ChunkCache, default_cache
from napari_cryoet_explorer.io.errors import ReaderError
from napari_cryoet_explorer.io.ome_zarr import PLANE_CHUNKS_ENV, open_group, read_multiscale
from napari_cryoet_explorer.io.plane_chunks import is_plane_chunked, thin_dask
from napari_cryoet_explorer.io.plane_reader import SLAB_PLANES, SLAB_SHARE, PlaneReader
from napari_cryoet_explorer.net.cache_config import OFF_ENV
from napari_cryoet_explorer.replica.server import ReplicaServer

SHAPE = (40, 72, 80)
CHUNKS = (16, 32, 32)
METADATA = (".zattrs", ".zgroup", ".zarray", "zarr.json")


@pytest.fixture(autouse=True)
def _every_read_counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No on-disk cache (it would answer repeated reads), and an empty chunk cache."""
    monkeypatch.setenv(OFF_ENV, "1")
    monkeypatch.delenv(PLANE_CHUNKS_ENV, raising=False)  # the default: planes of chunks
    default_cache().clear()
    yield
    default_cache().clear()


@pytest.fixture(scope="module")
def source() -> np.ndarray:
    return np.random.default_rng(7).normal(size=SHAPE).astype(np.float32)


@pytest.fixture
def served(
    tmp_path: Path,
    source: np.ndarray,
    serve_folder: Callable[..., ReplicaServer],
) -> tuple[ReplicaServer, str]:
    """The source as a two-level OME-Zarr over HTTP: the server and the image's URL."""
    # The portal's layout: zarr 2, '/' between chunk indices, blosc lz4.
    group = zarr.open_group(str(tmp_path / "t.zarr"), mode="w", zarr_format=2)
    for k, level in enumerate([source, source[::2, ::2, ::2]]):
        group.create_array(
            str(k),
            data=level,
            chunks=CHUNKS,
            chunk_key_encoding={"name": "v2", "separator": "/"},
            compressors=Blosc(cname="lz4"),
        )
    group.attrs["multiscales"] = [
        {
            "version": "0.4",
            "axes": [{"name": a, "type": "space", "unit": "angstrom"} for a in "zyx"],
            "datasets": [
                {
                    "path": str(k),
                    "coordinateTransformations": [{"type": "scale", "scale": [10.0 * 2**k] * 3}],
                }
                for k in range(2)
            ],
        }
    ]
    server = serve_folder(tmp_path)
    return server, f"{server.files_url}/t.zarr"


def _chunk_reads(server: ReplicaServer) -> list[tuple[int, ...]]:
    """``(level, z, y, x)`` of every chunk fetched."""
    reads = []
    for record in server.records("file"):
        inside = record.path.split(".zarr/", 1)[-1]
        if record.status == 200 and inside.rsplit("/", 1)[-1] not in METADATA:
            reads.append(tuple(int(p) for p in inside.split("/")))
    return reads


def _plane_chunks(level: int, z: int, shape: tuple[int, ...]) -> set[tuple[int, ...]]:
    ys, xs = (-(-n // c) for n, c in zip(shape[1:], CHUNKS[1:], strict=True))
    return {(level, z // CHUNKS[0], y, x) for y in range(ys) for x in range(xs)}


def _as_napari(array: Any) -> np.ndarray:
    """Compute the way napari slices: threaded, with dask's task fusion off."""
    with dask.config.set({"optimization.fuse.active": False}):
        return np.asarray(array)


def test_a_plane_fetches_each_of_its_chunks_once(
    served: tuple[ReplicaServer, str], source: np.ndarray
) -> None:
    server, url = served
    level0 = read_multiscale(url).levels[0]
    assert level0.chunks[0] == (1,) * SHAPE[0]  # napari's blocks are single planes
    assert level0.chunks[1:] == ((32, 32, 8), (32, 32, 16))
    server.clear_log()
    plane = _as_napari(level0[20])
    np.testing.assert_array_equal(plane, source[20])
    reads = _chunk_reads(server)
    assert len(reads) == len(set(reads))
    assert set(reads) == _plane_chunks(0, 20, SHAPE)

    # The next planes inside the same chunks: from memory, no request.
    server.clear_log()
    for z in (21, 31, 16):
        np.testing.assert_array_equal(_as_napari(level0[z]), source[z])
    assert _chunk_reads(server) == []

    # A plane in the next row of chunks fetches that row only.
    np.testing.assert_array_equal(_as_napari(level0[32]), source[32])
    assert set(_chunk_reads(server)) == _plane_chunks(0, 32, SHAPE)


def test_any_region_equals_the_source(
    served: tuple[ReplicaServer, str], source: np.ndarray
) -> None:
    _, url = served
    levels = read_multiscale(url).levels
    np.testing.assert_array_equal(_as_napari(levels[0]), source)
    np.testing.assert_array_equal(_as_napari(levels[1]), source[::2, ::2, ::2])
    np.testing.assert_array_equal(levels[0][3:37, 5:70, 31:33].compute(), source[3:37, 5:70, 31:33])
    np.testing.assert_array_equal(levels[0][-1, ::3, 7].compute(), source[-1, ::3, 7])
    reader = PlaneReader(open_group(url)["0"], ChunkCache(10**7))
    np.testing.assert_array_equal(reader[..., -1], source[..., -1])
    np.testing.assert_array_equal(reader[::2, 0], source[::2, 0])  # a step: zarr reads
    np.testing.assert_array_equal(reader[5:5], source[5:5])


def test_the_cache_stays_in_its_budget(
    served: tuple[ReplicaServer, str], source: np.ndarray
) -> None:
    server, url = served
    # Room for a few slabs only: a plane of 9 chunks does not fit whole.
    slab = CHUNKS[1] * CHUNKS[2] * 4
    cache = ChunkCache(budget=6 * slab)
    level0 = thin_dask(open_group(url)["0"], cache=cache)
    assert level0.dask is not None
    for z in range(SHAPE[0]):
        np.testing.assert_array_equal(_as_napari(level0[z]), source[z])
        held = cache.items()
        assert 0 < cache.nbytes <= cache.budget
        assert cache.nbytes == sum(v.nbytes for _, v in held)
        assert len(held) == len(cache)
    # What did not fit was fetched again: correct, only slower.
    assert len(_chunk_reads(server)) > 3 * 9


def test_lru_drops_the_least_recently_used() -> None:
    cache = ChunkCache(budget=3 * 800)
    for key in "abc":
        cache.put(key, np.zeros(100))  # 800 bytes each
    assert cache.get("a") is not None  # "b" is now the oldest
    cache.put("d", np.zeros(100))
    assert cache.get("b") is None and len(cache) == 3 and cache.nbytes == 2400
    cache.put("d", np.zeros(50))  # replaced, accounted once
    assert cache.nbytes == 2000
    cache.put("huge", np.zeros(1000))  # larger than the budget: not kept
    assert cache.get("huge") is None and cache.nbytes == 2000


class _Counting(threading.Semaphore):
    """A semaphore that remembers how many held it at once."""

    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.active = self.most = 0
        self._count = threading.Lock()

    def __enter__(self) -> bool:
        taken = super().__enter__()
        with self._count:
            self.active += 1
            self.most = max(self.most, self.active)
        return taken

    def __exit__(self, *exc: object) -> None:
        with self._count:
            self.active -= 1
        super().__exit__(*exc)


def test_concurrent_plane_reads(served: tuple[ReplicaServer, str], source: np.ndarray) -> None:
    server, url = served
    server.latency_ms = 20.0  # requests overlap unless something holds them back
    loads = _Counting(2)
    level0 = thin_dask(open_group(url)["0"], cache=ChunkCache(10**8), loads=loads)
    server.clear_log()
    planes = [int(z) for z in np.random.default_rng(1).integers(0, SHAPE[0], 48)]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda z: np.asarray(level0[z].compute(scheduler="threads")), planes))
    for z, plane in zip(planes, got, strict=True):
        np.testing.assert_array_equal(plane, source[z])
    reads = _chunk_reads(server)
    # Each chunk fetched once although several threads wanted it at the same time...
    assert len(reads) == len(set(reads))
    assert set(reads) == set().union(*(_plane_chunks(0, z, SHAPE) for z in planes))
    # ...and never more than two fetched at once.
    assert loads.most == 2


def test_the_switch_turns_plane_chunks_off(
    served: tuple[ReplicaServer, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, url = served
    levels, kwargs, _ = read_tomogram(url)
    assert all(is_plane_chunked(level) for level in levels)
    assert kwargs["cache"] is False  # napari's dask cache off: our LRU keeps the planes
    monkeypatch.setenv(PLANE_CHUNKS_ENV, "0")
    levels, kwargs, _ = read_tomogram(url)
    assert not any(is_plane_chunked(level) for level in levels)
    assert levels[0].chunksize == CHUNKS and "cache" not in kwargs  # napari's defaults


def test_the_on_disk_cache_answers_again_and_offline(
    served: tuple[ReplicaServer, str], source: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, url = served
    monkeypatch.delenv(OFF_ENV)  # the on-disk cache on (a folder of this test's own)
    level0 = read_multiscale(url).levels[0]
    server.clear_log()
    np.testing.assert_array_equal(_as_napari(level0[20]), source[20])
    assert set(_chunk_reads(server)) == _plane_chunks(0, 20, SHAPE)
    # The slabs dropped from memory: the chunks come back from disk, not the network...
    default_cache().clear()
    server.clear_log()
    np.testing.assert_array_equal(_as_napari(level0[21]), source[21])
    assert _chunk_reads(server) == []
    # ...also with the server answering nothing but errors.
    default_cache().clear()
    server.error_rate = 1.0
    np.testing.assert_array_equal(_as_napari(level0[22]), source[22])


def test_a_chunk_that_cannot_be_fetched_names_its_key_and_url(
    served: tuple[ReplicaServer, str], source: np.ndarray
) -> None:
    server, url = served
    level0 = read_multiscale(url).levels[0]
    server.error_rate = 1.0  # every request answered 503
    with pytest.raises(ReaderError, match=rf"cannot read chunk 1/\d/\d of {re.escape(url)}/0"):
        _as_napari(level0[20])
    server.error_rate = 0.0
    np.testing.assert_array_equal(_as_napari(level0[20]), source[20])  # nothing kept broken


def test_a_chunk_that_cannot_be_decoded_names_its_key_and_url(
    served: tuple[ReplicaServer, str], source: np.ndarray, tmp_path: Path
) -> None:
    _, url = served
    chunk = tmp_path / "t.zarr" / "0" / "2" / "1" / "0"
    chunk.write_bytes(chunk.read_bytes()[:20])
    level0 = read_multiscale(url).levels[0]
    with pytest.raises(ReaderError, match=rf"cannot decode chunk 2/1/0 of {re.escape(url)}/0"):
        _as_napari(level0[35])
    np.testing.assert_array_equal(_as_napari(level0[5]), source[5])  # other chunks read


def test_missing_chunks_read_as_the_fill_value(
    served: tuple[ReplicaServer, str], source: np.ndarray, tmp_path: Path
) -> None:
    server, url = served
    (tmp_path / "t.zarr" / "0" / "0" / "1" / "2").unlink()  # the server answers 404
    level0 = read_multiscale(url).levels[0]
    server.clear_log()
    expected = source[3].copy()
    expected[32:64, 64:80] = 0  # the written array's fill value
    np.testing.assert_array_equal(_as_napari(level0[3]), expected)
    # Remembered like any chunk: the next plane asks for nothing.
    server.clear_log()
    np.testing.assert_array_equal(_as_napari(level0[4])[32:64, 64:80], 0)
    assert _chunk_reads(server) == []


def test_slabs_tile_the_chunk_within_the_budget(served: tuple[ReplicaServer, str]) -> None:
    _, url = served
    array = open_group(url)["0"]
    plane = SHAPE[1] * SHAPE[2] * 4
    room = [(10**9, SLAB_PLANES), (5 * plane, 4), (8 * plane, 8), (plane, 1), (1, 1)]
    for planes, depth in room:
        reader = PlaneReader(array, ChunkCache(int(planes / SLAB_SHARE)))
        assert reader.slab_depth == depth
        assert CHUNKS[0] % depth == 0  # no short slab at the end of a chunk


def test_one_chunk_read_keeps_the_slab_asked_for(
    served: tuple[ReplicaServer, str], source: np.ndarray
) -> None:
    server, url = served
    plane = SHAPE[1] * SHAPE[2] * 4
    cache = ChunkCache(int(4 * plane / SLAB_SHARE))  # slabs of 4 planes
    reader = PlaneReader(open_group(url)["0"], cache)
    server.clear_log()
    np.testing.assert_array_equal(reader[18], source[18])  # slab 16-19 of chunk row 1
    np.testing.assert_array_equal(reader[19], source[19])
    reads = _chunk_reads(server)
    assert sorted(reads) == sorted(_plane_chunks(0, 18, SHAPE))
    assert {v.shape[0] for _, v in cache.items()} == {4}
    assert cache.nbytes == 4 * plane  # edge chunks keep only their part inside the array
    np.testing.assert_array_equal(reader[20], source[20])  # the next slab: read again
    assert len(_chunk_reads(server)) == 2 * 9
