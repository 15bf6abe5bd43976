"""The dock widget against the local replica (pytest-qt, napari viewer under Xvfb)."""

from __future__ import annotations

import gc
import itertools
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from qtpy.QtCore import Qt, QTimer
from qtpy.QtWidgets import QAbstractItemView

from napari_cryoet_explorer._qt.tree import PortalTree
from napari_cryoet_explorer._qt.widget import ExplorerWidget
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.replica.store import Store
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal

TIMEOUT = 30_000


@pytest.fixture
def scale_replica(
    portal_scale_store: Store, replica_factory: Callable[..., ReplicaServer]
) -> ReplicaServer:
    """A replica with portal-scale metadata: 600 datasets, one with 2,000 runs."""
    return replica_factory(portal_scale_store)


def _connect(widget: ExplorerWidget, server: ReplicaServer, qtbot: Any, n: int = 2) -> None:
    server.clear_log()
    widget.connect_to_portal(server.url)
    qtbot.waitUntil(
        lambda: widget.tree.topLevelItemCount() == n and not widget.jobs.busy, timeout=TIMEOUT
    )


def _expand(widget: ExplorerWidget, item: Any, qtbot: Any) -> None:
    item.setExpanded(True)
    qtbot.waitUntil(
        lambda: not PortalTree.needs_children(item) and not widget.jobs.busy, timeout=TIMEOUT
    )
    qtbot.waitUntil(
        lambda: item.childCount() > 0 and PortalTree.kind(item.child(0)) != "loading",
        timeout=TIMEOUT,
    )


def _loaded(widget: ExplorerWidget, qtbot: Any) -> None:
    """Wait until every layer has its slice (napari may slice in its own thread)."""
    qtbot.waitUntil(lambda: all(layer.loaded for layer in widget.viewer.layers), timeout=TIMEOUT)


def _untick_annotations(panel: Any) -> None:
    for i in range(panel.annotations.count()):
        panel.annotations.item(i).setCheckState(Qt.CheckState.Unchecked)


def _descendants(item: Any, kind: str) -> list[Any]:
    """The rows of ``kind`` under a node (an alignment node's rows included)."""
    found = []
    for i in range(item.childCount()):
        child = item.child(i)
        if PortalTree.kind(child) == kind:
            found.append(child)
        found += _descendants(child, kind)
    return found


def _spacing_node(widget: ExplorerWidget, server: ReplicaServer, qtbot: Any) -> Any:
    _connect(widget, server, qtbot)
    dataset = widget.tree.topLevelItem(0)
    _expand(widget, dataset, qtbot)
    run = dataset.child(0)
    _expand(widget, run, qtbot)
    spacing = run.child(0)
    _expand(widget, spacing, qtbot)
    return spacing


def test_browse_with_request_counts(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, qtbot: Any
) -> None:
    _connect(widget, tiny_replica, qtbot)
    assert tiny_replica.graphql_requests == 1  # the first screen after one request
    dataset = widget.tree.topLevelItem(0)
    assert dataset.text(0) == "10000" and dataset.text(3) == "2 runs"

    tiny_replica.clear_log()
    _expand(widget, dataset, qtbot)
    assert [dataset.child(i).text(0) for i in range(dataset.childCount())] == ["TS_001", "TS_002"]
    assert tiny_replica.graphql_requests == 1

    tiny_replica.clear_log()
    run = dataset.child(0)
    _expand(widget, run, qtbot)
    assert [run.child(i).text(0) for i in range(run.childCount())] == [
        "10.000 Å",
        "20.000 Å",
        "tilt series 1",
    ]
    assert tiny_replica.graphql_requests == 0  # spacings came with the runs page

    tiny_replica.clear_log()
    spacing = run.child(0)
    _expand(widget, spacing, qtbot)
    # Two alignments at 10 Å: a node each, holding its tomogram and annotations.
    kinds = [PortalTree.kind(spacing.child(i)) for i in range(spacing.childCount())]
    assert kinds == ["alignment", "alignment"]
    assert [spacing.child(i).text(0) for i in range(2)] == [
        "alignment 1 · tomogram 1",
        "alignment 2 · tomogram 2",
    ]
    for i in range(2):
        inside = [PortalTree.kind(spacing.child(i).child(j)) for j in range(4)]
        assert inside == ["tomogram", "annotation", "annotation", "annotation"]
    assert tiny_replica.graphql_requests == 1


