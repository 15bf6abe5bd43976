"""The on-disk cache of what viewing reads: a reopened tomogram is served from disk, with
the replica stopped too; bounded, least recently used evicted; corrupt entries re-read;
safe from several threads; can be turned off."""

from __future__ import annotations

import os
import random
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import dask
import numpy as np
import pytest

from napari_cryoet_explorer.io import ReaderError, read_annotation_file, read_tomogram
from napari_cryoet_explorer.io.mrc import read_mrc
from napari_cryoet_explorer.net import cache_config
from napari_cryoet_explorer.net.cache import HEADER_BYTES, DiskCache, SourceUnavailable
from napari_cryoet_explorer.net.cache_counts import counts, describe
from napari_cryoet_explorer.net.sources import read_bytes, read_json
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal

RUN = "10000/TS_001"
METADATA = (".zattrs", ".zgroup", ".zarray", ".zmetadata", "zarr.json")


@pytest.fixture(autouse=True)
def cache_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own cache folder (replica ports come round again in a session)."""
    root = tmp_path / "cache"
    monkeypatch.setenv("NAPARI_CRYOET_EXPLORER_CACHE", str(root))
    monkeypatch.delenv(cache_config.OFF_ENV, raising=False)
    monkeypatch.delenv(cache_config.MAX_ENV, raising=False)
    return root


def _tomogram(portal: GeneratedPortal, spacing: float = 10.0, fmt: str = "zarr") -> str:
    """The run's tomogram at ``spacing`` (primary alignment), relative to the portal root."""
    truth = portal.ground_truth["runs"][RUN]
    primary = next(int(k) for k, a in truth["alignments"].items() if a["is_primary"])
    return next(
        str(t[fmt])
        for t in truth["tomograms"]
        if t["voxel_spacing"] == spacing and t["alignment_id"] == primary
    )


def _chunk_reads(server: ReplicaServer) -> list[tuple[int, ...]]:
    """``(level, z, y, x)`` of the zarr chunks the server sent."""
    reads = []
    for r in server.records("file"):
        if r.status == 200 and ".zarr/" in r.path:
            inside = r.path.split(".zarr/", 1)[1]
            if inside.rsplit("/", 1)[-1] not in METADATA:
                reads.append(tuple(int(p) for p in inside.split("/")))
    return reads


