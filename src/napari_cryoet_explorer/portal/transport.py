"""HTTP transport for GraphQL: one ``requests`` session, retries with backoff.

Not thread-safe: give each worker thread its own :class:`Transport` (or client).
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import requests

from .errors import PortalConnectionError, PortalHTTPError, PortalResponseError

logger = logging.getLogger(__name__)

RETRY_STATUS = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

    Parameters
    ----------
    attempts : int
        Tries in all, the first included.
    backoff_s : float
        Delay before the first retry; doubles each time, with jitter, up to ``max_backoff_s``.
    max_backoff_s : float
        Cap of one delay.
    connect_attempts : int
        Tries when the host refuses connections (a dead port fails fast).
    """

    attempts: int = 6
    backoff_s: float = 0.25
    max_backoff_s: float = 8.0
    connect_attempts: int = 2

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (0-based)."""
        base = min(self.max_backoff_s, self.backoff_s * 2**retry)
        return base * random.uniform(0.5, 1.0)


class Transport:
    """Posts GraphQL documents to one URL.

    Parameters
    ----------
    url : str
        The GraphQL endpoint.
    timeout_s : float
        Read timeout of one request.
    retry : RetryPolicy
        Retry behaviour on 502/503/504, timeouts and connection failures.
    """

    def __init__(
        self, url: str, *, timeout_s: float = 60.0, retry: RetryPolicy | None = None
    ) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise PortalConnectionError(f"not an http(s) URL: {url!r}")
        self.url = url
        self.timeout_s = timeout_s
        self.retry = retry or RetryPolicy()
        self.requests_sent = 0
        self._session = requests.Session()
        self._session.headers["User-Agent"] = "napari-cryoet-explorer"

    def close(self) -> None:
        """Close the HTTP session."""
        self._session.close()

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send one GraphQL request and return its ``data``.

        Raises
        ------
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
            try:
                self.requests_sent += 1
                response = self._session.post(
                    self.url, json=payload, timeout=(10.0, self.timeout_s)
                )
            except requests.ConnectionError as exc:
                refused = "refused" in str(exc).lower()
                limit = self.retry.connect_attempts if refused else self.retry.attempts
                if retry + 1 >= limit:
                    raise PortalConnectionError(f"cannot reach {self.url}: {_reason(exc)}") from exc
                self._wait(retry, f"connection failed ({_reason(exc)})")
                retry += 1
                continue
            except requests.Timeout as exc:
                if retry + 1 >= self.retry.attempts:
                    raise PortalConnectionError(
                        f"{self.url} timed out after {self.timeout_s:g} s"
                    ) from exc
                self._wait(retry, "timeout")
                retry += 1
                continue
            if response.status_code in RETRY_STATUS and retry + 1 < self.retry.attempts:
                self._wait(retry, f"HTTP {response.status_code}")
                retry += 1
                continue
            return self._data(response)

    def _wait(self, retry: int, why: str) -> None:
        delay = self.retry.delay(retry)
        logger.info("%s from %s; retrying in %.2f s", why, self.url, delay)
        time.sleep(delay)

    def _data(self, response: requests.Response) -> dict[str, Any]:
        status = response.status_code
        if status in (404, 405):
            raise PortalHTTPError(f"{self.url} is not a GraphQL endpoint (HTTP {status})", status)
        try:
            body = response.json()
        except (json.JSONDecodeError, ValueError):
            if status >= 400:
                raise PortalHTTPError(f"{self.url} answered HTTP {status}", status) from None
            raise PortalResponseError(f"{self.url} did not answer JSON (HTTP {status})") from None
        if not isinstance(body, dict):
            raise PortalResponseError(f"{self.url} answered JSON that is not a GraphQL response")
        errors = body.get("errors")
        if errors:
            first = (
                errors[0].get("message", errors[0]) if isinstance(errors[0], dict) else errors[0]
            )
            raise PortalResponseError(f"{self.url} answered with GraphQL errors: {first}")
        if status >= 400:
            raise PortalHTTPError(f"{self.url} answered HTTP {status}", status)
        data = body.get("data")
        if not isinstance(data, dict):
            raise PortalResponseError(f"{self.url} answered without data")
        return data


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker in (
        "Connection refused",
        "Name or service not known",
        "Temporary failure in name resolution",
        "timed out",
    ):
        if marker in text:
            return marker.lower()
    return text.splitlines()[0][:200] if text else type(exc).__name__
