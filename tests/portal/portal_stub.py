"""A scripted HTTP server for answers the replica never gives (resets, non-JSON bodies)."""

from __future__ import annotations

import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Reply:
    """One scripted answer: ``reset`` closes the connection without answering."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    reset: bool = False
    delay_s: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class StubServer:
    """Answers POSTs with the scripted replies in turn (the last one repeats)."""

    url: str = ""
    replies: list[Reply] = field(default_factory=list)
    hits: int = 0

    def next_reply(self) -> Reply:
        self.hits += 1
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


def _handler(stub: StubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server naming
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            reply = stub.next_reply()
            time.sleep(reply.delay_s)
            if reply.reset:
                # SO_LINGER 0: close with RST, as a crashed gateway would.
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
                return
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler


def serve(stub: StubServer) -> ThreadingHTTPServer:
    """Serve ``stub`` on a free port of 127.0.0.1 in a daemon thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    server.daemon_threads = True
    stub.url = f"http://127.0.0.1:{server.server_address[1]}/graphql"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
