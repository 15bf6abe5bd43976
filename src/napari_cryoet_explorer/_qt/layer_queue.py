"""Adds layers to the viewer one per turn of the Qt event loop.

Adding a layer costs napari 50-150 ms on the GUI thread (layer controls, vispy visual,
first draw). Steps that finish together (the points files of a run are read in
milliseconds) would otherwise be added back to back, and the GUI would stall for the
sum. One layer per turn lets input, painting and timers run in between.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from qtpy.QtCore import QTimer

from ..io import LayerData

if TYPE_CHECKING:
    import napari


def create_layer(data: Any, kwargs: dict[str, Any], layer_type: str) -> Any:
    """A napari layer from LayerData."""
    from napari.layers import Layer

    return Layer.create(data, kwargs, layer_type)


def add_coarse_first(viewer: napari.Viewer, layer: Any) -> None:
    """Add a layer; a multiscale one shows its coarsest level first, then refines.

    napari slices at the level that fits the canvas, often the finest: with portal chunks
    of 256^3, one plane of it is about 1 GB of float32 to fetch before anything shows.
    Locked to the coarsest level until that slice is in, the layer shows a picture after
    a few megabytes; then napari picks its level as usual.
    """
    if not getattr(layer, "multiscale", False) or not hasattr(layer, "locked_data_level"):
        viewer.add_layer(layer)  # single scale, or napari < 0.7.1 (no level lock)
        return
    coarsest = len(layer.data) - 1
    layer.locked_data_level = coarsest

    def release() -> None:
        if layer.locked_data_level == coarsest:  # unless the user locked one meanwhile
            layer.locked_data_level = None

    waiting = [True]

    def when_loaded(_event: Any = None) -> None:
        if waiting[0] and layer.loaded:
            waiting[0] = False
            layer.events.set_data.disconnect(when_loaded)
            QTimer.singleShot(0, release)  # next turn: the coarse picture is painted

    # napari 0.9 emits set_data when a slice lands (its ``loaded`` event stays silent).
    layer.events.set_data.connect(when_loaded)
    viewer.add_layer(layer)
    when_loaded()  # sliced already when napari slices on the GUI thread


class LayerQueue:
    """LayerData waiting to be added; ``drained`` is called once all have been added.

    Parameters
    ----------
    viewer : napari.Viewer
        Where the layers go.
    added : callable
        Called after each layer is added.
    """

    def __init__(self, viewer: napari.Viewer, added: Callable[[Any], None]) -> None:
        self.viewer = viewer
        self._added = added
        self._pending: deque[LayerData] = deque()
        self._scheduled = False
        self._closing: Callable[[], None] | None = None

    def put(self, layers: list[LayerData]) -> None:
        """Queue layers; they are added on the next turns of the event loop."""
        self._pending.extend(layers)
        self._schedule()

    def close(self, drained: Callable[[], None]) -> None:
        """No more layers will come: call ``drained`` once the queue is empty."""
        self._closing = drained
        self._schedule()

    def discard(self) -> int:
        """Drop what is waiting (a cancel); returns how many layers were dropped."""
        dropped = len(self._pending)
        self._pending.clear()
        return dropped

    def _schedule(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            QTimer.singleShot(0, self._next)

    def _next(self) -> None:
        self._scheduled = False
        if self._pending:
            layer = create_layer(*self._pending.popleft())
            add_coarse_first(self.viewer, layer)
            self._added(layer)
        if self._pending:
            self._schedule()
        elif self._closing is not None:
            drained, self._closing = self._closing, None
            drained()
