"""HTTP transport for GraphQL: one ``requests`` session, retries with backoff.

Not thread-safe: give each worker thread its own :class:`Transport` (or client).
"""

from __future__ import annotations

import json
import logging
import random
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import requests
from urllib3.exceptions import NameResolutionError, ProtocolError

from .errors import (
    PortalConnectionError,
    PortalHTTPError,
    PortalResponseError,
    PortalURLError,
)

logger = logging.getLogger(__name__)

# Answers of an overloaded portal or its gateway: worth another try.
RETRY_STATUS = frozenset({429, 502, 503, 504})
# A server that is up but has nothing at this path: the URL is wrong.
WRONG_PATH_STATUS = frozenset({404, 405})
USER_AGENT = "napari-cryoet-explorer"


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

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


class Transport:
    """Posts GraphQL documents to one URL.

    Parameters
    ----------
    url : str
        The GraphQL endpoint (``http`` or ``https``).
    timeout_s : float
        Read timeout of one request.
    connect_timeout_s : float
        Timeout to open a connection.
    retry : RetryPolicy, optional
        Retry behaviour on 429/502/503/504, resets, timeouts and connection failures.

    Raises
    ------
    PortalURLError
        ``url`` is not an http(s) URL.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 60.0,
        connect_timeout_s: float = 10.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        check_url(url)
        self.url = url
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.retry = retry or RetryPolicy()
        self.requests_sent = 0
        self.retries = 0
        self._session = requests.Session()
        self._session.headers["User-Agent"] = USER_AGENT

    def close(self) -> None:
        """Close the HTTP session."""
        self._session.close()

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send one GraphQL request and return its ``data``.

        Raises
        ------
        PortalURLError
            The server has no GraphQL endpoint at this URL (404, 405).
        PortalConnectionError
            The host cannot be reached, after retries.
        PortalHTTPError
            An HTTP error status, after retries for the transient ones.
        PortalResponseError
            The body is not JSON, carries GraphQL errors, or has no data.
        """
        payload: dict[str, Any] = {"query": query, "variables": variables or {}}
        retry = 0
        while True:
            self.requests_sent += 1
            try:
                response = self._session.post(
                    self.url, json=payload, timeout=(self.connect_timeout_s, self.timeout_s)
                )
            except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema) as exc:
                raise PortalURLError(f"not a usable URL: {self.url} ({exc})", url=self.url) from exc
            except requests.RequestException as exc:
                reason, fatal = _classify(exc)
                limit = self.retry.connect_attempts if fatal else self.retry.attempts
                if retry + 1 >= limit:
                    raise PortalConnectionError(
                        f"cannot reach {self.url}: {reason}", url=self.url
                    ) from exc
                self._wait(retry, reason, None)
                retry += 1
                continue
            if response.status_code in RETRY_STATUS and retry + 1 < self.retry.attempts:
                self._wait(retry, f"HTTP {response.status_code}", response)
                retry += 1
                continue
            return self._data(response)

    def _wait(self, retry: int, why: str, response: requests.Response | None) -> None:
        delay = self.retry.delay(retry)
        hint = _retry_after(response)
        if hint is not None:
            delay = min(max(delay, hint), self.retry.max_backoff_s)
        self.retries += 1
        logger.info("%s from %s; retry %d in %.2f s", why, self.url, retry + 1, delay)
        time.sleep(delay)

    def _data(self, response: requests.Response) -> dict[str, Any]:
        status = response.status_code
        if status in WRONG_PATH_STATUS:
            raise PortalURLError(
                f"{self.url} is not a GraphQL endpoint (HTTP {status})", url=self.url, status=status
            )
        try:
            body = response.json()
        except (json.JSONDecodeError, ValueError):
            if status >= 400:
                raise PortalHTTPError(
                    f"{self.url} answered HTTP {status}", url=self.url, status=status
                ) from None
            kind = response.headers.get("Content-Type", "no content type")
            raise PortalResponseError(
                f"{self.url} did not answer JSON (HTTP {status}, {kind})", url=self.url
            ) from None
        if not isinstance(body, dict):
            raise PortalResponseError(
                f"{self.url} answered JSON that is not a GraphQL response", url=self.url
            )
        errors = body.get("errors")
        if errors:
            first = errors[0]
            message = first.get("message", first) if isinstance(first, dict) else first
            raise PortalResponseError(
                f"{self.url} answered with GraphQL errors: {message}", url=self.url
            )
        if status >= 400:
            raise PortalHTTPError(f"{self.url} answered HTTP {status}", url=self.url, status=status)
        data = body.get("data")
        if not isinstance(data, dict):
            raise PortalResponseError(f"{self.url} answered without data", url=self.url)
        return data


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
    """``exc`` and what it wraps (requests and urllib3 nest the socket error deeply)."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        stack.extend([item.__cause__, item.__context__, getattr(item, "reason", None)])
        stack.extend(a for a in item.args if isinstance(a, BaseException))


def _classify(exc: BaseException) -> tuple[str, bool]:
    """A short reason, and whether retrying is pointless beyond ``connect_attempts``."""
    causes = list(_causes(exc))
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return "connection refused", True
    if any(isinstance(c, NameResolutionError | socket.gaierror) for c in causes):
        return "host name does not resolve", True
    if any(isinstance(c, requests.Timeout | TimeoutError | socket.timeout) for c in causes):
        return "timed out", False
    if any(
        isinstance(
            c, ConnectionResetError | ProtocolError | requests.exceptions.ChunkedEncodingError
        )
        for c in causes
    ):
        return "connection reset", False
    text = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return text, False


def _retry_after(response: requests.Response | None) -> float | None:
    """The server's ``Retry-After`` in seconds, when it gives one as a number."""
    if response is None:
        return None
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
