"""GraphQL against servers that never answer, trickle, stream without end or reset:
every call ends within its limits with an error naming the URL, retries included."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator

import pytest

from downloads.thread_server import HostileServer, short_limits
from napari_cryoet_explorer.net.limits import calls_in_flight
from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.portal.errors import (
    PortalCancelled,
    PortalConnectionError,
    PortalTimeoutError,
    PortalTooLargeError,
)
from napari_cryoet_explorer.portal.ls import EXIT_PORTAL_ERROR, run_ls
from napari_cryoet_explorer.portal.transport import READ_CHUNK, RetryPolicy, Transport

MIB = 2**20
# Every case must end well within this (the limits below are a second or two).
GUARD_S = 6.0


@pytest.fixture
def hostile(monkeypatch: pytest.MonkeyPatch) -> Iterator[HostileServer]:
    short_limits(monkeypatch.setenv)
    server = HostileServer()
    yield server
    server.stop()


def _guarded(start: float) -> None:
    assert time.monotonic() - start < GUARD_S


@pytest.mark.parametrize("mode", ["never", "trickle", "trickle-head"])
def test_a_silent_or_trickling_server_times_out_within_the_deadline(
    hostile: HostileServer, mode: str
) -> None:
    url = hostile.url(f"{mode}/graphql")
    transport = Transport(url)  # the default policy: six attempts
    start = time.monotonic()
    with pytest.raises(PortalTimeoutError, match=url) as info:
        transport.execute("{ ok }")
    _guarded(start)
    assert "NAPARI_CRYOET_EXPLORER_DEADLINE_S" in str(info.value)
    # The deadline (2 s for requests of 1 s), not the count of six, ended the retries.
    assert 2 <= transport.requests_sent < transport.retry.attempts
    assert hostile.hits[f"{mode}/graphql"] == transport.requests_sent


def test_an_endless_answer_stops_at_the_cap(hostile: HostileServer) -> None:
    url = hostile.url("endless/graphql")
    transport = Transport(url)
    with pytest.raises(PortalTooLargeError, match="NAPARI_CRYOET_EXPLORER_MAX_ANSWER_MB") as info:
        transport.execute("{ ok }")
    cap = transport.limits.max_answer_bytes
    assert cap == MIB
    assert cap < info.value.received <= cap + READ_CHUNK
    assert transport.requests_sent == 1  # a cap is not retried
    # The server was stopped too: what it wrote is the cap plus socket buffers, not
    # the gigabytes a second of loopback would carry.
    assert hostile.sent["endless/graphql"] < 32 * MIB


def test_an_announced_size_over_the_cap_is_not_read(hostile: HostileServer) -> None:
    transport = Transport(hostile.url("huge/graphql"))
    with pytest.raises(PortalTooLargeError, match="announces") as info:
        transport.execute("{ ok }")
    assert info.value.received == 0


def test_a_server_that_keeps_resetting_is_given_up(hostile: HostileServer) -> None:
    url = hostile.url("reset/graphql")
    transport = Transport(url, retry=RetryPolicy(attempts=3, backoff_s=0.01))
    with pytest.raises(PortalConnectionError, match=f"cannot reach {url}: connection reset"):
        transport.execute("{ ok }")
    assert transport.requests_sent == hostile.hits["reset/graphql"] == 3


def test_ls_against_a_silent_server_ends_with_a_message(
    hostile: HostileServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = hostile.url("never/graphql")
    start = time.monotonic()
    code = run_ls(None, url=url, out=io.StringIO())
    _guarded(start)
    assert code == EXIT_PORTAL_ERROR
    err = capsys.readouterr().err
    assert url in err and "did not answer in time" in err


def test_ls_against_an_endless_server_stops_at_the_cap(
    hostile: HostileServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_ls(None, url=hostile.url("endless/graphql"), out=io.StringIO())
    assert code == EXIT_PORTAL_ERROR
    assert "more than the cap of 1 MB" in capsys.readouterr().err
    assert hostile.sent["endless/graphql"] < 32 * MIB


def test_a_call_in_flight_can_be_cancelled(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Long limits: only the cancel can end this call within the guard.
    monkeypatch.setenv("NAPARI_CRYOET_EXPLORER_TIMEOUT_S", "60")
    monkeypatch.setenv("NAPARI_CRYOET_EXPLORER_DEADLINE_S", "60")
    url = hostile.url("never/graphql")
    client = PortalClient(url)
    raised: list[BaseException] = []

    def list_datasets() -> None:
        try:
            client.datasets()
        except BaseException as exc:
            raised.append(exc)

    worker = threading.Thread(target=list_datasets)
    start = time.monotonic()
    worker.start()
    while not calls_in_flight(url) and time.monotonic() - start < GUARD_S:
        time.sleep(0.01)
    (call,) = calls_in_flight(url)
    assert call.url == url and not call.cancelled
    call.cancel()
    worker.join(GUARD_S)
    assert not worker.is_alive()
    assert len(raised) == 1 and isinstance(raised[0], PortalCancelled)
    assert url in str(raised[0])
    assert client.requests_sent == 1  # no retry after a cancel
    assert calls_in_flight(url) == []
    client.close()


def test_a_timeout_parameter_overrides_the_environment(hostile: HostileServer) -> None:
    transport = Transport(hostile.url("never/graphql"), timeout_s=0.2)
    assert transport.limits.request_s == 0.2
    assert transport.limits.deadline_s == 2.0  # the rest from the environment
