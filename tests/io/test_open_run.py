"""``open_run``: folders of a download and lists of files or URLs, aligned in Angstrom."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from portal_files import PortalFiles, matches

from napari_cryoet_explorer.io import open_run, read_annotation_file, read_tomogram
from napari_cryoet_explorer.io.colors import object_color
from napari_cryoet_explorer.io.names import annotation_name, tomogram_name
from napari_cryoet_explorer.io.run import portal_folder

Layer = tuple[Any, dict[str, Any], str]
SUFFIX = {
    "OrientedPoint": "_orientedpoint.ndjson",
    "Point": "_point.ndjson",
    "InstanceSegmentation": "_instancesegmentation.ndjson",
    "SegmentationMask": "_segmentationmask.zarr",
    "InstanceSegmentationMask": "_instancesegmentationmask.zarr",
}


def _tomogram(files: PortalFiles, primary: bool = True) -> str:
    """The layer name of a tomogram: its folder and its metadata's processing."""
    folder = files.tomogram(primary=primary).parent
    processing = json.loads((folder / "tomogram_metadata.json").read_text())["processing"]
    return tomogram_name("TS_001", folder.name, processing)


def _annotation(
    files: PortalFiles, obj: str, shape: str, spacing: float = 10.0, primary: bool = True
) -> str:
    """The layer name of an annotation file: object, its ``Annotations/<n>`` folder, shape."""
    folder = files.annotation(obj, SUFFIX[shape], spacing, primary).parent
    return annotation_name("TS_001", obj, shape, folder.name)


def _by_name(layers: list[Layer]) -> dict[str, Layer]:
    return {kwargs["name"]: (data, kwargs, kind) for data, kwargs, kind in layers}


def _names(layers: list[Layer]) -> list[str]:
    return sorted(kwargs["name"] for _, kwargs, _ in layers)


def _world(layer: Layer) -> np.ndarray:
    return np.asarray(layer[0]) * np.asarray(layer[1]["scale"])


def test_run_folder(local_files: PortalFiles) -> None:
    layers = open_run(local_files.run_dir)
    assert layers[0][2] == "image"  # the tomogram first, annotations drawn over it
    names = _by_name(layers)
    ribosomes = _annotation(local_files, "ribosome", "OrientedPoint")
    drawn = {name for name, (_, _, kind) in names.items() if kind != "surface"}
    assert drawn == {
        _tomogram(local_files),
        ribosomes,
        f"{ribosomes} axes",
        _annotation(local_files, "nucleosome", "Point"),
        _annotation(local_files, "nucleosome", "SegmentationMask"),
        _annotation(local_files, "vesicle", "InstanceSegmentation"),
        _annotation(local_files, "vesicle", "InstanceSegmentationMask"),
    }
    for _, kwargs, _ in layers:
        assert kwargs["scale"] == pytest.approx((10.0,) * 3), kwargs["name"]
    for obj, shape in [("ribosome", "OrientedPoint"), ("nucleosome", "Point")]:
        layer = names[_annotation(local_files, obj, shape)]
        matches(_world(layer), local_files.centres(obj), tol=1e-6)
        assert np.allclose(layer[1]["face_color"], object_color(obj))
        # Points are sized in Angstrom (60 A across), whatever the voxel spacing.
        assert layer[1]["size"] * layer[1]["scale"][0] == pytest.approx(60.0)
    mask = names[_annotation(local_files, "nucleosome", "SegmentationMask")]
    assert np.allclose(mask[1]["colormap"][1], object_color("nucleosome"))
    # Portal metadata rides along.
    tomo_meta = names[_tomogram(local_files)][1]["metadata"]["tomogram_metadata"]
    assert tomo_meta["voxel_spacing"] == 10.0
    annotation = names[ribosomes][1]["metadata"]["annotation_json"]
    assert annotation["annotation_object"]["name"] == "ribosome"


def test_other_voxel_spacing_and_options(local_files: PortalFiles) -> None:
    layers = open_run(local_files.run_dir, voxel_spacing=20.0, point_size=100.0, vector_length=80.0)
    names = _by_name(layers)
    for _, kwargs, _ in layers:
        assert kwargs["scale"] == pytest.approx((20.0,) * 3), kwargs["name"]
    ribosome_name = _annotation(local_files, "ribosome", "OrientedPoint", spacing=20.0)
    ribosomes = names[ribosome_name]
    matches(_world(ribosomes), local_files.centres("ribosome"), tol=1e-6)
    assert ribosomes[1]["size"] == pytest.approx(5.0)
    vectors = names[f"{ribosome_name} axes"]
    lengths = np.linalg.norm(np.asarray(vectors[0])[:, 1] * 20.0, axis=1)
    assert np.allclose(lengths, 80.0)
    with pytest.warns(UserWarning, match="no voxel spacing 13.48; opened 10.000"):
        open_run(local_files.run_dir, voxel_spacing=13.48)


def test_all_axes(local_files: PortalFiles) -> None:
    triads = [kw for _, kw, kind in open_run(local_files.run_dir) if kind == "vectors"]
    assert [kw["metadata"]["axis"] for kw in triads] == ["xyz"]
    assert triads[0]["name"].endswith(" (OrientedPoint) axes")
    z_only = [
        kw for _, kw, kind in open_run(local_files.run_dir, all_axes=False) if kind == "vectors"
    ]
    assert [kw["metadata"]["axis"] for kw in z_only] == ["z"]
    assert z_only[0]["name"] == triads[0]["name"].removesuffix(" axes") + " z axis"


