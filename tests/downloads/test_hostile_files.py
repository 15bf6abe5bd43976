"""File reads against servers that never answer, trickle, stream without end or reset:
``read_bytes`` / ``read_json``, the zarr store through the cache, MRC over HTTP and
downloads all end within their limits, with an error naming the URL."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import zarr
from thread_server import HostileServer, short_limits
from zarr.core.buffer import default_buffer_prototype
from zarr.core.sync import sync
from zarr.storage import FsspecStore

from napari_cryoet_explorer._reader import get_reader
from napari_cryoet_explorer.downloads import transfer
from napari_cryoet_explorer.downloads.plan import Item
from napari_cryoet_explorer.downloads.transfer import PART_SUFFIX, TIMEOUT_ATTEMPTS, download
from napari_cryoet_explorer.io import ReaderError
from napari_cryoet_explorer.io.mrc import read_mrc
from napari_cryoet_explorer.io.ome_zarr import read_multiscale
from napari_cryoet_explorer.net.bounded import BoundedHTTPFileSystem, forget_stalled
from napari_cryoet_explorer.net.cache import SourceUnavailable
from napari_cryoet_explorer.net.cached_store import CachedStore, cached_store
from napari_cryoet_explorer.net.limits import HostStalled, NetworkTimeout, TooLarge, TooSlow
from napari_cryoet_explorer.net.sources import read_bytes, read_json, storage_options
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal

MIB = 2**20
GUARD_S = 6.0


@pytest.fixture
def hostile(monkeypatch: pytest.MonkeyPatch) -> Iterator[HostileServer]:
    short_limits(monkeypatch.setenv)
    monkeypatch.setattr(transfer, "BACKOFF_S", 0.01)
    forget_stalled()
    server = HostileServer()
    yield server
    server.stop()
    forget_stalled()


def _causes(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    item: BaseException | None = exc
    while item is not None and item not in found:
        found.append(item)
        item = item.__cause__ or item.__context__
    return found


# -- read_bytes and read_json ------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "error", "says"),
    [
        ("never", NetworkTimeout, "did not answer in time"),
        ("trickle", TooSlow, "below the floor of 1 KiB/s"),
        ("endless", TooLarge, "sent more than the cap of 1 MB"),
        ("huge", TooLarge, "is 65536 MB, over the cap of 1 MB"),
        ("reset", ConnectionError, "the connection broke"),
    ],
)
def test_read_bytes_ends_with_an_error_naming_the_url(
    hostile: HostileServer, mode: str, error: type[Exception], says: str
) -> None:
    url = hostile.url(f"{mode}/tomogram.zarr/.zattrs")
    start = time.monotonic()
    with pytest.raises(error, match=url) as info:
        read_bytes(url, cache=False)
    assert time.monotonic() - start < GUARD_S
    assert says in str(info.value)
    assert isinstance(info.value, OSError)  # what the readers catch
    if mode == "endless":
        received = info.value.received  # type: ignore[attr-defined]
        assert MIB < received < 2 * MIB  # stopped at the cap, a buffer beyond at most
        assert hostile.sent[f"{mode}/tomogram.zarr/.zattrs"] < 32 * MIB


def test_through_the_cache_the_error_names_the_url_and_its_cause(
    hostile: HostileServer,
) -> None:
    url = hostile.url("endless/tomogram.zarr/.zattrs")
    with pytest.raises(SourceUnavailable, match=url) as info:
        read_bytes(url)
    assert "TooLarge" in str(info.value)
    assert any(isinstance(c, TooLarge) for c in _causes(info.value))


def test_read_json_raises_for_a_silent_server_instead_of_answering_none(
    hostile: HostileServer,
) -> None:
    url = hostile.url("never/dataset_metadata.json")
    with pytest.raises(OSError, match=url):
        read_json(url)


def test_a_host_that_timed_out_is_not_asked_again_at_once(hostile: HostileServer) -> None:
    first, second = hostile.url("never/a.zarr/.zattrs"), hostile.url("never/a.zarr/0/.zarray")
    with pytest.raises(NetworkTimeout):
        read_bytes(first, cache=False)
    with pytest.raises(HostStalled, match=second):
        read_bytes(second, cache=False)
    assert hostile.hits == {"never/a.zarr/.zattrs": 1}  # the second was never sent


# -- the zarr store ----------------------------------------------------------------------


@pytest.mark.parametrize("cache", [True, False])
@pytest.mark.parametrize(
    ("mode", "error"), [("never", NetworkTimeout), ("endless", TooLarge), ("trickle", TooSlow)]
)
def test_zarr_keys_through_the_store_are_bounded(
    hostile: HostileServer, mode: str, error: type[Exception], cache: bool
) -> None:
    url = hostile.url(f"{mode}/tomogram.zarr")
    remote = FsspecStore.from_url(url, storage_options=storage_options(url), read_only=True)
    store = cached_store(remote, url, cache)
    inner = store._store if isinstance(store, CachedStore) else store
    assert isinstance(inner, FsspecStore) and isinstance(inner.fs, BoundedHTTPFileSystem)
    start = time.monotonic()
    with pytest.raises(OSError, match=f"{url}/0/0.0.0") as info:
        sync(store.get("0/0.0.0", default_buffer_prototype()))
    assert time.monotonic() - start < GUARD_S
    assert isinstance(info.value, SourceUnavailable if cache else error)
    assert any(isinstance(c, error) for c in _causes(info.value))


def test_opening_a_zarr_on_a_silent_server_ends_with_its_url(hostile: HostileServer) -> None:
    url = hostile.url("never/tomogram.zarr")
    start = time.monotonic()
    with pytest.raises(ReaderError, match=url):
        read_multiscale(url)
    assert time.monotonic() - start < GUARD_S


def test_a_healthy_server_reads_as_before(
    tiny_portal: GeneratedPortal, replica_factory: Callable[..., ReplicaServer]
) -> None:
    server = replica_factory(tiny_portal.root)
    truth = tiny_portal.ground_truth["runs"]["10000/TS_001"]["tomograms"][0]
    rel = str(truth["zarr"])
    url = f"{server.files_url}/{rel}"
    local = zarr.open_group(str(tiny_portal.root / rel), mode="r")
    for cache in (False, True):
        remote = FsspecStore.from_url(url, storage_options=storage_options(url), read_only=True)
        group = zarr.open_group(cached_store(remote, url, cache), mode="r")
        assert np.array_equal(group["2"][:], local["2"][:])
    assert (
        read_bytes(f"{url}/.zattrs", cache=False)
        == (tiny_portal.root / rel / ".zattrs").read_bytes()
    )


# -- MRC over HTTP -----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["never", "trickle", "endless", "reset"])
def test_mrc_over_http_ends_with_a_reader_error(hostile: HostileServer, mode: str) -> None:
    url = hostile.url(f"{mode}/tomogram.mrc")
    start = time.monotonic()
    with pytest.raises(ReaderError, match=url):
        read_mrc(url)
    assert time.monotonic() - start < GUARD_S
    if mode == "endless":
        assert hostile.sent[f"{mode}/tomogram.mrc"] < 32 * MIB


# -- downloads -----------------------------------------------------------------------------


def _left_over(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    ("mode", "size", "says", "tries"),
    [
        ("never", None, "did not answer in time", TIMEOUT_ATTEMPTS),
        ("trickle", None, "below the floor", TIMEOUT_ATTEMPTS),
        ("endless", None, "no size announced and more than 1048576 bytes", 1),
        ("endless", 1000, "more than the 1000 bytes expected", 1),
        ("reset", None, "", transfer.ATTEMPTS),
    ],
)
def test_a_download_from_a_misbehaving_server_fails_cleanly(
    hostile: HostileServer, tmp_path: Path, mode: str, size: int | None, says: str, tries: int
) -> None:
    """Timeouts and trickles are tried twice, caps once, resets up to ``ATTEMPTS``
    times (aiohttp itself sends a request again once when a kept-alive connection
    breaks, hence up to twice as many requests)."""
    item = Item(hostile.url(f"{mode}/10000/TS_001/file.bin"), "10000/TS_001/file.bin", size=size)
    start = time.monotonic()
    report = download([item], tmp_path)
    assert time.monotonic() - start < GUARD_S
    assert report.fetched == 0 and [i for i, _ in report.failed] == [item]
    message = report.failed[0][1]
    assert message.startswith(item.url) and says in message
    hits = hostile.hits[f"{mode}/10000/TS_001/file.bin"]
    assert hits == tries if mode != "reset" else tries <= hits <= 2 * tries
    # Nothing under the real name, no partial file left behind.
    assert _left_over(tmp_path) == []
    assert not list(tmp_path.rglob(f"*{PART_SUFFIX}"))
    if mode == "endless":
        assert hostile.sent[f"{mode}/10000/TS_001/file.bin"] < 32 * MIB


# -- napari's reader -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["never", "reset"])
def test_a_zarr_url_on_a_failing_server_is_claimed_and_its_error_names_it(
    hostile: HostileServer, mode: str
) -> None:
    """napari is told why (the URL, the failure), not that no reader was found."""
    url = hostile.url(f"{mode}/tomogram.zarr")
    start = time.monotonic()
    reader = get_reader(url)
    assert reader is not None
    with pytest.raises(ReaderError, match=re.escape(url)):
        reader(url)
    assert time.monotonic() - start < 2 * GUARD_S