def _view(source: str | Path, z: int = 20) -> list[np.ndarray]:
    """Open as the widget does and compute one plane of level 0 and of the coarsest."""
    data, _, _ = read_tomogram(source, voxel_spacing=10.0)
    coarsest = data[-1]
    return [np.asarray(data[0][z]), np.asarray(coarsest[coarsest.shape[0] // 2])]


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


@pytest.fixture
def served(
    tiny_portal: GeneratedPortal, replica_factory: Callable[..., ReplicaServer]
) -> Iterator[tuple[ReplicaServer, str, Path]]:
    """A replica, the URL of a tomogram on it, and the same tomogram on disk."""
    server = replica_factory(tiny_portal.root)
    rel = _tomogram(tiny_portal)
    yield server, f"{server.files_url}/{rel}", tiny_portal.root / rel


def test_reopened_tomogram_is_served_from_the_cache_with_the_replica_stopped(
    served: tuple[ReplicaServer, str, Path], cache_root: Path
) -> None:
    server, url, local = served
    truth = _view(local)  # local files are read directly, never cached
    assert not cache_root.exists()

    first = _view(url)
    assert _same(first, truth)
    reads = _chunk_reads(server)
    levels = {r[0] for r in reads}
    assert levels == {0, 2}, reads  # a plane of level 0, one of the coarsest
    assert all(r[1] == 20 // 16 for r in reads if r[0] == 0)
    assert counts(url).misses >= len(reads)
    # zarr asked for keys the server does not have (zarr.json of a v2 store).
    assert any(r.status == 404 for r in server.records("file"))

    # A fresh reader: nothing at all goes to the server, chunks nor metadata.
    server.clear_log()
    before = counts(url)
    assert _same(_view(url), truth)
    assert server.records("file") == []
    read = counts(url) - before
    assert read.all_from_cache and read.hits > len(reads) and read.bytes_from_cache > 0
    assert describe(url, read) == f"from the on-disk cache ({read.hits} files)"

    server.stop()
    offline = _view(url)
    assert _same(offline, truth)

    # A chunk never viewed cannot be read offline: a clear error naming its URL.
    data, _, _ = read_tomogram(url, voxel_spacing=10.0)
    with pytest.raises(SourceUnavailable, match=re.escape(f"{url}/0/0/")) as caught:
        np.asarray(data[0][0])
    assert "not in the on-disk cache" in str(caught.value)


def test_a_tomogram_never_opened_fails_offline_naming_it(
    served: tuple[ReplicaServer, str, Path], tiny_portal: GeneratedPortal
) -> None:
    server, _, _ = served
    other = f"{server.files_url}/{_tomogram(tiny_portal, spacing=20.0)}"
    server.stop()
    with pytest.raises(ReaderError, match=re.escape(other)):
        read_tomogram(other, voxel_spacing=20.0)


def test_fill_value_chunks_are_remembered_absent(
    tiny_portal: GeneratedPortal,
    replica_factory: Callable[..., ReplicaServer],
    tmp_path: Path,
) -> None:
    """A chunk the server lacks holds the fill value, offline as online."""
    rel = _tomogram(tiny_portal)
    site = tmp_path / "site"
    shutil.copytree(tiny_portal.root / rel, site / rel)
    (site / "portal.json").write_text('{"version": 1, "entities": {}}')
    (site / rel / "0/1/0/0").unlink()  # level 0, z block 1, y 0, x 0
    server = replica_factory(site)
    url = f"{server.files_url}/{rel}"
    online = _view(url)
    assert np.all(online[0][:16, :16] == 0) and np.any(online[0] != 0)
    assert any(r.status == 404 and r.path.endswith("/0/1/0/0") for r in server.records())
    server.stop()
    assert _same(_view(url), online)


def test_size_bound_evicts_least_recently_used(tmp_path: Path) -> None:
    entry = 1000 + HEADER_BYTES
    bound = 4 * entry + 10
    disk = DiskCache(tmp_path / "c", bound)
    # Files the cache did not write are never evicted, whatever the folder holds.
    foreign = [tmp_path / "c" / "notes.txt", tmp_path / "c" / "ab" / "keep.txt"]
    for path in foreign:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 3000)
    for name in "abcd":
        disk.store(f"https://x/{name}", name.encode() * 1000)
    assert disk.total_bytes() == 4 * entry
    # Make the order of use explicit, then use "a": it becomes the most recent.
    for age, name in enumerate("abcd"):
        os.utime(disk.path_for(f"https://x/{name}"), (1000.0 + age, 1000.0 + age))
    assert disk.lookup("https://x/a") == (True, b"a" * 1000)

    disk.store("https://x/e", b"e" * 1000)
    present = {n for n in "abcde" if disk.lookup(f"https://x/{n}")[0]}
    assert present == {"a", "d", "e"}  # b and c, least recently used, went
    assert disk.total_bytes() <= bound

    # Another process (a new instance) knows what is on disk and keeps the bound.
    for age, name in enumerate("dae"):
        os.utime(disk.path_for(f"https://x/{name}"), (2000.0 + age, 2000.0 + age))
    again = DiskCache(tmp_path / "c", bound)
    again.store("https://x/f", b"f" * 1000)
    again.store("https://x/g", b"g" * 1000)
    assert {n for n in "adefg" if again.lookup(f"https://x/{n}")[0]} == {"e", "f", "g"}
    assert again.total_bytes() <= bound
    # A value larger than the whole bound is not kept.
    again.store("https://x/big", b"x" * bound)
    assert again.lookup("https://x/big") == (False, None)
    assert all(path.read_bytes() == b"x" * 3000 for path in foreign)


def test_viewing_keeps_the_cache_under_its_bound(
    served: tuple[ReplicaServer, str, Path], cache_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, url, local = served
    bound = 40_000
    monkeypatch.setenv(cache_config.MAX_ENV, str(bound / 2**30))
    data, _, _ = read_tomogram(url, voxel_spacing=10.0)
    whole = np.asarray(data[0])
    truth, _, _ = read_tomogram(local, voxel_spacing=10.0)
    assert np.array_equal(whole, np.asarray(truth[0]))
    disk = cache_config.default_cache()
    assert disk is not None
    disk.flush()
    sizes = [p.stat().st_size for p in cache_root.rglob("*") if p.is_file()]
    assert sizes and sum(sizes) <= bound
    assert sum(r.bytes for r in server.records("file")) > bound  # it did evict


def test_a_corrupt_entry_is_a_miss_and_fetched_again(
    served: tuple[ReplicaServer, str, Path],
) -> None:
    server, url, local = served
    truth = _view(local)
    _view(url)
    disk = cache_config.default_cache()
    assert disk is not None
    disk.flush()  # the entries are written behind the reads
    flipped, cut = f"{url}/0/1/0/0", f"{url}/0/1/1/1"
    path = disk.path_for(flipped)
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0xFF
    path.write_bytes(bytes(raw))
    short = disk.path_for(cut)
    short.write_bytes(short.read_bytes()[:20])
    server.clear_log()
    assert _same(_view(url), truth)
    refetched = {r.path for r in server.records("file")}
    assert refetched == {urlsplit(flipped).path, urlsplit(cut).path}
    server.clear_log()
    assert _same(_view(url), truth) and server.records("file") == []


def test_reads_from_many_threads(served: tuple[ReplicaServer, str, Path]) -> None:
    server, url, local = served
    truth, _, _ = read_tomogram(local)
    data, _, _ = read_tomogram(url, voxel_spacing=10.0)
    with dask.config.set(scheduler="threads", num_workers=8):
        whole = data[0].compute()
    assert np.array_equal(whole, np.asarray(truth[0]))
    reads = [r for r in _chunk_reads(server) if r[0] == 0]
    assert len(reads) == len(set(reads)) == 2 * 3 * 4  # every chunk of level 0, once

    server.stop()
    again, _, _ = read_tomogram(url, voxel_spacing=10.0)
    with ThreadPoolExecutor(8) as pool:
        planes = list(pool.map(lambda z: np.asarray(again[0][z]), range(again[0].shape[0])))
    assert np.array_equal(np.stack(planes), whole)


def test_entries_stay_whole_under_concurrent_writes(tmp_path: Path) -> None:
    disk = DiskCache(tmp_path / "c", 10**7)
    payloads = {f"https://x/{k}": bytes([k]) * (5000 + 997 * k) for k in range(5)}
    bad: list[str] = []

    def work(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(200):
            url = rng.choice(list(payloads))
            if rng.random() < 0.5:
                disk.store(url, payloads[url])
            else:
                found, data = disk.lookup(url)
                if found and data != payloads[url]:
                    bad.append(url)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bad == []
    assert all(disk.lookup(u) == (True, p) for u, p in payloads.items())
    assert not [p for p in (tmp_path / "c").rglob(".tmp-*")]  # no temporary file left


@pytest.mark.parametrize("switch", ["env", "argument"])
def test_the_cache_can_be_turned_off(
    served: tuple[ReplicaServer, str, Path],
    cache_root: Path,
    monkeypatch: pytest.MonkeyPatch,
    switch: str,
) -> None:
    server, url, _ = served
    if switch == "env":
        monkeypatch.setenv(cache_config.OFF_ENV, "1")

    def view() -> None:
        data, _, _ = read_tomogram(url, voxel_spacing=10.0, cache=switch != "argument")
        np.asarray(data[0][20])

    view()
    first = len(_chunk_reads(server))
    server.clear_log()
    view()
    assert first > 0 and len(_chunk_reads(server)) == first  # read again from the server
    assert not cache_root.exists() or not any(cache_root.rglob("*"))


def test_annotations_and_metadata_offline(
    served: tuple[ReplicaServer, str, Path], tiny_portal: GeneratedPortal
) -> None:
    server, url, _ = served
    truth = tiny_portal.ground_truth["runs"][RUN]
    ndjson = next(
        f["path"]
        for a in truth["annotations"]
        if a["object"] == "ribosome" and a["voxel_spacing"] == 10.0
        for f in a["files"]
        if f["path"].endswith("_orientedpoint.ndjson")
    )
    points_url = f"{server.files_url}/{ndjson}"
    kwargs = {"voxel_spacing": 10.0, "object_name": "ribosome", "run_name": "TS_001"}
    online = read_annotation_file(points_url, **kwargs)
    missing = url.rsplit("/", 1)[0] + "/no_such_metadata.json"
    assert read_json(missing) is None
    server.stop()
    offline = read_annotation_file(points_url, **kwargs)
    assert [kind for _, _, kind in offline] == [kind for _, _, kind in online]
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(online, offline, strict=True))
    assert read_json(missing) is None  # the 404 was remembered: no error offline
    with pytest.raises(SourceUnavailable, match=re.escape(f"{url}/.zattrs")):
        read_bytes(f"{url}/.zattrs")  # never read: not in the cache


def test_mrc_ranges_are_cached(
    tiny_portal: GeneratedPortal, replica_factory: Callable[..., ReplicaServer]
) -> None:
    server = replica_factory(tiny_portal.root)
    rel = _tomogram(tiny_portal, fmt="mrc")
    url = f"{server.files_url}/{rel}"
    local, _ = read_mrc(tiny_portal.root / rel)
    data, voxel = read_mrc(url)
    online = np.asarray(data[7])
    assert np.array_equal(online, np.asarray(local[7]))
    server.clear_log()
    again, again_voxel = read_mrc(url)
    assert server.records() == [] and again_voxel == voxel
    server.stop()
    assert np.array_equal(np.asarray(again[7]), online)
    with pytest.raises(SourceUnavailable, match=re.escape(url)):
        np.asarray(again[3])
