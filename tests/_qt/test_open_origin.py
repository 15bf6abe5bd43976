"""The widget says where opened data come from: the network, the on-disk cache (also
with the server gone), or a download in a remembered folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from qtpy.QtCore import Qt

from napari_cryoet_explorer._qt.tree import PortalTree
from napari_cryoet_explorer._qt.widget import ExplorerWidget
from napari_cryoet_explorer.downloads.places import remember_download_folder
from napari_cryoet_explorer.downloads.plan import Choice, run_items
from napari_cryoet_explorer.downloads.transfer import download
from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.replica.server import ReplicaServer

TIMEOUT = 30_000


def _spacing(widget: ExplorerWidget, server: ReplicaServer, qtbot: Any) -> Any:
    widget.connect_to_portal(server.url)
    qtbot.waitUntil(lambda: widget.tree.topLevelItemCount() == 2, timeout=TIMEOUT)
    item = widget.tree.topLevelItem(0)
    for _ in range(2):  # the dataset, then its first run
        item.setExpanded(True)
        qtbot.waitUntil(
            lambda it=item: it.childCount() > 0 and PortalTree.kind(it.child(0)) != "loading",
            timeout=TIMEOUT,
        )
        item = item.child(0)
    widget.tree.setCurrentItem(item)
    qtbot.waitUntil(lambda: widget.open_panel.isEnabled(), timeout=TIMEOUT)
    return item


def _open_tomogram_only(widget: ExplorerWidget, qtbot: Any) -> list[Any]:
    panel = widget.open_panel
    for i in range(panel.annotations.count()):
        panel.annotations.item(i).setCheckState(Qt.CheckState.Unchecked)
    panel.keep_layers.setChecked(False)
    with qtbot.waitSignal(widget.layers_opened, timeout=TIMEOUT):
        panel.open_button.click()
    qtbot.waitUntil(lambda: all(layer.loaded for layer in widget.viewer.layers), timeout=TIMEOUT)
    return list(widget.viewer.layers)


def test_reopen_says_from_the_cache_and_works_offline(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, qtbot: Any
) -> None:
    _spacing(widget, tiny_replica, qtbot)
    first = _open_tomogram_only(widget, qtbot)
    assert "on-disk cache" not in widget.status.text()
    pixels = np.asarray(first[0].data[-1])

    tiny_replica.clear_log()
    again = _open_tomogram_only(widget, qtbot)
    assert "tomogram 1 from the on-disk cache" in widget.status.text()
    assert not tiny_replica.records("file")

    tiny_replica.stop()
    offline = _open_tomogram_only(widget, qtbot)
    assert "tomogram 1 from the on-disk cache" in widget.status.text()
    assert [layer.name for layer in offline] == [layer.name for layer in again]
    assert np.array_equal(np.asarray(offline[0].data[-1]), pixels)


def test_a_download_opens_from_disk_and_says_so(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, qtbot: Any, tmp_path: Path
) -> None:
    with PortalClient(tiny_replica.url) as client:
        items = run_items(client, 10000, "TS_001", Choice(annotations=False, formats=("zarr",)))
    report = download(items, tmp_path)
    assert not report.failed
    remember_download_folder(tmp_path)
    _spacing(widget, tiny_replica, qtbot)
    tiny_replica.clear_log()
    layers = _open_tomogram_only(widget, qtbot)
    assert f"tomogram 1 from your download in {tmp_path.resolve()}" in widget.status.text()
    assert not tiny_replica.records("file")
    assert str(tmp_path.resolve()) in str(layers[0].metadata.get("source", ""))
    assert np.allclose(layers[0].scale, 10.0)
