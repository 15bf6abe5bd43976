"""The filter panel's side of the dock: typing and ticking settle for a moment, then the
matching datasets are listed and each facet counted in workers; answers to older requests
are dropped."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qtpy.QtCore import QTimer

from ..portal.facets import FacetValue
from ..portal.filters import FilterError, Filters
from . import portal_jobs
from .paging import PagedChildren, counted
from .tree_items import dataset_item

if TYPE_CHECKING:
    from .widget import ExplorerWidget

# How long typing and ticking in the filter panel settle before the server is asked.
FILTER_DELAY_MS = 350


class FilterFlow:
    """Lists and counts what the widget's filter panel and search text ask for."""

    def __init__(self, widget: ExplorerWidget) -> None:
        self.widget = widget
        self._facets_asked = 0  # answers to older facet requests are dropped
        self._facets_for: tuple[str, Filters] | None = None  # what the counts shown are of
        # Typing and ticking settle for a moment before the server is asked.
        self.timer = QTimer(widget)
        self.timer.setSingleShot(True)
        self.timer.setInterval(FILTER_DELAY_MS)
        self.timer.timeout.connect(self.apply_filters)

    def panel_filters(self) -> bool:
        """Whether the panel sets any filter (a value the portal refuses counts)."""
        try:
            return not self.widget.filter_panel.filters().is_empty()
        except FilterError:
            return True

    def apply_filters(self) -> None:
        """List the datasets matching the panel's filters and the search text, and
        refresh the facet counts; with no filter, the plain listing."""
        self.timer.stop()
        if portal_jobs.is_local(self.widget.url):
            return
        try:
            filters = self.widget.filter_panel.filters(self.widget.search_edit.text().strip())
        except FilterError as exc:
            self.widget.filter_panel.show_note(str(exc), error=True)
            return
        self.widget.filter_panel.show_note("")
        self.widget.filters = filters
        self.widget.filter_panel.show_chips(filters)
        if filters.is_empty() or self.widget.browse.currentText() == "depositions":
            self.widget.connect_to_portal(
                self.widget.url
            )  # depositions stay listed; their datasets filter
            self.refresh_facets()
            return
        self.list_filtered(filters)

    def list_filtered(self, filters: Filters) -> None:
        """List the datasets matching ``filters`` in place of the tree's, page by page."""
        self.widget.tree.clear()
        self.widget.set_status(f"Filtering {self.widget.url}…")
        self.refresh_facets()

        def done() -> None:
            self.widget.set_status(counted(listing, "matching datasets", self.widget.url))
            if listing.loaded == 0:
                chips = "; ".join(text for _, text in filters.chips())
                self.widget.filter_panel.show_note(f"nothing matches {chips}")

        listing = PagedChildren(
            self.widget.tree,
            None,
            portal_jobs.filtered_dataset_pages(self.widget.url, filters),
            dataset_item,
            self.widget.jobs,
            errored=lambda exc: self.widget.loader.failed(None, exc),
            finished=done,
        )
        listing.load_more()

    def refresh_facets(self) -> None:
        """Fetch each facet's counts under the current filters (one request), in a
        worker, while the panel is unfolded and the counts shown are of other filters
        (folding it defers the request to the next unfolding); an answer to an older
        request is dropped."""
        if not self.widget.url or portal_jobs.is_local(self.widget.url):
            return
        if not self.widget.filter_panel.collapsible.isExpanded():
            return
        if self._facets_for == (self.widget.url, self.widget.filters):
            return
        self._facets_for = (self.widget.url, self.widget.filters)
        self._facets_asked += 1
        asked, filters, url = self._facets_asked, self.widget.filters, self.widget.url

        def loaded(facets: dict[str, list[FacetValue]]) -> None:
            if asked == self._facets_asked and url == self.widget.url:
                self.widget.filter_panel.set_facets(facets, filters)

        def failed(exc: BaseException) -> None:
            if asked == self._facets_asked:
                self._facets_for = None  # asked again at the next change or unfolding
                self.widget.filter_panel.show_note(f"facet counts unavailable: {exc}", error=True)

        self.widget.jobs.start(portal_jobs.facets, url, filters, returned=loaded, errored=failed)
