"""``napari-cryoet-explorer ls`` against the replica: tables, JSON lines, errors."""

from __future__ import annotations

import io
import json
import socket
from typing import Any

import pytest

from napari_cryoet_explorer.cli import main
from napari_cryoet_explorer.portal.ls import run_ls
from napari_cryoet_explorer.portal.targets import split_target
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal


def _ls(
    server: ReplicaServer, target: str | None, *, search: str | None = None, as_json: bool = False
) -> tuple[int, str]:
    out = io.StringIO()
    code = run_ls(target, url=server.url, search=search, as_json=as_json, out=out)
    return code, out.getvalue()


def _rows(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_json_levels(tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal) -> None:
    entities = tiny_portal.entities
    runs = sorted(
        (r for r in entities["Run"] if r["datasetId"] == 10000), key=lambda r: str(r["name"])
    )

    code, text = _ls(tiny_replica, None, as_json=True)
    datasets = _rows(text)
    assert code == 0
    assert [d["id"] for d in datasets] == [d["id"] for d in entities["Dataset"]]
    assert datasets[0]["children"] == datasets[0]["runs"] == len(runs)
    assert all(d["title"] for d in datasets)

    code, text = _ls(tiny_replica, "10000", as_json=True)
    listed = _rows(text)
    assert code == 0 and [r["name"] for r in listed] == [r["name"] for r in runs]
    spacings = sorted(
        v["voxelSpacing"] for v in entities["TomogramVoxelSpacing"] if v["runId"] == runs[0]["id"]
    )
    tilts = [t for t in entities["Tiltseries"] if t["runId"] == runs[0]["id"]]
    assert listed[0]["voxel_spacings"] == spacings
    assert listed[0]["children"] == len(spacings) + len(tilts)
    assert listed[0]["tomograms"] == sum(t["runId"] == runs[0]["id"] for t in entities["Tomogram"])

    code, text = _ls(tiny_replica, f"10000/{runs[0]['name']}", as_json=True)
    level = _rows(text)
    assert [r["name"] for r in level if r["kind"] == "voxel_spacing"] == [
        f"VoxelSpacing{v:.3f}" for v in spacings
    ]
    assert [r["id"] for r in level if r["kind"] == "tilt_series"] == [t["id"] for t in tilts]

    code, text = _ls(tiny_replica, f"10000/{runs[0]['name']}/{spacings[0]}", as_json=True)
    rows = _rows(text)
    tomograms = [r for r in rows if r["kind"] == "tomogram"]
    annotations = [r for r in rows if r["kind"] == "annotation"]
    assert code == 0 and len(tomograms) >= 2
    assert len({t["alignment_id"] for t in tomograms}) >= 2
    assert annotations and all(a["children"] == len(a["files"]) >= 1 for a in annotations)
    assert all({"id", "name", "children"} <= set(r) for r in rows)


def test_tables(tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal) -> None:
    code, text = _ls(tiny_replica, None)
    assert code == 0
    lines = text.splitlines()
    assert lines[0].split() == ["ID", "RUNS", "ORGANISM", "EMPIAR", "OBJECTS", "TITLE"]
    assert lines[1].startswith("10000 ") and "EMPIAR-" in lines[1]
    assert "nucleosome, ribosome, vesicle" in lines[1]

    _, text = _ls(tiny_replica, "10000")
    header, first = text.splitlines()[:2]
    assert header.split()[:3] == ["RUN", "ID", "QUALITY"] and "OBJECTS" in header
    quality = tiny_portal.entities["Tiltseries"][0]["tiltSeriesQuality"]
    label = {5: "Excellent", 4: "Good", 3: "Medium", 2: "Marginal", 1: "Low"}[quality]
    assert f"{quality} {label}" in first

    run = _rows(_ls(tiny_replica, "10000", as_json=True)[1])[0]["name"]
    _, text = _ls(tiny_replica, f"10000/{run}")
    assert "VoxelSpacing10.000" in text
    tilt_header = next(line for line in text.splitlines() if line.startswith("TILT SERIES"))
    assert tilt_header.split()[2:4] == ["IMAGES", "TILT"]

    _, by_number = _ls(tiny_replica, f"10000/{run}/10")
    _, by_folder = _ls(tiny_replica, f"10000/{run}/VoxelSpacing10.000/")
    assert by_number == by_folder
    assert "TOMOGRAM" in by_number and "ANNOTATION" in by_number
    assert "OrientedPoint" in by_number and "ndjson" in by_number and "zarr" in by_number


def test_search(tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal) -> None:
    other = [r for r in tiny_portal.entities["Run"] if r["datasetId"] == 10001][0]["name"]
    code, text = _ls(tiny_replica, None, search=other, as_json=True)
    rows = _rows(text)
    assert code == 0 and [r["id"] for r in rows] == [10001]
    assert rows[0]["matched_runs"] == [other] and "run" in rows[0]["matched_by"]

    _, text = _ls(tiny_replica, None, search=other)
    assert "10001" in text and "10000" not in text and other in text

    _, text = _ls(tiny_replica, "10001", search=other, as_json=True)
    assert [r["name"] for r in _rows(text)] == [other]


def test_errors_are_one_line_naming_the_url(
    tiny_replica: ReplicaServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = tiny_replica.url
    assert main(["ls", "--url", url, "10000/TS_999"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "TS_999" in err and url in err
    assert "Traceback" not in err

    assert main(["ls", "--url", url, "99"]) == 1
    assert f"no dataset 99 at {url}" in capsys.readouterr().err

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/graphql"
    assert main(["ls", "--url", dead]) == 1
    assert f"cannot reach {dead}" in capsys.readouterr().err

    wrong = url.replace("/graphql", "/v2")
    assert main(["ls", "--json", "--url", wrong]) == 1
    captured = capsys.readouterr()
    assert f"{wrong} is not a GraphQL endpoint" in captured.err and captured.out == ""

    for bad in ("abc", "1/2/3/4", "10000/TS_001/fine"):
        assert main(["ls", "--url", url, bad]) == 2
        assert capsys.readouterr().err.count("\n") == 1


def test_split_target() -> None:
    assert split_target(None) == (None, None, None)
    assert split_target("10000/") == (10000, None, None)
    assert split_target("10000/TS_001/VoxelSpacing13.480") == (10000, "TS_001", 13.48)


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("10000//13.48", "the run name is empty"),
        ("/10000", "starts with '/'"),
        ("10000/TS_001//", "empty"),
        ("-5", "abc"),
    ],
)
def test_malformed_targets_are_named(
    target: str, words: str, tiny_replica: ReplicaServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ls", "--url", tiny_replica.url, target]) == 2
    err = capsys.readouterr().err
    assert target in err and err.count("\n") == 1
    if words != "abc":
        assert words in err


def test_missing_dataset_is_said_before_missing_run(
    tiny_replica: ReplicaServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ls", "--url", tiny_replica.url, "99999/TS_001"]) == 1
    assert "no dataset 99999" in capsys.readouterr().err
    assert main(["ls", "--url", tiny_replica.url, "10000/TS_999"]) == 1
    assert "no run 'TS_999' in dataset 10000" in capsys.readouterr().err


def test_a_closed_pipe_ends_quietly(tiny_replica: ReplicaServer) -> None:
    import subprocess
    import sys

    command = [sys.executable, "-m", "napari_cryoet_explorer.cli", "ls", "--url", tiny_replica.url]
    for target in ("10000/TS_001/10", "10000"):
        with subprocess.Popen(
            [*command, target, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        ) as child:
            assert child.stdout is not None and child.stderr is not None
            # Hang up before the answer is written (as `| head` does once it has enough):
            # every write meets a pipe without a reader.
            child.stdout.close()
            err = child.stderr.read().decode()
            code = child.wait(timeout=60)
        assert "Traceback" not in err and "BrokenPipe" not in err, err
        assert code in (0, 141)  # done, or ended by the closed pipe as `head` expects
