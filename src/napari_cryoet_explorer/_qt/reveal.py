"""Showing what was opened in the dock's tree: expand down to a run's voxel spacing (or one
of its tomograms) and select it, as each level arrives; a dataset beyond the listed pages
is found by filtering on its id."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from qtpy.QtCore import Qt, QTimer
from qtpy.QtWidgets import QTreeWidgetItem

from ..portal.models import Tomogram, VoxelSpacing
from .tree import PortalTree

if TYPE_CHECKING:
    from .widget import ExplorerWidget

# ``reveal`` looks for the next level this often, and gives up after this long.
REVEAL_POLL_MS = 100
REVEAL_TIMEOUT_S = 120.0


class Revealer:
    """Walks the widget's tree to a target as its levels load (a timer polls)."""

    def __init__(self, widget: ExplorerWidget) -> None:
        self.widget = widget
        self._reveal_target: tuple[int, str, float | None, int | None] | None = None
        self._reveal_filtered = False
        self._reveal_deadline = 0.0
        self._reveal_timer = QTimer(widget)
        self._reveal_timer.setInterval(REVEAL_POLL_MS)
        self._reveal_timer.timeout.connect(self._advance_reveal)

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
        items = [
            self.widget.tree.topLevelItem(i) for i in range(self.widget.tree.topLevelItemCount())
        ]
        dataset = next((i for i in items if i is not None and i.text(0) == str(dataset_id)), None)
        if dataset is None:
            if not self.widget.jobs.busy and not self._reveal_filtered:
                self._reveal_filtered = True
                self.widget.filter_panel.dataset_ids.setText(str(dataset_id))
                self.widget.apply_filters()
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
        self.widget.tree.setCurrentItem(chosen)
        self.widget.tree.scrollToItem(chosen)
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
