"""Show the tilt angle of the image a tilt-series layer shows.

napari has no per-slice label, so the angle goes into the viewer's text overlay (and
the first axis is labelled ``tilt``) whenever the tilt slider moves or a tilt series is
added or removed. The angles come from the layer's ``metadata["tilt_angles"]``, which
:func:`napari_cryoet_explorer.io.tiltseries.read_tiltseries` fills.

Each viewer has one display (:func:`display_for`): the explorer widget makes it, and so
does the plugin's reader when a tilt series is dropped on napari without the widget
(:func:`show_on_current_viewer`). Nothing here imports Qt.
"""

from __future__ import annotations

import sys
import weakref
from typing import TYPE_CHECKING, Any

from ..io.tiltseries import ANGLES_KEY, AXIS_LABELS

if TYPE_CHECKING:
    import napari

# napari's main-window module: until it is imported, this process has no viewer window.
MAIN_WINDOW_MODULE = "napari._qt.qt_main_window"
# The display of each viewer; it holds its viewer weakly, so a closed viewer goes.
_DISPLAYS: weakref.WeakKeyDictionary[Any, TiltAngleDisplay] = weakref.WeakKeyDictionary()


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

    Use :func:`display_for`, which makes one per viewer.

    Parameters
    ----------
    viewer : napari.Viewer
        The viewer to watch (held weakly: the display does not keep it open).
    """

    def __init__(self, viewer: napari.Viewer) -> None:
        self._viewer = weakref.ref(viewer)
        self._shown = False
        viewer.dims.events.current_step.connect(self.update)
        viewer.layers.events.inserted.connect(self._inserted)
        viewer.layers.events.removed.connect(self.update)
        viewer.layers.events.moved.connect(self.update)
        for layer in tilt_layers(viewer):  # tilt series opened before the display
            layer.events.visible.connect(self.update)
        if tilt_layers(viewer):
            self._label_axes(viewer)
        self.update()

    @property
    def viewer(self) -> napari.Viewer | None:
        """The viewer shown on, or None once it is gone."""
        return self._viewer()

    def _inserted(self, event: Any) -> None:
        layer = event.value
        viewer = self.viewer
        if viewer is not None and ANGLES_KEY in layer.metadata:
            layer.events.visible.connect(self.update)
            self._label_axes(viewer)
        self.update()

    @staticmethod
    def _label_axes(viewer: napari.Viewer) -> None:
        labels = list(viewer.dims.axis_labels)
        if len(labels) >= len(AXIS_LABELS):
            labels[-len(AXIS_LABELS) :] = AXIS_LABELS
            viewer.dims.axis_labels = labels

    def update(self, _event: Any = None) -> None:
        """Show the angle text, or hide the overlay once no tilt series is shown."""
        viewer = self.viewer
        if viewer is None:
            return
        text = angle_text(viewer)
        overlay = text_overlay(viewer)
        if text:
            overlay.text = text
            overlay.visible = True
            self._shown = True
        elif self._shown:  # leave an overlay someone else set alone
            overlay.text = ""
            overlay.visible = False
            self._shown = False


def display_for(viewer: napari.Viewer) -> TiltAngleDisplay:
    """The viewer's tilt-angle display, made at the first call."""
    display = _DISPLAYS.get(viewer)
    if display is None:
        display = _DISPLAYS[viewer] = TiltAngleDisplay(viewer)
    return display


def current_viewer() -> napari.Viewer | None:
    """napari's current viewer, or None; imports nothing when no napari window was made
    in this process (a script or the command line reading files)."""
    if MAIN_WINDOW_MODULE not in sys.modules:
        return None
    import napari

    return napari.current_viewer()


def show_on_current_viewer() -> TiltAngleDisplay | None:
    """Show tilt angles on napari's current viewer (the plugin's reader calls this when
    it reads a tilt series); None when there is no viewer."""
    viewer = current_viewer()
    return display_for(viewer) if viewer is not None else None
