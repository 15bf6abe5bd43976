"""Annotation files (ndJSON points, Zarr/MRC masks, GLB meshes) as napari layers in Angstrom."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..net.sources import is_url, name_of
from .download_tree import (
    MASK_SHAPES,
    annotation_json,
    annotation_voxel_spacing,
    parse_annotation_name,
    run_name_from_path,
)
from .errors import NotOurs, ReaderError
from .layers import LayerData
from .masks import mask_layer
from .mesh import mesh_layer
from .ndjson import parse_ndjson, parse_ndjson_stream
from .points import layer_name, point_layers
from .regular_files import open_file, read_bytes

POINT_SHAPES = ("Point", "OrientedPoint", "InstanceSegmentation")


def read_annotation_file(
    path_or_url: str | Path,
    *,
    voxel_spacing: float | None = None,
    shape_type: str | None = None,
    object_name: str | None = None,
    run_name: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    point_size: float | None = None,
    vector_length: float | None = None,
    all_axes: bool = True,
) -> list[LayerData]:
    """Layers for one annotation file, aligned in Angstrom.

    Parameters
    ----------
    path_or_url : str or Path
        ``.ndjson`` points, a ``_segmentationmask`` / ``_instancesegmentationmask``
        ``.zarr`` or ``.mrc``, or a ``_triangularmesh.glb`` mesh; a local path or an
        http(s) / s3 URL.
    voxel_spacing : float, optional
        Angstrom per voxel of the file's locations. When not given it is found from the
        download (annotation JSON, ``tomogram_metadata.json``, ``VoxelSpacing`` folder);
        with none found the layers open in voxel units, with a warning.
    shape_type, object_name, run_name : str, optional
        Portal metadata; derived from the file name and path when not given.
    metadata : mapping, optional
        Portal metadata to keep on the layers (the annotation JSON is added when found).
    point_size : float, optional
        Point diameter in Angstrom (default 60).
    vector_length : float, optional
        Length of orientation vectors in Angstrom (default: from the particles'
        spacing, :func:`.points.auto_vector_length`).
    all_axes : bool
        For oriented points, draw each particle's x, y and z axes as a triad (one
        Vectors layer); False draws the z axis alone.

    Returns
    -------
    list of LayerData
        Points (plus Vectors for oriented points), one Labels layer for a mask, or one
        Surface layer for a mesh.

    Raises
    ------
    NotOurs
        Not an annotation file this plugin reads.
    ReaderError
        A broken file; the message names it.
    """
    source = str(path_or_url).rstrip("/")
    parsed = parse_annotation_name(source)
    lower = source.lower()
    shape = shape_type or (parsed.shape_type if parsed else None)
    is_points = lower.endswith(".ndjson")
    is_mesh = lower.endswith(".glb")
    if (
        not is_points
        and not is_mesh
        and not (lower.endswith((".zarr", ".mrc", ".rec")) and shape in MASK_SHAPES)
    ):
        raise NotOurs(f"{source} is not an annotation file this plugin reads")
    # Over the network, callers that pass the portal's metadata spare the extra request.
    needed = not is_url(source) or voxel_spacing is None or object_name is None
    doc = annotation_json(source) if needed else None
    if object_name is None:
        named = ((doc or {}).get("annotation_object") or {}).get("name")
        object_name = named or (parsed.object_name if parsed else name_of(source).split(".")[0])
    run_name = run_name or run_name_from_path(source)
    meta: dict[str, Any] = {"source": source, **(metadata or {})}
    if doc:
        meta.setdefault("annotation_json", doc)
    spacing = voxel_spacing or annotation_voxel_spacing(source, doc)
    meta["voxel_spacing"] = spacing
    if (is_points or is_mesh) and spacing is None:
        warnings.warn(
            f"{source}: no voxel spacing found (no metadata, no VoxelSpacing folder); "
            "opening in voxel units, not aligned with Angstrom layers",
            stacklevel=2,
        )
    if is_mesh:
        shape = shape or "Mesh"
        return [
            mesh_layer(
                source,
                voxel_spacing=spacing,
                name=layer_name(run_name, object_name, shape),
                object_name=object_name,
                metadata=meta,
            )
        ]
    if is_points:
        try:
            if is_url(source):
                points = parse_ndjson(read_bytes(source), source)
            else:  # a local file is parsed a block at a time: the text is never whole
                with open_file(source) as stream:
                    points = parse_ndjson_stream(stream, source)
        except OSError as exc:
            raise ReaderError(f"cannot read {source}: {exc}") from exc
        return point_layers(
            points,
            voxel_spacing=spacing,
            object_name=object_name,
            run_name=run_name,
            metadata=meta,
            point_size=point_size,
            vector_length=vector_length,
            all_axes=all_axes,
        )
    assert shape is not None
    return [
        mask_layer(
            source,
            voxel_spacing=spacing,
            shape_type=shape,
            name=layer_name(run_name, object_name, shape),
            object_name=object_name,
            metadata=meta,
        )
    ]
