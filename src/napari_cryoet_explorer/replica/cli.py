"""``napari-cryoet-explorer replica``: serve a portal folder on 127.0.0.1 until interrupted."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from .server import ReplicaServer


def run_replica(
    data: str, port: int, latency_ms: float, *, stop: threading.Event | None = None
) -> int:
    """Serve the portal folder ``data``; return an exit code.

    ``stop`` lets a caller (a test) end the server; otherwise it runs until Ctrl-C.
    """
    folder = Path(data)
    if not (folder / "portal.json").is_file():
        sys.stderr.write(f"napari-cryoet-explorer replica: no portal.json in {folder}\n")
        return 1
    try:
        server = ReplicaServer(folder, port=port, latency_ms=latency_ms).start()
    except OSError as exc:
        sys.stderr.write(
            f"napari-cryoet-explorer replica: cannot listen on 127.0.0.1:{port}: {exc}\n"
        )
        return 1
    print(f"GraphQL: {server.url}\nfiles:   {server.files_url}\ndata:    {folder}", flush=True)
    print("Try: napari-cryoet-explorer ls --url " + server.url, flush=True)
    try:
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
