"""Retries with backoff on 503s, resets and timeouts; give up with a clear error."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable

import pytest

from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.portal.errors import PortalConnectionError, PortalHTTPError
from napari_cryoet_explorer.portal.transport import RetryPolicy, Transport
from napari_cryoet_explorer.replica.faults import Fault
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.replica.store import Store

FAST = RetryPolicy(attempts=10, backoff_s=0.005, max_backoff_s=0.05)
OK = Fault(body=json.dumps({"data": {"ok": 1}}).encode())


def test_listing_survives_a_fifth_of_503s(
    portal_scale_store: Store, replica_factory: Callable[..., ReplicaServer]
) -> None:
    flaky = replica_factory(portal_scale_store, seed=3)
    clean = PortalClient(flaky.url).datasets()
    flaky.clear_log()
    flaky.error_rate = 0.2
    client = PortalClient(flaky.url, page_size=50, retry=FAST)

    assert client.datasets() == clean
    assert [d.fields for d in client.datasets()] == [d.fields for d in clean]

    statuses = [r.status for r in flaky.records("graphql")]
    pages = math.ceil(len(clean) / 50)
    assert statuses.count(200) == 2 * pages
    assert statuses.count(503) > 0  # the retries are in the log
    assert set(statuses) == {200, 503}
    assert client.transport.retries == statuses.count(503)


def test_retries_on_timeouts(tiny_replica: ReplicaServer) -> None:
    baseline = PortalClient(tiny_replica.url).datasets()
    tiny_replica.stall_rate, tiny_replica.stall_s = 0.5, 1.0
    try:
        client = PortalClient(tiny_replica.url, timeout_s=0.3, retry=FAST)
        for _ in range(3):
            assert client.datasets() == baseline
        assert client.transport.retries > 0
    finally:
        tiny_replica.stall_rate = 0.0


def test_retries_after_a_connection_reset(scripted: ReplicaServer) -> None:
    scripted.script = [Fault(reset=True), Fault(status=502), OK]
    transport = Transport(scripted.url, retry=FAST)
    assert transport.execute("{ ok }") == {"ok": 1}
    assert transport.requests_sent == 3 and transport.retries == 2
    assert not scripted.script


def test_gives_up_after_the_configured_attempts(tiny_replica: ReplicaServer) -> None:
    tiny_replica.error_rate = 1.0
    client = PortalClient(tiny_replica.url, retry=RetryPolicy(attempts=3, backoff_s=0.01))
    with pytest.raises(PortalHTTPError, match=f"{tiny_replica.url} answered HTTP 503") as info:
        client.datasets()
    assert info.value.status == 503
    assert tiny_replica.graphql_requests == 3


def test_gives_up_on_a_server_that_keeps_resetting(scripted: ReplicaServer) -> None:
    scripted.script = [Fault(reset=True)] * 4
    transport = Transport(scripted.url, retry=RetryPolicy(attempts=3, backoff_s=0.01))
    with pytest.raises(PortalConnectionError, match=f"cannot reach {scripted.url}"):
        transport.execute("{ ok }")
    assert transport.requests_sent == 3 and len(scripted.script) == 1


def test_honours_retry_after_within_the_cap(scripted: ReplicaServer) -> None:
    scripted.script = [
        Fault(status=503, headers=(("Retry-After", "0.25"),)),
        Fault(status=429, headers=(("Retry-After", "3600"),)),  # capped
        OK,
    ]
    transport = Transport(
        scripted.url, retry=RetryPolicy(attempts=3, backoff_s=0.001, max_backoff_s=0.4)
    )
    start = time.perf_counter()
    assert transport.execute("{ ok }") == {"ok": 1}
    assert time.perf_counter() - start >= 0.25 + 0.4


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    policy = RetryPolicy(backoff_s=0.1, max_backoff_s=1.0)
    for retry, base in enumerate([0.1, 0.2, 0.4, 0.8, 1.0, 1.0]):
        delays = {policy.delay(retry) for _ in range(50)}
        assert all(base / 2 <= d <= base for d in delays)
        assert len(delays) > 1  # jittered
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)
