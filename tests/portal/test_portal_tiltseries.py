"""A run's tilt series from the replica: the model, ``ls`` and the metadata sections."""

from __future__ import annotations

import io
import json

import pytest

from napari_cryoet_explorer.io.tiltseries import read_tiltseries_model
from napari_cryoet_explorer.local.tree import LocalSource
from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.portal.ls import run_ls
from napari_cryoet_explorer.portal.models import TiltSeries
from napari_cryoet_explorer.portal.sections import initial_node, kind_of, sections_for
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal


def _row(portal: GeneratedPortal, run_id: int) -> dict[str, object]:
    (row,) = [t for t in portal.entities["Tiltseries"] if t["runId"] == run_id]
    return dict(row)


def test_runs_carry_their_tilt_series(
    tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal
) -> None:
    with PortalClient(tiny_replica.url) as client:
        runs = [r for d in (10000, 10001) for r in client.runs(d)]
        sent = client.requests_sent
        run = client.run(10000, "TS_001")
        assert client.requests_sent == sent + 1  # one request: the run comes with them
    assert len(runs) == len(tiny_portal.entities["Run"])
    for r in runs:
        row = _row(tiny_portal, r.id)
        (t,) = r.tilt_series
        assert t.id == row["id"] and t.run_id == r.id
        assert t.size_zyx == (row["sizeZ"], row["sizeY"], row["sizeX"])
        assert t.pixel_spacing == pytest.approx(row["pixelSpacing"])
        assert (t.tilt_min, t.tilt_max, t.tilt_step) == (
            row["tiltMin"],
            row["tiltMax"],
            row["tiltStep"],
        )
        assert t.quality == row["tiltSeriesQuality"] == r.tilt_series_quality
        for url in (t.https_mrc_file, t.https_omezarr_dir, t.https_angle_list):
            assert url is not None and url.startswith(tiny_replica.files_url)
        assert t.fields["tiltingScheme"] == row["tiltingScheme"]

    truth = tiny_portal.ground_truth["runs"]["10000/TS_001"]["tiltseries"][0]
    (t,) = run.tilt_series
    data, kwargs, _ = read_tiltseries_model(t, run.name)
    assert kwargs["name"] == f"TS_001 tilt series {t.id}"
    assert tuple(data[0].shape) == tuple(truth["shape_zyx"])
    assert kwargs["metadata"]["tilt_angles"] == pytest.approx(truth["angles"])


def test_ls_lists_a_runs_tilt_series(
    tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal
) -> None:
    out = io.StringIO()
    assert run_ls("10000/TS_002", url=tiny_replica.url, as_json=True, out=out) == 0
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    (run,) = [r for r in tiny_portal.entities["Run"] if r["name"] == "TS_002"]
    row = _row(tiny_portal, int(run["id"]))
    (listed,) = [r for r in rows if r["kind"] == "tilt_series"]
    assert listed["id"] == row["id"] and listed["images"] == row["sizeZ"]
    assert (listed["tilt_min"], listed["tilt_max"]) == (row["tiltMin"], row["tiltMax"])
    assert listed["angle_list"].endswith("/TiltSeries/100/TS_002.rawtlt")

    out = io.StringIO()
    assert run_ls("10000/TS_002", url=tiny_replica.url, out=out) == 0
    table = out.getvalue().splitlines()
    at = next(i for i, line in enumerate(table) if line.startswith("TILT SERIES"))
    cells = table[at + 1].split()
    assert cells[:2] == [str(row["id"]), str(row["sizeZ"])]
    assert f"{row['tiltMin']:g} to {row['tiltMax']:g}" in table[at + 1]


def _section_values(kind: str, node: dict[str, object]) -> dict[str, str]:
    return {r.label: r.value for s in sections_for(kind, node) for r in s.rows}


def test_metadata_sections_of_a_tilt_series(
    tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal
) -> None:
    with PortalClient(tiny_replica.url) as client:
        run = client.run(10000, "TS_001")
    (t,) = run.tilt_series
    assert kind_of(t) == "tiltseries"
    values = _section_values("tiltseries", initial_node(t))
    row = _row(tiny_portal, run.id)
    assert values["Tilt Series ID"] == str(row["id"])
    assert values["Size (x, y, images)"] == f"{row['sizeX']}, {row['sizeY']}, {row['sizeZ']}"
    assert values["Angle List"] == t.https_angle_list
    assert values["Camera Model"] == row["cameraModel"]
    # The run's own sections show its tilt series as the portal's run page does.
    assert "Camera Model" in _section_values("run", initial_node(run))


def test_a_download_gives_the_same_model(
    tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal
) -> None:
    with PortalClient(tiny_replica.url) as client:
        (remote,) = client.run(10000, "TS_001").tilt_series
    source = LocalSource(tiny_portal.root / "10000")
    (dataset,) = source.datasets()
    local_run = next(r for r in source.runs(dataset) if r.name == "TS_001")
    (local,) = local_run.tilt_series
    assert isinstance(local, TiltSeries)
    for name in ("size_zyx", "tilt_min", "tilt_max", "tilt_step", "quality"):
        assert getattr(local, name) == getattr(remote, name), name
    assert local.pixel_spacing == pytest.approx(remote.pixel_spacing)
    assert local.id == 100  # the folder number: the API's id is not in a download
    for path, url in (
        (local.https_mrc_file, remote.https_mrc_file),
        (local.https_omezarr_dir, remote.https_omezarr_dir),
        (local.https_angle_list, remote.https_angle_list),
    ):
        assert path is not None and url is not None
        assert url.endswith(path.removeprefix(str(tiny_portal.root)))