def _more_row(widget: ExplorerWidget, parent: Any = None) -> Any:
    count = widget.tree.topLevelItemCount() if parent is None else parent.childCount()
    last = widget.tree.topLevelItem(count - 1) if parent is None else parent.child(count - 1)
    return last if PortalTree.kind(last) == "more" else None


def test_long_lists_page_in(
    widget: ExplorerWidget, scale_replica: ReplicaServer, qtbot: Any
) -> None:
    """600 datasets and a 2,000-run dataset: two pages at a time, then "load more"."""
    server = scale_replica
    widget.connect_to_portal(server.url)
    qtbot.waitUntil(lambda: _more_row(widget) is not None, timeout=TIMEOUT)
    assert widget.tree.topLevelItemCount() == 500 + 1
    assert _more_row(widget).text(0) == "load more… (500 of 600)"
    assert server.graphql_requests == 2
    assert widget.status.text().startswith("500 of 600 datasets")
    widget.search_edit.setText("no dataset has this title")  # instant filter
    assert not _more_row(widget).isHidden()
    widget.search_edit.setText("")

    server.clear_log()
    more = _more_row(widget)
    widget.tree.itemClicked.emit(more, 0)
    qtbot.waitUntil(lambda: widget.tree.topLevelItemCount() == 600, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not widget.jobs.busy, timeout=TIMEOUT)
    assert _more_row(widget) is None and server.graphql_requests == 1
    assert widget.status.text().startswith("600 datasets")

    big = next(
        widget.tree.topLevelItem(i)
        for i in range(600)
        if widget.tree.topLevelItem(i).text(3) == "2000 runs"
    )
    server.clear_log()
    big.setExpanded(True)
    qtbot.waitUntil(lambda: _more_row(widget, big) is not None, timeout=TIMEOUT)
    assert big.childCount() == 500 + 1 and server.graphql_requests == 2
    # Scrolling to the end of the list fetches the next batch.
    server.clear_log()
    widget.resize(500, 600)
    widget.show()
    qtbot.wait(50)  # let the view lay out its rows
    bottom = QAbstractItemView.ScrollHint.PositionAtBottom
    widget.tree.scrollToItem(_more_row(widget, big), bottom)
    qtbot.waitUntil(lambda: big.childCount() == 1000 + 1, timeout=TIMEOUT)
    assert server.graphql_requests == 2
    assert _more_row(widget, big).text(0) == "load more… (1000 of 2000)"


def test_a_new_connection_drops_the_old_listing(
    widget: ExplorerWidget, scale_replica: ReplicaServer, tiny_replica: ReplicaServer, qtbot: Any
) -> None:
    scale_replica.latency_ms = 300
    widget.connect_to_portal(scale_replica.url)
    qtbot.waitUntil(lambda: widget.tree.topLevelItemCount() >= 250, timeout=TIMEOUT)
    widget.tree.topLevelItem(0).setExpanded(True)  # its runs are on their way, too
    _connect(widget, tiny_replica, qtbot)
    qtbot.wait(1500)  # the old listing's next page and the runs would have come by now
    assert [widget.tree.topLevelItem(i).text(0) for i in range(2)] == ["10000", "10001"]
    assert widget.tree.topLevelItemCount() == 2
    assert widget.status.text().startswith("2 datasets from " + tiny_replica.url)


