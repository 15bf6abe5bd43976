"""One name for one thing: the portal browser and a dropped download name layers alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import npe2
import pytest

from napari_cryoet_explorer.io import open_run
from napari_cryoet_explorer.io.names import (
    annotation_name,
    folder_id,
    portal_names,
    tomogram_name,
)
from napari_cryoet_explorer.opening import openable_files, plan
from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal

PLUGIN = "napari-cryoet-explorer"
RUN = "10000/TS_001"
# What both ways open (meshes are not offered by the browser).
KINDS = ("image", "points", "vectors", "labels")


@pytest.fixture
def installed_plugins() -> npe2.PluginManager:
    """npe2's plugin manager with the installed plugins found, as napari starts it."""
    pm = npe2.PluginManager.instance()
    pm.discover()
    return pm


def test_folder_ids_from_urls_and_paths() -> None:
    url = "https://f.example.org/10000/TS_1/Reconstructions/VoxelSpacing10.000/Tomograms/7/T.zarr"
    assert folder_id(url, "Tomograms") == "7"
    assert folder_id(url + "/0/", "Tomograms") == "7"  # inside the store
    assert folder_id(url, "Annotations") is None
    assert folder_id("C:\\d\\Annotations\\12\\a-1.0_point.ndjson", "Annotations") == "12"
    assert folder_id("/d/VoxelSpacing10.000/Annotations", "Annotations") is None


def test_unknown_parts_are_left_out() -> None:
    assert tomogram_name("TS_1", "7", "denoised") == "TS_1 tomogram 7 (denoised)"
    assert tomogram_name(None, "7", None) == "tomogram 7"
    assert annotation_name("TS_1", "cytosolic ribosome", "Point", "12") == (
        "TS_1 cytosolic ribosome 12 (Point)"
    )
    assert annotation_name(None, "cells", "InstanceSegmentationMask") == (
        "cells (InstanceSegmentationMask)"
    )
    # A tomogram outside a download's layout keeps its file name.
    loose = ("data", {"name": "cells", "metadata": {"source": "/tmp/cells.zarr"}}, "image")
    assert portal_names([loose])[0][1]["name"] == "cells"


def _names(layers: list[Any]) -> set[str]:
    return {kwargs["name"] for _, kwargs, kind in layers if kind in KINDS}


@pytest.mark.parametrize("primary", [True, False], ids=["alignment-1", "alignment-2"])
def test_browser_and_dropped_folder_give_the_same_names(
    tiny_replica: ReplicaServer,
    tiny_portal: GeneratedPortal,
    installed_plugins: npe2.PluginManager,
    primary: bool,
) -> None:
    with PortalClient(tiny_replica.url) as client:
        run = client.run(10000, "TS_001")
        spacing = next(v for v in run.voxel_spacings if v.voxel_spacing == 10.0)
        contents = client.voxel_spacing_contents(spacing.id)
    tomogram = sorted(contents.tomograms, key=lambda t: not t.is_visualization_default)[
        0 if primary else 1
    ]
    files = openable_files(contents, tomogram)
    # Nothing remembered: every step reads the replica's URLs.
    steps = plan(contents, tomogram, files, run_name=run.name, download_folders=[])
    assert all(step.local is None for step in steps)
    browsed = [layer for step in steps for layer in step.run()]

    # The same tomogram's folder in the download, dropped on napari's reader machinery.
    zarr = tiny_portal.root / str(tomogram.https_omezarr_dir).split(f"{tiny_replica.files_url}/")[1]
    folder = zarr.parent
    dropped = npe2.read([str(folder)], plugin_name=PLUGIN, stack=False)

    assert _names(browsed) == _names(dropped)
    kinds = sorted(kind for _, _, kind in browsed)
    assert kinds == [
        "image",
        "labels",
        "labels",
        "points",
        "points",
        "points",
        "surface",
        "vectors",
    ]
    # The names say what the download's folders and metadata say, not the API's ids.
    meta = json.loads((folder / "tomogram_metadata.json").read_text())
    image = next(kw["name"] for _, kw, kind in dropped if kind == "image")
    assert image == f"{run.name} tomogram {folder.name} ({meta['processing']})"
    for _, kwargs, kind in dropped:
        if kind in ("points", "labels"):
            source = Path(kwargs["metadata"]["source"])
            assert kwargs["name"] == annotation_name(
                run.name,
                kwargs["metadata"]["object_name"],
                kwargs["metadata"]["shape_type"],
                source.parent.name,
            )
    tomogram_ids = {str(t.id) for t in contents.tomograms}
    assert folder.name not in tomogram_ids  # the two id spaces differ here


def test_dropped_files_and_folders_agree(tiny_portal: GeneratedPortal) -> None:
    spacing_dir = tiny_portal.root / RUN / "Reconstructions" / "VoxelSpacing10.000"
    run_layers = open_run(tiny_portal.root / RUN)
    files = [Path(kw["metadata"]["source"]) for _, kw, kind in run_layers if kind != "vectors"]
    assert all(p.is_relative_to(spacing_dir) for p in files)
    one_by_one = [layer for path in files for layer in open_run(path)]
    assert _names(one_by_one) == _names(run_layers)
