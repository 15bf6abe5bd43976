"""Drag and drop: the npe2 reader on files and folders of a download, in a real viewer."""

from __future__ import annotations

import json
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest.mock import patch

import imageio.v3 as iio
import npe2
import numpy as np
import pytest
import tifffile
from napari.errors import MultipleReaderError
from napari.plugins._npe2 import get_readers

from napari_cryoet_explorer._reader import get_reader
from napari_cryoet_explorer._sample_data import synthetic_run
from napari_cryoet_explorer.io import ReaderError
from napari_cryoet_explorer.io.colors import object_color
from napari_cryoet_explorer.io.names import annotation_name, tomogram_name
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal

PLUGIN = "napari-cryoet-explorer"
RUN = "10000/TS_001"


def _truth(portal: GeneratedPortal, obj: str) -> np.ndarray:
    return np.asarray(portal.ground_truth["runs"][RUN]["objects"][obj]["centres_zyx_angstrom"])


def _kinds(viewer: Any) -> list[str]:
    return sorted(type(layer).__name__ for layer in viewer.layers)


def _primary(portal: GeneratedPortal) -> int:
    alignments = portal.ground_truth["runs"][RUN]["alignments"]
    return next(int(key) for key, a in alignments.items() if a["is_primary"])


def _tomogram_name(portal: GeneratedPortal, spacing: float = 10.0) -> str:
    """The name the download gives the run's default tomogram at ``spacing``."""
    (tomogram,) = (
        t
        for t in portal.ground_truth["runs"][RUN]["tomograms"]
        if t["voxel_spacing"] == spacing and t["alignment_id"] == _primary(portal)
    )
    meta = json.loads((portal.root / tomogram["path"] / "tomogram_metadata.json").read_text())
    return tomogram_name("TS_001", str(tomogram["folder_id"]), meta["processing"])


def _annotation_name(portal: GeneratedPortal, obj: str, shape: str, spacing: float = 10.0) -> str:
    """The name of the primary alignment's ``obj`` annotation file of ``shape``."""
    (annotation,) = (
        a
        for a in portal.ground_truth["runs"][RUN]["annotations"]
        if a["object"] == obj
        and a["voxel_spacing"] == spacing
        and a["alignment_id"] == _primary(portal)
        and shape in {f["shape"] for f in a["files"]}
    )
    return annotation_name("TS_001", obj, shape, str(annotation["folder_id"]))


def test_run_folder_opens_aligned_layers(
    make_napari_viewer: Callable[..., Any], tiny_portal: GeneratedPortal
) -> None:
    viewer = make_napari_viewer()
    viewer.open(tiny_portal.root / RUN, plugin=PLUGIN)
    assert _kinds(viewer) == [
        "Image",
        "Labels",
        "Labels",
        "Points",
        "Points",
        "Points",
        "Surface",
        "Vectors",
    ]
    for layer in viewer.layers:
        assert np.allclose(layer.scale, 10.0), layer.name  # finest spacing, in Angstrom
    image = viewer.layers[0]
    assert type(image).__name__ == "Image" and image.name == _tomogram_name(tiny_portal)
    assert image.multiscale and len(image.data) == 3
    # Only the first alignment's annotations: they sit on the ground truth.
    for obj, shape in [
        ("ribosome", "OrientedPoint"),
        ("nucleosome", "Point"),
        ("vesicle", "InstanceSegmentation"),
    ]:
        layer = viewer.layers[_annotation_name(tiny_portal, obj, shape)]
        assert np.allclose(layer.data * layer.scale, _truth(tiny_portal, obj))
    ribosomes = viewer.layers[_annotation_name(tiny_portal, "ribosome", "OrientedPoint")]
    assert np.allclose(ribosomes.face_color, object_color("ribosome"))
    assert list(ribosomes.features.columns)[:3] == ["rxx", "rxy", "rxz"]
    vesicles = viewer.layers[_annotation_name(tiny_portal, "vesicle", "InstanceSegmentation")]
    assert list(vesicles.features["instance_id"]) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert len(np.unique(vesicles.face_color, axis=0)) == 3
    mask = viewer.layers[_annotation_name(tiny_portal, "nucleosome", "SegmentationMask")]
    assert mask.multiscale and np.allclose(mask.get_color(1), object_color("nucleosome"))
    # All of it shares one world: the extent is the tomogram's box in Angstrom.
    box = tiny_portal.ground_truth["runs"][RUN]["box_zyx_angstrom"]
    assert np.allclose(image.extent.world[1] - image.extent.world[0], box, atol=10.0)


