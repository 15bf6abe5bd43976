"""The replica's HTTP server: files, knobs, the request log, concurrent clients."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.replica.store import Store, save_entities

QUERY = {"query": "{ datasets { id } }"}
BLOB = bytes(range(256)) * 40  # 10,240 bytes
Factory = Callable[..., ReplicaServer]


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A hand-made portal folder: two datasets, a binary file, a link leading out."""
    root = tmp_path_factory.mktemp("portal")
    outside = tmp_path_factory.mktemp("outside") / "secret.txt"
    outside.write_text("not served")
    (root / "10000" / "TS_1").mkdir(parents=True)
    (root / "10000" / "TS_1" / "blob.bin").write_bytes(BLOB)
    (root / "10000" / "TS_1" / "empty.bin").write_bytes(b"")
    os.symlink(outside, root / "10000" / "link.txt")
    dataset = {
        "depositionId": 1,
        "description": "d",
        "depositionDate": "2024-01-01T00:00:00Z",
        "releaseDate": "2024-01-01T00:00:00Z",
        "lastModifiedDate": "2024-01-01T00:00:00Z",
        "s3Prefix": "s3://x/",
    }
    save_entities(
        root,
        {
            "Dataset": [
                {**dataset, "id": 10001, "title": "B", "httpsPrefix": "{files}/10001/"},
                {**dataset, "id": 10000, "title": "A", "httpsPrefix": "{files}/10000/"},
            ]
        },
    )
    return root


def _get(url: str, **kwargs: Any) -> requests.Response:
    return requests.get(url, timeout=10, **kwargs)


