"""Clear, fast errors naming the URL: bad URLs, dead hosts, answers that do not fit."""

from __future__ import annotations

import json
import socket

import pytest

from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.portal.errors import (
    PortalConnectionError,
    PortalError,
    PortalNotFoundError,
    PortalResponseError,
    PortalURLError,
)
from napari_cryoet_explorer.portal.transport import RetryPolicy
from napari_cryoet_explorer.replica.faults import Fault
from napari_cryoet_explorer.replica.server import ReplicaServer


def _dead_url() -> str:
    """A URL on a port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/graphql"


def test_wrong_path_is_a_url_error_without_retries(tiny_replica: ReplicaServer) -> None:
    wrong = tiny_replica.url.replace("/graphql", "/graphq")
    with pytest.raises(PortalURLError, match=f"{wrong} is not a GraphQL endpoint") as info:
        PortalClient(wrong).datasets()
    assert info.value.status == 404 and info.value.url == wrong
    assert len(tiny_replica.records()) == 1  # no retry of a 404


def test_a_file_url_is_not_an_endpoint(tiny_replica: ReplicaServer) -> None:
    with pytest.raises(PortalURLError, match="HTTP 405"):
        PortalClient(tiny_replica.files_url + "/portal.json").datasets()


@pytest.mark.parametrize(
    "url", ["ftp://example.org/graphql", "graphql.example.org", "http://", "http://host:port/"]
)
def test_malformed_urls_fail_at_once(url: str) -> None:
    with pytest.raises(PortalURLError, match="URL"):
        PortalClient(url)


def test_dead_port_fails_fast_after_a_retry() -> None:
    dead = _dead_url()
    client = PortalClient(dead, retry=RetryPolicy(attempts=6, backoff_s=0.2))
    with pytest.raises(PortalConnectionError, match=f"cannot reach {dead}: connection refused"):
        client.datasets()
    assert client.requests_sent == 2  # connect_attempts, not attempts


def test_unresolvable_host_fails_fast() -> None:
    url = "http://no-such-host.invalid/graphql"
    client = PortalClient(url, retry=RetryPolicy(attempts=6, backoff_s=0.05))
    with pytest.raises(PortalConnectionError, match="no-such-host.invalid"):
        client.datasets()
    assert client.requests_sent <= 2  # a name that does not resolve is not retried six times


def test_graphql_errors(tiny_replica: ReplicaServer) -> None:
    client = PortalClient(tiny_replica.url)
    with pytest.raises(PortalResponseError, match=f"{tiny_replica.url} answered with GraphQL"):
        client.transport.execute("{ datasets { notAField } }")


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (Fault(body=b"<html>portal</html>", content_type="text/html"), "did not answer JSON"),
        (Fault(body=b"[1, 2]"), "not a GraphQL response"),
        (Fault(body=b'{"data": null}'), "without data"),
        (Fault(body=b'{"data": {}}'), "without the 'datasets' list"),
        (Fault(body=b'{"data": {"datasets": [{"id": 1}]}}'), "does not fit the schema"),
        (Fault(body=b'{"errors": [{"message": "boom"}]}', status=500), "GraphQL errors: boom"),
        (Fault(body=b"", status=500), "HTTP 500"),
    ],
)
def test_answers_that_do_not_fit(scripted: ReplicaServer, fault: Fault, message: str) -> None:
    scripted.script = [fault]
    client = PortalClient(scripted.url)
    with pytest.raises(PortalError, match=message) as info:
        client.datasets()
    assert scripted.url in str(info.value)
    assert client.transport.requests_sent == 1


def test_missing_counts_do_not_fit(scripted: ReplicaServer) -> None:
    node = {"id": 1, "title": "t", "runsAggregate": None}
    body = {"data": {"datasets": [node], "total": {"aggregate": [{"count": 1}]}}}
    scripted.script = [Fault(body=json.dumps(body).encode())]
    with pytest.raises(PortalResponseError, match="does not fit"):
        PortalClient(scripted.url).datasets()


def test_missing_nodes(tiny_replica: ReplicaServer) -> None:
    client = PortalClient(tiny_replica.url)
    with pytest.raises(PortalNotFoundError, match=f"no dataset 1 at {tiny_replica.url}"):
        client.dataset(1)
    with pytest.raises(PortalNotFoundError, match="no run 'nope' in dataset 10000"):
        client.run(10000, "nope")
    with pytest.raises(PortalNotFoundError, match="no voxel spacing 999999"):
        client.voxel_spacing_contents(999999)
    run = client.runs(10000)[0]
    with pytest.raises(PortalNotFoundError, match="has no voxel spacing 3.000"):
        client.find_voxel_spacing(run, 3.0)


def test_a_next_page_without_cursor_does_not_loop(scripted: ReplicaServer) -> None:
    stuck = {"pageInfo": {"hasNextPage": True, "endCursor": None}, "edges": []}
    node = {"id": 1, "voxelSpacing": 10.0, "runId": 1, "tomograms": stuck}
    node["annotationFiles"] = stuck
    node["tomogramsAggregate"] = {"aggregate": [{"count": 0}]}
    body = {"data": {"tomogramVoxelSpacings": [node]}}
    scripted.script = [Fault(body=json.dumps(body).encode())]
    client = PortalClient(scripted.url)
    with pytest.raises(PortalResponseError, match="no cursor"):
        client.voxel_spacing_contents(1)
    assert client.transport.requests_sent == 1
