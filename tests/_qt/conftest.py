"""Qt test set-up: the explorer's remembered choices live in each test's own folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from qtpy.QtCore import QSettings

from napari_cryoet_explorer._qt.widget import ExplorerWidget
from napari_cryoet_explorer.replica.server import ReplicaServer

TEARDOWN_TIMEOUT_MS = 60_000


@pytest.fixture(autouse=True)
def _own_preferences(tmp_path: Path) -> None:
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))


@pytest.fixture
def widget(
    make_napari_viewer: Callable[..., Any],
    qtbot: Any,
    replica_factory: Callable[..., ReplicaServer],
) -> Iterator[ExplorerWidget]:
    """The explorer on a fresh viewer.

    Depending on ``replica_factory`` keeps the test's replicas up until the widget's
    jobs end: a worker still in flight (details, a key photo) holds the viewer, and so
    does a layer napari is still slicing in its background thread.
    """
    w = ExplorerWidget(make_napari_viewer())
    qtbot.addWidget(w)
    yield w
    w.jobs.cancel_all()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=TEARDOWN_TIMEOUT_MS)
    qtbot.waitUntil(
        lambda: all(layer.loaded for layer in w.viewer.layers), timeout=TEARDOWN_TIMEOUT_MS
    )
