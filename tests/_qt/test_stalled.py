"""A stalled server shows as such in the widget, and Cancel stops the waiting."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from qtpy.QtCore import Qt

from downloads.thread_server import HostileServer, short_limits
from napari_cryoet_explorer._qt.widget import ExplorerWidget
from napari_cryoet_explorer.net.limits import calls_in_flight
from napari_cryoet_explorer.replica.server import ReplicaServer

WAIT_MS = 5_000


@pytest.fixture
def silent(monkeypatch: pytest.MonkeyPatch) -> Iterator[HostileServer]:
    # Long request limits: only Cancel ends the wait within the test's few seconds.
    short_limits(monkeypatch.setenv, TIMEOUT_S="60", DEADLINE_S="60", READ_TIMEOUT_S="60")
    server = HostileServer()
    yield server
    server.stop()


def test_a_stalled_server_shows_and_cancel_stops_the_wait(
    widget: ExplorerWidget, silent: HostileServer, tiny_replica: ReplicaServer, qtbot: Any
) -> None:
    url = silent.url("never/graphql")
    assert widget.stalled.isHidden()
    widget.connect_to_portal(url)
    qtbot.waitUntil(lambda: not widget.stalled.isHidden(), timeout=WAIT_MS)
    assert f"waiting for 127.0.0.1:{silent.port}" in widget.stalled.label.text()
    waiting = len(calls_in_flight(url))  # the listing (and the facet counts, if asked)
    assert waiting >= 1

    qtbot.mouseClick(widget.stalled.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not widget.jobs.busy, timeout=WAIT_MS)
    assert widget.stalled.isHidden()
    assert calls_in_flight(url) == []
    # Nothing was retried after the cancel: one request for each call that waited.
    assert silent.hits["never/graphql"] == waiting
    error_rows = [widget.tree.topLevelItem(i) for i in range(widget.tree.topLevelItemCount())]
    assert any(f"stopped waiting for {url}" in row.text(0) for row in error_rows if row)

    # The widget stays usable: the next connection lists as usual.
    widget.connect_to_portal(tiny_replica.url)
    qtbot.waitUntil(lambda: widget.tree.topLevelItemCount() > 0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not widget.jobs.busy, timeout=WAIT_MS)
    assert widget.stalled.isHidden()
    assert widget.tree.topLevelItem(0).text(0).isdigit()
