"""The one place that knows napari's layer keyword arguments.

Every layer gets ``scale`` in Angstrom, so images, points, vectors and labels share one
world space whatever their voxel spacing. Nothing here imports napari: a LayerData
tuple is plain data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .plane_chunks import is_plane_chunked

LayerData = tuple[Any, dict[str, Any], str]

# Points are drawn about as large as a small particle; napari keeps sizes in data units.
POINT_DIAMETER_ANGSTROM = 60.0
# When no voxel spacing is known (voxel units), points get a few voxels.
POINT_DIAMETER_VOXELS = 4.0
# Orientation vectors when the particles give no spacing to go by (fewer than two).
VECTOR_LENGTH_ANGSTROM = 120.0
# Automatic length: this fraction of the median nearest-neighbour distance keeps two
# neighbours' triads apart (each reaches less than half way), within these bounds.
VECTOR_LENGTH_FRACTION = 0.4
VECTOR_LENGTH_BOUNDS_ANGSTROM = (10.0, 250.0)
VECTOR_WIDTH_VOXELS = 2.0
# The particle frame's x, y and z axes, as the portal's viewer draws them; the blue is
# lightened so it still reads over a dark tomogram.
AXIS_COLORS = {
    "x": (1.0, 0.2, 0.2, 1.0),
    "y": (0.2, 1.0, 0.2, 1.0),
    "z": (0.3, 0.5, 1.0, 1.0),
}
MASK_OPACITY = 0.5
# Meshes drawn over a tomogram: the grey shows through, the shape still reads.
MESH_OPACITY = 0.7
# In 3D napari draws a multiscale volume from its coarsest level (blocky cubes at the
# portal's 4x binning). The finest level within this many voxels is drawn instead:
# 32 Mi voxels is 128 MB of float32, a portal tomogram's level 2 and a demo's level 0.
VOLUME_VOXEL_BUDGET = 1 << 25


def _scale(voxel_spacing: float) -> tuple[float, float, float]:
    return (voxel_spacing, voxel_spacing, voxel_spacing)


def _without_dask_cache(kwargs: dict[str, Any], levels: Sequence[Any]) -> None:
    """Turn napari's dask cache off for plane-chunk levels: it would keep every plane
    block computed (up to a quarter of the machine's memory), while the chunk cache of
    :mod:`.plane_chunks` already keeps, within its bound, what the next planes need."""
    if any(is_plane_chunked(level) for level in levels):
        kwargs["cache"] = False


def image_layer(
    levels: Sequence[Any],
    *,
    scale: Sequence[float],
    translate: Sequence[float] | None,
    name: str,
    metadata: Mapping[str, Any],
    contrast_limits: tuple[float, float] | None = None,
) -> LayerData:
    """A grey image layer, multiscale when there is more than one level.

    Without ``contrast_limits`` napari computes them from the first slice it shows, so
    adding the layer reads no data.
    """
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
    _without_dask_cache(kwargs, levels)
    data = list(levels) if len(levels) > 1 else levels[0]
    return (data, kwargs, "image")


def level_for_3d(level_shapes: Sequence[Sequence[int]], budget: int = VOLUME_VOXEL_BUDGET) -> int:
    """The finest pyramid level of at most ``budget`` voxels (else the coarsest).

    Parameters
    ----------
    level_shapes : sequence of shapes
        Finest first, as napari's ``layer.level_shapes``.
    budget : int
        Voxels a 3D view may hold for one layer.
    """
    for level, shape in enumerate(level_shapes):
        if int(np.prod([int(n) for n in shape], dtype=np.int64)) <= budget:
            return level
    return len(level_shapes) - 1


def hidden(layer: LayerData) -> LayerData:
    """The same layer, added hidden (a second choice the user can switch on)."""
    data, kwargs, kind = layer
    return (data, {**kwargs, "visible": False}, kind)


def points_layer(
    zyx: np.ndarray,
    *,
    voxel_spacing: float,
    size: float,
    name: str,
    color: Sequence[float] | np.ndarray,
    features: Mapping[str, Any] | pd.DataFrame,
    metadata: Mapping[str, Any],
) -> LayerData:
    """Points in voxels of ``voxel_spacing`` (the layer's scale makes them Angstrom).

    ``size`` is the diameter in the same voxels. Points within the viewer's slice
    thickness are shown, not only those cut exactly by the plane.
    """
    kwargs = {
        "name": name,
        "scale": _scale(voxel_spacing),
        "size": float(size),
        "face_color": np.asarray(color, dtype=np.float32),
        "border_color": "white",
        "border_width": 0.05,
        "features": features if isinstance(features, pd.DataFrame) else dict(features),
        "metadata": dict(metadata),
        "projection_mode": "all",
    }
    return (np.asarray(zyx, dtype=float).reshape(-1, 3), kwargs, "points")


def vectors_layer(
    vectors: np.ndarray,
    *,
    voxel_spacing: float,
    name: str,
    color: Sequence[float] | np.ndarray,
    features: Mapping[str, Any] | pd.DataFrame,
    metadata: Mapping[str, Any],
) -> LayerData:
    """Vectors ``(N, 2, 3)``: anchor and direction (with its length) in voxels, zyx.

    float32 and float64 data are kept as given (napari draws them as float32).
    ``color`` is one RGBA for all, or ``(N, 4)``: one per vector. Vectors anchored
    within the viewer's slice thickness are drawn, not only those cut by the plane.
    """
    kwargs = {
        "name": name,
        "scale": _scale(voxel_spacing),
        "edge_color": np.asarray(color, dtype=np.float32),
        "edge_width": VECTOR_WIDTH_VOXELS,
        "length": 1.0,
        "features": features if isinstance(features, pd.DataFrame) else dict(features),
        "metadata": dict(metadata),
        "projection_mode": "all",
    }
    data = np.asarray(vectors)
    if data.dtype not in (np.float32, np.float64):
        data = data.astype(np.float64)
    return (data.reshape(-1, 2, 3), kwargs, "vectors")


def labels_layer(
    levels: Sequence[Any],
    *,
    scale: Sequence[float],
    translate: Sequence[float] | None = None,
    name: str,
    color: Sequence[float] | None,
    metadata: Mapping[str, Any],
) -> LayerData:
    """A labels layer; a binary mask (label 1) is drawn in its object's colour."""
    kwargs: dict[str, Any] = {
        "name": name,
        "scale": tuple(scale),
        "metadata": dict(metadata),
        "multiscale": len(levels) > 1,
        "opacity": MASK_OPACITY,
    }
    if translate is not None:
        kwargs["translate"] = tuple(translate)
    if color is not None:
        kwargs["colormap"] = {0: "transparent", 1: tuple(color), None: "transparent"}
    _without_dask_cache(kwargs, levels)
    data = list(levels) if len(levels) > 1 else levels[0]
    return (data, kwargs, "labels")


def surface_layer(
    vertices: np.ndarray,
    faces: np.ndarray,
    *,
    voxel_spacing: float,
    name: str,
    color: Sequence[float],
    metadata: Mapping[str, Any],
) -> LayerData:
    """A triangle mesh: vertices ``(N, 3)`` in voxels of ``voxel_spacing``, zyx.

    Every vertex takes ``color`` (a one-colour colormap: no per-vertex array to hold).
    """
    rgba = tuple(float(c) for c in color)
    kwargs = {
        "name": name,
        "scale": _scale(voxel_spacing),
        "metadata": dict(metadata),
        "colormap": [rgba, rgba],
        "contrast_limits": (0.0, 1.0),
        "opacity": MESH_OPACITY,
        "shading": "smooth",
    }
    data = (np.asarray(vertices, dtype=np.float32), np.asarray(faces, dtype=np.int32))
    return (data, kwargs, "surface")