def test_metadata_for_each_level(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal, qtbot: Any
) -> None:
    spacing = _spacing_node(widget, tiny_replica, qtbot)
    run, dataset = spacing.parent(), spacing.parent().parent()
    entities = tiny_portal.entities
    (ds_row,) = [d for d in entities["Dataset"] if d["id"] == 10000]
    # Each node's sections, and a row that only its detail request brings.
    expected = [
        (dataset, "Dataset", "Authors"),
        (dataset, "Sample and experiment conditions", "Organism Name"),
        (run, "Tilt series", "Camera Manufacturer"),
        (spacing, "Voxel spacing", "Voxel Spacing"),
        (_descendants(spacing, "tomogram")[0], "Tomogram", "Reconstruction Software"),
    ]
    for item, section, label in expected:
        tiny_replica.clear_log()
        widget.tree.setCurrentItem(item)
        qtbot.waitUntil(lambda s=section, lb=label: lb in widget.metadata.rows(s), timeout=TIMEOUT)
        # A row may show before the node's requests end (from the listing): count them
        # once they have, so that none lands in the next node's count.
        qtbot.waitUntil(lambda: not widget.jobs.busy, timeout=TIMEOUT)
        assert "All fields" in widget.metadata.sections()
        assert not widget.metadata.sections()["All fields"].isExpanded()
        asked = [(r.query or "")[:60] for r in tiny_replica.records("graphql")]
        assert tiny_replica.graphql_requests <= 1, (section, asked)
    widget.tree.setCurrentItem(dataset)
    qtbot.waitUntil(lambda: "Authors" in widget.metadata.rows("Dataset"), timeout=TIMEOUT)
    organism = widget.metadata.rows("Sample and experiment conditions")["Organism Name"]
    assert organism.text(1) == ds_row["organismName"]
    widget.metadata.filter.setText("organism")
    header = widget.metadata.sections()["Sample and experiment conditions"]
    visible = [
        header.child(i).text(0)
        for i in range(header.childCount())
        if not header.child(i).isHidden()
    ]
    # The filter matches labels and the API fields behind them (organismTaxid).
    assert "Organism Name" in visible and "Sample Type" not in visible
    assert widget.metadata.rows("Dataset") and widget.metadata.sections()["Dataset"].isHidden()


def _photo_shown(widget: ExplorerWidget) -> bool:
    pixmap = widget.metadata.photo.pixmap()
    return not widget.metadata.photo.isHidden() and pixmap is not None and not pixmap.isNull()


def test_key_photos_of_datasets_and_tomograms(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal, qtbot: Any
) -> None:
    from qtpy.QtGui import QImage

    spacing = _spacing_node(widget, tiny_replica, qtbot)
    run, dataset = spacing.parent(), spacing.parent().parent()
    tiny_replica.clear_log()
    widget.tree.setCurrentItem(dataset)
    qtbot.waitUntil(lambda: _photo_shown(widget), timeout=TIMEOUT)
    truth = QImage(str(tiny_portal.root / "10000" / "Images" / "thumbnail.png"))
    shown = widget.metadata.photo.pixmap()
    assert (shown.width(), shown.height()) == (truth.width(), truth.height())
    assert [r.path for r in tiny_replica.records("file")] == ["/files/10000/Images/thumbnail.png"]

    widget.tree.setCurrentItem(run)  # runs have no key photo of their own
    assert widget.metadata.photo.isHidden()
    widget.tree.setCurrentItem(_descendants(spacing, "tomogram")[0])
    qtbot.waitUntil(lambda: _photo_shown(widget), timeout=TIMEOUT)
    assert "key-photo-thumbnail.png" in widget.metadata.photo.toolTip()

    tiny_replica.clear_log()
    widget.tree.setCurrentItem(dataset)  # fetched once, then kept
    assert _photo_shown(widget) and tiny_replica.records("file") == []


def test_key_photo_failure_names_the_url(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, qtbot: Any
) -> None:
    _connect(widget, tiny_replica, qtbot)
    tiny_replica.error_rate = 1.0
    widget.tree.setCurrentItem(widget.tree.topLevelItem(0))
    label = widget.metadata.photo
    qtbot.waitUntil(lambda: "unavailable" in label.text(), timeout=TIMEOUT)
    assert "/10000/Images/thumbnail.png" in label.text() and not label.isHidden()
    tiny_replica.error_rate = 0.0
    widget.tree.setCurrentItem(widget.tree.topLevelItem(1))  # the widget goes on
    qtbot.waitUntil(lambda: _photo_shown(widget), timeout=TIMEOUT)