def test_second_alignment_tomogram_folder(local_files: PortalFiles) -> None:
    """A Tomograms/<id> folder opens that tomogram with the annotations of its alignment."""
    folder = local_files.tomogram(primary=False).parent
    layers = open_run(folder)
    names = _by_name(layers)
    assert _tomogram(local_files, primary=False) in names
    assert sum(kind == "image" for _, _, kind in layers) == 1
    ribosomes = names[_annotation(local_files, "ribosome", "OrientedPoint", primary=False)]
    matches(_world(ribosomes), local_files.centres("ribosome", primary=False), tol=1e-6)


def test_files_and_urls_give_the_same_layers(files: PortalFiles) -> None:
    wanted = [
        files.tomogram(),
        files.annotation("ribosome", "_orientedpoint.ndjson"),
        files.annotation("nucleosome", "_point.ndjson"),
        files.annotation("nucleosome", "_segmentationmask.zarr"),
        files.annotation("vesicle", "_instancesegmentation.ndjson"),
        files.annotation("vesicle", "_instancesegmentationmask.mrc"),
    ]
    # Annotations listed first still come after the tomogram.
    layers = open_run([files.source(p) for p in wanted[1:] + wanted[:1]])
    local = _by_name(open_run(files.run_dir))
    assert layers[0][2] == "image"
    for data, kwargs, kind in layers:
        same = local[kwargs["name"]]
        assert kind == same[2] and kwargs["scale"] == pytest.approx(same[1]["scale"])
        if kind in ("points", "vectors"):
            assert np.allclose(np.asarray(data), np.asarray(same[0]))


def test_files_of_another_alignment_warn(local_files: PortalFiles) -> None:
    sources = [
        local_files.tomogram(),
        local_files.annotation("ribosome", "_orientedpoint.ndjson", primary=False),
    ]
    with pytest.warns(UserWarning, match="another alignment"):
        layers = open_run(sources)
    assert [kind for _, _, kind in layers] == ["image", "points", "vectors"]


def test_dataset_folder_opens_one_run_and_says_how_to_open_another(
    local_files: PortalFiles,
) -> None:
    dataset = local_files.run_dir.parent
    with pytest.warns(UserWarning, match=r"holds 2 runs; opened TS_001 only.*TS_002"):
        layers = open_run(dataset)
    assert sum(kind == "image" for _, _, kind in layers) == 1
    assert all(kw["name"].startswith("TS_001 ") for _, kw, _ in layers)


def test_annotation_folder_and_nothing_to_open(local_files: PortalFiles) -> None:
    folder = local_files.annotation("vesicle", "_instancesegmentation.ndjson", spacing=20.0).parent
    layers = open_run(folder)
    assert [kind for _, _, kind in layers] == ["points", "labels"]  # ndjson and zarr, not mrc
    assert all(kw["scale"] == pytest.approx((20.0,) * 3) for _, kw, _ in layers)
    assert open_run(local_files.run_dir.parent / "Images") == []  # the dataset's pictures


@pytest.mark.parametrize(
    ("relative", "stands_for"),
    [
        ("Alignments/101", "."),
        ("Reconstructions", "."),
        ("Reconstructions/VoxelSpacing20.000/Tomograms", "Reconstructions/VoxelSpacing20.000"),
        ("Reconstructions/VoxelSpacing20.000/Annotations", "Reconstructions/VoxelSpacing20.000"),
    ],
)
def test_folders_beside_the_data_open_what_they_belong_to(
    local_files: PortalFiles, relative: str, stands_for: str
) -> None:
    run = local_files.run_dir
    assert (run / relative).is_dir()
    assert portal_folder(run / relative) == run / stands_for
    assert _names(open_run(run / relative)) == _names(open_run(run / stands_for))


def test_more_tomograms_of_one_alignment_open_hidden(
    local_files: PortalFiles, tmp_path: Path
) -> None:
    run = tmp_path / "TS_001"
    shutil.copytree(local_files.run_dir, run)
    default = run / local_files.tomogram().parent.relative_to(local_files.run_dir)
    denoised = default.parent / "199"
    shutil.copytree(default, denoised)
    meta = json.loads((denoised / "tomogram_metadata.json").read_text())
    meta["is_visualization_default"] = False
    (denoised / "tomogram_metadata.json").write_text(json.dumps(meta))
    layers = open_run(run)
    images = [(kw["name"], kw.get("visible", True)) for _, kw, kind in layers if kind == "image"]
    # The default on top (added last) and shown; the other below it, hidden.
    processing = meta["processing"]
    assert images == [
        (f"TS_001 tomogram 199 ({processing})", False),
        (f"TS_001 tomogram {default.name} ({processing})", True),
    ]


def test_portal_callers_spare_metadata_requests(http_files: PortalFiles) -> None:
    """With the portal's voxel spacing and object name given, only the data is fetched."""
    server = http_files.server
    assert server is not None
    url = http_files.source(http_files.annotation("ribosome", "_orientedpoint.ndjson"))
    server.clear_log()
    read_annotation_file(url, voxel_spacing=10.0, object_name="ribosome", run_name="TS_001")
    assert [r.path.rsplit("/", 1)[-1] for r in server.records("file")] == [
        "ribosome-1.0_orientedpoint.ndjson"
    ]
    server.clear_log()
    read_tomogram(http_files.source(http_files.tomogram()), voxel_spacing=10.0)
    assert "tomogram_metadata.json" not in {
        r.path.rsplit("/", 1)[-1] for r in server.records("file")
    }
