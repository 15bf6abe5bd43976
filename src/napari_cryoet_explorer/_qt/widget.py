"""The dock widget: browse the portal (or the replica), see metadata, open what you pick."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, is_dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qtpy.QtCore import Qt, QTimer, Signal
from qtpy.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..io import LayerData
from ..local.details import local_details
from ..local.tree import LocalSource
from ..net.cache import counts as cache_counts
from ..net.sources import read_bytes
from ..opening import Step, openable_files, origin_note, plan
from ..portal.client import PortalClient
from ..portal.depositions import Deposition
from ..portal.details import fetch_details, has_details
from ..portal.errors import PortalCancelled
from ..portal.facets import FacetValue
from ..portal.filters import FilterError, Filters
from ..portal.models import (
    Annotation,
    Dataset,
    Run,
    SearchResult,
    Tomogram,
    VoxelSpacing,
    VoxelSpacingContents,
)
from ..portal.schema import default_url
from ..portal.sections import all_fields_section, initial_node, kind_of, sections_for
from . import warmup
from .filter_panel import FilterPanel
from .handoff_buttons import HandoffBar
from .layer_queue import LayerQueue
from .metadata_panel import MetadataPanel
from .open_panel import OpenPanel
from .paging import PagedChildren
from .stalled import StalledServer
from .tiltseries_open import TiltSeriesOpener
from .tree import PortalTree
from .tree_columns import MORE
from .tree_items import (
    alignment_item,
    annotation_item,
    dataset_item,
    deposition_item,
    run_children,
    run_item,
    tomogram_item,
)
from .view_3d import View3D
from .workers import Jobs

if TYPE_CHECKING:
    import napari


# How long typing and ticking in the filter panel settle before the server is asked.
FILTER_DELAY_MS = 350
# ``reveal`` looks for the next level this often, and gives up after this long.
REVEAL_POLL_MS = 100
BROWSE_MODES = ("datasets", "depositions")
# The filters a dataset row's runs are listed with, when not the panel's (under a deposition).
SCOPE = Qt.ItemDataRole.UserRole + 6
REVEAL_TIMEOUT_S = 120.0
BACKGROUND_ON = (
    "; background loading is now on (napari's asynchronous slicing, Preferences >"
    " Experimental); untick 'load in background' to turn it off"
)
BACKGROUND_HINT = "; tick 'load in background' to keep napari responsive while chunks download"


def _is_local(source: str) -> bool:
    return Path(source).expanduser().is_dir()


def _dataset_pages(source: str) -> Iterator[Sequence[Dataset]]:
    if _is_local(source):
        yield LocalSource(Path(source).expanduser()).datasets()
        return
    with PortalClient(source) as client:
        yield from client.iter_dataset_pages()


def _search(source: str, text: str) -> SearchResult:
    if _is_local(source):
        datasets = LocalSource(Path(source).expanduser()).search(text)
        return SearchResult(tuple(datasets), (), 0)
    with PortalClient(source) as client:
        return client.search(text)


def _run_pages(
    source: str, dataset: Dataset, filters: Filters | None = None
) -> Iterator[Sequence[Run]]:
    if _is_local(source):
        yield LocalSource(Path(source).expanduser()).runs(dataset)
        return
    with PortalClient(source) as client:
        if filters is None or filters.is_empty():
            yield from client.iter_run_pages(dataset.id)
        else:
            yield from client.iter_filtered_run_pages(dataset.id, filters)


def _filtered_dataset_pages(source: str, filters: Filters) -> Iterator[Sequence[Dataset]]:
    """Datasets matching ``filters``, a page at a time (the server filters)."""
    with PortalClient(source) as client:
        yield from client.iter_filtered_dataset_pages(filters)


def _deposition_pages(source: str) -> Iterator[Sequence[Deposition]]:
    with PortalClient(source) as client:
        yield from client.iter_deposition_pages()


def _facets(source: str, filters: Filters) -> dict[str, list[FacetValue]]:
    with PortalClient(source) as client:
        return client.facets(filters)


def _contents(source: str, spacing: VoxelSpacing) -> VoxelSpacingContents:
    if _is_local(source):
        return LocalSource(Path(source).expanduser()).contents(spacing)
    with PortalClient(source) as client:
        return client.voxel_spacing_contents(spacing.id)


def _details(source: str, model: Any) -> Mapping[str, Any]:
    """A node's details: from the download's JSON files, or one request to the portal."""
    if _is_local(source):
        return local_details(model)
    with PortalClient(source) as client:
        return fetch_details(client, model)


StepResult = tuple[str, list[LayerData] | None, str | None, str]


def _run_steps(steps: list[Step]) -> Iterator[StepResult]:
    """Run reader steps in a worker, yielding each step's layers (or its error) and
    where its data came from (a download, the on-disk cache, or the network: empty)."""
    for step in steps:
        before = cache_counts(step.url) if step.url else None
        try:
            layers = step.run()
        except Exception as exc:  # one bad file must not stop the others
            yield step.label, None, f"{step.label}: {exc}", ""
            continue
        read = cache_counts(step.url) - before if step.url and before is not None else None
        yield step.label, layers, None, origin_note(step, read)


class ExplorerWidget(QWidget):
    """Browse Dataset -> Run -> Voxel spacing -> tomograms and annotations, and open them."""

    layers_opened = Signal(int)

    def __init__(self, napari_viewer: napari.Viewer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.viewer = napari_viewer
        self.jobs = Jobs()
        self.url = ""
        self._open_worker: Any = None
        self._open_queue: LayerQueue | None = None
        self._photos: dict[str, bytes] = {}
        self._photo_wanted: str | None = None
        self._details: dict[tuple[str, Any], Mapping[str, Any]] = {}
        self._details_wanted: tuple[str, Any] | None = None
        self.url_edit = QLineEdit(default_url())
        self.url_edit.setToolTip("A portal GraphQL URL, or a folder of downloaded data")
        self.connect_button = QPushButton("Connect")
        self.browse = QComboBox()
        self.browse.addItems(BROWSE_MODES)
        self.browse.setToolTip(
            "datasets: the portal's datasets; depositions: what each submission brought, "
            "its datasets under it"
        )
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("search: text, dataset id, run, object (Enter)")
        self.search_edit.setClearButtonEnabled(True)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        # "waiting for <server> … Cancel" while a portal call goes unanswered.
        self.stalled = StalledServer(lambda: self.url)
        self.filter_panel = FilterPanel()
        self.filters = Filters()
        self._facets_asked = 0  # answers to older facet requests are dropped
        self._facets_for: tuple[str, Filters] | None = None  # what the counts shown are of
        # Typing and ticking settle for a moment before the server is asked.
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._reveal_target: tuple[int, str, float | None, int | None] | None = None
        self._reveal_filtered = False
        self._reveal_deadline = 0.0
        self._reveal_timer = QTimer(self)
        self._reveal_timer.setInterval(REVEAL_POLL_MS)
        self._reveal_timer.timeout.connect(self._advance_reveal)
        self.tree = PortalTree()
        self.metadata = MetadataPanel()
        self.open_panel = OpenPanel()
        self.handoffs = HandoffBar(napari_viewer, self.jobs)

        source = QHBoxLayout()
        source.addWidget(self.url_edit)
        source.addWidget(self.connect_button)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.tree)
        splitter.addWidget(self.metadata)
        splitter.addWidget(self.open_panel)
        # The tree and the fields share the room; the open panel keeps what it needs.
        for index, stretch in enumerate((3, 3, 0)):
            splitter.setStretchFactor(index, stretch)
        splitter.setSizes([380, 380, 240])
        layout = QVBoxLayout(self)
        layout.addLayout(source)
        find = QHBoxLayout()
        find.addWidget(self.browse)
        find.addWidget(self.search_edit, 1)
        layout.addLayout(find)
        layout.addWidget(self.filter_panel)
        layout.addWidget(splitter)
        layout.addWidget(self.handoffs)
        layout.addWidget(self.status)
        layout.addWidget(self.stalled)

        self.connect_button.clicked.connect(self.connect_to_portal)
        self.url_edit.returnPressed.connect(self.connect_to_portal)
        self.search_edit.textChanged.connect(self.tree.filter_loaded)
        self.search_edit.returnPressed.connect(self.search)
        self.browse.currentTextChanged.connect(lambda _mode: self.connect_to_portal(self.url))
        self.filter_panel.changed.connect(self._filter_timer.start)
        self.filter_panel.opened.connect(self.refresh_facets)
        self._filter_timer.timeout.connect(self.apply_filters)
        self.tree.itemExpanded.connect(self._expand)
        self.tree.currentItemChanged.connect(self._selected)
        self.tree.itemDoubleClicked.connect(self._double_clicked)
        # A tilt series row offers its stack to the open panel; shows the tilt angle.
        self.tiltseries = TiltSeriesOpener(napari_viewer, self.jobs, self.open_panel, self)
        self.tiltseries.status.connect(self.set_status)
        self.tiltseries.opened.connect(self.layers_opened)
        self.tree.itemClicked.connect(self._clicked)
        scroll = self.tree.verticalScrollBar()
        if scroll is not None:
            scroll.valueChanged.connect(self._scrolled)
        self.open_panel.open_requested.connect(self.open_selected)
        self.open_panel.cancel_requested.connect(self.cancel_open)
        self.handoffs.status.connect(self.set_status)
        # "3D" shows the viewer's mode, so Open never flips a 3D view back to 2D.
        self.open_panel.three_d.setChecked(napari_viewer.dims.ndisplay == 3)
        napari_viewer.dims.events.ndisplay.connect(self._ndisplay_changed)
        # In 3D: an oblique camera, and volumes from a level fine enough to read.
        self.view_3d = View3D(napari_viewer)
        warmup.warm_up()

    # -- browsing ----------------------------------------------------------------

    def connect_to_portal(self, url: str | None = None) -> None:
        """List the datasets of a GraphQL endpoint (page by page) or of a download folder."""
        self.url = (url or self.url_edit.text()).strip()
        self.url_edit.setText(self.url)
        local = _is_local(self.url)
        self.filter_panel.setEnabled(not local)
        self.filter_panel.setToolTip(
            "filters ask the portal; a folder is searched by text" if local else ""
        )
        self.browse.setEnabled(not local)
        if not local and self.browse.currentText() == "depositions":
            self._list_depositions()
            return
        if not local and not self.filters.is_empty():
            self._list_filtered(self.filters)
            return
        self.tree.clear()
        self.set_status(f"Connecting to {self.url}…")
        self.refresh_facets()
        listing = PagedChildren(
            self.tree,
            None,
            _dataset_pages(self.url),
            dataset_item,
            self.jobs,
            errored=lambda exc: self._failed(None, exc),
            finished=lambda: self.set_status(_counted(listing, "datasets", self.url)),
        )
        listing.load_more()

    def _list_depositions(self) -> None:
        """The depositions, newest first; each lists its datasets (with the current
        filters) when expanded."""
        self.tree.clear()
        self.set_status(f"Listing the depositions of {self.url}…")
        listing = PagedChildren(
            self.tree,
            None,
            _deposition_pages(self.url),
            deposition_item,
            self.jobs,
            errored=lambda exc: self._failed(None, exc),
            finished=lambda: self.set_status(_counted(listing, "depositions", self.url)),
        )
        listing.load_more()

    def search(self) -> None:
        """Server-side search; the results replace the dataset list.

        With other filters set, the text is one more filter of the filtered listing.
        """
        text = self.search_edit.text().strip()
        if not _is_local(self.url) and (not self.filters.is_empty() or self._panel_filters()):
            self.apply_filters()
            return
        if not text:
            self.connect_to_portal(self.url)
            return
        self.set_status(f"Searching {self.url} for {text!r}…")
        self.jobs.start(
            _search,
            self.url,
            text,
            returned=self._search_results,
            errored=lambda exc: self._failed(None, exc),
        )

    def _search_results(self, result: SearchResult) -> None:
        """Show the matching datasets; one found only by run names shows those runs."""
        self.tree.clear()
        runs: dict[int, list[Run]] = {}
        for run in result.runs:
            runs.setdefault(run.dataset_id, []).append(run)
        items = [dataset_item(d) for d in result.datasets]
        self.tree.addTopLevelItems(items)
        for dataset, item in zip(result.datasets, items, strict=True):
            if result.matched_by.get(dataset.id) == ("run",) and dataset.id in runs:
                PortalTree.mark_loading(item)
                PortalTree.add_children(item, [run_item(r) for r in runs[dataset.id]], self.tree)
                item.setExpanded(True)
        status = f"found {_n(len(result.datasets), 'dataset')}"
        if result.runs:
            status += f"; {_n(result.run_total, 'run')} by name"
            if result.run_total > len(result.runs):
                status += f" (the first {len(result.runs)} shown)"
        self.set_status(status)

    # -- filters ------------------------------------------------------------------

    def _panel_filters(self) -> bool:
        """Whether the panel sets any filter (a value the portal refuses counts)."""
        try:
            return not self.filter_panel.filters().is_empty()
        except FilterError:
            return True

    def apply_filters(self) -> None:
        """List the datasets matching the panel's filters and the search text, and
        refresh the facet counts; with no filter, the plain listing."""
        self._filter_timer.stop()
        if _is_local(self.url):
            return
        try:
            filters = self.filter_panel.filters(self.search_edit.text().strip())
        except FilterError as exc:
            self.filter_panel.show_note(str(exc), error=True)
            return
        self.filter_panel.show_note("")
        self.filters = filters
        self.filter_panel.show_chips(filters)
        if filters.is_empty() or self.browse.currentText() == "depositions":
            self.connect_to_portal(self.url)  # depositions stay listed; their datasets filter
            self.refresh_facets()
            return
        self._list_filtered(filters)

    def _list_filtered(self, filters: Filters) -> None:
        self.tree.clear()
        self.set_status(f"Filtering {self.url}…")
        self.refresh_facets()

        def done() -> None:
            self.set_status(_counted(listing, "matching datasets", self.url))
            if listing.loaded == 0:
                chips = "; ".join(text for _, text in filters.chips())
                self.filter_panel.show_note(f"nothing matches {chips}")

        listing = PagedChildren(
            self.tree,
            None,
            _filtered_dataset_pages(self.url, filters),
            dataset_item,
            self.jobs,
            errored=lambda exc: self._failed(None, exc),
            finished=done,
        )
        listing.load_more()

    def refresh_facets(self) -> None:
        """Fetch each facet's counts under the current filters (one request), in a
        worker, while the panel is unfolded and the counts shown are of other filters
        (folding it defers the request to the next unfolding); an answer to an older
        request is dropped."""
        if not self.url or _is_local(self.url):
            return
        if not self.filter_panel.collapsible.isExpanded():
            return
        if self._facets_for == (self.url, self.filters):
            return
        self._facets_for = (self.url, self.filters)
        self._facets_asked += 1
        asked, filters, url = self._facets_asked, self.filters, self.url

        def loaded(facets: dict[str, list[FacetValue]]) -> None:
            if asked == self._facets_asked and url == self.url:
                self.filter_panel.set_facets(facets, filters)

        def failed(exc: BaseException) -> None:
            if asked == self._facets_asked:
                self._facets_for = None  # asked again at the next change or unfolding
                self.filter_panel.show_note(f"facet counts unavailable: {exc}", error=True)

        self.jobs.start(_facets, url, filters, returned=loaded, errored=failed)

    def _expand(self, item: QTreeWidgetItem) -> None:
        if not PortalTree.needs_children(item):
            return
        kind, model = PortalTree.kind(item), PortalTree.node_model(item)
        if kind == "run":
            # The run's voxel spacings and tilt series came with the runs page.
            PortalTree.add_children(item, run_children(model), self.tree)
            return
        PortalTree.mark_loading(item)
        if kind == "deposition":
            # Its datasets, and under each the runs that hold what it brought.
            within = replace(self.filters, deposition_ids=(model.id,))

            def scoped(d: Dataset) -> QTreeWidgetItem:
                row = dataset_item(d)
                row.setData(0, SCOPE, within)
                return row

            PagedChildren(
                self.tree,
                item,
                _filtered_dataset_pages(self.url, within),
                scoped,
                self.jobs,
                errored=lambda exc: self._failed(item, exc),
            ).load_more()
        elif kind == "dataset":
            scope = item.data(0, SCOPE)
            PagedChildren(
                self.tree,
                item,
                _run_pages(self.url, model, scope if isinstance(scope, Filters) else self.filters),
                run_item,
                self.jobs,
                errored=lambda exc: self._failed(item, exc),
            ).load_more()
        elif kind == "spacing":
            self.jobs.start(
                _contents,
                self.url,
                model,
                returned=lambda contents: self._spacing_loaded(item, contents),
                errored=lambda exc: self._failed(item, exc),
            )

    def _spacing_loaded(self, item: QTreeWidgetItem, contents: VoxelSpacingContents) -> None:
        if not self.tree.holds(item):
            return
        groups = contents.by_alignment()
        if len(groups) > 1:  # one node per alignment, holding its tomograms and annotations
            children = [alignment_item(g, contents) for g in groups]
        else:
            children = [tomogram_item(t) for t in contents.tomograms]
            children += [annotation_item(a) for a in contents.annotations]
        for child in children:
            child.setData(0, Qt.ItemDataRole.UserRole + 3, contents)
        item.setData(0, Qt.ItemDataRole.UserRole + 3, contents)
        PortalTree.add_children(item, children, self.tree)
        if self.tree.currentItem() is item or self.tree.currentItem() in children:
            self._offer(item)

    def _failed(self, item: QTreeWidgetItem | None, exc: BaseException) -> None:
        if not self.tree.holds(item):
            return
        message = str(exc) or type(exc).__name__
        PortalTree.show_error(item, message, self.tree)
        self.set_status(message)
        if not isinstance(exc, PortalCancelled):  # the user's own doing: no pop-up
            _notify_error(message)

    # -- selection and metadata -----------------------------------------------------

    def _selected(
        self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None = None
    ) -> None:
        self.handoffs.show_item(item, self.url, local=_is_local(self.url))
        model = PortalTree.node_model(item)
        if item is None or model is None:
            return
        self._show_metadata(item.text(0), model)
        self._show_key_photo(_key_photo_url(model))
        self._offer(item)

    def _show_metadata(self, title: str, model: Any) -> None:
        """The node's sections from what its model holds, completed in a worker by one
        request for its details (kept, so reselecting costs nothing)."""
        kind = kind_of(model) or ""
        raw = all_fields_section(_fields_of(model))
        key = (self.url, model)
        cached = self._details.get(key)
        node = cached if cached is not None else initial_node(model)
        self.metadata.show_sections(title, [*sections_for(kind, node), raw])
        self.metadata.show_notice()
        self._details_wanted = key
        if cached is not None or not has_details(model):
            return
        url = self.url
        self.metadata.show_notice(f"loading details from {url}…")

        def loaded(details: Mapping[str, Any]) -> None:
            self._details[key] = details
            if self._details_wanted == key:  # answers for another node are dropped
                self.metadata.show_sections(
                    title, [*sections_for(kind, details), raw], keep_state=True
                )
                self.metadata.show_notice()

        def failed(exc: BaseException) -> None:
            if self._details_wanted == key:
                message = str(exc) or type(exc).__name__
                where = "" if url in message else f" from {url}"
                self.metadata.show_notice(f"details unavailable{where}: {message}", error=True)

        self.jobs.start(_details, url, model, returned=loaded, errored=failed)

    def _show_key_photo(self, url: str | None) -> None:
        """Show the selected node's key photo, fetched once in a worker and kept."""
        self.metadata.show_photo(None)
        self._photo_wanted = url
        if url is None:
            return
        if url in self._photos:
            self.metadata.show_photo(self._photos[url], url)
            return

        def loaded(image: bytes) -> None:
            self._photos[url] = image
            if self._photo_wanted == url:
                self.metadata.show_photo(image, url)

        def failed(exc: BaseException) -> None:
            if self._photo_wanted == url:
                self.metadata.show_photo_error(f"key photo unavailable: {url} ({exc})")

        self.jobs.start(read_bytes, url, returned=loaded, errored=failed)

    def _offer(self, item: QTreeWidgetItem) -> None:
        """Fill the open panel for a voxel spacing (or one of its alignments, tomograms or
        annotations): a tomogram offers itself, an alignment's rows its tomogram; a tilt
        series row offers its stack."""
        kind = PortalTree.kind(item)
        if kind == "tiltseries":
            self.open_panel.offer_tiltseries(PortalTree.node_model(item), _run_name(item.parent()))
            return
        if kind not in ("spacing", "alignment", "tomogram", "annotation"):
            return
        spacing_node = PortalTree.spacing_of(item)
        if spacing_node is None:
            return
        contents = spacing_node.data(0, Qt.ItemDataRole.UserRole + 3)
        if contents is None:
            if PortalTree.needs_children(spacing_node):
                spacing_node.setExpanded(True)
            return
        tomogram = PortalTree.offered_tomogram(item)
        self.open_panel.set_contents(contents, _run_name(spacing_node.parent()), tomogram)

    # -- opening ------------------------------------------------------------------------

    def open_selected(self) -> None:
        """Open the chosen tomogram with the ticked annotations, streaming layers in."""
        panel = self.open_panel
        tomogram = panel.selected_tomogram()
        if panel.contents is None or tomogram is None:
            return
        multiscale, level = panel.level()
        orientation, length = panel.orientation_choice()
        steps = plan(
            panel.contents,
            tomogram,
            panel.chosen_files(),
            run_name=panel.run_name,
            multiscale=multiscale,
            level=level,
            orientation=orientation,
            vector_length=length,
        )
        switched_on = panel.apply_background()
        if not panel.keep_layers.isChecked():
            self.viewer.layers.clear()
        self.viewer.dims.ndisplay = 3 if panel.three_d.isChecked() else 2
        self._start_open(steps, switched_on)

    def open_annotation(
        self, annotation: Annotation, contents: VoxelSpacingContents, run_name: str
    ) -> None:
        """Open one annotation's files, aligned with the tomogram chosen in the open panel."""
        tomogram = self.open_panel.selected_tomogram() or next(iter(contents.tomograms), None)
        if tomogram is None:
            return
        files = [(a, f) for a, f in openable_files(contents, tomogram) if a.id == annotation.id]
        if not files:
            # Another alignment's annotation would not line up with this tomogram.
            self.set_status(
                f"{annotation.object_name} (annotation {annotation.id}) has no file aligned"
                f" with tomogram {tomogram.id} (alignment {tomogram.alignment_id}); pick a"
                " tomogram of its alignment in the open panel"
            )
            return
        orientation, length = self.open_panel.orientation_choice()
        steps = plan(
            contents,
            tomogram,
            files,
            run_name=run_name,
            include_tomogram=False,
            orientation=orientation,
            vector_length=length,
        )
        self._start_open(steps)

    def _start_open(self, steps: list[Step], background_switched_on: bool = False) -> None:
        self.open_panel.set_busy(True, len(steps))
        added: list[Any] = []
        queue = LayerQueue(self.viewer, added.append)
        self._open_queue = queue

        origins: list[str] = []

        def read(result: StepResult) -> None:
            label, layers, error, origin = result
            if error:
                _notify_error(error)
            queue.put(layers or [])
            self.open_panel.progress.setValue(self.open_panel.progress.value() + 1)
            if origin:
                origins.append(f"{label} {origin}")
            self.set_status(f"read {label} {origin}".rstrip())

        def drained() -> None:
            self.open_panel.set_busy(False)
            self._open_worker = self._open_queue = None
            if self.status.text() != "cancelled":
                note = BACKGROUND_ON if background_switched_on else self._background_hint()
                where = f" ({'; '.join(origins)})" if origins else ""
                self.set_status(f"opened {len(added)} layers{where}{note}")
            self.layers_opened.emit(len(added))

        self._open_worker = self.jobs.start(
            _run_steps, steps, yielded=read, finished=lambda: queue.close(drained)
        )

    def _background_hint(self) -> str:
        if self.open_panel.background.isChecked() or _is_local(self.url):
            return ""
        return BACKGROUND_HINT

    def cancel_open(self) -> None:
        """Stop opening after the file being read; layers already added stay."""
        if self._open_worker is not None:
            self._open_worker.quit()
            if self._open_queue is not None:
                self._open_queue.discard()
            self.set_status("cancelled")

    def _clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        if PortalTree.kind(item) == MORE:
            PortalTree.node_model(item).load_more()

    def _scrolled(self, _value: int) -> None:
        row = self.tree.more_row_in_view()
        if row is not None:
            PortalTree.node_model(row).load_more()

    def _double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        if PortalTree.kind(item) == "tiltseries":  # as Open does
            self.tiltseries.open(PortalTree.node_model(item), _run_name(item.parent()))
            return
        if PortalTree.kind(item) != "annotation":
            return
        contents = item.data(0, Qt.ItemDataRole.UserRole + 3)
        spacing = PortalTree.spacing_of(item)  # under an alignment node, one level more
        if contents is not None:
            run_name = _run_name(spacing.parent()) if spacing is not None else ""
            self.open_annotation(PortalTree.node_model(item), contents, run_name)

    def _ndisplay_changed(self, event: Any) -> None:
        # The viewer can outlive this widget's Qt object.
        with contextlib.suppress(RuntimeError):
            self.open_panel.three_d.setChecked(event.value == 3)

    def set_status(self, text: str) -> None:
        """Show a one-line status under the tree."""
        self.status.setText(text)

    # -- showing what was opened ---------------------------------------------------

    def reveal(
        self,
        dataset_id: int,
        run_name: str,
        voxel_spacing: float | None = None,
        tomogram_id: int | None = None,
    ) -> None:
        """Expand the tree down to a run's voxel spacing and select it (or the tomogram
        ``tomogram_id`` under it), as each level arrives; used after ``open`` loads a run.

        A dataset beyond the listed pages is found by filtering on its id.
        """
        self._reveal_target = (int(dataset_id), run_name, voxel_spacing, tomogram_id)
        self._reveal_filtered = False
        self._reveal_deadline = time.monotonic() + REVEAL_TIMEOUT_S
        self._reveal_timer.start()

    @property
    def revealing(self) -> bool:
        """Whether :meth:`reveal` is still on its way to its target."""
        return self._reveal_target is not None and self._reveal_timer.isActive()

    def _advance_reveal(self) -> None:
        """One step towards the target of :meth:`reveal` (a timer calls it until done)."""
        target = self._reveal_target
        if target is None or time.monotonic() > self._reveal_deadline:
            self._reveal_timer.stop()
            return
        dataset_id, run_name, voxel_spacing, tomogram_id = target
        items = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        dataset = next((i for i in items if i is not None and i.text(0) == str(dataset_id)), None)
        if dataset is None:
            if not self.jobs.busy and not self._reveal_filtered:
                self._reveal_filtered = True
                self.filter_panel.dataset_ids.setText(str(dataset_id))
                self.apply_filters()
            return
        run = self._child(dataset, lambda c: c.text(0) == run_name)
        if run is None:
            dataset.setExpanded(True)
            return

        def spacing_matches(c: QTreeWidgetItem) -> bool:
            model = PortalTree.node_model(c)
            if not isinstance(model, VoxelSpacing):
                return False
            return voxel_spacing is None or abs(model.voxel_spacing - voxel_spacing) < 1e-3

        spacing = self._child(run, spacing_matches)
        if spacing is None:
            run.setExpanded(True)
            return
        if spacing.data(0, Qt.ItemDataRole.UserRole + 3) is None:
            spacing.setExpanded(True)  # its contents are on their way
            return
        spacing.setExpanded(True)
        chosen = spacing
        if tomogram_id is not None:
            chosen = (
                self._descendant(
                    spacing,
                    lambda c: (
                        isinstance(PortalTree.node_model(c), Tomogram)
                        and PortalTree.node_model(c).id == tomogram_id
                    ),
                )
                or spacing
            )
        parent = chosen.parent()
        while parent is not None:
            parent.setExpanded(True)
            parent = parent.parent()
        self.tree.setCurrentItem(chosen)
        self.tree.scrollToItem(chosen)
        self._reveal_target = None
        self._reveal_timer.stop()

    @staticmethod
    def _child(
        item: QTreeWidgetItem, test: Callable[[QTreeWidgetItem], bool]
    ) -> QTreeWidgetItem | None:
        children = (item.child(i) for i in range(item.childCount()))
        return next((c for c in children if c is not None and test(c)), None)

    @classmethod
    def _descendant(
        cls, item: QTreeWidgetItem, test: Callable[[QTreeWidgetItem], bool]
    ) -> QTreeWidgetItem | None:
        for i in range(item.childCount()):
            child = item.child(i)
            if child is None:
                continue
            if test(child):
                return child
            found = cls._descendant(child, test)
            if found is not None:
                return found
        return None

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        self.jobs.cancel_all()
        self.stalled.stop()
        self.handoffs.stop()  # downloads under way stop; complete files stay
        if self._open_queue is not None:  # layers read but not added stay out
            self._open_queue.discard()
        super().closeEvent(event)


