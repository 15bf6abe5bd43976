"""Shared fixtures: synthetic portals and local replica servers (127.0.0.1 only)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.replica.store import Store
from napari_cryoet_explorer.synthetic.portal import (
    PRESETS,
    GeneratedPortal,
    generate_portal,
    portal_entities,
)

# napari saves its settings on every change (make_napari_viewer resets them): keep the
# tests' settings out of the user's own napari configuration.
os.environ.setdefault(
    "NAPARI_CONFIG", str(Path(tempfile.mkdtemp(prefix="napari-settings-")) / "settings.yaml")
)
# Remembered download folders and the chunk cache likewise stay out of the user's own.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="cryoet-config-")
os.environ["NAPARI_CRYOET_EXPLORER_CACHE"] = tempfile.mkdtemp(prefix="cryoet-chunks-")


@pytest.fixture(autouse=True)
def _own_cache_and_downloads(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each test starts with an empty chunk cache and no remembered download folder:
    replica ports come round again, so a shared cache could answer one test with
    another's files, and a remembered download would open instead of the replica."""
    saved = {k: os.environ.get(k) for k in ("XDG_CONFIG_HOME", "NAPARI_CRYOET_EXPLORER_CACHE")}
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config"))
    os.environ["NAPARI_CRYOET_EXPLORER_CACHE"] = str(tmp_path_factory.mktemp("chunks"))
    yield
    for key, value in saved.items():
        if value is not None:
            os.environ[key] = value


@pytest.fixture(scope="session")
def tiny_portal(tmp_path_factory: pytest.TempPathFactory) -> GeneratedPortal:
    """The ``tiny`` synthetic portal, written once per test session."""
    return generate_portal(tmp_path_factory.mktemp("tiny-portal"), "tiny")


@pytest.fixture(scope="session")
def portal_scale_store() -> Store:
    """Portal-scale metadata (600 datasets, one with 2,000 runs, 30,000 runs)."""
    return Store(portal_entities(PRESETS["portal"], np.random.default_rng(0)))


@pytest.fixture
def replica_factory() -> Iterator[Callable[..., ReplicaServer]]:
    """Start replicas on free ports of 127.0.0.1; they are stopped after the test.

    Call with a portal folder, a :class:`Store` or an entities mapping, plus any
    :class:`ReplicaServer` keyword (``latency_ms``, ``error_rate``, ``stall_rate``,
    ``stall_s``, ``seed``, ``retry_after``, ...); knobs can also be changed on the
    returned server while it runs. ``server.url`` is the GraphQL endpoint,
    ``server.files_url`` the file root, ``server.records()`` the request log.
    """
    started: list[ReplicaServer] = []

    def start(source: Any, **knobs: Any) -> ReplicaServer:
        server = ReplicaServer(source, **knobs).start()
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture
def tiny_replica(
    tiny_portal: GeneratedPortal, replica_factory: Callable[..., ReplicaServer]
) -> ReplicaServer:
    """A replica serving the tiny portal."""
    return replica_factory(tiny_portal.root)


@pytest.fixture
def tiny_root(tiny_portal: GeneratedPortal) -> Path:
    """Folder of the tiny portal."""
    return tiny_portal.root


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[int], Path]]:
    """``small_disk(bytes)``: a tmpfs of that size (skipped where mounting is not allowed)."""
    mounted: list[Path] = []

    def mount(size: int) -> Path:
        where = tmp_path / f"disk{len(mounted)}"
        where.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
            capture_output=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
        mounted.append(where)
        return where

    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    yield mount
    for where in mounted:
        subprocess.run(["umount", str(where)], check=False)
