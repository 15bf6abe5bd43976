"""The filter panel in the dock: facets with counts, chips, filtered tree, stale answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qtpy.QtCore import Qt

from napari_cryoet_explorer._qt.widget import ExplorerWidget
from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.portal.filters import Filters
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal

TIMEOUT = 30_000


def _top(widget: ExplorerWidget) -> list[str]:
    items = (widget.tree.topLevelItem(i) for i in range(widget.tree.topLevelItemCount()))
    return [i.text(0) for i in items if i is not None]


def _settled(widget: ExplorerWidget, qtbot: Any) -> None:
    qtbot.waitUntil(
        lambda: not widget.jobs.busy and not widget.filtering.timer.isActive(), timeout=TIMEOUT
    )


def _connect(widget: ExplorerWidget, server: ReplicaServer, qtbot: Any) -> None:
    widget.connect_to_portal(server.url)
    _settled(widget, qtbot)
    assert _top(widget) == ["10000", "10001"]


def _tick(widget: ExplorerWidget, facet: str, value: Any) -> None:
    listing = widget.filter_panel.facet_lists[facet]
    for i in range(listing.count()):
        item = listing.item(i)
        if item is not None and item.data(Qt.ItemDataRole.UserRole) == value:
            item.setCheckState(Qt.CheckState.Checked)
            return
    raise AssertionError(f"{value!r} not listed in facet {facet}")


def test_facets_appear_with_their_counts_when_the_panel_opens(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, qtbot: Any
) -> None:
    _connect(widget, tiny_replica, qtbot)
    assert widget.filter_panel.facet_lists["organism"].count() == 0  # not asked yet
    tiny_replica.clear_log()
    widget.filter_panel.collapsible.expand(animate=False)
    _settled(widget, qtbot)
    assert tiny_replica.graphql_requests == 1
    with PortalClient(tiny_replica.url) as client:
        expected = client.facets(Filters())
    for facet in ("organism", "camera", "object", "method"):
        shown = widget.filter_panel.facet_lists[facet].counts()
        assert shown == {v.value: v.datasets for v in expected[facet]}, facet
    assert widget.filter_panel.facet_lists["organism"].counts() == {
        "Chlamydomonas reinhardtii": 1,
        "Saccharomyces cerevisiae": 1,
    }


def test_filters_narrow_the_tree_and_chips_remove_them(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal, qtbot: Any
) -> None:
    _connect(widget, tiny_replica, qtbot)
    panel = widget.filter_panel
    panel.collapsible.expand(animate=False)
    _settled(widget, qtbot)

    _tick(widget, "organism", "Chlamydomonas reinhardtii")
    _settled(widget, qtbot)
    assert _top(widget) == ["10001"]
    assert panel.chip_texts() == ["organism: Chlamydomonas reinhardtii"]
    # The organism facet leaves out its own filter: the other organism keeps its count.
    assert panel.facet_lists["organism"].counts()["Saccharomyces cerevisiae"] == 1

    # Runs under a dataset are filtered too: only TS_102 of 10001 has a Gatan camera.
    _tick(widget, "camera", "Gatan")
    _settled(widget, qtbot)
    assert _top(widget) == ["10001"]
    dataset = widget.tree.topLevelItem(0)
    dataset.setExpanded(True)
    _settled(widget, qtbot)
    runs = [dataset.child(i).text(0) for i in range(dataset.childCount())]
    expected = sorted(
        r["name"]
        for r in tiny_portal.entities["Run"]
        for t in tiny_portal.entities["Tiltseries"]
        if r["datasetId"] == 10001 and t["runId"] == r["id"] and t["cameraManufacturer"] == "Gatan"
    )
    assert runs == expected == ["TS_102"]

    # A chip's ✕ removes its filter; "clear all" removes the rest.
    chip = next(
        b
        for b in panel.chip_area.findChildren(type(panel.clear_button))
        if b.objectName() == "chip:organisms"
    )
    chip.click()
    _settled(widget, qtbot)
    assert panel.chip_texts() == ["camera: Gatan"]
    assert _top(widget) == ["10000", "10001"]
    panel.clear_button.click()
    _settled(widget, qtbot)
    assert panel.chip_texts() == [] and _top(widget) == ["10000", "10001"]
    assert widget.filters.is_empty()


def test_nothing_matching_says_so_and_bad_values_are_named(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, qtbot: Any
) -> None:
    _connect(widget, tiny_replica, qtbot)
    panel = widget.filter_panel
    panel.tilt_quality.setCurrentIndex(panel.tilt_quality.findData(5))
    panel.fiducial.setCurrentIndex(panel.fiducial.findData("NON_FIDUCIAL"))
    panel.ground_truth.setChecked(True)
    panel.runs_min.setValue(50)
    _settled(widget, qtbot)
    assert _top(widget) == []
    assert "nothing matches" in panel.note.text() and "runs at least: 50" in panel.note.text()

    panel.runs_min.setValue(0)
    panel.dataset_ids.setText("100x")
    _settled(widget, qtbot)
    assert "100x" in panel.note.text()
    assert widget.filters.runs_min == 50  # the refused value changed nothing


def test_stale_answers_are_dropped(
    widget: ExplorerWidget,
    replica_factory: Callable[..., ReplicaServer],
    tiny_portal: GeneratedPortal,
    qtbot: Any,
) -> None:
    slow = replica_factory(tiny_portal.root, latency_ms=300)
    _connect(widget, slow, qtbot)
    panel = widget.filter_panel
    # Several edits in a row: only the last one's answer fills the tree.
    panel.dataset_ids.setText("10000")
    widget.apply_filters()
    panel.dataset_ids.setText("10001")
    widget.apply_filters()
    _settled(widget, qtbot)
    assert _top(widget) == ["10001"]
    assert panel.chip_texts() == ["dataset id: 10001"]