def test_graphql_post_and_get(replica_factory: Factory, portal: Path) -> None:
    server = replica_factory(portal)
    answer = requests.post(server.url, json=QUERY, timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json() == {"data": {"datasets": [{"id": 10000}, {"id": 10001}]}}
    query = "query($id: Int) { datasets(where: {id: {_eq: $id}}) { title httpsPrefix } }"
    got = _get(server.url, params={"query": query, "variables": '{"id": 10001}'})
    assert got.json()["data"]["datasets"] == [
        {"title": "B", "httpsPrefix": f"{server.files_url}/10001/"}
    ]
    named = {
        "query": "query A { a: datasets { id } } query B { b: datasetsAggregate "
        "{ aggregate { count } } }",
        "operationName": "B",
    }
    assert requests.post(server.url, json=named, timeout=10).json() == {
        "data": {"b": {"aggregate": [{"count": 2}]}}
    }


def test_graphql_errors_and_bad_bodies(replica_factory: Factory, portal: Path) -> None:
    server = replica_factory(portal)
    answer = requests.post(server.url, json={"query": "{ nope }"}, timeout=10)
    assert answer.status_code == 200
    assert answer.json()["data"] is None and "nope" in answer.json()["errors"][0]["message"]
    assert requests.post(server.url, data=b"not json", timeout=10).status_code == 400
    assert requests.post(server.url, json={"q": 1}, timeout=10).status_code == 400
    bad_vars = {"query": QUERY["query"], "variables": [1]}
    assert requests.post(server.url, json=bad_vars, timeout=10).status_code == 400
    assert requests.put(server.url, json=QUERY, timeout=10).status_code == 405


def test_file_get_head_range(replica_factory: Factory, portal: Path) -> None:
    server = replica_factory(portal)
    url = f"{server.files_url}/10000/TS_1/blob.bin"
    got = _get(url)
    assert got.status_code == 200
    assert got.content == BLOB
    assert int(got.headers["Content-Length"]) == len(BLOB)
    head = requests.head(url, timeout=10)
    assert head.status_code == 200
    assert int(head.headers["Content-Length"]) == len(BLOB)
    assert head.content == b""
    part = _get(url, headers={"Range": "bytes=3-9"})
    assert part.status_code == 206
    assert part.content == BLOB[3:10]
    assert part.headers["Content-Range"] == f"bytes 3-9/{len(BLOB)}"
    assert int(part.headers["Content-Length"]) == 7
    tail = _get(url, headers={"Range": "bytes=-5"})
    assert (tail.status_code, tail.content) == (206, BLOB[-5:])
    rest = _get(url, headers={"Range": f"bytes={len(BLOB) - 3}-"})
    assert (rest.status_code, rest.content) == (206, BLOB[-3:])
    assert _get(url, headers={"Range": f"bytes={len(BLOB) + 5}-"}).status_code == 416
    empty = _get(f"{server.files_url}/10000/TS_1/empty.bin")
    assert (empty.status_code, empty.content, empty.headers["Content-Length"]) == (200, b"", "0")


def test_missing_files_and_escapes_are_404(replica_factory: Factory, portal: Path) -> None:
    server = replica_factory(portal)
    base = server.files_url
    assert _get(f"{base}/10000/nope.json").status_code == 404
    assert requests.head(f"{base}/10000/nope.json", timeout=10).status_code == 404
    assert _get(f"{base}/10000").status_code == 404  # a folder is not a file
    assert _get(f"{base}/").status_code == 404
    for escape in (
        "%2e%2e/%2e%2e/etc/passwd",
        "..%2f..%2fetc%2fpasswd",
        "%2fetc%2fpasswd",
        "10000/link.txt",  # a symlink leading out of the folder
    ):
        answer = _get(f"{base}/{escape}")
        assert answer.status_code == 404, escape
        assert b"not served" not in answer.content
    # A replica built from entities alone serves no files.
    bare = replica_factory({"Dataset": []})
    assert _get(f"{bare.files_url}/10000/TS_1/blob.bin").status_code == 404


def test_store_source_serves_its_folder_at_each_servers_url(
    replica_factory: Factory, portal: Path
) -> None:
    store = Store.load(portal)
    first, second = replica_factory(store), replica_factory(store)
    for server in (first, second):
        prefix = _get(server.url, params=QUERY | {"query": "{ datasets { httpsPrefix } }"})
        assert prefix.json()["data"]["datasets"][0]["httpsPrefix"] == (f"{server.files_url}/10000/")
        assert _get(f"{server.files_url}/10000/TS_1/blob.bin").content == BLOB


def test_request_log(replica_factory: Factory, portal: Path) -> None:
    server = replica_factory(portal, latency_ms=20)
    for _ in range(3):
        assert requests.post(server.url, json=QUERY, timeout=10).status_code == 200
    _get(f"{server.files_url}/10000/TS_1/blob.bin", headers={"Range": "bytes=0-99"})
    requests.head(f"{server.files_url}/10000/TS_1/blob.bin", timeout=10)
    _get(f"{server.files_url}/missing")
    assert server.graphql_requests == 3
    graphql = server.records("graphql")
    assert [r.query for r in graphql] == [QUERY["query"]] * 3
    assert all(r.method == "POST" and r.status == 200 and r.path == "/graphql" for r in graphql)
    assert graphql[0].bytes == len(b'{"data":{"datasets":[{"id":10000},{"id":10001}]}}')
    assert all(r.elapsed >= 0.02 for r in graphql)
    assert abs(graphql[0].time - time.time()) < 60
    files = server.records("file")
    assert [(r.method, r.status, r.bytes) for r in files] == [
        ("GET", 206, 100),
        ("HEAD", 200, 0),
        ("GET", 404, files[2].bytes),
    ]
    assert files[0].range == "bytes=0-99" and files[0].query is None
    assert len(server.log) == 6
    server.clear_log()
    assert server.graphql_requests == 0 and server.records() == []


def test_error_rate_is_seeded_and_close_to_the_knob(replica_factory: Factory, portal: Path) -> None:
    def statuses(seed: int) -> list[int]:
        server = replica_factory(portal, error_rate=0.2, seed=seed)
        return [requests.post(server.url, json=QUERY, timeout=10).status_code for _ in range(200)]

    first = statuses(1)
    assert set(first) == {200, 503}
    assert 0.12 < first.count(503) / len(first) < 0.28
    assert statuses(1) == first
    assert statuses(2) != first


def test_error_rate_at_runtime_with_retry_after(replica_factory: Factory, portal: Path) -> None:
    server = replica_factory(portal)
    assert requests.post(server.url, json=QUERY, timeout=10).status_code == 200
    server.error_rate, server.retry_after = 1.0, 1.5
    failed = requests.post(server.url, json=QUERY, timeout=10)
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "1.5"
    assert _get(f"{server.files_url}/10000/TS_1/blob.bin").status_code == 503
    server.error_rate = 0.0
    assert requests.post(server.url, json=QUERY, timeout=10).status_code == 200
    assert [r.status for r in server.records()] == [200, 503, 503, 200]


def test_latency_knob(replica_factory: Factory, portal: Path) -> None:
    server = replica_factory(portal, latency_ms=150)
    start = time.perf_counter()
    requests.post(server.url, json=QUERY, timeout=10)
    _get(f"{server.files_url}/10000/TS_1/blob.bin")
    assert time.perf_counter() - start >= 0.3
    assert all(r.elapsed >= 0.15 for r in server.records())
    # Latency is a wait, not work: concurrent requests overlap their waits.
    server.clear_log()
    server.latency_ms = 1000
    with ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(lambda _: _get(f"{server.url}?query={{datasets{{id}}}}"), range(4)))
    assert [c.status_code for c in codes] == [200] * 4
    records = server.records()
    assert len(records) == 4 and all(r.elapsed >= 1.0 for r in records)
    # Every request arrived while every other was still waiting.
    assert max(r.started for r in records) < min(r.started + r.elapsed for r in records)
    server.latency_ms = 0
    server.clear_log()
    requests.post(server.url, json=QUERY, timeout=10)
    assert server.records()[0].elapsed < 1.0


