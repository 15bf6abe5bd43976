"""The replica's HTTP server: GraphQL at ``/graphql`` and the data tree at ``/files/``.

It binds 127.0.0.1 only and runs its own event loop in a background thread, so tests,
benchmarks and the demo can start it from synchronous code. Knobs (latency, a rate of
503 answers, stalls) can be changed while it runs; every request is logged. Requests
over the :class:`.QueryLimits` (body size, JSON nesting, document size and shape, the
answer's budget) are refused with 413 or 400 and a GraphQL error saying which limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
from collections import deque
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson
from aiohttp import web

from .faults import Fault
from .graphql_engine import Engine
from .graphql_http import GraphQLParams, Refused, read_params
from .query_limits import DEFAULT_LIMITS, QueryLimits
from .store import Row, Store

HOST = "127.0.0.1"
STARTED = web.RequestKey("started", float)
QUERY = web.RequestKey("query", str)
# GraphQL runs in worker threads so that latency sleeps and file transfers overlap it.
_ENGINE_THREADS = 4
_DISTINCT_QUERIES = 10_000


@dataclass(frozen=True)
class RequestRecord:
    """One request the replica answered.

    Attributes
    ----------
    kind : str
        ``"graphql"`` or ``"file"``.
    method, path : str
        As requested (``path`` without the query string).
    status : int
        HTTP status sent.
    query : str or None
        The GraphQL document, for GraphQL requests.
    bytes : int
        Body bytes sent (0 for HEAD).
    started : float
        ``time.perf_counter()`` when the request arrived.
    range : str or None
        The ``Range`` header, if any.
    elapsed : float
        Seconds from arrival to the response headers (latency and stalls included).
    time : float
        Wall-clock ``time.time()`` of arrival.
    """

    kind: str
    method: str
    path: str
    status: int
    query: str | None
    bytes: int
    started: float
    range: str | None = None
    elapsed: float = 0.0
    time: float = 0.0


class ReplicaServer:
    """A local CryoET Data Portal: GraphQL over a :class:`Store` plus a file server.

    Parameters
    ----------
    source : str, Path, Store or Mapping
        A generated portal folder (``portal.json`` plus the data tree), a ready
        :class:`Store` (its files are served if it was loaded from a folder), or an
        entities mapping.
    port : int
        Port on 127.0.0.1; 0 picks a free one.
    latency_ms : float
        Delay added before answering each request.
    error_rate : float
        Fraction of requests answered with 503 (drawn from a seeded generator).
    stall_rate : float
        Fraction of requests that hang ``stall_s`` seconds before being answered.
    stall_s : float
        Length of a stall (cut short when the server stops).
    seed : int
        Seed for the 503 and stall draws, so runs are reproducible.
    retry_after : float, optional
        If set, 503 answers carry ``Retry-After`` with this many seconds.
    files_dir : str or Path, optional
        Folder served at ``/files/``; defaults to the portal folder.
    warm : bool
        Build the relationship indexes at start rather than on first use.
    log_limit : int
        Newest requests kept in :attr:`log` (a long demo session fetches many chunks).
    s3_url : str, optional
        Bucket URL (``s3://test-bucket``) put in place of the public bucket's in the
        S3 paths GraphQL answers, for downloads from a bucket a test serves; by default
        they name the public bucket, as the portal does.
    limits : QueryLimits
        Bounds on GraphQL requests and answers (see :mod:`.query_limits`).

    Notes
    -----
    Knobs are plain attributes and may be changed while the server runs.
    """

    def __init__(
        self,
        source: str | Path | Store | Mapping[str, list[Row]],
        *,
        port: int = 0,
        latency_ms: float = 0.0,
        error_rate: float = 0.0,
        stall_rate: float = 0.0,
        stall_s: float = 30.0,
        seed: int = 0,
        retry_after: float | None = None,
        files_dir: str | Path | None = None,
        warm: bool = False,
        log_limit: int = 100_000,
        s3_url: str | None = None,
        limits: QueryLimits = DEFAULT_LIMITS,
    ) -> None:
        self._source = source
        self.limits = limits
        if files_dir is not None:
            self.data_dir: Path | None = Path(files_dir).resolve()
        elif isinstance(source, str | Path):
            self.data_dir = Path(source).resolve()
            if self.data_dir.is_file():  # the portal.json itself
                self.data_dir = self.data_dir.parent
        elif isinstance(source, Store):
            self.data_dir = source.root
        else:
            self.data_dir = None
        self._requested_port = port
        self.s3_url = s3_url
        self.latency_ms = latency_ms
        self.error_rate = error_rate
        self.stall_rate = stall_rate
        self.stall_s = stall_s
        self.retry_after = retry_after
        # Scripted answers for the next GraphQL requests (fault tests); see faults.py.
        self.script: list[Fault] = []
        self._warm = warm
        self._rng = random.Random(seed)
        self.log: deque[RequestRecord] = deque(maxlen=log_limit)
        self._graphql_count = 0
        self._queries: dict[str, str] = {}  # one copy of each query text in the log
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._stopping: asyncio.Event | None = None
        self.port = 0
        self.store: Store | None = None
        self.engine: Engine | None = None

    # -- addresses ---------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{HOST}:{self.port}"

    @property
    def url(self) -> str:
        """The GraphQL endpoint."""
        return f"{self.base_url}/graphql"

    @property
    def files_url(self) -> str:
        """Base URL of the data tree."""
        return f"{self.base_url}/files"

    # -- knobs and log -----------------------------------------------------------

    def reseed(self, seed: int) -> None:
        """Restart the 503 and stall draws from ``seed``."""
        with self._lock:
            self._rng = random.Random(seed)

    @property
    def graphql_requests(self) -> int:
        """Number of GraphQL requests answered since the last :meth:`clear_log`."""
        with self._lock:
            return self._graphql_count

    def records(self, kind: str | None = None) -> list[RequestRecord]:
        """A copy of the log, optionally of one kind (``"graphql"`` or ``"file"``)."""
        with self._lock:
            return [r for r in self.log if kind is None or r.kind == kind]

    def clear_log(self) -> None:
        """Forget the requests logged so far."""
        with self._lock:
            self.log.clear()
            self._graphql_count = 0

    # -- life cycle --------------------------------------------------------------

    def start(self) -> ReplicaServer:
        """Load the store, bind the port and serve in a background thread.

        Raises
        ------
        FileNotFoundError
            If a folder source holds no ``portal.json``.
        OSError
            If the port cannot be bound.
        """
        if self._thread is not None:
            return self
        source = self._source
        if isinstance(source, Store):
            self.store = source
        elif isinstance(source, str | Path):
            self.store = Store.load(source)
        else:
            self.store = Store(source)
        self._executor = ThreadPoolExecutor(_ENGINE_THREADS, thread_name_prefix="replica-gql")
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="cryoet-replica", daemon=True
        )
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=60)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop serving (stalled requests are released) and join the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if self._stopping is not None:
            loop.call_soon_threadsafe(self._stopping.set)
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(timeout=30)
            self._runner = None
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        self._loop = self._thread = self._executor = self._stopping = None

    def __enter__(self) -> ReplicaServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def _start(self) -> None:
        self._stopping = asyncio.Event()
        app = web.Application(middlewares=[self._knobs], client_max_size=self.limits.max_body_bytes)
        app.router.add_route("POST", "/graphql", self._graphql)
        app.router.add_get("/graphql", self._graphql, allow_head=False)
        app.router.add_get("/files/{path:.*}", self._file)  # HEAD too
        app.on_response_prepare.append(self._record)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, HOST, self._requested_port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        assert self.store is not None
        self.engine = Engine(
            self.store, files_url=self.files_url, s3_url=self.s3_url, limits=self.limits
        )
        if self._warm:
            self.engine.warm()

    # -- handlers ----------------------------------------------------------------

    @web.middleware
    async def _knobs(self, request: web.Request, handler: Any) -> web.StreamResponse:
        request[STARTED] = time.perf_counter()
        if self.latency_ms > 0:
            await asyncio.sleep(self.latency_ms / 1000)
        with self._lock:
            fail = self.error_rate > 0 and self._rng.random() < self.error_rate
            stall = self.stall_rate > 0 and self._rng.random() < self.stall_rate
        if stall and self._stopping is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.stall_s)
        fault = self._next_fault(request)
        if fault is not None:
            return self._answer_fault(request, fault)
        if fail:
            headers = {}
            if self.retry_after is not None:
                headers["Retry-After"] = f"{self.retry_after:g}"
            return web.Response(
                status=503, text="503 Service Unavailable (replica error_rate)", headers=headers
            )
        response: web.StreamResponse = await handler(request)
        return response

    def _next_fault(self, request: web.Request) -> Fault | None:
        if request.path != "/graphql":
            return None
        with self._lock:
            return self.script.pop(0) if self.script else None

    def _answer_fault(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        if fault.reset:
            transport = request.transport
            if transport is not None:
                transport.abort()  # no answer at all: the client sees a reset
            raise ConnectionResetError("replica script: reset")
        return web.Response(
            status=fault.status,
            body=fault.body,
            content_type=fault.content_type.split(";")[0],
            headers=dict(fault.headers),
        )

    async def _graphql(self, request: web.Request) -> web.Response:
        try:
            params = await read_params(request, self.limits)
        except Refused as refused:
            return refused.response()
        request[QUERY] = params.query
        engine = self.engine
        assert engine is not None
        status, payload = await asyncio.get_running_loop().run_in_executor(
            self._executor, _answer, engine, params
        )
        return web.Response(status=status, body=payload, content_type="application/json")

    async def _file(self, request: web.Request) -> web.StreamResponse:
        if self.data_dir is None:
            raise web.HTTPNotFound(text="this replica serves no files")
        relative = request.match_info["path"]
        target = (self.data_dir / relative).resolve()
        # resolve() folds '..' and symlinks, so this also refuses links leading out.
        if not target.is_relative_to(self.data_dir) or not target.is_file():
            raise web.HTTPNotFound(text=f"no file {relative}")
        return web.FileResponse(target)

    async def _record(self, request: web.Request, response: web.StreamResponse) -> None:
        kind = "graphql" if request.path == "/graphql" else "file"
        length = response.content_length
        if length is None:
            body = getattr(response, "body", None)
            length = len(body) if isinstance(body, bytes) else 0
        started = request.get(STARTED, time.perf_counter())
        now = time.perf_counter()
        query = request.get(QUERY)
        if query is not None:
            with self._lock:
                if len(self._queries) > _DISTINCT_QUERIES:
                    self._queries.clear()
                query = self._queries.setdefault(query, query)
        record = RequestRecord(
            kind=kind,
            method=request.method,
            path=request.path,
            status=response.status,
            query=query,
            bytes=0 if request.method == "HEAD" else int(length),
            started=started,
            range=request.headers.get("Range"),
            elapsed=now - started,
            time=time.time() - (now - started),
        )
        with self._lock:
            self.log.append(record)
            if kind == "graphql":
                self._graphql_count += 1


def _answer(engine: Engine, params: GraphQLParams) -> tuple[int, bytes]:
    answer = engine.answer(params.query, params.variables, params.operation_name)
    return answer.status, orjson.dumps(answer.result)