@pytest.mark.parametrize(
    ("relative", "spacing", "n_layers"),
    [
        # A tomogram, 7 annotation layers (one a nucleosome mesh).
        (f"{RUN}/Reconstructions/VoxelSpacing20.000", 20.0, 8),
        (f"{RUN}/Reconstructions", 10.0, 8),
        (f"{RUN}/Reconstructions/VoxelSpacing10.000/Tomograms/101", 10.0, 8),
        ("10000", 10.0, 8),
    ],
)
def test_other_folders_in_a_viewer(
    make_napari_viewer: Callable[..., Any],
    tiny_portal: GeneratedPortal,
    relative: str,
    spacing: float,
    n_layers: int,
) -> None:
    viewer = make_napari_viewer()
    if relative == "10000":
        with pytest.warns(UserWarning, match="opened TS_001 only"):
            viewer.open(tiny_portal.root / relative, plugin=PLUGIN)
    else:
        viewer.open(tiny_portal.root / relative, plugin=PLUGIN)
    assert len(viewer.layers) == n_layers
    assert sum(type(layer).__name__ == "Image" for layer in viewer.layers) == 1
    for layer in viewer.layers:
        assert np.allclose(layer.scale, spacing), layer.name


def test_dropped_files_find_their_voxel_spacing(
    make_napari_viewer: Callable[..., Any], tiny_portal: GeneratedPortal
) -> None:
    spacing_dir = tiny_portal.root / RUN / "Reconstructions" / "VoxelSpacing20.000"
    tomogram = next(spacing_dir.glob("Tomograms/*/*.zarr"))
    ndjson = next(spacing_dir.glob("Annotations/*/ribosome-1.0_orientedpoint.ndjson"))
    mask = next(spacing_dir.glob("Annotations/*/vesicle-1.0_instancesegmentationmask.mrc"))
    viewer = make_napari_viewer()
    for path in (tomogram, ndjson, mask):
        viewer.open(path, plugin=PLUGIN)
    assert [type(layer).__name__ for layer in viewer.layers] == [
        "Image",
        "Points",
        "Vectors",
        "Labels",
    ]
    for layer in viewer.layers:
        assert np.allclose(layer.scale, 20.0), layer.name
    points = viewer.layers[_annotation_name(tiny_portal, "ribosome", "OrientedPoint", 20.0)]
    assert np.allclose(points.data * points.scale, _truth(tiny_portal, "ribosome"))


def test_url_of_a_tomogram(
    make_napari_viewer: Callable[..., Any],
    tiny_portal: GeneratedPortal,
    tiny_replica: ReplicaServer,
) -> None:
    tomogram = next(
        (tiny_portal.root / RUN).glob("Reconstructions/VoxelSpacing10.000/Tomograms/100/*.zarr")
    )
    url = f"{tiny_replica.files_url}/{tomogram.relative_to(tiny_portal.root).as_posix()}"
    assert get_reader(url) is not None
    viewer = make_napari_viewer()
    viewer.open(url, plugin=PLUGIN)
    (layer,) = viewer.layers
    assert layer.multiscale and np.allclose(layer.scale, 10.0)


def test_sample_data(
    make_napari_viewer: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    layers = synthetic_run()
    assert {kind for _, _, kind in layers} == {"image", "points", "vectors", "labels", "surface"}
    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "synthetic-run")
    assert len(viewer.layers) == len(layers)


def test_broken_file_raises_a_message_naming_it(tmp_path: Path) -> None:
    cut = tmp_path / "cut.mrc"
    cut.write_bytes(b"\0" * 100)
    reader = get_reader(str(cut))
    assert reader is not None
    with pytest.raises(ReaderError, match="cut.mrc"):
        reader(str(cut))


def _copied_tomogram(portal: GeneratedPortal, tmp_path: Path) -> Path:
    source = next(
        (portal.root / RUN).glob("Reconstructions/VoxelSpacing10.000/Tomograms/100/*.zarr")
    )
    store = tmp_path / source.name
    shutil.copytree(source, store)
    return store


def test_a_refused_file_in_a_viewer_is_a_notification_not_a_traceback(
    make_napari_viewer: Callable[..., Any], tiny_portal: GeneratedPortal, tmp_path: Path
) -> None:
    """With a window open the message naming the file is shown, and nothing is added."""
    store = _copied_tomogram(tiny_portal, tmp_path)
    for level in ("0", "1", "2"):
        meta = store / level / ".zarray"
        meta.write_text(json.dumps({**json.loads(meta.read_text()), "dtype": "|O"}))
    viewer = make_napari_viewer()
    shown: list[str] = []
    with patch("napari.utils.notifications.show_error", side_effect=shown.append):
        viewer.open(store, plugin=PLUGIN)
    assert len(viewer.layers) == 0
    (message,) = shown
    assert message.startswith(f"{store}/0/.zarray: data type '|O' is not numeric")


