"""Reader test fixtures: the synthetic portal locally and over the replica's HTTP server."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from portal_files import PortalFiles

from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal, generate_portal


@pytest.fixture(autouse=True)
def own_chunk_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test its own on-disk cache: replica ports come round again within a session,
    and a URL one test cached must not answer for another test's portal (nor hide the
    requests a test counts)."""
    monkeypatch.setenv("NAPARI_CRYOET_EXPLORER_CACHE", str(tmp_path_factory.mktemp("chunks")))


@pytest.fixture(params=["local", "http"])
def files(
    request: pytest.FixtureRequest,
    tiny_portal: GeneratedPortal,
    replica_factory: Callable[..., ReplicaServer],
) -> PortalFiles:
    """The tiny portal's first run, read from disk and over the replica's HTTP server."""
    server = replica_factory(tiny_portal.root) if request.param == "http" else None
    return PortalFiles(tiny_portal, server=server)


@pytest.fixture
def http_files(
    tiny_portal: GeneratedPortal, replica_factory: Callable[..., ReplicaServer]
) -> PortalFiles:
    """The tiny portal's first run over the replica's HTTP server."""
    return PortalFiles(tiny_portal, server=replica_factory(tiny_portal.root))


@pytest.fixture
def local_files(tiny_portal: GeneratedPortal) -> PortalFiles:
    """The tiny portal's first run, from disk."""
    return PortalFiles(tiny_portal)


@pytest.fixture(scope="session")
def sparse_portal(tmp_path_factory: pytest.TempPathFactory) -> GeneratedPortal:
    """Few particles in a larger volume, so blobs stay apart even at the coarsest level."""
    return generate_portal(
        tmp_path_factory.mktemp("sparse"),
        "tiny",
        n_datasets=1,
        runs_per_dataset=1,
        tomogram_shape=(48, 96, 128),
        n_ribosomes=2,
        n_nucleosomes=3,
        n_vesicles=1,
        second_alignment=False,
        write_mrc=False,
        key_photos=False,
    )


@pytest.fixture
def serve_folder(
    replica_factory: Callable[..., ReplicaServer],
) -> Callable[..., ReplicaServer]:
    """Serve any folder's files over HTTP (the replica, with an empty portal)."""

    def serve(folder: Path, **knobs: object) -> ReplicaServer:
        store = folder / "portal.json"
        if not store.exists():
            store.write_text(json.dumps({"version": 1, "entities": {}}))
        return replica_factory(folder, **knobs)

    return serve
