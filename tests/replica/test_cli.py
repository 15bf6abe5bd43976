"""``napari-cryoet-explorer replica`` serves a portal folder on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import requests

from napari_cryoet_explorer.synthetic.cache import cached_portal
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal


def test_replica_command_serves_graphql_and_files(tiny_portal: GeneratedPortal) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "napari_cryoet_explorer.cli",
            "replica",
            "--data",
            str(tiny_portal.root),
            "--port",
            "0",
            "--latency-ms",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("GraphQL: http://127.0.0.1:"), first + (
            proc.stderr.read() if proc.poll() is not None and proc.stderr else ""
        )
        url = first.split()[-1]
        answer = requests.post(
            url, json={"query": "{ datasets { id httpsPrefix } }"}, timeout=10
        ).json()
        datasets = answer["data"]["datasets"]
        assert [d["id"] for d in datasets] == [10000, 10001]
        meta = requests.get(datasets[0]["httpsPrefix"] + "dataset_metadata.json", timeout=10)
        assert meta.status_code == 200 and meta.json()["dataset_identifier"] == 10000
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_replica_command_rejects_a_folder_without_store(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "napari_cryoet_explorer.cli", "replica", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert str(tmp_path) in result.stderr


def test_cached_portal_is_generated_once(tmp_path: Path) -> None:
    first = cached_portal("tiny", root=tmp_path)
    stamp = (first / "portal.json").stat().st_mtime_ns
    again = cached_portal("tiny", root=tmp_path)
    assert again == first
    assert (again / "portal.json").stat().st_mtime_ns == stamp
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no leftovers
