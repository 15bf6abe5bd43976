"""Opening reads metadata only; showing a 2D slice reads only that slice's chunks.

Chunk reads are counted in the replica's request log: every chunk is one HTTP request.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from portal_files import PortalFiles

from napari_cryoet_explorer.io import open_run, read_tomogram
from napari_cryoet_explorer.io.tomogram import with_contrast_limits
from napari_cryoet_explorer.net.cache_config import OFF_ENV
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal, generate_portal

METADATA = (".zattrs", ".zgroup", ".zarray", ".zmetadata", "zarr.json")
CHUNK = 32


@pytest.fixture(autouse=True)
def _every_read_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    """The on-disk cache off: it would answer a repeated read without a request, and
    these tests count what the readers and napari ask for."""
    monkeypatch.setenv(OFF_ENV, "1")


def _chunk_reads(server: ReplicaServer) -> list[tuple[int, ...]]:
    """``(level, z, y, x)`` block indices of the zarr chunks fetched (zarr 2, '/' separator)."""
    reads = []
    for record in server.records("file"):
        if record.status != 200 or ".zarr/" not in record.path:
            continue
        inside = record.path.split(".zarr/", 1)[1]
        if inside.rsplit("/", 1)[-1] in METADATA:
            continue
        reads.append(tuple(int(p) for p in inside.split("/")))
    return reads


def _files(server: ReplicaServer) -> list[str]:
    return [r.path.rsplit("/", 1)[-1] for r in server.records("file") if r.status == 200]


@pytest.fixture(scope="module")
def chunked_portal(tmp_path_factory: pytest.TempPathFactory) -> GeneratedPortal:
    """One run with a tomogram of several chunks along every axis at level 0."""
    return generate_portal(
        tmp_path_factory.mktemp("chunked"),
        "tiny",
        n_datasets=1,
        runs_per_dataset=1,
        tomogram_shape=(128, 256, 256),
        chunk_size=CHUNK,
        voxel_spacings=(10.0,),
        second_alignment=False,
        write_mrc=False,
        key_photos=False,
    )


def test_opening_reads_no_chunk(http_files: PortalFiles) -> None:
    files = http_files
    assert files.server is not None
    files.server.clear_log()
    data, kwargs, _ = read_tomogram(files.source(files.tomogram()))
    assert kwargs["multiscale"] and len(data) == 3
    assert _chunk_reads(files.server) == []
    assert set(_files(files.server)) <= {*METADATA, "tomogram_metadata.json"}

    # A whole run: tomogram, points and masks; ndJSON is read, zarr chunks are not.
    urls = [files.source(files.tomogram())] + [
        files.source(files.annotation(obj, suffix))
        for obj, suffix in [
            ("ribosome", "_orientedpoint.ndjson"),
            ("nucleosome", "_segmentationmask.zarr"),
            ("vesicle", "_instancesegmentationmask.zarr"),
        ]
    ]
    files.server.clear_log()
    layers = open_run(urls)
    assert [kind for _, _, kind in layers] == ["image", "points", "vectors", "labels", "labels"]
    assert _chunk_reads(files.server) == []


def test_showing_a_slice_reads_only_its_chunks(
    make_napari_viewer: Callable[..., Any],
    chunked_portal: GeneratedPortal,
    replica_factory: Callable[..., ReplicaServer],
) -> None:
    server = replica_factory(chunked_portal.root)
    files = PortalFiles(chunked_portal, server=server)
    data, kwargs, _ = read_tomogram(files.source(files.tomogram()))
    viewer = make_napari_viewer()
    server.clear_log()
    layer = viewer.add_image(data, **kwargs)
    reads = _chunk_reads(server)
    assert reads, "napari showed nothing"

    z_world = viewer.dims.point[0]
    total_chunks = 0
    for level, array in enumerate(data):
        level_scale = np.asarray(kwargs["scale"]) * (np.asarray(data[0].shape) / array.shape)
        z_block = int(round(z_world / level_scale[0])) // CHUNK
        at_level = [r for r in reads if r[0] == level]
        # Every chunk fetched at this level holds the displayed plane.
        assert all(r[1] == z_block for r in at_level), (level, z_block, at_level)
        total_chunks += int(np.prod([-(-s // CHUNK) for s in array.shape]))
    # The level on screen, plus napari's thumbnail from the coarsest level; nothing else.
    assert {r[0] for r in reads} <= {layer.data_level, len(data) - 1}
    assert len(reads) == len(set(reads))
    plane_chunks = sum(
        int(np.prod([-(-s // CHUNK) for s in data[lvl].shape[1:]]))
        for lvl in {layer.data_level, len(data) - 1}
    )
    assert len(reads) <= plane_chunks < total_chunks / 4

    level_scale = np.asarray(kwargs["scale"]) * (
        np.asarray(data[0].shape) / data[layer.data_level].shape
    )
    # The next plane inside the same chunks is shown from memory: no request.
    server.clear_log()
    z = int(round(z_world / level_scale[0]))
    step = 1 if z % CHUNK < CHUNK - 1 else -1
    viewer.dims.set_point(0, (z + step) * level_scale[0])
    assert int(round(viewer.dims.point[0] / level_scale[0])) == z + step
    assert layer.loaded and _chunk_reads(server) == []
    viewer.dims.set_point(0, z_world)

    # Moving to another plane fetches that plane's chunks only.
    server.clear_log()
    viewer.dims.set_point(0, z_world + CHUNK * level_scale[0])
    z_block = int(round(viewer.dims.point[0] / level_scale[0])) // CHUNK
    moved = [r for r in _chunk_reads(server) if r[0] == layer.data_level]
    assert moved and all(r[1] == z_block for r in moved)


def test_missing_metadata_is_not_a_chunk_read(tmp_path: Path) -> None:
    """A plain folder named .zarr reads nothing and is declined."""
    from napari_cryoet_explorer._reader import get_reader

    (tmp_path / "empty.zarr").mkdir()
    assert get_reader(str(tmp_path / "empty.zarr")) is None


def test_contrast_limits_read_one_plane_of_the_coarsest_level(
    chunked_portal: GeneratedPortal, replica_factory: Callable[..., ReplicaServer]
) -> None:
    server = replica_factory(chunked_portal.root)
    files = PortalFiles(chunked_portal, server=server)
    layer = read_tomogram(files.source(files.tomogram()))
    assert "contrast_limits" not in layer[1]  # reading stays metadata-only
    server.clear_log()
    data, kwargs, _ = with_contrast_limits(layer)
    coarsest = data[-1]
    centre = np.asarray(coarsest[coarsest.shape[0] // 2])
    low, high = kwargs["contrast_limits"]
    assert centre.min() <= low < high <= centre.max()
    # Robust to outliers: most of the plane lies inside, a sliver outside.
    inside = np.mean((centre >= low) & (centre <= high))
    assert 0.98 <= inside < 1.0
    reads = _chunk_reads(server)
    z_block = (coarsest.shape[0] // 2) // CHUNK
    assert reads and {r[:2] for r in reads} == {(len(data) - 1, z_block)}
    assert with_contrast_limits((data, kwargs, "image"))[1] is kwargs  # kept when given
