"""Local downloads first: a portal URL maps to its complete copy under a remembered
download folder, and a downloaded tomogram with its annotations opens from disk with the
replica stopped, the same layers as from the portal."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from napari_cryoet_explorer.downloads.local_copies import find_local, is_complete, local_copy
from napari_cryoet_explorer.downloads.places import remember_download_folder
from napari_cryoet_explorer.downloads.plan import Choice, run_items
from napari_cryoet_explorer.downloads.transfer import download
from napari_cryoet_explorer.io import LayerData
from napari_cryoet_explorer.net import cache_config
from napari_cryoet_explorer.net.cache_counts import counts
from napari_cryoet_explorer.opening import default_tomogram, openable_files, origin_note, plan
from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.portal.models import VoxelSpacingContents
from napari_cryoet_explorer.replica.server import ReplicaServer

ZARR = "10000/TS_001/Reconstructions/VoxelSpacing10.000/Tomograms/100/TS_001.zarr"


@pytest.fixture(autouse=True)
def own_places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This test's own remembered folders and cache."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("NAPARI_CRYOET_EXPLORER_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv(cache_config.OFF_ENV, raising=False)


def test_urls_map_to_complete_copies(tiny_root: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    shutil.copytree(tiny_root / ZARR, dest / ZARR)
    ndjson = next((tiny_root / "10000/TS_001").rglob("*_orientedpoint.ndjson"))
    rel = ndjson.relative_to(tiny_root).as_posix()
    (dest / rel).parent.mkdir(parents=True)
    shutil.copy(ndjson, dest / rel)
    base = "https://files.example.org/prefix/10000"
    url = f"https://files.example.org/prefix/{ZARR}"

    assert local_copy(url, [tmp_path / "elsewhere", dest]) == dest / ZARR
    assert local_copy(f"https://files.example.org/{rel}", [dest]) == dest / rel
    assert local_copy(f"s3://bucket/{ZARR}/", [dest]) == dest / ZARR
    # A remembered dataset folder itself.
    found = find_local(url, [dest / "10000"])
    assert found is not None and found.path == dest / ZARR and found.folder == dest / "10000"
    # Not there, or not a URL, or leading out of the folder.
    assert local_copy(f"{base}/TS_002/x.ndjson", [dest]) is None
    assert local_copy(str(dest / ZARR), [dest]) is None
    assert local_copy(f"{base}/../10000/TS_001/Reconstructions", [dest]) is None
    # Nothing remembered yet, then the remembered folders are the default.
    assert local_copy(url) is None
    remember_download_folder(dest)
    assert local_copy(url) == (dest / ZARR).resolve()


@pytest.mark.parametrize("missing", [".zattrs", ".zgroup", "1/.zarray"])
def test_an_incomplete_zarr_is_not_a_copy(tiny_root: Path, tmp_path: Path, missing: str) -> None:
    copy = tmp_path / ZARR
    shutil.copytree(tiny_root / ZARR, copy)
    assert is_complete(copy)
    (copy / missing).unlink()
    assert not is_complete(copy)
    assert local_copy(f"http://127.0.0.1:1/files/{ZARR}", [tmp_path]) is None


def _contents(client: PortalClient) -> VoxelSpacingContents:
    run = client.run(10000, "TS_001")
    spacing = next(v for v in run.voxel_spacings if v.voxel_spacing == 10.0)
    return client.voxel_spacing_contents(spacing.id)


def _arrays(data: Any) -> list[np.ndarray]:
    """Every level of a layer's data, read (the coarsest whole, level 0 one plane)."""
    if isinstance(data, list):
        return [np.asarray(data[0][data[0].shape[0] // 2]), np.asarray(data[-1])]
    if isinstance(data, tuple):  # a surface: vertices and faces
        return [np.asarray(part) for part in data]
    return [np.asarray(data)]


def _same_layers(a: list[LayerData], b: list[LayerData], b_arrays: list[list[np.ndarray]]) -> None:
    assert [(kw["name"], kind) for _, kw, kind in a] == [(kw["name"], kind) for _, kw, kind in b]
    for (data, ka, _), (_, kb, _), arrays in zip(a, b, b_arrays, strict=True):
        assert ka["scale"] == pytest.approx(kb["scale"])
        assert ka.get("translate") == kb.get("translate")
        assert ka.get("contrast_limits") == kb.get("contrast_limits")
        for x, y in zip(_arrays(data), arrays, strict=True):
            assert np.array_equal(x, y)


def test_a_download_opens_from_disk_with_the_replica_stopped(
    tiny_replica: ReplicaServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with PortalClient(tiny_replica.url) as client:
        contents = _contents(client)
        items = run_items(client, 10000, "TS_001", Choice(voxel_spacing=10.0))
    tomogram = default_tomogram(contents)
    files = openable_files(contents, tomogram)
    assert {f.format for _, f in files} == {"ndjson", "zarr", "glb"}

    # Nothing downloaded: from the portal, then again from the on-disk cache.
    steps = plan(contents, tomogram, files, run_name="TS_001")
    assert all(s.local is None and s.source == s.url for s in steps)
    url = str(steps[0].url)
    before = counts(url)
    online = [layer for s in steps for layer in s.run()]
    assert origin_note(steps[0], counts(url) - before) == ""  # all from the network
    online_arrays = [_arrays(data) for data, _, _ in online]
    before = counts(url)
    steps[0].run()
    read = counts(url) - before
    assert origin_note(steps[0], read) == f"from the on-disk cache ({read.hits} files)"

    dest = tmp_path / "downloads"
    report = download(items, dest)
    assert report.fetched and not report.failed
    remember_download_folder(dest)
    steps = plan(contents, tomogram, files, run_name="TS_001")
    folder = dest.resolve()
    assert all(s.local is not None and s.local.folder == folder for s in steps)
    assert origin_note(steps[0]) == f"from your download in {folder}"

    tiny_replica.stop()
    monkeypatch.setenv(cache_config.OFF_ENV, "1")  # only the download can answer now
    local = [layer for s in steps for layer in s.run()]
    _same_layers(local, online, online_arrays)
    for (_, kw, _), (_, net_kw, _) in zip(local, online, strict=True):
        meta, net = kw["metadata"], net_kw["metadata"]
        assert Path(meta["source"]).is_relative_to(folder)
        assert meta["portal_url"] == net["portal_url"] == net["source"]
        assert meta["download_folder"] == str(folder) and "download_folder" not in net


def test_plan_can_be_told_where_to_look(tiny_replica: ReplicaServer, tiny_root: Path) -> None:
    with PortalClient(tiny_replica.url) as client:
        contents = _contents(client)
    tomogram = default_tomogram(contents)
    assert tomogram.https_omezarr_dir is not None
    mirror = tiny_root.parent
    # The replica's own tree has the download layout.
    steps = plan(contents, tomogram, [], run_name="TS_001", download_folders=[tiny_root])
    assert steps[0].local is not None and steps[0].local.path == tiny_root / ZARR
    assert (
        plan(contents, tomogram, [], run_name="TS_001", download_folders=[mirror])[0].local is None
    )