def test_a_mirroring_scale_is_corrected_in_the_viewer(
    make_napari_viewer: Callable[..., Any], tiny_portal: GeneratedPortal, tmp_path: Path
) -> None:
    store = _copied_tomogram(tiny_portal, tmp_path)
    attrs = json.loads((store / ".zattrs").read_text())
    for k, dataset in enumerate(attrs["multiscales"][0]["datasets"]):
        dataset["coordinateTransformations"] = [
            {"type": "scale", "scale": [10.0 * 2**k, -10.0 * 2**k, float("nan")]}
        ]
    (store / ".zattrs").write_text(json.dumps(attrs))
    viewer = make_napari_viewer()
    with pytest.warns(UserWarning, match=f"{store}: scales must be positive finite"):
        viewer.open(store, plugin=PLUGIN)
    (layer,) = viewer.layers
    assert np.allclose(layer.scale, 10.0)  # not mirrored, no NaN
    assert np.all(np.isfinite(layer.translate))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (".zattrs", "[1, 2]"),
        (".zattrs", '{"multiscales": [{"axes": 5}]}'),
        (".zattrs", '{"multiscales": [7], "ome": 3}'),
        ("zarr.json", '{"zarr_format": 3, "attributes": {"ome": [1]}}'),
        ("zarr.json", '"just a string"'),
    ],
)
def test_any_json_in_a_stores_metadata_is_declined_not_raised(
    tmp_path: Path, name: str, text: str
) -> None:
    store = tmp_path / "odd.zarr"
    store.mkdir()
    (store / name).write_text(text)
    assert get_reader(str(store)) is None


def test_declines_what_is_not_ours(tmp_path: Path, tiny_replica: ReplicaServer) -> None:
    plain = tmp_path / "notes.txt"
    plain.write_text("hello")
    other_zarr = tmp_path / "plain.zarr"
    other_zarr.mkdir()
    (other_zarr / ".zgroup").write_text('{"zarr_format": 2}')
    cells = tmp_path / "cells.zarr"
    cells.mkdir()
    (cells / ".zattrs").write_text(
        json.dumps({"multiscales": [{"axes": ["c", "z", "y", "x"], "datasets": []}]})
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    for path in (
        str(plain),
        str(other_zarr),
        str(cells),
        str(empty),
        str(tmp_path / "missing.ndjson"),
        f"{tiny_replica.files_url}/nothing.zarr",
        ["a", "b"],
        42,
        None,
    ):
        assert get_reader(path) is None, path


# -- which reader napari offers: npe2 matches the manifest's patterns ------------------

VS = f"{RUN}/Reconstructions/VoxelSpacing10.000"
# Every kind of path of a download, as a glob in the tiny portal.
PORTAL_PATHS = [
    "10000",
    RUN,
    f"{RUN}/Reconstructions",
    VS,
    f"{VS}/Tomograms",
    f"{VS}/Tomograms/*",
    f"{VS}/Annotations",
    f"{VS}/Annotations/*",
    f"{RUN}/TiltSeries",
    f"{RUN}/TiltSeries/*",
    f"{VS}/Tomograms/*/*.zarr",
    f"{VS}/Tomograms/*/*.mrc",
    f"{VS}/Annotations/*/*_orientedpoint.ndjson",
    f"{VS}/Annotations/*/*_segmentationmask.zarr",
    f"{VS}/Annotations/*/*_instancesegmentationmask.mrc",
    f"{VS}/Annotations/*/*_triangularmesh.glb",
]


@pytest.fixture
def installed() -> npe2.PluginManager:
    """npe2's plugin manager, napari's too, with the installed plugins found."""
    pm = npe2.PluginManager.instance()
    pm.discover()
    assert PLUGIN in {m.name for m in pm.iter_manifests()}
    return pm


def _offered(pm: npe2.PluginManager, path: Path | str) -> set[str]:
    return {reader.plugin_name for reader in pm.iter_compatible_readers([str(path)])}


def _write_foreign(folder: Path, name: str) -> Path:
    """A real file of the kind ``name`` says."""
    path = folder / name
    picture = np.arange(24 * 32, dtype=np.uint8).reshape(24, 32)
    if name.endswith(".png"):
        iio.imwrite(path, picture)
    elif name.endswith(".tif"):
        tifffile.imwrite(path, np.stack([picture] * 3), photometric="minisblack")
    elif name.endswith(".csv"):
        path.write_text("index,axis-0,axis-1\n0,1.0,2.0\n")
    elif name.endswith(".h5"):
        path.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(504))  # the HDF5 signature
    else:
        path.write_text("notes\n")
    return path


