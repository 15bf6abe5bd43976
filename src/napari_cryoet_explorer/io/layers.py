"""The one place that knows napari's layer keyword arguments.

Every layer gets ``scale`` in Angstrom, so images, points, vectors and labels share one
world space whatever their voxel spacing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

LayerData = tuple[Any, dict[str, Any], str]

POINT_SIZE_VOXELS = 3.0  # points are drawn about as large as a small particle


def _scale(voxel_spacing: float) -> tuple[float, float, float]:
    return (voxel_spacing, voxel_spacing, voxel_spacing)


def image_layer(
    levels: Sequence[Any],
    *,
    scale: Sequence[float],
    translate: Sequence[float] | None,
    name: str,
    metadata: Mapping[str, Any],
    contrast_limits: tuple[float, float] | None = None,
) -> LayerData:
    """An image layer, multiscale when there is more than one level."""
    kwargs: dict[str, Any] = {
        "name": name,
        "scale": tuple(scale),
        "metadata": dict(metadata),
        "multiscale": len(levels) > 1,
        "colormap": "gray",
    }
    if translate is not None:
        kwargs["translate"] = tuple(translate)
    if contrast_limits is not None:
        kwargs["contrast_limits"] = contrast_limits
    data = list(levels) if len(levels) > 1 else levels[0]
    return (data, kwargs, "image")


def points_layer(
    zyx: np.ndarray,
    *,
    voxel_spacing: float,
    name: str,
    color: Sequence[float] | np.ndarray,
    features: Mapping[str, Any],
    metadata: Mapping[str, Any],
) -> LayerData:
    """Points in voxel units of ``voxel_spacing`` (the layer's scale makes them Angstrom)."""
    kwargs = {
        "name": name,
        "scale": _scale(voxel_spacing),
        "size": POINT_SIZE_VOXELS,
        "face_color": np.asarray(color, dtype=float),
        "border_color": "white",
        "border_width": 0.05,
        "features": dict(features),
        "metadata": dict(metadata),
        # Show points within the viewer's slice thickness, not only those cut exactly.
        "projection_mode": "all",
    }
    return (zyx, kwargs, "points")


def vectors_layer(
    vectors: np.ndarray,
    *,
    voxel_spacing: float,
    name: str,
    color: Sequence[float] | np.ndarray,
    features: Mapping[str, Any],
    metadata: Mapping[str, Any],
) -> LayerData:
    """Vectors ``(N, 2, 3)``: position and direction in voxel units, zyx."""
    kwargs = {
        "name": name,
        "scale": _scale(voxel_spacing),
        "edge_color": np.asarray(color, dtype=float),
        "edge_width": 0.6,
        "length": 1.0,
        "features": dict(features),
        "metadata": dict(metadata),
    }
    return (vectors, kwargs, "vectors")


def labels_layer(
    levels: Sequence[Any],
    *,
    scale: Sequence[float],
    name: str,
    color: Sequence[float] | None,
    metadata: Mapping[str, Any],
) -> LayerData:
    """A labels layer; a binary mask is drawn in its object's colour."""
    kwargs: dict[str, Any] = {
        "name": name,
        "scale": tuple(scale),
        "metadata": dict(metadata),
        "multiscale": len(levels) > 1,
        "opacity": 0.5,
    }
    if color is not None:
        kwargs["colormap"] = {0: "transparent", 1: tuple(color), None: "transparent"}
    data = list(levels) if len(levels) > 1 else levels[0]
    return (data, kwargs, "labels")
