"""Tilt series: the projection stack from the replica and from a download folder."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from napari_cryoet_explorer._reader import get_reader
from napari_cryoet_explorer.io import ReaderError, open_run
from napari_cryoet_explorer.io.tiltseries import (
    ANGLES_KEY,
    open_tiltseries_folder,
    parse_angle_list,
    read_tiltseries,
)
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal

RUN = "10000/TS_001"


def _truth(portal: GeneratedPortal, run: str = RUN) -> dict[str, Any]:
    (tilt,) = portal.ground_truth["runs"][run]["tiltseries"]
    return dict(tilt)


def _finest(data: Any) -> Any:
    return data[0] if isinstance(data, list) else data


def _check(layer: tuple[Any, dict[str, Any], str], truth: dict[str, Any]) -> None:
    data, kwargs, kind = layer
    assert kind == "image"
    assert tuple(_finest(data).shape) == tuple(truth["shape_zyx"])
    spacing = truth["pixel_spacing"]
    assert kwargs["scale"] == pytest.approx((1.0, spacing, spacing), rel=1e-6)
    assert kwargs["metadata"][ANGLES_KEY] == pytest.approx(truth["angles"])
    assert kwargs["metadata"]["axis_labels"] == ("tilt", "y", "x")


@pytest.mark.parametrize("kind", ["zarr", "mrc"])
def test_from_the_replica(
    kind: str,
    tiny_portal: GeneratedPortal,
    replica_factory: Callable[..., ReplicaServer],
) -> None:
    truth = _truth(tiny_portal)
    server = replica_factory(tiny_portal.root)
    layer = read_tiltseries(
        f"{server.files_url}/{truth[kind]}", angles=f"{server.files_url}/{truth['angle_list']}"
    )
    _check(layer, truth)
    # Lazy: a dask array, one image read on demand, equal to the file on disk.
    data = _finest(layer[0])
    assert hasattr(data, "dask")
    local = _finest(read_tiltseries(tiny_portal.root / truth["mrc"])[0])
    np.testing.assert_allclose(np.asarray(data[3]), np.asarray(local[3]), rtol=1e-6)


def test_from_a_folder(tiny_portal: GeneratedPortal) -> None:
    truth = _truth(tiny_portal)
    folder = tiny_portal.root / truth["path"]
    (layer,) = open_tiltseries_folder(folder)
    _check(layer, truth)
    assert layer[1]["name"] == f"TS_001 tilt series {folder.name}"
    assert len(layer[0]) == 3  # the OME-Zarr's levels, binned in y and x only
    assert [level.shape[0] for level in layer[0]] == [truth["shape_zyx"][0]] * 3
    # The whole TiltSeries folder, through open_run and napari's reader entry point.
    for path in (folder, folder.parent):
        (opened,) = open_run(path)
        _check(opened, truth)
        reader = get_reader(str(path))
        assert reader is not None
        (read,) = reader(str(path))
        _check(read, truth)


def test_mrc_in_a_tiltseries_folder_opens_as_tilt_series(tiny_portal: GeneratedPortal) -> None:
    truth = _truth(tiny_portal)
    (layer,) = open_run([tiny_portal.root / truth["mrc"]])
    _check(layer, truth)


def test_each_run_has_its_own_angles(tiny_portal: GeneratedPortal) -> None:
    for run in tiny_portal.ground_truth["runs"]:
        truth = _truth(tiny_portal, run)
        (layer,) = open_tiltseries_folder(tiny_portal.root / truth["path"])
        _check(layer, truth)


def test_angle_list_that_disagrees_warns_and_still_opens(
    tiny_portal: GeneratedPortal, tmp_path: Path
) -> None:
    truth = _truth(tiny_portal)
    folder = tmp_path / "TS_001" / "TiltSeries" / "100"
    shutil.copytree(tiny_portal.root / truth["path"], folder)
    angle_list = folder / "TS_001.rawtlt"
    lines = angle_list.read_text().splitlines()
    angle_list.write_text("\n".join(lines[:-2]) + "\n")
    with pytest.warns(UserWarning, match=r"TS_001\.rawtlt: 39 tilt angles for the 41 images"):
        (layer,) = open_tiltseries_folder(folder)
    assert layer[1]["metadata"][ANGLES_KEY] is None
    assert tuple(_finest(layer[0]).shape) == tuple(truth["shape_zyx"])


def test_broken_angle_list_names_the_line(tmp_path: Path) -> None:
    assert parse_angle_list("-3.0\n\n 0.0  extra\n3\n", "x") == [-3.0, 0.0, 3.0]
    with pytest.raises(ReaderError, match=r"a\.rawtlt: line 2 is not a tilt angle"):
        parse_angle_list("1.0\nabc\n", "a.rawtlt")


def test_no_angle_list_opens_without_angles(tiny_portal: GeneratedPortal, tmp_path: Path) -> None:
    truth = _truth(tiny_portal)
    stack = tmp_path / "stack.mrc"
    shutil.copyfile(tiny_portal.root / truth["mrc"], stack)
    data, kwargs, _ = read_tiltseries(stack)
    assert kwargs["metadata"][ANGLES_KEY] is None
    assert kwargs["name"] == "stack.mrc"
    assert tuple(data.shape) == tuple(truth["shape_zyx"])