def test_stalls_hang_and_are_released_at_stop(replica_factory: Factory, portal: Path) -> None:
    server = replica_factory(portal, stall_rate=1.0, stall_s=0.6)
    start = time.perf_counter()
    with pytest.raises(requests.Timeout):
        requests.post(server.url, json=QUERY, timeout=0.3)
    answer = requests.post(server.url, json=QUERY, timeout=10)
    assert answer.status_code == 200 and time.perf_counter() - start >= 0.9
    server.stall_s = 60.0
    outcome: list[object] = []

    def hanging() -> None:
        try:
            outcome.append(requests.post(server.url, json=QUERY, timeout=30).status_code)
        except requests.RequestException as exc:
            outcome.append(exc)

    client = threading.Thread(target=hanging)
    client.start()
    time.sleep(0.3)
    server.stop()
    client.join(timeout=10)  # the stall is 60 s: only the stop can release it in time
    assert outcome, "the stalled request was not released"


def test_concurrent_clients(replica_factory: Factory, portal: Path) -> None:
    server = replica_factory(portal)
    query = "query($id: Int) { datasets(where: {id: {_eq: $id}}) { id title } }"

    def ask(i: int) -> tuple[int, str]:
        ident = 10000 + i % 2
        body = {"query": query, "variables": {"id": ident}}
        answer = requests.post(server.url, json=body, timeout=30).json()
        blob = _get(f"{server.files_url}/10000/TS_1/blob.bin").content
        assert blob == BLOB
        return ident, answer["data"]["datasets"][0]["title"]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, range(64)))
    assert all(title == ("A" if ident == 10000 else "B") for ident, title in answers)
    assert server.graphql_requests == 64
    assert len(server.records("file")) == 64


def test_context_manager_and_restart_safety(portal: Path) -> None:
    with ReplicaServer(portal) as server:
        assert server.port > 0
        assert server.start() is server  # already running: a no-op
        assert requests.post(server.url, json=QUERY, timeout=10).status_code == 200
        url = server.url
    with pytest.raises(requests.ConnectionError):
        requests.post(url, json=QUERY, timeout=2)
    server.stop()  # stopping twice is harmless
    with pytest.raises(FileNotFoundError):
        ReplicaServer(portal / "10000").start()


def test_log_keeps_the_newest_requests(replica_factory: Factory, portal: Path) -> None:
    server = replica_factory(portal, log_limit=5)
    for i in range(8):
        body = {"query": "query($i: Int) { datasets(limitOffset: {offset: $i}) { id } }"}
        body["variables"] = f'{{"i": {i}}}'  # variables as a JSON string are accepted
        assert requests.post(server.url, json=body, timeout=10).status_code == 200
    assert len(server.records()) == 5
    assert server.graphql_requests == 8
    assert len({id(r.query) for r in server.records()}) == 1  # one copy of the text
