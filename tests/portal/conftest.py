"""Fixtures of the portal client tests."""

from __future__ import annotations

import pytest

from napari_cryoet_explorer.replica.server import ReplicaServer


@pytest.fixture
def scripted(tiny_replica: ReplicaServer) -> ReplicaServer:
    """The tiny replica; answers in its ``script`` replace the next GraphQL answers."""
    tiny_replica.script.clear()
    return tiny_replica
