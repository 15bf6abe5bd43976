"""Filling the dock's tree: the depositions, search results, and each node's children as
it is expanded (runs, voxel spacings, then a voxel spacing's tomograms and annotations),
fetched in workers; a failure shows on its row."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from napari.utils.notifications import show_error
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QTreeWidgetItem

from ..portal.errors import PortalCancelled
from ..portal.filters import Filters
from ..portal.models import Dataset, Run, SearchResult, VoxelSpacingContents
from . import portal_jobs
from .paging import PagedChildren, counted
from .tree import PortalTree
from .tree_items import (
    alignment_item,
    annotation_item,
    dataset_item,
    deposition_item,
    run_children,
    run_item,
    tomogram_item,
)

if TYPE_CHECKING:
    from .widget import ExplorerWidget

# The filters a dataset row's runs are listed with, when not the panel's (under a deposition).
SCOPE = Qt.ItemDataRole.UserRole + 6


class TreeLoader:
    """Lists what the widget's tree shows, level by level, as it is asked for."""

    def __init__(self, widget: ExplorerWidget) -> None:
        self.widget = widget

    def list_depositions(self) -> None:
        """The depositions, newest first; each lists its datasets (with the current
        filters) when expanded."""
        self.widget.tree.clear()
        self.widget.set_status(f"Listing the depositions of {self.widget.url}…")
        listing = PagedChildren(
            self.widget.tree,
            None,
            portal_jobs.deposition_pages(self.widget.url),
            deposition_item,
            self.widget.jobs,
            errored=lambda exc: self.failed(None, exc),
            finished=lambda: self.widget.set_status(
                counted(listing, "depositions", self.widget.url)
            ),
        )
        listing.load_more()

    def show_search_results(self, result: SearchResult) -> None:
        """Show the matching datasets; one found only by run names shows those runs."""
        self.widget.tree.clear()
        runs: dict[int, list[Run]] = {}
        for run in result.runs:
            runs.setdefault(run.dataset_id, []).append(run)
        items = [dataset_item(d) for d in result.datasets]
        self.widget.tree.addTopLevelItems(items)
        for dataset, item in zip(result.datasets, items, strict=True):
            if result.matched_by.get(dataset.id) == ("run",) and dataset.id in runs:
                PortalTree.mark_loading(item)
                PortalTree.add_children(
                    item, [run_item(r) for r in runs[dataset.id]], self.widget.tree
                )
                item.setExpanded(True)
        status = f"found {_n(len(result.datasets), 'dataset')}"
        if result.runs:
            status += f"; {_n(result.run_total, 'run')} by name"
            if result.run_total > len(result.runs):
                status += f" (the first {len(result.runs)} shown)"
        self.widget.set_status(status)

    def expand(self, item: QTreeWidgetItem) -> None:
        """Fetch an expanded row's children, unless it has them or they are coming."""
        if not PortalTree.needs_children(item):
            return
        kind, model = PortalTree.kind(item), PortalTree.node_model(item)
        if kind == "run":
            # The run's voxel spacings and tilt series came with the runs page.
            PortalTree.add_children(item, run_children(model), self.widget.tree)
            return
        PortalTree.mark_loading(item)
        if kind == "deposition":
            # Its datasets, and under each the runs that hold what it brought.
            within = replace(self.widget.filters, deposition_ids=(model.id,))

            def scoped(d: Dataset) -> QTreeWidgetItem:
                row = dataset_item(d)
                row.setData(0, SCOPE, within)
                return row

            PagedChildren(
                self.widget.tree,
                item,
                portal_jobs.filtered_dataset_pages(self.widget.url, within),
                scoped,
                self.widget.jobs,
                errored=lambda exc: self.failed(item, exc),
            ).load_more()
        elif kind == "dataset":
            scope = item.data(0, SCOPE)
            PagedChildren(
                self.widget.tree,
                item,
                portal_jobs.run_pages(
                    self.widget.url,
                    model,
                    scope if isinstance(scope, Filters) else self.widget.filters,
                ),
                run_item,
                self.widget.jobs,
                errored=lambda exc: self.failed(item, exc),
            ).load_more()
        elif kind == "spacing":
            self.widget.jobs.start(
                portal_jobs.contents,
                self.widget.url,
                model,
                returned=lambda contents: self.spacing_loaded(item, contents),
                errored=lambda exc: self.failed(item, exc),
            )

    def spacing_loaded(self, item: QTreeWidgetItem, contents: VoxelSpacingContents) -> None:
        """Show a voxel spacing's tomograms and annotations, and offer them if selected."""
        if not self.widget.tree.holds(item):
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
        PortalTree.add_children(item, children, self.widget.tree)
        if self.widget.tree.currentItem() is item or self.widget.tree.currentItem() in children:
            self.widget.offer(item)

    def failed(self, item: QTreeWidgetItem | None, exc: BaseException) -> None:
        """Show a failed listing on its row (``None``: the top level) and the status line."""
        if not self.widget.tree.holds(item):
            return
        message = str(exc) or type(exc).__name__
        PortalTree.show_error(item, message, self.widget.tree)
        self.widget.set_status(message)
        if not isinstance(exc, PortalCancelled):  # the user's own doing: no pop-up
            show_error(message)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
