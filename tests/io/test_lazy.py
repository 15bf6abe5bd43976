"""Opening reads metadata only; a 2D slice reads only that slice's chunks."""

from __future__ import annotations

import numpy as np

from napari_cryoet_explorer.io import read_tomogram
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.replica.synthetic import GeneratedPortal


def test_open_reads_no_chunk_and_a_slice_reads_its_chunks(
    tiny_portal: GeneratedPortal, tiny_replica: ReplicaServer
) -> None:
    rel = next(
        (tiny_portal.root / "10000/TS_001/Reconstructions/VoxelSpacing10.000/Tomograms/1").glob(
            "*.zarr"
        )
    )
    url = f"{tiny_replica.files_url}/{rel.relative_to(tiny_portal.root).as_posix()}"
    tiny_replica.clear_log()
    data, _, _ = read_tomogram(url, voxel_spacing=10.0)
    paths = [r.path for r in tiny_replica.records("file") if r.status == 200]
    assert paths and all(
        p.rsplit("/", 1)[-1] in (".zattrs", ".zgroup", ".zarray", "zarr.json") for p in paths
    ), paths

    tiny_replica.clear_log()
    level0 = data[0]  # (24, 40, 56) in chunks of 16
    plane = np.asarray(level0[20])
    chunk_reads = {
        r.path.split(".zarr/", 1)[1]
        for r in tiny_replica.records("file")
        if r.status == 200 and not r.path.rsplit("/", 1)[-1].startswith(".")
    }
    # z = 20 lies in the second z block; y has 3 blocks, x has 4: 12 chunks, no others.
    expected = {f"0/1/{y}/{x}" for y in range(3) for x in range(4)}
    assert chunk_reads == expected
    assert plane.shape == (40, 56) and plane.any()
