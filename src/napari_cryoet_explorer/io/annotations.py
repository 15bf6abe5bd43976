"""Annotation files (ndJSON points, Zarr/MRC masks) as napari layers in Angstrom."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .colors import instance_colors, object_color
from .errors import NotOurs, ReaderError
from .layers import LayerData, labels_layer, points_layer, vectors_layer
from .metadata import annotation_json, parse_annotation_name, run_name_from_path, spacing_from_path
from .mrc import read_mrc
from .ndjson import PointAnnotations, parse_ndjson
from .ome_zarr import read_multiscale
from .sources import name_of, read_bytes

DEFAULT_VECTOR_LENGTH_VOXELS = 6.0
_KIND_SHAPE = {
    "point": "Point",
    "orientedPoint": "OrientedPoint",
    "instancePoint": "InstanceSegmentation",
}


def _layer_name(run_name: str | None, object_name: str, shape: str) -> str:
    return f"{run_name + ' ' if run_name else ''}{object_name} ({shape})"


def _find_spacing(
    source: str, voxel_spacing: float | None, meta_doc: Mapping[str, Any] | None
) -> float:
    if voxel_spacing:
        return float(voxel_spacing)
    if meta_doc and isinstance(meta_doc.get("voxel_spacing"), int | float):
        return float(meta_doc["voxel_spacing"])
    from_path = spacing_from_path(source)
    if from_path:
        return from_path
    warnings.warn(
        f"{source}: no voxel spacing found (no annotation JSON, no VoxelSpacing folder); "
        "opening in voxel units",
        stacklevel=3,
    )
    return 1.0


def read_annotation_file(
    path_or_url: str | Path,
    *,
    voxel_spacing: float | None = None,
    shape_type: str | None = None,
    object_name: str | None = None,
    run_name: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    vector_length: float | None = None,
    all_axes: bool = False,
) -> list[LayerData]:
    """Layers for one annotation file.

    Parameters
    ----------
    path_or_url : str or Path
        ``.ndjson`` points, or a ``_segmentationmask`` / ``_instancesegmentationmask``
        ``.zarr`` or ``.mrc``; local or http(s)/s3.
    voxel_spacing : float, optional
        Angstrom per voxel of the file's locations; found from the download's metadata
        when not given.
    shape_type, object_name, run_name : str, optional
        Portal metadata; derived from the file name when not given.
    metadata : mapping, optional
        Portal metadata to keep on the layers.
    vector_length : float, optional
        Length of orientation vectors in Angstrom (default: 6 voxels).
    all_axes : bool
        Draw the particles' x, y and z axes, not only z.

    Raises
    ------
    NotOurs
        Not an annotation file this plugin reads.
    ReaderError
        A broken file; the message names it.
    """
    source = str(path_or_url).rstrip("/")
    parsed_name = parse_annotation_name(source)
    meta_doc = annotation_json(source) if (voxel_spacing is None or object_name is None) else None
    if object_name is None:
        obj = (meta_doc or {}).get("annotation_object", {}).get("name")
        object_name = obj or (parsed_name[0] if parsed_name else name_of(source).split(".")[0])
    shape = shape_type or (parsed_name[1] if parsed_name else None)
    run_name = run_name or run_name_from_path(source)
    meta = {"source": source, **(metadata or {})}
    if meta_doc:
        meta.setdefault("annotation_json", meta_doc)
    spacing = _find_spacing(source, voxel_spacing, meta_doc)
    lower = source.lower()
    if lower.endswith(".ndjson"):
        points = parse_ndjson(read_bytes(source), source)
        return _point_layers(points, spacing, object_name, run_name, meta, vector_length, all_axes)
    if lower.endswith((".zarr", ".mrc")) and shape in (
        "SegmentationMask",
        "InstanceSegmentationMask",
    ):
        return [_mask_layer(source, spacing, shape, object_name, run_name, meta)]
    raise NotOurs(f"{source} is not an annotation file this plugin reads")


def _point_layers(
    points: PointAnnotations,
    spacing: float,
    object_name: str,
    run_name: str | None,
    meta: dict[str, Any],
    vector_length: float | None,
    all_axes: bool,
) -> list[LayerData]:
    shape = _KIND_SHAPE[points.kind]
    name = _layer_name(run_name, object_name, shape)
    color = object_color(object_name)
    zyx = points.zyx
    features: dict[str, Any] = {}
    point_color: Any = color
    if points.rotations is not None:
        for i, row in enumerate("xyz"):
            for j, col in enumerate("xyz"):
                features[f"r{row}{col}"] = points.rotations[:, i, j]
    if points.instance_ids is not None:
        features["instance_id"] = points.instance_ids
        point_color = np.array(instance_colors(tuple(points.instance_ids.tolist())) or [color])
        if len(zyx) == 0:
            point_color = color
    layers = [
        points_layer(
            zyx,
            voxel_spacing=spacing,
            name=name,
            color=point_color,
            features=features,
            metadata=meta,
        )
    ]
    if points.rotations is not None:
        length_vox = (vector_length / spacing) if vector_length else DEFAULT_VECTOR_LENGTH_VOXELS
        axes = ("x", "y", "z") if all_axes else ("z",)
        for axis in axes:
            column = "xyz".index(axis)
            direction_xyz = points.rotations[:, :, column]  # R @ e_axis
            vectors = np.stack([zyx, direction_xyz[:, ::-1] * length_vox], axis=1)
            axis_color = (
                color
                if axis == "z"
                else {"x": (1.0, 0.3, 0.3, 1.0), "y": (0.3, 1.0, 0.3, 1.0)}[axis]
            )
            layers.append(
                vectors_layer(
                    vectors,
                    voxel_spacing=spacing,
                    name=f"{name} {axis} axis",
                    color=axis_color,
                    features=features,
                    metadata=meta,
                )
            )
    return layers


def _mask_layer(
    source: str,
    spacing: float,
    shape: str,
    object_name: str,
    run_name: str | None,
    meta: dict[str, Any],
) -> LayerData:
    name = _layer_name(run_name, object_name, shape)
    color = object_color(object_name) if shape == "SegmentationMask" else None
    if source.lower().endswith(".mrc"):
        volume, header = read_mrc(source)
        s = header or spacing
        return labels_layer([volume], scale=(s, s, s), name=name, color=color, metadata=meta)
    try:
        ms = read_multiscale(source)
    except NotOurs as exc:
        raise ReaderError(f"{source}: mask is not an OME-Zarr image") from exc
    scales = ms.scales
    if np.allclose(scales[0], 1.0):
        scales = [tuple(spacing * v for v in sc) for sc in scales]
    return labels_layer(ms.levels, scale=scales[0], name=name, color=color, metadata=meta)
