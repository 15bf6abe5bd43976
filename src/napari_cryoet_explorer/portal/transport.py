"""HTTP transport for GraphQL: timeouts, a cap on answers, bounded retries.

Every request has connect, read and total timeouts (aiohttp's ``ClientTimeout``); the
answer is read as it streams and abandoned past ``max_answer_bytes``; retries with
backoff stop after ``RetryPolicy.attempts`` tries or when the call's deadline is spent,
whichever comes first (limits in :mod:`napari_cryoet_explorer.net.limits`).

Requests run on fsspec's background event loop while the calling thread waits, so a
call in flight can be cancelled from another thread: ``limits.calls_in_flight`` lists
them (the widget shows one that waits too long as a stalled server, with Cancel).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import socket
import ssl
import time
import weakref
from collections.abc import Coroutine, Iterator, Mapping
from concurrent.futures import CancelledError
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, TypeVar
from urllib.parse import urlparse

import aiohttp
from fsspec.asyn import get_loop

from ..net.limits import Call, Limits, megabytes, seconds, variable
from .errors import (
    PortalCancelled,
    PortalConnectionError,
    PortalError,
    PortalHTTPError,
    PortalResponseError,
    PortalTimeoutError,
    PortalTooLargeError,
    PortalURLError,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
# Answers of an overloaded portal or its gateway: worth another try.
RETRY_STATUS = frozenset({429, 502, 503, 504})
# A server that is up but has nothing at this path: the URL is wrong.
WRONG_PATH_STATUS = frozenset({404, 405})
USER_AGENT = "napari-cryoet-explorer"
# Bytes taken from the stream at a time: the cap is overshot by at most this much.
READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry (the call's deadline bounds it in time).

    Parameters
    ----------
    attempts : int
        Tries in all, the first included, on 429/502/503/504, resets and timeouts.
    backoff_s : float
        Delay before the first retry; doubles each time, with jitter, up to ``max_backoff_s``.
    max_backoff_s : float
        Cap of one delay.
    connect_attempts : int
        Tries when the host refuses connections or its name does not resolve, so a
        dead port or a mistyped host fails fast.
    """

    attempts: int = 6
    backoff_s: float = 0.25
    max_backoff_s: float = 8.0
    connect_attempts: int = 2

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.connect_attempts < 1:
            raise ValueError("attempts and connect_attempts must be at least 1")
        if self.backoff_s < 0 or self.max_backoff_s < 0:
            raise ValueError("backoff_s and max_backoff_s must not be negative")

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (0-based): capped, jittered."""
        base = min(self.max_backoff_s, self.backoff_s * 2**retry)
        # Jitter keeps several clients that failed together from retrying together.
        return base * random.uniform(0.5, 1.0)


@cache
def _ssl_context() -> ssl.SSLContext:
    """Verify with certifi's authorities where installed, as ``requests`` does (some
    Python builds have no system store)."""
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with requests
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


class Transport:
    """Posts GraphQL documents to one URL.

    Parameters
    ----------
    url : str
        The GraphQL endpoint (``http`` or ``https``).
    timeout_s : float, optional
        Total timeout of one request (default ``Limits.request_s``).
    connect_timeout_s : float, optional
        Timeout to open a connection (default ``Limits.connect_s``).
    retry : RetryPolicy, optional
        Retry behaviour on 429/502/503/504, resets, timeouts and connection failures.
    limits : Limits, optional
        Timeouts, deadline and answer cap (default: from the environment).

    Raises
    ------
    PortalURLError
        ``url`` is not an http(s) URL.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float | None = None,
        connect_timeout_s: float | None = None,
        retry: RetryPolicy | None = None,
        limits: Limits | None = None,
    ) -> None:
        check_url(url)
        chosen = limits or Limits.from_env()
        if timeout_s is not None:
            chosen = replace(chosen, request_s=timeout_s)
        if connect_timeout_s is not None:
            chosen = replace(chosen, connect_s=connect_timeout_s)
        self.url = url
        self.limits = chosen
        self.retry = retry or RetryPolicy()
        self.requests_sent = 0
        self.retries = 0
        self._loop = get_loop()
        self._sessions: list[aiohttp.ClientSession] = []
        # An unclosed transport (a thread's kept client) still closes its session, without
        # waiting: the collector may run this on the event loop's own thread.
        self._closer = weakref.finalize(self, _close_sessions, self._loop, self._sessions, False)

    @property
    def timeout_s(self) -> float:
        """Total timeout of one request."""
        return self.limits.request_s

    def close(self) -> None:
        """Close the HTTP session."""
        if self._closer.detach() is not None:
            _close_sessions(self._loop, self._sessions, True)

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send one GraphQL request and return its ``data``.

        Raises
        ------
        PortalURLError
            The server has no GraphQL endpoint at this URL (404, 405).
        PortalTimeoutError
            No whole answer within the timeouts, after retries within the deadline.
        PortalConnectionError
            The host cannot be reached, after retries.
        PortalHTTPError
            An HTTP error status, after retries for the transient ones.
        PortalTooLargeError
            The answer is larger than ``Limits.max_answer_bytes``.
        PortalResponseError
            The body is not JSON, carries GraphQL errors, or has no data.
        PortalCancelled
            The call was cancelled (:meth:`Call.cancel`).
        """
        payload: dict[str, Any] = {"query": query, "variables": variables or {}}
        with Call(self.url) as call:
            return self._execute(payload, call)

    def _execute(self, payload: dict[str, Any], call: Call) -> dict[str, Any]:
        deadline = call.started + self.limits.deadline_s
        retry = 0
        while True:
            self.requests_sent += 1
            budget = min(self.limits.request_s, max(0.0, deadline - time.monotonic()))
            try:
                status, headers, body = self._run(self._post(payload, budget), call)
            except PortalError:
                raise
            except aiohttp.InvalidURL as exc:
                raise PortalURLError(f"not a usable URL: {self.url} ({exc})", url=self.url) from exc
            except Exception as exc:
                reason, fatal = _classify(exc)
                limit = self.retry.connect_attempts if fatal else self.retry.attempts
                if retry + 1 >= limit or not self._wait(retry, reason, None, deadline, call):
                    if reason == "timed out":
                        message = self._timed_out(retry + 1, call)
                        raise PortalTimeoutError(message, url=self.url) from exc
                    raise PortalConnectionError(
                        f"cannot reach {self.url}: {reason}", url=self.url
                    ) from exc
                retry += 1
                continue
            if (
                status in RETRY_STATUS
                and retry + 1 < self.retry.attempts
                and self._wait(retry, f"HTTP {status}", headers, deadline, call)
            ):
                retry += 1
                continue
            return self._data(status, headers, body)

    def _run(self, work: Coroutine[Any, Any, T], call: Call) -> T:
        """Run ``work`` on the event loop and wait for it, unless ``call`` is cancelled."""
        future = asyncio.run_coroutine_threadsafe(work, self._loop)
        call.attach(future)
        try:
            return future.result()
        except CancelledError:
            raise PortalCancelled(f"stopped waiting for {self.url}", url=self.url) from None
        finally:
            call.attach(None)

    async def _post(
        self, payload: dict[str, Any], total_s: float
    ) -> tuple[int, Mapping[str, str], bytes]:
        if not self._sessions or self._sessions[0].closed:
            connector = aiohttp.TCPConnector(ssl=_ssl_context())
            self._sessions[:] = [
                aiohttp.ClientSession(
                    connector=connector, headers={"User-Agent": USER_AGENT}, trust_env=True
                )
            ]
        cap = self.limits.max_answer_bytes
        timeout = self.limits.timeout(total_s)
        async with self._sessions[0].post(self.url, json=payload, timeout=timeout) as response:
            announced = response.content_length
            if announced is not None and announced > cap:
                raise self._too_large(0, f"announces {announced} bytes")
            body = bytearray()
            async for chunk in response.content.iter_chunked(READ_CHUNK):
                body += chunk
                if len(body) > cap:
                    raise self._too_large(len(body), f"sent more than {len(body)} bytes")
            return response.status, response.headers.copy(), bytes(body)

    def _too_large(self, received: int, what: str) -> PortalTooLargeError:
        return PortalTooLargeError(
            f"the answer of {self.url} {what}, more than the cap of "
            f"{megabytes(self.limits.max_answer_bytes)} ({variable('max_answer_bytes')}); "
            "reading stopped",
            url=self.url,
            received=received,
        )

    def _timed_out(self, attempts: int, call: Call) -> str:
        return (
            f"{self.url} did not answer in time: {attempts} attempts in "
            f"{seconds(call.waited_s)} (a request may take {seconds(self.limits.request_s)}, "
            f"{variable('request_s')}; a call with its retries "
            f"{seconds(self.limits.deadline_s)}, {variable('deadline_s')})"
        )

    def _wait(
        self,
        retry: int,
        why: str,
        headers: Mapping[str, str] | None,
        deadline: float,
        call: Call,
    ) -> bool:
        """Wait before retry ``retry + 1``; False when that would pass the deadline."""
        delay = self.retry.delay(retry)
        hint = _retry_after(headers)
        if hint is not None:
            delay = min(max(delay, hint), self.retry.max_backoff_s)
        # A retry needs time to be answered too: do not start one that cannot finish.
        if time.monotonic() + delay >= deadline:
            return False
        self.retries += 1
        call.note = f"retry {retry + 1} after {why}"
        logger.info("%s from %s; retry %d in %.2f s", why, self.url, retry + 1, delay)
        if call.sleep(delay):
            raise PortalCancelled(f"stopped waiting for {self.url}", url=self.url)
        return True

    def _data(self, status: int, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        if status in WRONG_PATH_STATUS:
            raise PortalURLError(
                f"{self.url} is not a GraphQL endpoint (HTTP {status})", url=self.url, status=status
            )
        try:
            answer = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
            if status >= 400:
                raise PortalHTTPError(
                    f"{self.url} answered HTTP {status}", url=self.url, status=status
                ) from None
            kind = headers.get("Content-Type", "no content type")
            raise PortalResponseError(
                f"{self.url} did not answer JSON (HTTP {status}, {kind})", url=self.url
            ) from None
        if not isinstance(answer, dict):
            raise PortalResponseError(
                f"{self.url} answered JSON that is not a GraphQL response", url=self.url
            )
        errors = answer.get("errors")
        if errors:
            first = errors[0]
            message = first.get("message", first) if isinstance(first, dict) else first
            raise PortalResponseError(
                f"{self.url} answered with GraphQL errors: {message}", url=self.url
            )
        if status >= 400:
            raise PortalHTTPError(f"{self.url} answered HTTP {status}", url=self.url, status=status)
        data = answer.get("data")
        if not isinstance(data, dict):
            raise PortalResponseError(f"{self.url} answered without data", url=self.url)
        return data


def _close_sessions(
    loop: asyncio.AbstractEventLoop, sessions: list[aiohttp.ClientSession], wait: bool
) -> None:
    for session in sessions:
        if session.closed or not loop.is_running():
            continue
        try:
            closing = asyncio.run_coroutine_threadsafe(session.close(), loop)
            if wait:
                closing.result(5)
        except Exception as exc:  # closing is best effort: the process may be ending
            logger.debug("closing a GraphQL session failed: %s", exc)
    sessions.clear()


def check_url(url: str) -> None:
    """Raise :class:`PortalURLError` unless ``url`` is an http(s) URL with a host."""
    try:
        parsed = urlparse(url)
        parsed.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise PortalURLError(f"malformed URL {url!r}: {exc}", url=url) from None
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise PortalURLError(f"not an http(s) URL: {url!r}", url=url)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps (aiohttp keeps the socket error in its arguments)."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        stack.extend([item.__cause__, item.__context__])
        stack.extend(a for a in item.args if isinstance(a, BaseException))


def _classify(exc: BaseException) -> tuple[str, bool]:
    """A short reason, and whether retrying is pointless beyond ``connect_attempts``."""
    causes = list(_causes(exc))
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return "connection refused", True
    if any(isinstance(c, aiohttp.ClientConnectorDNSError | socket.gaierror) for c in causes):
        return "host name does not resolve", True
    if any(isinstance(c, TimeoutError) for c in causes):
        return "timed out", False
    if any(
        isinstance(
            c,
            ConnectionResetError
            | aiohttp.ServerDisconnectedError
            | aiohttp.ClientPayloadError
            | aiohttp.ClientOSError,
        )
        for c in causes
    ):
        return "connection reset", False
    text = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return text, False


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    """The server's ``Retry-After`` in seconds, when it gives one as a number."""
    value = None if headers is None else headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