def test_search_and_instant_filter(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, qtbot: Any
) -> None:
    _connect(widget, tiny_replica, qtbot)
    widget.search_edit.setText("algal")
    # Typing filters what is loaded at once...
    hidden = [widget.tree.topLevelItem(i).isHidden() for i in range(2)]
    assert hidden == [True, False]
    # ...and Enter asks the server.
    tiny_replica.clear_log()
    widget.search()
    qtbot.waitUntil(
        lambda: not widget.jobs.busy and widget.tree.topLevelItemCount() == 1, timeout=TIMEOUT
    )
    assert widget.tree.topLevelItem(0).text(0) == "10001"
    assert tiny_replica.graphql_requests == 2  # find the matching ids, then one page of them


def test_search_by_run_name_shows_that_run(
    widget: ExplorerWidget, scale_replica: ReplicaServer, qtbot: Any
) -> None:
    """A run among 2,000 is found by name and shown under its dataset, not paged to."""
    server = scale_replica
    widget.connect_to_portal(server.url)
    qtbot.waitUntil(lambda: not widget.jobs.busy, timeout=TIMEOUT)
    server.clear_log()
    widget.search_edit.setText("TS_1999")
    widget.search()
    qtbot.waitUntil(
        lambda: not widget.jobs.busy and widget.tree.topLevelItemCount() == 1, timeout=TIMEOUT
    )
    dataset = widget.tree.topLevelItem(0)
    assert dataset.text(3) == "2000 runs" and dataset.isExpanded()
    assert [dataset.child(i).text(0) for i in range(dataset.childCount())] == ["TS_1999"]
    assert server.graphql_requests == 2
    assert widget.status.text() == "found 1 dataset; 1 run by name"
    _expand(widget, dataset.child(0), qtbot)  # its voxel spacings came with it
    assert PortalTree.kind(dataset.child(0).child(0)) == "spacing"
    assert server.graphql_requests == 2


def test_open_tomogram_with_chosen_annotations(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal, qtbot: Any
) -> None:
    spacing = _spacing_node(widget, tiny_replica, qtbot)
    widget.tree.setCurrentItem(spacing)
    panel = widget.open_panel
    assert panel.isEnabled()
    assert panel.selected_tomogram().alignment_id == 1  # the visualization default
    # Its alignment's six files first (the mesh unticked: not shown by default), then the
    # other alignment's six, unticked.
    assert panel.annotations.count() == 12
    assert [panel.is_aligned(i) for i in range(12)] == [True] * 6 + [False] * 6
    ticked = [
        panel.annotations.item(i).text()
        for i in range(12)
        if panel.annotations.item(i).checkState() == Qt.CheckState.Checked
    ]
    assert len(ticked) == 5 and not [t for t in ticked if "Mesh" in t]
    # Untick the instance mask: only ticked annotations open.
    for i in range(panel.annotations.count()):
        item = panel.annotations.item(i)
        if "InstanceSegmentationMask" in item.text():
            item.setCheckState(Qt.CheckState.Unchecked)
    with qtbot.waitSignal(widget.layers_opened, timeout=TIMEOUT) as opened:
        panel.open_button.click()
    _loaded(widget, qtbot)
    layers = widget.viewer.layers
    assert opened.args == [len(layers)]
    assert widget.status.text().startswith("opened 6 layers; background loading is now on")
    types = sorted(type(layer).__name__ for layer in layers)
    assert types == ["Image", "Labels", "Points", "Points", "Points", "Vectors"]
    for layer in layers:
        assert np.allclose(layer.scale, 10.0), layer.name
    ribosomes = next(
        layer
        for layer in layers
        if layer.name.startswith("TS_001 ribosome ") and layer.name.endswith("(OrientedPoint)")
    )
    truth = np.array(
        tiny_portal.ground_truth["runs"]["10000/TS_001"]["objects"]["ribosome"][
            "centres_zyx_angstrom"
        ]
    )
    world = ribosomes.data * ribosomes.scale
    assert np.allclose(np.sort(world, axis=0), np.sort(truth, axis=0), atol=1e-6)


