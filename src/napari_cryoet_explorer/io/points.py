"""Point annotations as layers: Points, plus Vectors for oriented points."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .colors import instance_colors, object_color
from .layers import (
    POINT_DIAMETER_ANGSTROM,
    POINT_DIAMETER_VOXELS,
    VECTOR_LENGTH_ANGSTROM,
    LayerData,
    points_layer,
    vectors_layer,
)
from .names import annotation_name
from .ndjson import PointAnnotations

KIND_SHAPE = {
    "point": "Point",
    "orientedPoint": "OrientedPoint",
    "instancePoint": "InstanceSegmentation",
}
# The particle's own x and y axes, when all three are drawn; z takes the object colour.
AXIS_COLORS = {"x": (1.0, 0.35, 0.35, 1.0), "y": (0.35, 1.0, 0.35, 1.0)}


def layer_name(
    run_name: str | None, object_name: str, shape_type: str, annotation_id: str | None = None
) -> str:
    """``TS_026 ribosome 103 (OrientedPoint)`` (the id when known): see :mod:`.names`."""
    return annotation_name(run_name, object_name, shape_type, annotation_id)


def point_layers(
    points: PointAnnotations,
    *,
    voxel_spacing: float | None,
    object_name: str,
    run_name: str | None,
    metadata: Mapping[str, Any],
    point_size: float | None = None,
    vector_length: float | None = None,
    all_axes: bool = False,
) -> list[LayerData]:
    """Layers for parsed points, in voxels of ``voxel_spacing`` scaled to Angstrom.

    Parameters
    ----------
    points : PointAnnotations
        Parsed ndJSON.
    voxel_spacing : float or None
        Angstrom per voxel of the locations; None opens them in voxel units.
    object_name, run_name : str
        For the layer name and colour.
    metadata : mapping
        Kept on every layer.
    point_size : float, optional
        Point diameter in Angstrom (in voxels when no spacing is known).
    vector_length : float, optional
        Length of orientation vectors in Angstrom (in voxels when no spacing is known).
    all_axes : bool
        Draw each particle's x, y and z axes (three layers), not only z.
    """
    spacing = voxel_spacing or 1.0
    known = voxel_spacing is not None
    size = (point_size or POINT_DIAMETER_ANGSTROM) / spacing if known else point_size
    length = (vector_length or VECTOR_LENGTH_ANGSTROM) / spacing if known else vector_length
    size = size or POINT_DIAMETER_VOXELS
    length = length or 2 * POINT_DIAMETER_VOXELS

    shape = KIND_SHAPE[points.kind]
    name = layer_name(run_name, object_name, shape)
    color = object_color(object_name)
    zyx = points.zyx
    features: dict[str, Any] = {}
    point_color: Any = color
    if points.rotations is not None:
        # One column per matrix element keeps the features table flat (napari wants 1D).
        for i, row in enumerate("xyz"):
            for j, col in enumerate("xyz"):
                features[f"r{row}{col}"] = points.rotations[:, i, j]
    if points.instance_ids is not None:
        features["instance_id"] = points.instance_ids
        if len(zyx):
            point_color = np.array(instance_colors(tuple(points.instance_ids.tolist())))
    meta = {**metadata, "object_name": object_name, "shape_type": shape}
    if points.skipped:
        meta["skipped_lines"] = [n for n, _ in points.skipped]
    layers = [
        points_layer(
            zyx,
            voxel_spacing=spacing,
            size=size,
            name=name,
            color=point_color,
            features=features,
            metadata=meta,
        )
    ]
    if points.rotations is None:
        return layers
    for axis in ("x", "y", "z") if all_axes else ("z",):
        # R maps the particle frame into the tomogram's xyz: its axis is R @ e_axis.
        direction_xyz = points.rotations[:, :, "xyz".index(axis)]
        vectors = np.stack([zyx, direction_xyz[:, ::-1] * length], axis=1)
        layers.append(
            vectors_layer(
                vectors,
                voxel_spacing=spacing,
                name=f"{name} {axis} axis",
                color=AXIS_COLORS.get(axis, color),
                features=features,
                metadata={**meta, "axis": axis},
            )
        )
    return layers
