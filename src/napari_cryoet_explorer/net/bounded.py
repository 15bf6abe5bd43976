"""HTTP reads that end: fsspec's HTTP filesystem with bounded whole-body reads.

fsspec's ``cat_file`` reads a body whole with no cap and, unless told, no timeout: a
server that streams without end fills memory, one that trickles never finishes. Here a
body read into memory has a total timeout (``Limits.file_s``), a size cap
(``Limits.max_file_bytes``, checked against the announced length before reading, then
as it streams) and a rate floor (``Limits.min_rate`` over ``Limits.read_s``). Every
request has aiohttp's connect and read timeouts (the session's, from
:func:`~.sources.storage_options`).

A host whose read timed out fails at once for ``Limits.read_s`` afterwards
(:class:`~.limits.HostStalled`): a viewer asking for sixteen chunks of a stalled server
waits for one timeout, not sixteen.
"""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import urlparse

import aiohttp
from fsspec.implementations.http import HTTPFileSystem
from zarr.abc.store import Store
from zarr.storage import FsspecStore

from .limits import (
    HostStalled,
    Limits,
    LowSpeed,
    NetworkTimeout,
    TooLarge,
    TooSlow,
    megabytes,
    rate,
    seconds,
    variable,
)

_stalled: dict[str, float] = {}  # host -> monotonic time until which it is not asked
_stalled_lock = threading.Lock()


def _host(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.hostname}:{parsed.port or parsed.scheme}"


def check_host(url: str) -> None:
    """Raise :class:`HostStalled` if ``url``'s host timed out a moment ago."""
    with _stalled_lock:
        until = _stalled.get(_host(url), 0.0)
    left = until - time.monotonic()
    if left > 0:
        raise HostStalled(
            f"{url}: its server did not answer in time a moment ago; "
            f"not asked again for {seconds(left)}"
        )


def mark_stalled(url: str, for_s: float) -> None:
    """Let reads of ``url``'s host fail at once for ``for_s`` seconds."""
    with _stalled_lock:
        _stalled[_host(url)] = time.monotonic() + for_s


def forget_stalled() -> None:
    """Every host may be asked again (tests; a user's explicit retry)."""
    with _stalled_lock:
        _stalled.clear()


async def read_capped(response: aiohttp.ClientResponse, url: str, limits: Limits) -> bytes:
    """The body of ``response`` read whole, at most ``limits.max_file_bytes`` of it, and
    no slower than ``limits.min_rate`` over any span of ``limits.read_s``.

    Raises
    ------
    TooLarge
        The body announces or brings more than the cap.
    TooSlow
        It arrives slower than the rate floor.
    """
    cap = limits.max_file_bytes
    announced = response.content_length
    if announced is not None and announced > cap:
        raise TooLarge(f"{url} is {megabytes(announced)}, over {_cap(cap)}; not read")
    body = bytearray()
    slow = LowSpeed(limits.min_rate, limits.read_s)
    # iter_any hands over what has arrived, so a trickle is measured as it comes.
    async for chunk in response.content.iter_any():
        body += chunk
        if len(body) > cap:
            raise TooLarge(f"{url} sent more than {_cap(cap)}; reading stopped", received=len(body))
        too_slow = slow.update(len(body))
        if too_slow is not None:
            raise TooSlow(
                f"{url} arrives at {rate(too_slow)}, below the floor of "
                f"{rate(limits.min_rate)} ({variable('min_rate')}); reading stopped"
            )
    return bytes(body)


def _cap(cap: int) -> str:
    return f"the cap of {megabytes(cap)} ({variable('max_file_bytes')})"


def timed_out(url: str, limits: Limits, total_s: float | None) -> str:
    """The message of a read of ``url`` that timed out: which limits, which variables."""
    whole = f", {seconds(total_s)} in all ({variable('file_s')})" if total_s else ""
    return (
        f"{url} did not answer in time (connect {seconds(limits.connect_s)}, "
        f"{seconds(limits.read_s)} without data ({variable('read_s')}){whole})"
    )


class BoundedHTTPFileSystem(HTTPFileSystem):
    """fsspec's HTTP filesystem whose whole-body reads (``cat_file``, and so zarr keys,
    byte ranges and metadata files) are bounded in time, size and rate.

    Parameters
    ----------
    limits : Limits, optional
        The limits (default: from the environment).
    **kwargs
        :class:`~fsspec.implementations.http.HTTPFileSystem`'s (``client_kwargs`` carry
        the session's timeouts).
    """

    def __init__(self, *args: Any, limits: Limits | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits or Limits.from_env()

    async def _cat_file(
        self, url: str, start: int | None = None, end: int | None = None, **kwargs: Any
    ) -> bytes:
        kw = self.kwargs.copy()
        kw.update(kwargs)
        if start is not None or end is not None:
            if start == end:
                return b""
            headers = dict(kw.pop("headers", None) or {})
            headers["Range"] = await self._process_limits(url, start, end)
            kw["headers"] = headers
        total_s = self.limits.file_s
        kw.setdefault("timeout", self.limits.timeout(total_s))
        check_host(url)
        session = await self.set_session()
        try:
            async with session.get(self.encode_url(url), **kw) as response:
                self._raise_not_found_for_status(response, url)
                return await read_capped(response, url, self.limits)
        except NetworkTimeout:
            mark_stalled(url, self.limits.read_s)
            raise
        except TimeoutError as exc:  # aiohttp's connect, read or total timeout
            mark_stalled(url, self.limits.read_s)
            raise NetworkTimeout(timed_out(url, self.limits, total_s)) from exc
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError) as exc:
            # Not OSErrors: readers that catch OSError would miss a reset otherwise.
            raise ConnectionError(f"{url}: the connection broke ({exc})") from exc


def bounded_store(store: Store) -> Store:
    """``store`` itself, or, for a zarr store over fsspec's plain HTTP filesystem, the
    same store on a :class:`BoundedHTTPFileSystem` with the same options."""
    if not (isinstance(store, FsspecStore) and type(store.fs) is HTTPFileSystem):
        return store
    limits = Limits.from_env()
    fs = BoundedHTTPFileSystem(**store.fs.storage_options, limits=limits)
    return FsspecStore(
        fs, read_only=store.read_only, path=store.path, allowed_exceptions=store.allowed_exceptions
    )


__all__ = [
    "BoundedHTTPFileSystem",
    "bounded_store",
    "check_host",
    "forget_stalled",
    "mark_stalled",
    "read_capped",
    "timed_out",
]
