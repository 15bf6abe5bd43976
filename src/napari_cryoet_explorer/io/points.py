"""Point annotations as layers: Points, plus Vectors for oriented points.

An oriented point's orientation is drawn as the portal's viewer draws it: a triad of
the particle frame's x, y and z axes (red, green, blue) anchored at the particle, all
in one Vectors layer; or its z axis alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from .colors import instance_colors, object_color
from .layers import (
    AXIS_COLORS,
    POINT_DIAMETER_ANGSTROM,
    POINT_DIAMETER_VOXELS,
    VECTOR_LENGTH_ANGSTROM,
    VECTOR_LENGTH_BOUNDS_ANGSTROM,
    VECTOR_LENGTH_FRACTION,
    LayerData,
    points_layer,
    vectors_layer,
)
from .names import TRIAD, annotation_name, axis_name
from .ndjson import PointAnnotations
from .spacing import nearest_neighbour_distance

KIND_SHAPE = {
    "point": "Point",
    "orientedPoint": "OrientedPoint",
    "instancePoint": "InstanceSegmentation",
}
# The Points layer's features holding each particle's xyz rotation matrix, row by row.
ROTATION_FEATURES = [f"r{row}{col}" for row in "xyz" for col in "xyz"]
# Triads are drawn from float32 (what the GPU draws from): half the memory of float64,
# a few millionths of a voxel off at the portal's sizes. The points keep float64.
VECTOR_DTYPE = np.float32


def layer_name(
    run_name: str | None, object_name: str, shape_type: str, annotation_id: str | None = None
) -> str:
    """``TS_026 ribosome 103 (OrientedPoint)`` (the id when known): see :mod:`.names`."""
    return annotation_name(run_name, object_name, shape_type, annotation_id)


def auto_vector_length(positions_angstrom: np.ndarray) -> tuple[float, str]:
    """A vector length (Angstrom) that keeps neighbouring triads apart, and why.

    Each vector reaches :data:`~.layers.VECTOR_LENGTH_FRACTION` of the median
    nearest-neighbour distance, so two neighbours' triads do not meet; the length is
    kept within :data:`~.layers.VECTOR_LENGTH_BOUNDS_ANGSTROM`.

    Returns
    -------
    (float, str)
        The length and a sentence saying how it was chosen (kept in layer metadata).
    """
    return _length_for_spacing(nearest_neighbour_distance(positions_angstrom))


def _length_for_spacing(spacing: float | None) -> tuple[float, str]:
    """:func:`auto_vector_length` for a median nearest-neighbour distance in Angstrom."""
    if spacing is None:
        return VECTOR_LENGTH_ANGSTROM, "default: fewer than two distinct particles"
    low, high = VECTOR_LENGTH_BOUNDS_ANGSTROM
    length = float(np.clip(VECTOR_LENGTH_FRACTION * spacing, low, high))
    return length, (
        f"auto: {VECTOR_LENGTH_FRACTION:g} x median nearest-neighbour distance "
        f"({spacing:.1f} Å), kept within {low:g}-{high:g} Å"
    )


def point_layers(
    points: PointAnnotations,
    *,
    voxel_spacing: float | None,
    object_name: str,
    run_name: str | None,
    metadata: Mapping[str, Any],
    point_size: float | None = None,
    vector_length: float | None = None,
    all_axes: bool = True,
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
        Length of orientation vectors in Angstrom (in voxels when no spacing is known);
        by default from the particles' spacing (:func:`auto_vector_length`).
    all_axes : bool
        Draw each particle's x, y and z axes as a triad (one layer, three vectors a
        particle: x red, y green, z blue); False draws the z axis alone.

    Returns
    -------
    list of LayerData
        Points, then for oriented points one Vectors layer whose metadata say the
        ``axis`` drawn (``xyz`` for triads), ``vector_length_angstrom`` (None in voxel
        units) and ``vector_length_rule``.
    """
    spacing = voxel_spacing or 1.0
    known = voxel_spacing is not None
    size = (point_size or POINT_DIAMETER_ANGSTROM) / spacing if known else point_size
    size = size or POINT_DIAMETER_VOXELS

    shape = KIND_SHAPE[points.kind]
    name = layer_name(run_name, object_name, shape)
    color = object_color(object_name)
    zyx = points.zyx
    features: dict[str, Any] | pd.DataFrame = {}
    point_color: Any = color
    if points.rotations is not None:
        # One column per matrix element keeps the table flat (napari wants 1D), over
        # the matrices' own memory: napari keeps a table as given, where from a dict
        # pandas would copy the nine columns into one block.
        features = pd.DataFrame(
            points.rotations.reshape(-1, 9), columns=ROTATION_FEATURES, copy=False
        )
    if points.instance_ids is not None:
        features["instance_id"] = points.instance_ids
        if len(zyx):
            point_color = instance_colors(points.instance_ids)
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
    layers.append(_orientation_layer(points, voxel_spacing, vector_length, all_axes, name, meta))
    return layers


