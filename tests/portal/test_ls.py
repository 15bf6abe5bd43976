"""``napari-cryoet-explorer ls`` against the replica."""

from __future__ import annotations

import io
import json

import pytest

from napari_cryoet_explorer.cli import main
from napari_cryoet_explorer.portal.ls import run_ls
from napari_cryoet_explorer.replica.server import ReplicaServer


def _ls(server: ReplicaServer, target: str | None, **kw: object) -> tuple[int, str]:
    out = io.StringIO()
    code = run_ls(
        target, url=server.url, search=kw.get("search"), as_json=bool(kw.get("as_json")), out=out
    )  # type: ignore[arg-type]
    return code, out.getvalue()


def test_json_levels(tiny_replica: ReplicaServer) -> None:
    code, text = _ls(tiny_replica, None, as_json=True)
    rows = [json.loads(line) for line in text.splitlines()]
    assert code == 0
    assert [(r["id"], r["runs"]) for r in rows] == [(10000, 2), (10001, 2)]
    assert all("title" in r and "children" in r for r in rows)

    _, text = _ls(tiny_replica, "10000", as_json=True)
    runs = [json.loads(line) for line in text.splitlines()]
    assert [r["name"] for r in runs] == ["TS_001", "TS_002"]
    assert runs[0]["children"] == 2 and runs[0]["voxel_spacings"] == [10.0, 20.0]

    _, text = _ls(tiny_replica, "10000/TS_001", as_json=True)
    assert [json.loads(line)["name"] for line in text.splitlines()] == [
        "VoxelSpacing10.000",
        "VoxelSpacing20.000",
    ]

    _, text = _ls(tiny_replica, "10000/TS_001/VoxelSpacing10.000", as_json=True)
    rows = [json.loads(line) for line in text.splitlines()]
    kinds = [r["kind"] for r in rows]
    assert kinds.count("tomogram") == 2
    assert {r["name"] for r in rows if r["kind"] == "annotation"} == {
        "ribosome",
        "nucleosome",
        "vesicle",
    }


def test_table_and_search(tiny_replica: ReplicaServer) -> None:
    code, text = _ls(tiny_replica, None, search="algal")
    assert code == 0
    assert "10001" in text and "10000" not in text
    _, text = _ls(tiny_replica, "10000/TS_001/10")
    assert "tomogram" in text and "ribosome" in text and "OrientedPoint" in text


def test_errors_are_one_line(
    tiny_replica: ReplicaServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ls", "--url", tiny_replica.url, "10000/TS_999"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "TS_999" in err and tiny_replica.url in err
    assert main(["ls", "--url", "http://127.0.0.1:9/graphql"]) == 1
    assert "cannot reach http://127.0.0.1:9/graphql" in capsys.readouterr().err
    assert main(["ls", "--url", tiny_replica.url, "abc"]) == 1
    assert "dataset id must be a number" in capsys.readouterr().err
