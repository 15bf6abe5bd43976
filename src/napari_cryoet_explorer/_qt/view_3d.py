"""What napari's 3D view needs to read: an oblique camera and volumes fine enough.

Switched to 3D, napari looks straight down z (a 2D picture with depth) and draws each
multiscale volume from its coarsest level: at the portal's 4x binning, masks become
cubes. Here the camera tilts when it still looks straight down, and each multiscale
image or labels layer is locked to the finest level within a voxel budget
(:func:`..io.layers.level_for_3d`); a grey image's contrast is moved up for the
projection (:data:`MIP_CONTRAST`) and its outline drawn, since the projection leaves
the noise, and so the volume's extent, dark. Back in 2D, what was set here is undone
unless the user changed it meanwhile.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import numpy as np

from ..io.layers import level_for_3d

if TYPE_CHECKING:
    import napari

# Tilted down about 30 degrees and turned about 35, so z reads as depth and the
# slab's x and y both stay in view.
OBLIQUE_ANGLES = (-30.0, 35.0, 145.0)
# Within this many degrees of looking down z, the camera is taken as not yet rotated.
STRAIGHT_DOWN_DEGREES = 1.0
# A maximum intensity projection takes the brightest voxel of each ray: through a few
# hundred voxels of noise, that is about the top of the 2D contrast range (a plane's
# 99.5th percentile). In 3D the range starts a little below there and reaches half a
# range above, so the noise floor goes dark and what stands out of it stays bright.
MIP_CONTRAST = (0.8, 1.5)
# The volume's outline: grey, so it reads as a frame beside the red, green, blue triads.
OUTLINE_COLOR = (0.55, 0.55, 0.55, 1.0)


def looks_straight_down(angles: tuple[float, float, float]) -> bool:
    """Whether a 3D camera looks along z (napari's start, or after a reset view)."""
    rx, ry, _ = (float(a) for a in angles)
    return abs(rx) < STRAIGHT_DOWN_DEGREES and abs(ry) < STRAIGHT_DOWN_DEGREES


def camera_of(viewer: napari.Viewer) -> Any:
    """The viewer's camera (``viewer.scene.camera`` from napari 0.9, before it
    ``viewer.camera``)."""
    return getattr(viewer, "scene", viewer).camera


class View3D:
    """Keeps a viewer's 3D view readable as layers come and the display switches.

    Parameters
    ----------
    viewer : napari.Viewer
        The viewer to watch.
    """

    def __init__(self, viewer: napari.Viewer) -> None:
        self.viewer = viewer
        # Layers locked to a finer level here, and that level: released in 2D.
        self._locked: dict[int, tuple[Any, int]] = {}
        # Images given 3D contrast here: their 2D limits and the 3D ones.
        self._contrast: dict[int, tuple[Any, tuple[float, float], tuple[float, float]]] = {}
        viewer.dims.events.ndisplay.connect(self._ndisplay_changed)
        viewer.layers.events.inserted.connect(self._inserted)
        if viewer.dims.ndisplay == 3:
            self.enter()

    def enter(self) -> None:
        """Tilt a camera that looks straight down; refine every multiscale volume."""
        camera = camera_of(self.viewer)
        if looks_straight_down(camera.angles):
            camera.angles = OBLIQUE_ANGLES
        for layer in self.viewer.layers:
            self._prepare(layer, coarse_is_free=False)

    def leave(self) -> None:
        """Back in 2D: napari picks levels for the canvas again; contrast as it was."""
        for layer, level in self._locked.values():
            if layer.locked_data_level == level:  # unless the user locked another
                layer.locked_data_level = None
        for layer, flat, projected in self._contrast.values():
            if tuple(layer.contrast_limits) == projected:  # unless the user changed it
                layer.contrast_limits = flat
            layer.bounding_box.visible = False
        self._locked.clear()
        self._contrast.clear()

    def _ndisplay_changed(self, event: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the canvas may be closing
            if event.value == 3:
                self.enter()
            else:
                self.leave()

    def _inserted(self, event: Any) -> None:
        layer = event.value
        if self.viewer.dims.ndisplay == 3:
            self._prepare(layer, coarse_is_free=True)
        elif getattr(layer, "locked_data_level", None) is not None:
            self._refine_when_released(layer)

    def _refine_when_released(self, layer: Any) -> None:
        """A new layer is locked to its coarse first picture until that has loaded
        (:func:`.layer_queue.add_coarse_first`); if the view is 3D by then, refine it."""

        def changed(_event: Any = None) -> None:
            layer.events.locked_data_level.disconnect(changed)  # this first change only
            if self.viewer.dims.ndisplay == 3:
                self._refine(layer, coarse_is_free=True)

        layer.events.locked_data_level.connect(changed)

    def _prepare(self, layer: Any, coarse_is_free: bool) -> None:
        self._refine(layer, coarse_is_free)
        self._project(layer)

    def _project(self, layer: Any) -> None:
        """Contrast for a maximum intensity projection of a grey image."""
        if type(layer).__name__ != "Image" or getattr(layer, "rgb", False):
            return
        if getattr(layer, "rendering", "") != "mip" or id(layer) in self._contrast:
            return
        low, high = (float(v) for v in layer.contrast_limits)
        span = high - low
        if not span > 0:
            return
        projected = (low + MIP_CONTRAST[0] * span, low + MIP_CONTRAST[1] * span)
        # The range must reach the new limits, or napari clips them.
        r_low, r_high = (float(v) for v in layer.contrast_limits_range)
        layer.contrast_limits_range = (min(r_low, projected[0]), max(r_high, projected[1]))
        layer.contrast_limits = projected
        outline = layer.bounding_box
        outline.line_color = OUTLINE_COLOR
        outline.points = False
        outline.visible = True
        self._contrast[id(layer)] = (layer, (low, high), tuple(layer.contrast_limits))

    def _refine(self, layer: Any, coarse_is_free: bool) -> None:
        """Lock a multiscale volume to its finest level within the voxel budget, unless
        a level is locked already (by the user; a new layer's lock to its coarse first
        picture is free to replace when ``coarse_is_free``)."""
        if not getattr(layer, "multiscale", False) or not hasattr(layer, "locked_data_level"):
            return
        coarsest = len(layer.level_shapes) - 1
        free = (None, coarsest) if coarse_is_free else (None,)
        if layer.locked_data_level not in free:
            return
        level = level_for_3d([tuple(np.asarray(s)) for s in layer.level_shapes])
        if level != coarsest:
            layer.locked_data_level = level
            self._locked[id(layer)] = (layer, level)