def _orientation_layer(
    points: PointAnnotations,
    voxel_spacing: float | None,
    asked_length: float | None,
    all_axes: bool,
    name: str,
    metadata: Mapping[str, Any],
) -> LayerData:
    """The Vectors layer of oriented points: triads, or z axes (see :func:`point_layers`)."""
    assert points.rotations is not None
    spacing = voxel_spacing or 1.0
    axes = "xyz" if all_axes else "z"
    n = len(points.xyz)
    # The particles' spacing (a k-d tree, built without the GIL) is measured while the
    # anchors, colours and features are written; the axes, which need the length, last.
    with ThreadPoolExecutor(max_workers=1) as pool:
        measured = pool.submit(_vector_length, points.xyz, voxel_spacing, asked_length)
        vectors = _anchors(points.zyx, len(axes))
        colors = np.empty((n, len(axes), 4), dtype=np.float32)
        colors[:] = [AXIS_COLORS[a] for a in axes]
        features = _vector_features(n, axes)
        length, rule = measured.result()
    _write_axes(vectors, points.rotations, length / spacing, axes)
    return vectors_layer(
        vectors.reshape(-1, 2, 3),
        voxel_spacing=spacing,
        name=axis_name(name, TRIAD if all_axes else "z"),
        color=colors.reshape(-1, 4),
        features=features,
        metadata={
            **metadata,
            "axis": TRIAD if all_axes else "z",
            "vector_length_angstrom": length if voxel_spacing is not None else None,
            "vector_length_rule": rule,
        },
    )


def _vector_features(n: int, axes: str) -> pd.DataFrame:
    """Which particle (row of the Points layer) and axis each vector draws.

    A table with a categorical axis: one byte a vector. napari keeps a table as given;
    from a dict it would turn the axis into a Python string per vector.
    """
    # No intermediate as long as the table: codes by broadcasting, particles repeated.
    codes = np.empty((n, len(axes)), dtype=np.int8)
    codes[:] = np.arange(len(axes), dtype=np.int8)
    particle = np.repeat(np.arange(n, dtype=np.int32 if n < 2**31 else np.int64), len(axes))
    return pd.DataFrame(
        {
            "particle": particle,
            "axis": pd.Categorical.from_codes(codes.reshape(-1), categories=list(axes)),
        },
        copy=False,
    )


def orientation_vectors(
    zyx: np.ndarray, rotations: np.ndarray, length: float, axes: str = "xyz"
) -> np.ndarray:
    """Vectors ``(N * len(axes), 2, 3)`` float32: each particle's axes in turn, zyx.

    Parameters
    ----------
    zyx : ndarray
        ``(N, 3)`` anchors.
    rotations : ndarray
        ``(N, 3, 3)`` xyz rotation matrices; the matrix maps the particle frame into
        the tomogram's, so the particle's x, y and z axes are its columns.
    length : float
        Vector length, in the unit of ``zyx``.
    axes : str
        Which axes, in order (``xyz`` or ``z``).
    """
    out = _anchors(zyx, len(axes))
    _write_axes(out, rotations, length, axes)
    return out.reshape(-1, 2, 3)


def _anchors(zyx: np.ndarray, n_axes: int) -> np.ndarray:
    """``(N, n_axes, 2, 3)`` vectors anchored at ``zyx``, their directions not yet written."""
    out = np.empty((len(zyx), n_axes, 2, 3), dtype=VECTOR_DTYPE)
    out[:, :, 0, :] = np.asarray(zyx)[:, None, :]
    return out


def _write_axes(out: np.ndarray, rotations: np.ndarray, length: float, axes: str) -> None:
    """Write the particles' ``axes`` of ``length`` as the directions of :func:`_anchors`."""
    for j, axis in enumerate(axes):
        # Column c of each matrix is an axis in xyz; rows reversed give it in zyx.
        # Written in place at their length: no temporary as large as the matrices,
        # no second pass to scale them.
        column = rotations[:, ::-1, "xyz".index(axis)]
        np.multiply(column, length, out=out[:, j, 1, :], casting="same_kind")


def _vector_length(
    xyz: np.ndarray, voxel_spacing: float | None, asked: float | None
) -> tuple[float, str]:
    """Vector length in Angstrom (voxels when no spacing is known), and its rule.

    Distances are measured in voxels, in the file's own (contiguous) xyz order, and
    scaled: the voxels are cubes, and no scaled copy of the points is made.
    """
    if asked:
        return float(asked), "given"
    spacing = nearest_neighbour_distance(xyz)
    if voxel_spacing is not None:
        return _length_for_spacing(None if spacing is None else spacing * voxel_spacing)
    # Voxel units: the Angstrom bounds do not apply.
    if spacing is None:
        return 2 * POINT_DIAMETER_VOXELS, "default: fewer than two distinct particles"
    return VECTOR_LENGTH_FRACTION * spacing, (
        f"auto: {VECTOR_LENGTH_FRACTION:g} x median nearest-neighbour distance "
        f"({spacing:.1f} voxels)"
    )
