"""Limits of every read from the network: timeouts, deadlines, rates and size caps.

Qt-free and shared by ``portal/``, ``io/`` and ``downloads/`` (it imports none of
them). Each default can be changed with an environment variable; the variables are read
when a GraphQL client or a filesystem is made, so a test or a user sets them
beforehand (defaults in brackets):

- ``NAPARI_CRYOET_EXPLORER_CONNECT_TIMEOUT_S`` (10): opening a connection.
- ``NAPARI_CRYOET_EXPLORER_READ_TIMEOUT_S`` (30): waiting for an answer to begin, or for
  its next bytes.
- ``NAPARI_CRYOET_EXPLORER_TIMEOUT_S`` (30): one GraphQL request, its answer included.
- ``NAPARI_CRYOET_EXPLORER_DEADLINE_S`` (60): one GraphQL call, retries and waits included.
- ``NAPARI_CRYOET_EXPLORER_FILE_TIMEOUT_S`` (120): one file request read into memory (a
  chunk, a metadata file, a byte range, an ndJSON file).
- ``NAPARI_CRYOET_EXPLORER_MIN_RATE_KB_S`` (1): a body arriving slower than this (KiB a
  second) over a read timeout's span is abandoned.
- ``NAPARI_CRYOET_EXPLORER_MAX_ANSWER_MB`` (64): a GraphQL answer.
- ``NAPARI_CRYOET_EXPLORER_MAX_FILE_MB`` (1024): any body read into memory, and a
  download whose size nobody announced.
- ``NAPARI_CRYOET_EXPLORER_STALL_AFTER_S`` (5): when the widget shows a GraphQL server as
  stalled and offers to cancel.

A value that is not a positive number is ignored with a warning (the default holds).
See ``docs/network.md`` for what happens on each failure.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field, fields
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

ENV_PREFIX = "NAPARI_CRYOET_EXPLORER_"
KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True)
class Limits:
    """Timeouts (seconds), rates (bytes a second) and caps (bytes) of network reads.

    Attributes
    ----------
    connect_s : float
        Opening a connection (TCP and TLS).
    read_s : float
        Waiting for an answer to begin, or for its next bytes; also the span over which
        ``min_rate`` is measured.
    request_s : float
        One GraphQL request from sending to its last byte (a trickling answer ends here).
    deadline_s : float
        One GraphQL call: every attempt and every wait between them.
    file_s : float
        One file request read into memory, from sending to its last byte.
    min_rate : float
        A body arriving slower than this, over a span of ``read_s``, is abandoned (as
        curl's ``--speed-limit``); streamed downloads have no other bound in time.
    max_answer_bytes : int
        A GraphQL answer.
    max_file_bytes : int
        Any body read into memory (chunks, metadata, byte ranges, ndJSON, GLB), and a
        download of a file whose size neither the listing nor the server announced.
    stall_after_s : float
        A GraphQL call waiting this long is shown as stalled, with a Cancel button.
    """

    connect_s: float = 10.0
    read_s: float = 30.0
    request_s: float = 30.0
    deadline_s: float = 60.0
    file_s: float = 120.0
    min_rate: float = 1.0 * KIB
    max_answer_bytes: int = 64 * MIB
    max_file_bytes: int = 1024 * MIB
    stall_after_s: float = 5.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not (value > 0 and math.isfinite(value)):
                raise ValueError(f"{f.name} must be a positive number, got {value!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The defaults, changed by the ``NAPARI_CRYOET_EXPLORER_*`` variables set."""
        env = os.environ if environ is None else environ
        values: dict[str, float] = {}
        for name, (variable, unit) in ENV.items():
            raw = env.get(variable, "").strip()
            if not raw:
                continue
            try:
                number = float(raw) * unit
            except ValueError:
                number = math.nan
            if not (number > 0 and math.isfinite(number)):
                logger.warning("%s=%r is not a positive number; the default holds", variable, raw)
                continue
            values[name] = number
        caps = {
            k: max(1, int(values.pop(k)))
            for k in ("max_answer_bytes", "max_file_bytes")
            if k in values
        }
        return cls(**values, **caps)  # type: ignore[arg-type]

    def timeout(self, total_s: float | None) -> aiohttp.ClientTimeout:
        """aiohttp's timeouts for one request: connect, each read, and ``total_s`` for
        the whole of it (None: no total, for a streamed download)."""
        return aiohttp.ClientTimeout(
            total=total_s, sock_connect=self.connect_s, sock_read=self.read_s
        )


# Field -> (environment variable, factor from the variable's unit to the field's).
ENV: dict[str, tuple[str, float]] = {
    "connect_s": (ENV_PREFIX + "CONNECT_TIMEOUT_S", 1.0),
    "read_s": (ENV_PREFIX + "READ_TIMEOUT_S", 1.0),
    "request_s": (ENV_PREFIX + "TIMEOUT_S", 1.0),
    "deadline_s": (ENV_PREFIX + "DEADLINE_S", 1.0),
    "file_s": (ENV_PREFIX + "FILE_TIMEOUT_S", 1.0),
    "min_rate": (ENV_PREFIX + "MIN_RATE_KB_S", KIB),
    "max_answer_bytes": (ENV_PREFIX + "MAX_ANSWER_MB", MIB),
    "max_file_bytes": (ENV_PREFIX + "MAX_FILE_MB", MIB),
    "stall_after_s": (ENV_PREFIX + "STALL_AFTER_S", 1.0),
}


def variable(name: str) -> str:
    """The environment variable of a :class:`Limits` field, for messages."""
    return ENV[name][0]


class NetworkTimeout(OSError):
    """A server did not answer, or not fast enough, within a limit; names the URL.

    An OSError, as the readers expect of a failed read, but not a ``TimeoutError``:
    fsspec's ``sync`` replaces those with a bare ``FSTimeoutError``, message and all.
    """


class TooSlow(NetworkTimeout):
    """A body kept arriving, but slower than the minimum rate."""


class HostStalled(NetworkTimeout):
    """A host that timed out a moment ago is not asked again yet (fails at once)."""


class TooLarge(OSError):
    """A body larger than its cap; names the URL and the variable that sets the cap.

    Attributes
    ----------
    received : int
        Bytes read before the read stopped (0 when the announced size was refused).
    """

    def __init__(self, message: str, received: int = 0) -> None:
        super().__init__(message)
        self.received = received


class LowSpeed:
    """Tells when a body arrives too slowly: fewer than ``min_rate * window_s`` bytes in
    a span of ``window_s`` (curl's ``--speed-limit`` over ``--speed-time``).

    Call :meth:`update` with the bytes received so far each time some arrive; a span
    with no bytes at all is the read timeout's business.

    Parameters
    ----------
    min_rate : float
        Bytes a second.
    window_s : float
        The span the rate is measured over.
    clock : callable
        Seconds, monotonic (a test passes its own).
    """

    def __init__(
        self, min_rate: float, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.min_rate = float(min_rate)
        self.window_s = float(window_s)
        self._clock = clock
        self._start = clock()
        self._start_bytes = 0

    def update(self, received: int) -> float | None:
        """The rate of the span just ended when it was too slow, else None."""
        now = self._clock()
        span = now - self._start
        if span < self.window_s:
            return None
        rate = (received - self._start_bytes) / span
        self._start, self._start_bytes = now, received
        return rate if rate < self.min_rate else None


@dataclass(eq=False)
class Call:
    """One call to a server in flight (all its attempts): how long it has waited, and a
    way to stop waiting from another thread. Registered while used as a context
    manager, so that :func:`calls_in_flight` lists it (the widget's stall bar)."""

    url: str
    started: float = field(default_factory=time.monotonic)
    note: str = ""  # what it waits on after a failure, e.g. "retry 2 after HTTP 503"
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _future: Future[Any] | None = field(default=None, repr=False)

    def __enter__(self) -> Call:
        with _calls_lock:
            _calls.add(self)
        return self

    def __exit__(self, *exc: object) -> None:
        with _calls_lock:
            _calls.discard(self)

    @property
    def waited_s(self) -> float:
        """Seconds since the call began."""
        return time.monotonic() - self.started

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._stop.is_set()

    def cancel(self) -> None:
        """Stop waiting: the request under way (see :meth:`attach`) is cancelled and
        :meth:`sleep` returns at once."""
        self._stop.set()
        future = self._future
        if future is not None:
            future.cancel()

    def attach(self, future: Future[Any] | None) -> None:
        """The request under way (None: none), so that :meth:`cancel` reaches it."""
        self._future = future
        if future is not None and self.cancelled:  # cancelled before it was attached
            future.cancel()

    def sleep(self, seconds: float) -> bool:
        """Wait ``seconds`` (between attempts); True if the call was cancelled."""
        return self._stop.wait(seconds)


_calls: set[Call] = set()
_calls_lock = threading.Lock()


def calls_in_flight(url: str | None = None) -> list[Call]:
    """The calls of this process under way (to ``url`` only, if given)."""
    with _calls_lock:
        return [c for c in _calls if url is None or c.url == url]


def seconds(value: float) -> str:
    """``30 s``, ``1.5 s``: a duration for a message."""
    return f"{value:.0f} s" if value >= 10 or value == int(value) else f"{value:.2g} s"


def megabytes(value: float) -> str:
    """``64 MB``, ``0.001 MB``: a cap for a message."""
    mb = value / MIB
    return f"{mb:.0f} MB" if mb >= 10 or mb == int(mb) else f"{mb:.3g} MB"


def rate(value: float) -> str:
    """``12 B/s``, ``1.5 KiB/s``: a rate for a message."""
    return f"{value:.0f} B/s" if value < KIB else f"{value / KIB:.3g} KiB/s"


__all__ = [
    "ENV",
    "Call",
    "ENV_PREFIX",
    "HostStalled",
    "Limits",
    "LowSpeed",
    "NetworkTimeout",
    "TooLarge",
    "TooSlow",
    "calls_in_flight",
    "megabytes",
    "rate",
    "seconds",
    "variable",
]