def test_double_click_adds_one_annotation_to_the_open_tomogram(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal, qtbot: Any
) -> None:
    spacing = _spacing_node(widget, tiny_replica, qtbot)
    widget.tree.setCurrentItem(spacing)
    panel = widget.open_panel
    _untick_annotations(panel)  # the tomogram alone
    with qtbot.waitSignal(widget.layers_opened, timeout=TIMEOUT):
        panel.open_button.click()
    assert [type(layer).__name__ for layer in widget.viewer.layers] == ["Image"]
    ribosome, other_alignment = (
        row for row in _descendants(spacing, "annotation") if row.text(0) == "ribosome"
    )
    tiny_replica.clear_log()
    with qtbot.waitSignal(widget.layers_opened, timeout=TIMEOUT) as opened:
        widget.tree.itemDoubleClicked.emit(ribosome, 0)
    assert opened.args == [2]  # the oriented points and their vectors, nothing else
    names = [layer.name for layer in widget.viewer.layers]
    # Named by the download's folders (in the files' URLs), as a dropped folder names them.
    tomogram = panel.selected_tomogram()
    assert tomogram is not None and tomogram.https_omezarr_dir is not None
    tomogram_folder = tomogram.https_omezarr_dir.split("/Tomograms/")[1].split("/")[0]
    assert names[0] == f"TS_001 tomogram {tomogram_folder} ({tomogram.processing})"
    annotation = PortalTree.node_model(ribosome)
    folder = annotation.files[0].https_path.split("/Annotations/")[1].split("/")[0]
    points = f"TS_001 ribosome {folder} (OrientedPoint)"
    assert names[1:] == [points, f"{points} axes"]
    assert tiny_replica.graphql_requests == 0  # everything was known from the tree
    points = widget.viewer.layers[1]
    truth = np.array(
        tiny_portal.ground_truth["runs"]["10000/TS_001"]["objects"]["ribosome"][
            "centres_zyx_angstrom"
        ]
    )
    world = points.data * points.scale
    assert np.allclose(np.sort(world, axis=0), np.sort(truth, axis=0), atol=1e-6)
    _loaded(widget, qtbot)
    # The same object annotated on the second alignment does not line up: it says so.
    widget.tree.itemDoubleClicked.emit(other_alignment, 0)
    assert len(widget.viewer.layers) == 3
    assert "has no file aligned with tomogram 1 (alignment 1)" in widget.status.text()


@pytest.mark.parametrize("background", [True, False], ids=["background", "foreground"])
def test_tomogram_shows_its_coarsest_level_first(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, qtbot: Any, background: bool
) -> None:
    from napari.settings import get_settings

    box = widget.open_panel.background
    box.setChecked(not background)
    box.setChecked(background)
    widget.viewer.window.show()  # napari picks a level when the canvas draws
    spacing = _spacing_node(widget, tiny_replica, qtbot)
    widget.tree.setCurrentItem(spacing)
    panel = widget.open_panel
    _untick_annotations(panel)  # the tomogram alone
    shown: list[int] = []  # the level of each slice the image received

    def watch(event: Any) -> None:
        layer = event.value
        layer.events.set_data.connect(
            lambda _e: shown.append(layer.data_level) if layer.loaded else None
        )
        if layer.loaded:
            shown.append(layer.data_level)

    widget.viewer.layers.events.inserted.connect(watch)
    with qtbot.waitSignal(widget.layers_opened, timeout=TIMEOUT):
        panel.open_button.click()
    image = widget.viewer.layers[0]
    qtbot.waitUntil(lambda: image.locked_data_level is None and image.loaded, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: image.data_level < 2 and image.loaded, timeout=TIMEOUT)
    assert shown[0] == 2  # the coarsest level first...
    assert image.data_level < 2  # ...then the level napari picks for the canvas
    get_settings().experimental.async_ = False


def test_3d_box_follows_the_viewer(widget: ExplorerWidget) -> None:
    box = widget.open_panel.three_d
    assert not box.isChecked()
    widget.viewer.dims.ndisplay = 3  # napari's own 2D/3D button
    assert box.isChecked()
    widget.viewer.dims.ndisplay = 2
    assert not box.isChecked()


