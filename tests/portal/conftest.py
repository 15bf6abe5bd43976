"""Fixtures of the portal client tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from portal_stub import Reply, StubServer, serve


@pytest.fixture
def stub_server() -> Iterator[StubServer]:
    """A server on 127.0.0.1 answering with ``stub.replies`` (an empty JSON body at first)."""
    stub = StubServer(replies=[Reply()])
    server = serve(stub)
    yield stub
    server.shutdown()
    server.server_close()
