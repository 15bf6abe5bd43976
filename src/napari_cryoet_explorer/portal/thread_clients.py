"""One portal client per thread: the HTTP transport is not thread-safe, so worker
threads take their own client from here instead of sharing one."""

from __future__ import annotations

import threading
from typing import Any

from .client import PortalClient
from .schema import default_url

_local = threading.local()


def thread_client(url: str | None = None, **options: Any) -> PortalClient:
    """This thread's client for ``url``, created on first use and kept for reuse.

    The HTTP transport is not thread-safe; worker threads call this instead of
    sharing one client. ``options`` (``page_size``, ``timeout_s``, ``retry``, ``limits``) apply
    when the client is created.
    """
    clients: dict[str, PortalClient] | None = getattr(_local, "clients", None)
    if clients is None:
        clients = _local.clients = {}
    key = url or default_url()
    client = clients.get(key)
    if client is None:
        client = clients[key] = PortalClient(key, **options)
    return client


__all__ = ["thread_client"]