def test_cancel_mid_load_leaves_whole_layers(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, qtbot: Any
) -> None:
    spacing = _spacing_node(widget, tiny_replica, qtbot)
    widget.tree.setCurrentItem(spacing)
    tiny_replica.latency_ms = 300
    with qtbot.waitSignal(widget.layers_opened, timeout=TIMEOUT):
        widget.open_panel.open_button.click()
        qtbot.wait(400)
        widget.open_panel.cancel_button.click()
    tiny_replica.latency_ms = 0
    _loaded(widget, qtbot)
    layers = list(widget.viewer.layers)
    assert len(layers) < 6  # stopped early
    for layer in layers:
        layer.refresh()  # every layer that was added is whole and drawable
    _loaded(widget, qtbot)
    assert widget.open_panel.open_button.isEnabled()
    assert widget.status.text() in ("cancelled",) or widget.status.text().startswith("opened")


def test_503s_are_retried(
    widget: ExplorerWidget,
    tiny_portal: GeneratedPortal,
    replica_factory: Callable[..., ReplicaServer],
    qtbot: Any,
) -> None:
    flaky = replica_factory(
        tiny_portal.root, error_rate=0.5, seed=1
    )  # seed 1: the first answer is a 503
    _connect(widget, flaky, qtbot)
    statuses = [r.status for r in flaky.records("graphql")]
    assert 503 in statuses and statuses[-1] == 200


def test_unreachable_server_then_recover(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, qtbot: Any
) -> None:
    dead = "http://127.0.0.1:9/graphql"
    widget.connect_to_portal(dead)
    qtbot.waitUntil(lambda: not widget.jobs.busy and dead in widget.status.text(), timeout=TIMEOUT)
    assert PortalTree.kind(widget.tree.topLevelItem(0)) == "error"
    _connect(widget, tiny_replica, qtbot)  # still usable
    assert widget.tree.topLevelItem(0).text(0) == "10000"


def test_background_option_is_naparis_async_setting(widget: ExplorerWidget, qtbot: Any) -> None:
    from napari.settings import get_settings

    experimental = get_settings().experimental
    box = widget.open_panel.background
    assert box.isChecked() and experimental.async_ is False  # on at the first Open
    box.setChecked(False)
    box.setChecked(True)
    assert experimental.async_ is True
    experimental.async_ = False  # changed in napari's preferences: the box follows
    assert not box.isChecked()
    # Turning it off is remembered (napari does not save a setting at its default).
    again = ExplorerWidget(widget.viewer)
    qtbot.addWidget(again)
    assert not again.open_panel.background.isChecked()


def test_the_first_open_switches_background_loading_on(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, qtbot: Any
) -> None:
    from napari.settings import get_settings

    experimental = get_settings().experimental
    assert widget.open_panel.background.isChecked() and not experimental.async_
    spacing = _spacing_node(widget, tiny_replica, qtbot)
    widget.tree.setCurrentItem(spacing)
    with qtbot.waitSignal(widget.layers_opened, timeout=TIMEOUT):
        widget.open_panel.open_button.click()
    assert experimental.async_ is True  # and the status line says so
    assert "background loading is now on" in widget.status.text()
    layers = list(widget.viewer.layers)
    qtbot.waitUntil(lambda: all(layer.loaded for layer in layers), timeout=TIMEOUT)
    assert len(layers) == 7
    experimental.async_ = False


class _GCPauses:
    """Wall-clock windows of full (generation 2) garbage collections, in any thread."""

    def __init__(self) -> None:
        self.windows: list[tuple[float, float]] = []
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.windows.append((self._start, time.perf_counter()))

    def overlaps(self, start: float, end: float) -> bool:
        return any(a < end and b > start for a, b in self.windows)


