"""After ``open`` loads a run, the dock shows it: expanded down to the tomogram, selected."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from napari_cryoet_explorer._qt.widget import ExplorerWidget
from napari_cryoet_explorer.portal.models import Tomogram, VoxelSpacing
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.replica.store import Store

TIMEOUT = 60_000


def _revealed(widget: ExplorerWidget, qtbot: Any) -> Any:
    qtbot.waitUntil(lambda: not widget.revealing and not widget.jobs.busy, timeout=TIMEOUT)
    return widget.tree.currentItem()


def test_reveal_selects_the_loaded_tomogram(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, qtbot: Any
) -> None:
    widget.connect_to_portal(tiny_replica.url)
    widget.reveal(10000, "TS_002", 20.0)
    item = _revealed(widget, qtbot)
    assert isinstance(widget.tree.node_model(item), VoxelSpacing)
    assert item.text(0) == "20.000 Å" and item.parent().text(0) == "TS_002"
    assert item.isExpanded() and item.parent().isExpanded()
    # The open panel offers that spacing, ready to open (not greyed out).
    assert widget.open_panel.isEnabled() and widget.open_panel.selected_tomogram() is not None

    tomogram = widget.open_panel.contents.tomograms[0] if widget.open_panel.contents else None
    assert tomogram is not None
    widget.reveal(10000, "TS_001", 10.0, tomogram_id=None)
    item = _revealed(widget, qtbot)
    assert item.parent().text(0) == "TS_001"


def test_reveal_finds_a_tomogram_by_id(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, qtbot: Any
) -> None:
    from napari_cryoet_explorer.portal.client import PortalClient

    with PortalClient(tiny_replica.url) as client:
        run = client.run(10000, "TS_001")
        contents = client.voxel_spacing_contents(run.voxel_spacings[0].id)
    second = max(contents.tomograms, key=lambda t: t.id)
    widget.connect_to_portal(tiny_replica.url)
    widget.reveal(10000, "TS_001", 10.0, second.id)
    item = _revealed(widget, qtbot)
    model = widget.tree.node_model(item)
    assert isinstance(model, Tomogram) and model.id == second.id
    assert widget.open_panel.selected_tomogram() == second


def test_reveal_a_dataset_beyond_the_listed_pages(
    widget: ExplorerWidget,
    portal_scale_store: Store,
    replica_factory: Callable[..., ReplicaServer],
    qtbot: Any,
) -> None:
    server = replica_factory(portal_scale_store)
    last = max(portal_scale_store.rows("Dataset"), key=lambda d: d["id"])
    run = next(r for r in portal_scale_store.rows("Run") if r["datasetId"] == last["id"])
    widget.connect_to_portal(server.url)
    widget.reveal(last["id"], run["name"])
    item = _revealed(widget, qtbot)
    assert item is not None and item.parent().text(0) == run["name"]
    assert widget.filter_panel.chip_texts() == [f"dataset id: {last['id']}"]