def _fields_of(model: Any) -> dict[str, Any]:
    """Every field of a model for the metadata panel (nested models summarised)."""
    fields = dict(getattr(model, "fields", {}) or {})
    if isinstance(model, Run):
        fields["voxelSpacings"] = [v.voxel_spacing for v in model.voxel_spacings]
        fields["tiltSeriesQuality"] = model.tilt_series_quality
    if isinstance(model, Annotation):
        fields["shapes"] = {
            s.shape_type: {f"file {f.id}": dict(f.fields) for f in s.files} for s in model.shapes
        }
    if not fields and is_dataclass(model) and not isinstance(model, type):
        fields = asdict(model)
    if isinstance(model, Tomogram | VoxelSpacing | Dataset) and not fields:
        fields = asdict(model)
    return fields


def _run_name(item: QTreeWidgetItem | None) -> str:
    """The name of the run a tree row stands for ("" for any other row)."""
    run = PortalTree.node_model(item)
    return run.name if isinstance(run, Run) else ""


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _counted(listing: PagedChildren, what: str, source: str) -> str:
    if listing.remaining:
        return f"{listing.loaded} of {listing.loaded + listing.remaining} {what} from {source}"
    return f"{listing.loaded} {what} from {source}"


def _key_photo_url(model: Any) -> str | None:
    """The key-photo thumbnail of a dataset or tomogram, if it has one."""
    if isinstance(model, Dataset):
        return model.key_photo_thumbnail_url
    if isinstance(model, Tomogram):
        return model.thumbnail_url
    return None


def _notify_error(message: str) -> None:
    from napari.utils.notifications import show_error

    show_error(message)
