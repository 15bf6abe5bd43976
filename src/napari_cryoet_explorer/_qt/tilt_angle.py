"""Show the tilt angle of the image a tilt-series layer shows.

napari has no per-slice label, so the angle goes into the viewer's text overlay (and
the first axis is labelled ``tilt``) whenever the tilt slider moves or a tilt series is
added or removed. The angles come from the layer's ``metadata["tilt_angles"]``, which
:func:`napari_cryoet_explorer.io.tiltseries.read_tiltseries` fills.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from ..io.layers import LayerData
from ..io.tiltseries import ANGLES_KEY, AXIS_LABELS, read_tiltseries_model

if TYPE_CHECKING:
    import napari

    from ..portal.models import TiltSeries


def read_in_worker(tilt_series: TiltSeries, run_name: str) -> tuple[list[LayerData], list[str]]:
    """A tilt series' layer and the warnings reading it gave (for the widget to show:
    a worker thread's warnings would otherwise reach no one)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer = read_tiltseries_model(tilt_series, run_name)
    return [layer], [str(w.message) for w in caught]


def text_overlay(viewer: napari.Viewer) -> Any:
    """The viewer's text overlay (``canvas.overlays.text`` from napari 0.9 on)."""
    canvas = getattr(viewer, "canvas", None)
    overlays = getattr(canvas, "overlays", None)
    found = getattr(overlays, "text", None)
    return found if found is not None else viewer.text_overlay


def tilt_layers(viewer: napari.Viewer) -> list[Any]:
    """The viewer's tilt-series layers (those with a ``tilt_angles`` entry), top first."""
    return [layer for layer in reversed(viewer.layers) if ANGLES_KEY in layer.metadata]


def tilt_index(viewer: napari.Viewer, layer: Any) -> int:
    """The index of the image of ``layer`` the viewer shows (clipped to its stack)."""
    n_images = int(layer.data[0].shape[0] if layer.multiscale else layer.data.shape[0])
    step = float(layer.world_to_data(viewer.dims.point)[0])
    return min(max(round(step), 0), n_images - 1)


def angle_text(viewer: napari.Viewer) -> str:
    """``TS_001 tilt series 100: tilt -57.0° (image 2 of 41)`` for each visible tilt
    series; ``image 2 of 41, no tilt angles`` where the angles are not known."""
    lines = []
    for layer in tilt_layers(viewer):
        if not layer.visible:
            continue
        index = tilt_index(viewer, layer)
        angles = layer.metadata.get(ANGLES_KEY)
        n_images = len(angles) if angles else None
        if angles:
            lines.append(
                f"{layer.name}: tilt {float(angles[index]):+.1f}° (image {index + 1} of {n_images})"
            )
        else:
            lines.append(f"{layer.name}: image {index + 1}, no tilt angles")
    return "\n".join(lines)


class TiltAngleDisplay:
    """Keeps the viewer's text overlay on the current tilt angle.

    Parameters
    ----------
    viewer : napari.Viewer
        The viewer to watch.
    """

    def __init__(self, viewer: napari.Viewer) -> None:
        self.viewer = viewer
        self._shown = False
        viewer.dims.events.current_step.connect(self.update)
        viewer.layers.events.inserted.connect(self._layers_changed)
        viewer.layers.events.removed.connect(self._layers_changed)
        viewer.layers.events.moved.connect(self.update)

    def _layers_changed(self, event: Any = None) -> None:
        layer = getattr(event, "value", None)
        if layer is not None and ANGLES_KEY in getattr(layer, "metadata", {}):
            layer.events.visible.connect(self.update)
            self._label_axes()
        self.update()

    def _label_axes(self) -> None:
        labels = list(self.viewer.dims.axis_labels)
        if len(labels) >= len(AXIS_LABELS):
            labels[-len(AXIS_LABELS) :] = AXIS_LABELS
            self.viewer.dims.axis_labels = labels

    def update(self, _event: Any = None) -> None:
        """Show the angle text, or hide the overlay once no tilt series is shown."""
        text = angle_text(self.viewer)
        overlay = text_overlay(self.viewer)
        if text:
            overlay.text = text
            overlay.visible = True
            self._shown = True
        elif self._shown:  # leave an overlay someone else set alone
            overlay.text = ""
            overlay.visible = False
            self._shown = False
