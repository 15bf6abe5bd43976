"""Opening from the dock: the open panel's choice (or one annotation) becomes reader steps
that run in a worker, their layers added one per turn of the event loop, with progress,
Cancel and a status line saying where the data came from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from napari.utils.notifications import show_error

from ..opening import Step, openable_files, plan
from ..portal.models import Annotation, VoxelSpacingContents
from . import portal_jobs
from .layer_queue import LayerQueue
from .portal_jobs import StepResult

if TYPE_CHECKING:
    from .widget import ExplorerWidget

BACKGROUND_ON = (
    "; background loading is now on (napari's asynchronous slicing, Preferences >"
    " Experimental); untick 'load in background' to turn it off"
)
BACKGROUND_HINT = "; tick 'load in background' to keep napari responsive while chunks download"


class OpeningFlow:
    """Opens what the widget's open panel (or a double-clicked annotation) asks for."""

    def __init__(self, widget: ExplorerWidget) -> None:
        self.widget = widget
        self._open_worker: Any = None
        self._open_queue: LayerQueue | None = None

    def open_selected(self) -> None:
        """Open the chosen tomogram with the ticked annotations, streaming layers in."""
        panel = self.widget.open_panel
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
            self.widget.viewer.layers.clear()
        self.widget.viewer.dims.ndisplay = 3 if panel.three_d.isChecked() else 2
        self.start(steps, switched_on)

    def open_annotation(
        self, annotation: Annotation, contents: VoxelSpacingContents, run_name: str
    ) -> None:
        """Open one annotation's files, aligned with the tomogram chosen in the open panel."""
        tomogram = self.widget.open_panel.selected_tomogram() or next(
            iter(contents.tomograms), None
        )
        if tomogram is None:
            return
        files = [(a, f) for a, f in openable_files(contents, tomogram) if a.id == annotation.id]
        if not files:
            # Another alignment's annotation would not line up with this tomogram.
            self.widget.set_status(
                f"{annotation.object_name} (annotation {annotation.id}) has no file aligned"
                f" with tomogram {tomogram.id} (alignment {tomogram.alignment_id}); pick a"
                " tomogram of its alignment in the open panel"
            )
            return
        orientation, length = self.widget.open_panel.orientation_choice()
        steps = plan(
            contents,
            tomogram,
            files,
            run_name=run_name,
            include_tomogram=False,
            orientation=orientation,
            vector_length=length,
        )
        self.start(steps)

    def start(self, steps: list[Step], background_switched_on: bool = False) -> None:
        """Run ``steps`` in a worker and add their layers as they come."""
        self.widget.open_panel.set_busy(True, len(steps))
        added: list[Any] = []
        queue = LayerQueue(self.widget.viewer, added.append)
        self._open_queue = queue

        origins: list[str] = []

        def read(result: StepResult) -> None:
            label, layers, error, origin = result
            if error:
                show_error(error)
            queue.put(layers or [])
            self.widget.open_panel.progress.setValue(self.widget.open_panel.progress.value() + 1)
            if origin:
                origins.append(f"{label} {origin}")
            self.widget.set_status(f"read {label} {origin}".rstrip())

        def drained() -> None:
            self.widget.open_panel.set_busy(False)
            self._open_worker = self._open_queue = None
            if self.widget.status.text() != "cancelled":
                note = BACKGROUND_ON if background_switched_on else self._background_hint()
                where = f" ({'; '.join(origins)})" if origins else ""
                self.widget.set_status(f"opened {len(added)} layers{where}{note}")
            self.widget.layers_opened.emit(len(added))

        self._open_worker = self.widget.jobs.start(
            portal_jobs.run_steps, steps, yielded=read, finished=lambda: queue.close(drained)
        )

    def _background_hint(self) -> str:
        if self.widget.open_panel.background.isChecked() or portal_jobs.is_local(self.widget.url):
            return ""
        return BACKGROUND_HINT

    def cancel(self) -> None:
        """Stop opening after the file being read; layers already added stay."""
        if self._open_worker is not None:
            self._open_worker.quit()
            if self._open_queue is not None:
                self._open_queue.discard()
            self.widget.set_status("cancelled")

    def discard(self) -> None:
        """Keep out the layers read but not yet added (the widget is closing)."""
        if self._open_queue is not None:
            self._open_queue.discard()