@pytest.mark.parametrize("background", [True, False], ids=["background", "foreground"])
def test_gui_heartbeat_during_expand_and_open(
    widget: ExplorerWidget,
    tiny_replica: ReplicaServer,
    qtbot: Any,
    record_property: Any,
    background: bool,
) -> None:
    """The longest gap of a 10 ms timer while browsing and opening at 100 ms latency.

    With "load in background" napari slices in its own thread; without it the first
    slices of the image and masks are fetched on the GUI thread. Python's full garbage
    collections stop every thread; the gaps they overlap are reported apart too. The
    figures go to docs/benchmarks.md; they are not asserted, as they depend on the
    machine.
    """
    from napari.settings import get_settings

    from napari_cryoet_explorer._qt import warmup

    widget.open_panel.background.setChecked(not background)
    widget.open_panel.background.setChecked(background)  # a choice, whatever the default
    assert get_settings().experimental.async_ is background  # the option is napari's
    # The widget's start-up work is done, as it is by the time a user has read the
    # first screen.
    assert warmup.done.wait(60)
    tiny_replica.latency_ms = 100
    beats: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: beats.append(time.perf_counter()))
    pauses = _GCPauses()
    gc.callbacks.append(pauses)
    try:
        timer.start()
        spacing = _spacing_node(widget, tiny_replica, qtbot)
        widget.tree.setCurrentItem(spacing)
        with qtbot.waitSignal(widget.layers_opened, timeout=TIMEOUT):
            widget.open_panel.open_button.click()
        layers = list(widget.viewer.layers)
        qtbot.waitUntil(lambda: all(layer.loaded for layer in layers), timeout=TIMEOUT)
        timer.stop()
    finally:
        gc.callbacks.remove(pauses)
        get_settings().experimental.async_ = False
    gaps = [(b - a, a, b) for a, b in itertools.pairwise(beats)]
    longest = max(gaps)[0] * 1000
    outside_gc = max(g for g, a, b in gaps if not pauses.overlaps(a, b)) * 1000
    record_property("longest_heartbeat_gap_ms", longest)
    record_property("longest_heartbeat_gap_outside_gc_ms", outside_gc)
    print(
        f"GUI heartbeat ({'background' if background else 'foreground'} loading): longest gap"
        f" {longest:.0f} ms, {outside_gc:.0f} ms outside full garbage collections"
    )
    assert len(beats) > 10  # the timer ran through the whole interaction
    assert len(layers) == 7
    image = next(layer for layer in layers if type(layer).__name__ == "Image")
    assert image._slice.image.raw.size > 0  # the view has its data
    # Slices were fetched on the GUI thread: the status line says how to avoid that.
    assert ("tick 'load in background'" in widget.status.text()) is not background


def test_local_folder_browses_the_same_way(
    widget: ExplorerWidget, tiny_portal: GeneratedPortal, qtbot: Any
) -> None:
    widget.connect_to_portal(str(tiny_portal.root))
    qtbot.waitUntil(
        lambda: widget.tree.topLevelItemCount() == 2 and not widget.jobs.busy, timeout=TIMEOUT
    )
    dataset = widget.tree.topLevelItem(0)
    assert dataset.text(0) == "10000" and dataset.text(3) == "2 runs"
    _expand(widget, dataset, qtbot)
    run = dataset.child(0)
    assert run.text(0) == "TS_001"
    _expand(widget, run, qtbot)
    spacing = run.child(0)
    assert spacing.text(0) == "10.000 Å"
    _expand(widget, spacing, qtbot)
    assert [PortalTree.kind(spacing.child(i)) for i in range(2)] == ["alignment"] * 2
    tomograms = _descendants(spacing, "tomogram")
    assert len(tomograms) == 2 and len(_descendants(spacing, "annotation")) == 6
    widget.tree.setCurrentItem(tomograms[0])  # the key photo comes from the download
    qtbot.waitUntil(lambda: _photo_shown(widget), timeout=TIMEOUT)
    assert widget.metadata.photo.toolTip().startswith(str(tiny_portal.root))
    widget.tree.setCurrentItem(spacing)
    assert widget.open_panel.selected_tomogram().alignment_id is not None
    with qtbot.waitSignal(widget.layers_opened, timeout=TIMEOUT):
        widget.open_panel.open_button.click()
    _loaded(widget, qtbot)
    layers = widget.viewer.layers
    types = sorted(type(layer).__name__ for layer in layers)
    assert types == [
        "Image",
        "Labels",
        "Labels",
        "Points",
        "Points",
        "Points",
        "Surface",
        "Vectors",
    ]
    ribosomes = next(
        layer
        for layer in layers
        if layer.name.startswith("TS_001 ribosome ") and layer.name.endswith("(OrientedPoint)")
    )
    truth = np.array(
        tiny_portal.ground_truth["runs"]["10000/TS_001"]["objects"]["ribosome"][
            "centres_zyx_angstrom"
        ]
    )
    assert np.allclose(ribosomes.data * ribosomes.scale, truth)
