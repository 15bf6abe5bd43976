"""Hand-offs for one node against the replica: the portal's Neuroglancer, its pages,
curl and AWS CLI commands for single files, the official client's lines."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from napari_cryoet_explorer.downloads.handoffs import (
    annotation_snippet,
    aws_cp_command,
    curl_command,
    layout_path,
    portal_page_url,
    tomogram_snippet,
)
from napari_cryoet_explorer.downloads.neuroglancer import tomogram_state, tomogram_url
from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.portal.depositions import Deposition
from napari_cryoet_explorer.portal.models import VoxelSpacingContents, freeze
from napari_cryoet_explorer.replica.server import ReplicaServer

PORTAL = "https://cryoetdataportal.czscience.com"


@pytest.fixture
def contents(tiny_replica: ReplicaServer) -> VoxelSpacingContents:
    """What 10000/TS_001 holds at 10 Angstrom, as the widget gets it."""
    with PortalClient(tiny_replica.url) as client:
        run = client.run(10000, "TS_001")
        spacing = next(v for v in run.voxel_spacings if v.voxel_spacing == 10.0)
        return client.voxel_spacing_contents(spacing.id)


def _state(url: str) -> tuple[str, object]:
    """The page a Neuroglancer URL opens and the state its fragment holds."""
    parts = urlsplit(url)
    assert parts.fragment.startswith("!")
    return f"{parts.scheme}://{parts.netloc}{parts.path}", json.loads(unquote(parts.fragment[1:]))


def test_neuroglancer_state_built_from_the_omezarr(contents: VoxelSpacingContents) -> None:
    tomogram = contents.tomograms[0]
    assert not tomogram.fields.get("neuroglancerConfig")  # the replica gives none
    files = contents.files_for(tomogram)
    page, state = _state(tomogram_url(tomogram, files))
    assert page == f"{PORTAL}/view/runs/{tomogram.run_id}"
    assert isinstance(state, dict)
    metres = tomogram.voxel_spacing * 1e-10
    assert state["dimensions"] == {axis: [pytest.approx(metres), "m"] for axis in "xyz"}
    image = state["layers"][0]
    assert image["type"] == "image"
    assert image["source"]["url"] == f"zarr://{tomogram.https_omezarr_dir}"
    for key in ("inputDimensions", "outputDimensions"):
        assert image["source"]["transform"][key] == state["dimensions"]
    z, y, x = tomogram.size_zyx
    assert state["position"] == [x / 2, y / 2, z / 2]
    # The default-shown OME-Zarr masks of the tomogram's alignment, as segmentation layers.
    masks = {
        f.https_path
        for _, f in files
        if f.format == "zarr" and f.is_visualization_default and "Mask" in f.shape_type
    }
    assert masks
    segmentation = [layer for layer in state["layers"] if layer["type"] == "segmentation"]
    assert {layer["source"]["url"] for layer in segmentation} == {f"zarr://{u}" for u in masks}
    # The same state as a mapping, so the URL holds nothing else.
    assert state == json.loads(json.dumps(tomogram_state(tomogram, files)))


def test_neuroglancer_config_from_the_api_is_used_as_is(contents: VoxelSpacingContents) -> None:
    tomogram = contents.tomograms[0]
    config = json.dumps(
        {"layers": [{"type": "image", "source": "zarr://https://example.org/a b.zarr"}]},
        indent=1,
    )
    portal_state = replace(
        tomogram, fields=freeze({**tomogram.fields, "neuroglancerConfig": config})
    )
    url = tomogram_url(portal_state, contents.files_for(tomogram))
    assert " " not in url and "\n" not in url
    assert unquote(urlsplit(url).fragment[1:]) == config  # byte for byte, not re-serialised


def test_neuroglancer_needs_an_omezarr_and_a_run(contents: VoxelSpacingContents) -> None:
    tomogram = contents.tomograms[0]
    with pytest.raises(ValueError, match="no OME-Zarr"):
        tomogram_url(replace(tomogram, https_omezarr_dir=None))
    with pytest.raises(ValueError, match="run is not known"):
        tomogram_url(replace(tomogram, run_id=None))


def test_portal_pages(tiny_replica: ReplicaServer, contents: VoxelSpacingContents) -> None:
    with PortalClient(tiny_replica.url) as client:
        dataset = client.dataset(10000)
        run = client.run(10000, "TS_001")
    assert portal_page_url(dataset) == f"{PORTAL}/datasets/10000"
    assert portal_page_url(run) == f"{PORTAL}/runs/{run.id}"
    assert portal_page_url(Deposition(id=10301, title="d")) == f"{PORTAL}/depositions/10301"
    for node in (contents.voxel_spacing, contents.tomograms[0], contents.annotations[0]):
        assert portal_page_url(node) == f"{PORTAL}/runs/{run.id}"
    assert portal_page_url(object()) is None


def test_curl_fetches_single_files_into_the_layout(
    contents: VoxelSpacingContents, tiny_root: Path, tmp_path: Path
) -> None:
    tomogram = contents.tomograms[0]
    assert tomogram.https_mrc_file is not None
    dest = tmp_path / "cryo et"  # a space: the paths must be quoted
    rel = "10000/TS_001/Reconstructions/VoxelSpacing10.000/Tomograms/100/TS_001.mrc"
    assert layout_path(tomogram.https_mrc_file, 10000) == rel
    annotation = next(a for a in contents.annotations if len(a.files) > 2)
    plain = [f.https_path for f in annotation.files if f.format != "zarr"]
    command = curl_command([tomogram.https_mrc_file, *plain], str(dest), 10000)
    assert shlex.quote(f"{dest}/{rel}") in command
    if shutil.which("curl") is None:
        pytest.skip("no curl here to run the command")
    subprocess.run(shlex.split(command), check=True, capture_output=True, timeout=60)
    fetched = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert fetched == sorted([rel, *(layout_path(u, 10000) for u in plain)])
    for name in fetched:
        assert (dest / name).read_bytes() == (tiny_root / name).read_bytes()
    with pytest.raises(ValueError, match="folder"):
        curl_command(tomogram.https_omezarr_dir or "", str(dest), 10000)
    with pytest.raises(ValueError, match="dataset 10001"):
        curl_command(tomogram.https_mrc_file, str(dest), 10001)


def test_aws_commands_for_a_file_and_a_zarr(contents: VoxelSpacingContents) -> None:
    tomogram = contents.tomograms[0]
    assert tomogram.s3_mrc_file and tomogram.s3_omezarr_dir
    where = "10000/TS_001/Reconstructions/VoxelSpacing10.000/Tomograms/100"
    assert aws_cp_command(tomogram.s3_mrc_file, "/data/cryo et", 10000) == (
        f"aws s3 --no-sign-request cp {tomogram.s3_mrc_file} '/data/cryo et/{where}/TS_001.mrc'"
    )
    assert aws_cp_command(tomogram.s3_omezarr_dir, "/data", 10000) == (
        f"aws s3 --no-sign-request sync {tomogram.s3_omezarr_dir}/ /data/{where}/TS_001.zarr/"
    )


def test_client_lines_for_a_tomogram_and_an_annotation(contents: VoxelSpacingContents) -> None:
    tomogram = contents.tomograms[0]
    snippet = tomogram_snippet(tomogram, "/data", 10000)
    compile(snippet, "<snippet>", "exec")  # valid Python, never run here
    folder = "/data/10000/TS_001/Reconstructions/VoxelSpacing10.000/Tomograms/100"
    assert f"Tomogram.get_by_id(client, {tomogram.id}).download_mrcfile({folder!r})" in snippet
    zarr = tomogram_snippet(tomogram, "/data", 10000, mrc=False)
    assert f".download_omezarr({folder!r})" in zarr
    annotation = contents.annotations[0]
    snippet = annotation_snippet(annotation, "/data", 10000)
    compile(snippet, "<snippet>", "exec")
    where = "/data/10000/TS_001/Reconstructions/VoxelSpacing10.000/Annotations/100"
    assert f"Annotation.get_by_id(client, {annotation.id}).download({where!r})" in snippet