@pytest.mark.parametrize("name", ["picture.png", "stack.tif", "table.csv", "notes.txt", "d.h5"])
def test_foreign_files_never_offer_this_plugin(
    tmp_path: Path, installed: npe2.PluginManager, name: str
) -> None:
    path = _write_foreign(tmp_path, name)
    assert PLUGIN not in _offered(installed, path)
    assert PLUGIN not in get_readers(path)  # napari's own question to npe2
    assert get_reader(str(path)) is None


@pytest.mark.parametrize("name", ["picture.png", "stack.tif"])
def test_foreign_pictures_open_without_a_choice(
    make_napari_viewer: Callable[..., Any], tmp_path: Path, name: str
) -> None:
    """One reader left (napari's): no "Choose reader" dialog, the picture just opens."""
    path = _write_foreign(tmp_path, name)
    viewer = make_napari_viewer()
    # No plugin named, as a drop or File > Open does: napari raises MultipleReaderError
    # (and the GUI asks) when more than one reader is offered.
    viewer.open(path, plugin=None)
    assert [type(layer).__name__ for layer in viewer.layers] == ["Image"]


def test_folders_of_pictures_fall_through(
    make_napari_viewer: Callable[..., Any],
    tmp_path: Path,
    tiny_portal: GeneratedPortal,
    installed: npe2.PluginManager,
) -> None:
    folder = tmp_path / "pictures"
    folder.mkdir()
    for i in range(3):
        _write_foreign(folder, f"frame{i}.png")
    # The portal's own dataset pictures are not a download to open either.
    for where in (folder, tiny_portal.root / "10000" / "Images"):
        # npe2 offers every reader accepting directories for every folder ...
        assert PLUGIN in _offered(installed, where)
        # ... and this one declines, so npe2 goes on to napari's.
        assert get_reader(str(where)) is None
    (stacked,) = npe2.read([str(folder)], stack=False)  # napari's: the pictures as a stack
    assert np.asarray(stacked[0]).shape == (3, 24, 32)
    # Chosen by hand anyway: one sentence naming the folder, and nothing added.
    viewer = make_napari_viewer()
    with pytest.raises(ValueError, match="refused") as raised:
        viewer.open(folder, plugin=PLUGIN)
    assert str(folder) in str(raised.value) and len(str(raised.value).splitlines()) == 1
    assert len(viewer.layers) == 0


@pytest.mark.parametrize("pattern", PORTAL_PATHS)
def test_every_portal_path_opens_with_this_plugin(
    tiny_portal: GeneratedPortal, installed: npe2.PluginManager, pattern: str
) -> None:
    path = next(tiny_portal.root.glob(pattern))
    assert PLUGIN in _offered(installed, path)
    assert PLUGIN in get_readers(path)
    assert get_reader(str(path)) is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a dataset says it opened one run
        layers = npe2.read([str(path)], plugin_name=PLUGIN, stack=False)
    assert layers
    for _, kwargs, _ in layers:
        assert kwargs["name"].startswith("TS_001 "), kwargs["name"]


def test_a_portal_tomogram_is_never_silently_napari_s(
    make_napari_viewer: Callable[..., Any], tiny_portal: GeneratedPortal
) -> None:
    """napari's builtin reader claims folders and ``*.zarr`` too: napari asks which."""
    from napari._qt.dialogs.qt_reader_dialog import QtReaderDialog

    zarr = next(tiny_portal.root.glob(f"{VS}/Tomograms/*/*.zarr"))
    readers = get_readers(zarr)
    assert set(readers) == {"napari", PLUGIN}
    viewer = make_napari_viewer()
    with pytest.raises(MultipleReaderError):
        # As a drop or File > Open: the GUI shows its "Choose reader" dialog here.
        viewer.open(zarr, plugin=None)
    assert len(viewer.layers) == 0
    # That dialog's preselected choice (the first display name in sorted order) is ours.
    dialog = QtReaderDialog(pth=str(zarr), readers=readers)
    try:
        checked = dialog.reader_btn_group.checkedButton()
        assert checked is not None and checked.text() == readers[PLUGIN]
    finally:
        dialog.deleteLater()
