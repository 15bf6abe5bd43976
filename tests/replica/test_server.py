"""The replica's HTTP server: files, knobs and the request log."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import requests

from napari_cryoet_explorer.replica.server import ReplicaServer

QUERY = {"query": "{ datasets { id } }"}


def test_file_get_head_range_and_404(tiny_replica: ReplicaServer, tiny_root: Path) -> None:
    rel = "10000/TS_001/run_metadata.json"
    whole = (tiny_root / rel).read_bytes()
    url = f"{tiny_replica.files_url}/{rel}"
    got = requests.get(url, timeout=10)
    assert got.status_code == 200
    assert got.content == whole
    assert int(got.headers["Content-Length"]) == len(whole)
    head = requests.head(url, timeout=10)
    assert head.status_code == 200
    assert int(head.headers["Content-Length"]) == len(whole)
    assert head.content == b""
    part = requests.get(url, headers={"Range": "bytes=3-9"}, timeout=10)
    assert part.status_code == 206
    assert part.content == whole[3:10]
    assert part.headers["Content-Range"] == f"bytes 3-9/{len(whole)}"
    assert requests.get(f"{tiny_replica.files_url}/10000/nope.json", timeout=10).status_code == 404
    # A folder is not a file, and nothing outside the data folder is served.
    assert requests.get(f"{tiny_replica.files_url}/10000", timeout=10).status_code == 404
    escape = requests.get(f"{tiny_replica.files_url}/%2e%2e/%2e%2e/etc/passwd", timeout=10)
    assert escape.status_code == 404


def test_request_log_counts(tiny_replica: ReplicaServer, tiny_root: Path) -> None:
    tiny_replica.clear_log()
    for _ in range(3):
        assert requests.post(tiny_replica.url, json=QUERY, timeout=10).status_code == 200
    requests.get(f"{tiny_replica.files_url}/10000/dataset_metadata.json", timeout=10)
    assert tiny_replica.graphql_requests == 3
    files = tiny_replica.records("file")
    assert len(files) == 1
    size = (tiny_root / "10000/dataset_metadata.json").stat().st_size
    assert files[0].bytes == size
    assert tiny_replica.records("graphql")[0].query == QUERY["query"]


def test_error_rate_is_seeded_and_close_to_the_knob(
    tiny_root: Path, replica_factory: Callable[..., ReplicaServer]
) -> None:
    def statuses(seed: int) -> list[int]:
        server = replica_factory(tiny_root, error_rate=0.2, seed=seed)
        return [requests.post(server.url, json=QUERY, timeout=10).status_code for _ in range(200)]

    first = statuses(1)
    assert set(first) == {200, 503}
    assert 0.12 < first.count(503) / len(first) < 0.28
    assert statuses(1) == first


def test_latency_and_stall_knobs(tiny_replica: ReplicaServer) -> None:
    tiny_replica.latency_ms = 150
    start = time.perf_counter()
    requests.post(tiny_replica.url, json=QUERY, timeout=10)
    assert time.perf_counter() - start >= 0.15
    tiny_replica.latency_ms = 0
    tiny_replica.stall_rate, tiny_replica.stall_s = 1.0, 5.0
    try:
        requests.post(tiny_replica.url, json=QUERY, timeout=0.5)
    except requests.Timeout:
        pass
    else:
        raise AssertionError("a stalled request answered")
    finally:
        tiny_replica.stall_rate = 0.0


def test_graphql_errors_and_bad_bodies(tiny_replica: ReplicaServer) -> None:
    answer = requests.post(tiny_replica.url, json={"query": "{ nope }"}, timeout=10).json()
    assert answer["data"] is None and "nope" in answer["errors"][0]["message"]
    assert requests.post(tiny_replica.url, data=b"not json", timeout=10).status_code == 400
    got = requests.get(tiny_replica.url, params={"query": "{ datasets { id } }"}, timeout=10)
    assert [d["id"] for d in got.json()["data"]["datasets"]] == [10000, 10001]
