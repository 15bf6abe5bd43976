"""Opening a run's tilt series from the explorer: the open panel's Open, or a double-click.

A tilt series is one stack, read lazily: the worker reads its metadata and angle list
only, and napari fetches each image as the tilt slider reaches it. It opens in 2D (one
projection image at a time, its tilt angle shown by :mod:`.tilt_angle`), with the open
panel's "keep existing layers" and "load in background" choices.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from napari.utils.notifications import show_error, show_warning
from qtpy.QtCore import QObject, Signal

from ..io.layers import LayerData
from ..io.tiltseries import ANGLES_KEY, read_tiltseries_model
from .layer_queue import create_layer
from .tilt_angle import display_for

if TYPE_CHECKING:
    import napari

    from ..portal.models import TiltSeries
    from .open_panel import OpenPanel
    from .workers import Jobs

Read = tuple[list[LayerData], list[str]]


def read_in_worker(tilt_series: TiltSeries, run_name: str) -> Read:
    """A tilt series' layer and the warnings reading it gave (for the widget to show:
    a worker thread's warnings would otherwise reach no one)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer = read_tiltseries_model(tilt_series, run_name)
    return [layer], [str(w.message) for w in caught]


def stack_of(tilt_series: TiltSeries) -> str:
    """The file a tilt series opens from (its OME-Zarr, else its MRC), for messages."""
    return tilt_series.https_omezarr_dir or tilt_series.https_mrc_file or "no stack file"


def layer_name(tilt_series: TiltSeries, run_name: str) -> str:
    """``TS_001 tilt series 100``, as :func:`read_tiltseries_model` names the layer."""
    return " ".join(w for w in (run_name, "tilt series", str(tilt_series.id)) if w)


def describe(layer: Any) -> str:
    """``41 images, tilt -60.0° to +60.0°`` (or ``no tilt angles``) for the status line."""
    angles = layer.metadata.get(ANGLES_KEY)
    n_images = int(layer.data[0].shape[0] if layer.multiscale else layer.data.shape[0])
    images = f"{n_images} image" if n_images == 1 else f"{n_images} images"
    if not angles:
        return f"{images}, no tilt angles"
    return f"{images}, tilt {min(angles):+.1f}° to {max(angles):+.1f}°"


class TiltSeriesOpener(QObject):
    """Opens the tilt series the open panel offers, and shows its tilt angle.

    Parameters
    ----------
    viewer : napari.Viewer
        Where the stack goes.
    jobs : Jobs
        The widget's workers (closing the widget cancels them).
    panel : OpenPanel
        Its Open and Cancel buttons, options and busy state.

    Signals
    -------
    status : str
        A one-line message for the widget's status label.
    opened : int
        The number of layers added.
    """

    status = Signal(str)
    opened = Signal(int)

    def __init__(
        self,
        viewer: napari.Viewer,
        jobs: Jobs,
        panel: OpenPanel,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.viewer = viewer
        self.jobs = jobs
        self.panel = panel
        self._worker: Any = None
        # One display per viewer, shared with the reader's (a dropped tilt series).
        self.angle_display = display_for(viewer)
        panel.tiltseries_requested.connect(self.open_offered)
        panel.cancel_requested.connect(self.cancel)

    @property
    def busy(self) -> bool:
        """Whether a tilt series is being read."""
        return self._worker is not None

    def open_offered(self) -> None:
        """Open the tilt series the panel offers (its Open button)."""
        offer = self.panel.offered_tiltseries()
        if offer is not None:
            self.open(*offer)

    def open(self, tilt_series: TiltSeries, run_name: str = "") -> None:
        """Read a tilt series in a worker and add its layer, in 2D.

        Honours the panel's "keep existing layers" and "load in background"; while the
        panel is opening something else, says so and does nothing.
        """
        name = layer_name(tilt_series, run_name)
        if self.panel.busy:
            self.status.emit(f"{name} not opened: another opening is under way (or Cancel it)")
            return
        switched_on = self.panel.apply_background()
        if not self.panel.keep_layers.isChecked():
            self.viewer.layers.clear()
        # A projection stack reads image by image; in 3D it would be a flat slab.
        self.viewer.dims.ndisplay = 2
        self.panel.set_busy(True, 1)
        self.status.emit(f"opening {name} from {stack_of(tilt_series)}…")

        def read(result: Read) -> None:
            layers, problems = result
            for message in problems:
                show_warning(message)
            added = [create_layer(*layer) for layer in layers]
            for layer in added:
                self.viewer.add_layer(layer)
            notes = [describe(layer) for layer in added] + problems
            note = f" ({'; '.join(notes)})" if notes else ""
            background = "; background loading is now on" if switched_on else ""
            self.status.emit(f"opened {name}{note}{background}")
            # Idle before telling anyone: a listener may open the next thing at once.
            finished()
            self.opened.emit(len(added))

        def failed(exc: BaseException) -> None:
            message = str(exc) or type(exc).__name__
            stack = stack_of(tilt_series)
            where = "" if stack in message else f" ({stack})"
            text = f"cannot open {name}{where}: {message}"
            self.status.emit(text)
            show_error(text)

        worker: Any = None

        def finished() -> None:
            # Called from ``read`` and again when the worker ends: only this job's
            # worker is released, never one a listener has started since.
            if self._worker is worker:
                self._worker = None
                self.panel.set_busy(False)

        worker = self._worker = self.jobs.start(
            read_in_worker,
            tilt_series,
            run_name,
            returned=read,
            errored=failed,
            finished=finished,
        )

    def cancel(self) -> None:
        """Drop the tilt series being read (its layer is not added)."""
        if self._worker is not None:
            self._worker.quit()  # a quit worker does not hand its result back
            self.status.emit("cancelled")
