"""A small aiohttp server in a thread of its own, on 127.0.0.1, for servers that
misbehave in ways the replica does not (subclasses answer in ``_answer``)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from aiohttp import web

# Handlers still waiting when the server stops are cancelled after this long.
SHUTDOWN_S = 0.5


class ThreadServer:
    """Serves every path matching ``route`` with :meth:`_answer` until :meth:`stop`."""

    route = "/{name:.*}"

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.port = 0
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self.thread.start()
        ready.wait(10)

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_route("*", self.route, self._answer)
        self.runner = web.AppRunner(app, shutdown_timeout=SHUTDOWN_S)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()
        self.loop.run_forever()

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        raise NotImplementedError

    def url(self, name: str) -> str:
        """The URL of ``name`` on this server."""
        return f"http://127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        asyncio.run_coroutine_threadsafe(_cancel_the_rest(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


async def _cancel_the_rest() -> None:
    """Cancel the handlers still waiting (a server that never answers), and wait."""
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


BLOCK = 64 * 1024


class HostileServer(ThreadServer):
    """A server that misbehaves by the first part of the path:

    - ``never/...``: accepts the request and never answers.
    - ``trickle/...``: answers 200 and then a byte every ``gap_s``, without end.
    - ``trickle-head/...``: sends even the status line and headers a byte at a time.
    - ``endless/...``: a chunked body of ``BLOCK``-sized blocks that never ends.
    - ``huge/...``: announces a 64 GiB body (and sends a little of it).
    - ``reset/...``: closes the connection without a word.

    Attributes
    ----------
    hits : dict
        Requests seen, by path.
    sent : dict
        Body bytes written, by path (an endless body stops when the client goes).
    """

    gap_s = 0.05

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.sent: dict[str, int] = {}
        super().__init__()

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._misbehave(request)
        except ConnectionResetError:  # the client gave up, as it should
            return web.Response()

    async def _misbehave(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.hits[name] = self.hits.get(name, 0) + 1
        self.sent.setdefault(name, 0)
        mode = name.split("/", 1)[0]
        transport = request.transport
        assert transport is not None
        if mode == "never":
            await asyncio.sleep(3600)
        if mode == "reset":
            transport.abort()
            return web.Response()
        if mode == "trickle-head":
            for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" * 1000:
                transport.write(bytes([byte]))
                await asyncio.sleep(self.gap_s)
        headers = {"Content-Type": "application/json"}
        if mode == "huge":
            headers["Content-Length"] = str(64 * 2**30)
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)
        if mode in ("trickle", "huge"):
            while True:
                await response.write(b"[")
                self.sent[name] += 1
                await asyncio.sleep(self.gap_s)
        if mode == "endless":
            block = b" " * BLOCK
            while True:
                await response.write(block)
                self.sent[name] += BLOCK
        await response.write_eof()
        return response


# Short limits for tests of misbehaving servers: every case ends within seconds.
SHORT_LIMITS = {
    "CONNECT_TIMEOUT_S": "1",
    "READ_TIMEOUT_S": "0.5",
    "TIMEOUT_S": "1",
    "DEADLINE_S": "2",
    "FILE_TIMEOUT_S": "2",
    "MIN_RATE_KB_S": "1",
    "MAX_ANSWER_MB": "1",
    "MAX_FILE_MB": "1",
    "STALL_AFTER_S": "0.3",
}


def short_limits(setenv: Callable[[str, str], None], **overrides: str) -> None:
    """Set :data:`SHORT_LIMITS` (changed by ``overrides``) through ``setenv``
    (``monkeypatch.setenv``)."""
    for name, value in {**SHORT_LIMITS, **overrides}.items():
        setenv(f"NAPARI_CRYOET_EXPLORER_{name}", value)
