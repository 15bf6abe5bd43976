"""The files of one synthetic annotation: its ndJSON points, and for objects with a mask
the mask (OME-Zarr, and MRC when the preset writes MRC) and, for segmentation masks, the
mask's isosurface as a GLB mesh, all in the voxels of the annotation's spacing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .files import point_record, write_ndjson
from .meshes import ball_isosurface, write_glb
from .omezarr import Shape3, VolumeKind, write_volume
from .presets import Preset
from .scene import SceneObject
from .volumes import render_balls

POINT_FILES = {
    # shape type -> (file suffix, ndJSON record type)
    "Point": ("point", "point"),
    "OrientedPoint": ("orientedpoint", "orientedPoint"),
    "InstanceSegmentation": ("instancesegmentation", "instancePoint"),
}
MASKS: dict[str, tuple[np.dtype[Any], VolumeKind]] = {
    "SegmentationMask": (np.dtype(np.int8), "mask"),
    "InstanceSegmentationMask": (np.dtype(np.uint16), "labels"),
}
# Masks that also get a ``_triangularmesh.glb`` of their surface (shape type Mesh).
MESHED_MASKS = ("SegmentationMask",)


def write_annotation_files(
    root: Path,
    spec: Preset,
    prefix: str,
    obj: SceneObject,
    spacing: float,
    shift: np.ndarray,
    shape: Shape3,
    add: Callable[[str, str, str, bool], None],
) -> None:
    """Write ``obj``'s files under ``root`` as ``<prefix>_<shape>.<ext>``, calling
    ``add(shape_type, path, format, is_visualization_default)`` for each.

    ``shift`` (zyx Angstrom) moves the content as the annotation's alignment does;
    ``shape`` is the tomogram's in voxels of ``spacing``.
    """
    suffix, record_type = POINT_FILES[obj.shape_type]
    records = []
    for i, zyx in enumerate((obj.centres + shift) / spacing):
        extra: dict[str, Any] = {}
        if obj.rotations is not None:
            extra["xyz_rotation_matrix"] = obj.rotations[i].tolist()
        if obj.instance_ids is not None:
            extra["instance_id"] = int(obj.instance_ids[i])
        records.append(point_record(record_type, zyx[::-1], **extra))
    write_ndjson(root / f"{prefix}_{suffix}.ndjson", records)
    add(obj.shape_type, f"{prefix}_{suffix}.ndjson", "ndjson", True)

    if obj.mask_type is not None:
        mask_rel = f"{prefix}_{obj.mask_type.lower()}"
        dtype, kind = MASKS[obj.mask_type]
        labels = obj.mask_labels()
        write_volume(
            root / f"{mask_rel}.zarr",
            root / f"{mask_rel}.mrc" if spec.write_mrc else None,
            shape,
            dtype,
            spacing,
            lambda box: render_balls(
                obj.centres, labels, obj.mask_radius, box, spacing, shift, dtype
            ),
            kind=kind,
            chunk_size=spec.chunk_size,
            max_block_bytes=spec.max_block_bytes,
        )
        add(obj.mask_type, f"{mask_rel}.zarr", "zarr", True)
        if spec.write_mrc:
            add(obj.mask_type, f"{mask_rel}.mrc", "mrc", False)
        if obj.mask_type in MESHED_MASKS:
            mesh_rel = f"{prefix}_triangularmesh.glb"
            vertices, faces = ball_isosurface(obj.centres, obj.mask_radius, shape, spacing, shift)
            write_glb(root / mesh_rel, vertices, faces)
            add("Mesh", mesh_rel, "glb", False)


__all__ = ["MASKS", "MESHED_MASKS", "POINT_FILES", "write_annotation_files"]
