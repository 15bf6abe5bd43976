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
            self.viewer.add_layer(layer)
            self._added(layer)
        if self._pending:
            self._schedule()
        elif self._closing is not None:
            drained, self._closing = self._closing, None
            drained()
