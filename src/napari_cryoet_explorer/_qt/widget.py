"""The dock widget: browse the portal (or the replica), see metadata, open what you pick.

The widget lays out its parts and wires them; the flows live beside it: what workers run
(:mod:`.portal_jobs`), filling the tree (:mod:`.tree_loading`), filters and facets
(:mod:`.filter_flow`), the metadata panel (:mod:`.node_details`), opening
(:mod:`.opening_flow`) and showing what was opened (:mod:`.reveal`).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from qtpy.QtCore import Qt, Signal
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

from ..portal.filters import Filters
from ..portal.models import Annotation, Run, VoxelSpacingContents
from ..portal.schema import default_url
from . import portal_jobs, warmup
from .filter_flow import FilterFlow
from .filter_panel import FilterPanel
from .handoff_buttons import HandoffBar
from .metadata_panel import MetadataPanel
from .node_details import NodeDetails, key_photo_url
from .open_panel import OpenPanel
from .opening_flow import OpeningFlow
from .paging import PagedChildren, counted
from .reveal import Revealer
from .stalled import StalledServer
from .tiltseries_open import TiltSeriesOpener
from .tree import PortalTree
from .tree_columns import MORE
from .tree_items import dataset_item
from .tree_loading import TreeLoader
from .view_3d import View3D
from .workers import Jobs

if TYPE_CHECKING:
    import napari


BROWSE_MODES = ("datasets", "depositions")


class ExplorerWidget(QWidget):
    """Browse Dataset -> Run -> Voxel spacing -> tomograms and annotations, and open them."""

    layers_opened = Signal(int)

    def __init__(self, napari_viewer: napari.Viewer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.viewer = napari_viewer
        self.jobs = Jobs()
        self.url = ""
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
        self.filtering = FilterFlow(self)
        self.loader = TreeLoader(self)
        self.details = NodeDetails(self)
        self.opening = OpeningFlow(self)
        self.revealer = Revealer(self)
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
        self.filter_panel.changed.connect(self.filtering.timer.start)
        self.filter_panel.opened.connect(self.refresh_facets)
        self.tree.itemExpanded.connect(self.loader.expand)
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
        local = portal_jobs.is_local(self.url)
        self.filter_panel.setEnabled(not local)
        self.filter_panel.setToolTip(
            "filters ask the portal; a folder is searched by text" if local else ""
        )
        self.browse.setEnabled(not local)
        if not local and self.browse.currentText() == "depositions":
            self.loader.list_depositions()
            return
        if not local and not self.filters.is_empty():
            self.filtering.list_filtered(self.filters)
            return
        self.tree.clear()
        self.set_status(f"Connecting to {self.url}…")
        self.refresh_facets()
        listing = PagedChildren(
            self.tree,
            None,
            portal_jobs.dataset_pages(self.url),
            dataset_item,
            self.jobs,
            errored=lambda exc: self.loader.failed(None, exc),
            finished=lambda: self.set_status(counted(listing, "datasets", self.url)),
        )
        listing.load_more()

    def search(self) -> None:
        """Server-side search; the results replace the dataset list.

        With other filters set, the text is one more filter of the filtered listing.
        """
        text = self.search_edit.text().strip()
        if not portal_jobs.is_local(self.url) and (
            not self.filters.is_empty() or self.filtering.panel_filters()
        ):
            self.apply_filters()
            return
        if not text:
            self.connect_to_portal(self.url)
            return
        self.set_status(f"Searching {self.url} for {text!r}…")
        self.jobs.start(
            portal_jobs.search,
            self.url,
            text,
            returned=self.loader.show_search_results,
            errored=lambda exc: self.loader.failed(None, exc),
        )

    # -- selection ------------------------------------------------------------------

    def _selected(
        self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None = None
    ) -> None:
        self.handoffs.show_item(item, self.url, local=portal_jobs.is_local(self.url))
        model = PortalTree.node_model(item)
        if item is None or model is None:
            return
        self.details.show_metadata(item.text(0), model)
        self.details.show_key_photo(key_photo_url(model))
        self.offer(item)

    def offer(self, item: QTreeWidgetItem) -> None:
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

    # -- the flows beside the widget ----------------------------------------------------

    def apply_filters(self) -> None:
        """List the datasets matching the filter panel and the search text (see
        :meth:`.FilterFlow.apply_filters`)."""
        self.filtering.apply_filters()

    def refresh_facets(self) -> None:
        """Fetch the facet counts under the current filters (see
        :meth:`.FilterFlow.refresh_facets`)."""
        self.filtering.refresh_facets()

    def open_selected(self) -> None:
        """Open the chosen tomogram with the ticked annotations, streaming layers in."""
        self.opening.open_selected()

    def open_annotation(
        self, annotation: Annotation, contents: VoxelSpacingContents, run_name: str
    ) -> None:
        """Open one annotation's files, aligned with the tomogram chosen in the open panel."""
        self.opening.open_annotation(annotation, contents, run_name)

    def cancel_open(self) -> None:
        """Stop opening after the file being read; layers already added stay."""
        self.opening.cancel()

    def reveal(
        self,
        dataset_id: int,
        run_name: str,
        voxel_spacing: float | None = None,
        tomogram_id: int | None = None,
    ) -> None:
        """Expand the tree down to a run's voxel spacing and select it (or the tomogram
        ``tomogram_id`` under it), as each level arrives (see :class:`.Revealer`)."""
        self.revealer.reveal(dataset_id, run_name, voxel_spacing, tomogram_id)

    @property
    def revealing(self) -> bool:
        """Whether :meth:`reveal` is still on its way to its target."""
        return self.revealer.revealing

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        self.jobs.cancel_all()
        self.stalled.stop()
        self.handoffs.stop()  # downloads under way stop; complete files stay
        self.opening.discard()  # layers read but not added stay out
        super().closeEvent(event)


def _run_name(item: QTreeWidgetItem | None) -> str:
    """The name of the run a tree row stands for ("" for any other row)."""
    run = PortalTree.node_model(item)
    return run.name if isinstance(run, Run) else ""
