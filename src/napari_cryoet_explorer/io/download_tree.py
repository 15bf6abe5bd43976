"""What a file's place in a portal download says: voxel spacing, metadata, object, run.

A download keeps the portal's layout::

    <dataset>/<run>/Reconstructions/VoxelSpacing13.480/
        Tomograms/<id>/<run>.zarr  <run>.mrc  tomogram_metadata.json
        Annotations/<id>/ribosome-1.0_orientedpoint.ndjson  ribosome-1.0.json

so a dropped file's siblings and path tell what it is. Everything here works on local
paths and on URLs (siblings are fetched by name; URLs cannot be listed). Local metadata
is read from regular files only (:mod:`.regular_files`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..net.sources import is_url, name_of, parent_of
from .regular_files import read_json

_SPACING = re.compile(r"VoxelSpacing(\d+(?:\.\d+)?)")
_SUFFIX = re.compile(
    r"^(?P<object>.+?)(?:-(?P<version>[0-9.]+))?_(?P<shape>point|orientedpoint|instancesegmentation"
    r"|segmentationmask|instancesegmentationmask|triangularmesh)\.(?P<ext>\w+)$",
    re.IGNORECASE,
)
SHAPES = {
    "point": "Point",
    "orientedpoint": "OrientedPoint",
    "instancesegmentation": "InstanceSegmentation",
    "segmentationmask": "SegmentationMask",
    "instancesegmentationmask": "InstanceSegmentationMask",
    "triangularmesh": "Mesh",
}
MASK_SHAPES = ("SegmentationMask", "InstanceSegmentationMask")
TOMOGRAM_METADATA = "tomogram_metadata.json"


@dataclass(frozen=True)
class AnnotationName:
    """What a portal annotation file name says.

    Attributes
    ----------
    object_name : str
        The annotated object, underscores read as spaces (``cytosolic ribosome``).
    version : str or None
        The annotation version (``1.0``).
    shape_type : str
        The portal's shape type (``OrientedPoint``, ``SegmentationMask``...).
    stem : str
        ``<object>-<version>``, the name of the annotation's metadata JSON.
    """

    object_name: str
    version: str | None
    shape_type: str
    stem: str


def spacing_from_path(path: str | Path) -> float | None:
    """The voxel spacing named by a ``VoxelSpacing13.480`` folder in the path, if any."""
    found = _SPACING.findall(str(path))
    return float(found[-1]) if found else None


def parse_annotation_name(path: str | Path) -> AnnotationName | None:
    """Object, version and shape type from a portal annotation file name, if it is one."""
    match = _SUFFIX.match(name_of(path))
    if not match:
        return None
    stem = match["object"] + (f"-{match['version']}" if match["version"] else "")
    return AnnotationName(
        match["object"].replace("_", " "),
        match["version"],
        SHAPES[match["shape"].lower()],
        stem,
    )


def annotation_json(path: str | Path) -> dict[str, Any] | None:
    """The annotation's ``<object>-<version>.json`` next to one of its files, if present."""
    parsed = parse_annotation_name(path)
    if parsed is None:
        return None
    doc = read_json(f"{parent_of(path)}/{parsed.stem}.json")
    return doc if isinstance(doc, dict) else None


def tomogram_metadata(path: str | Path) -> dict[str, Any] | None:
    """``tomogram_metadata.json`` beside a tomogram's ``.zarr`` / ``.mrc``, if present."""
    doc = read_json(f"{parent_of(path)}/{TOMOGRAM_METADATA}")
    return doc if isinstance(doc, dict) else None


def run_name_from_path(path: str | Path) -> str | None:
    """The run folder name of a file inside ``<run>/Reconstructions/...``, if any."""
    parts = str(path).replace("\\", "/").split("/")
    if "Reconstructions" in parts:
        i = parts.index("Reconstructions")
        return parts[i - 1] if i > 0 else None
    return None


def tomogram_id_from_path(path: str | Path) -> str | None:
    """The ``<id>`` of a file inside ``Tomograms/<id>/``, if any."""
    parts = str(path).replace("\\", "/").rstrip("/").split("/")
    if len(parts) >= 3 and parts[-3] == "Tomograms":
        return parts[-2]
    return None


def positive_number(value: Any) -> float | None:
    """``value`` as a float when it is a positive finite number (a voxel spacing from
    metadata), else None: zero, negative, NaN, infinite and non-numbers are no spacing."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if number and math.isfinite(value) and value > 0 else None


def annotation_voxel_spacing(
    path: str | Path, annotation_doc: dict[str, Any] | None = None
) -> float | None:
    """The voxel spacing an annotation file's locations are in, from the download.

    In order: a ``voxel_spacing`` in the annotation JSON; the ``tomogram_metadata.json``
    of a tomogram of the same voxel-spacing folder and alignment (local downloads only,
    URLs cannot be listed); the ``VoxelSpacing13.480`` folder name.
    """
    if annotation_doc and (found := positive_number(annotation_doc.get("voxel_spacing"))):
        return found
    if not is_url(path) and Path(path).parent.parent.name == "Annotations":
        spacing_dir = Path(path).parent.parent.parent
        alignment = (annotation_doc or {}).get("alignment_metadata_path")
        candidates = []
        for meta_path in sorted(spacing_dir.glob(f"Tomograms/*/{TOMOGRAM_METADATA}")):
            doc = read_json(meta_path)
            if isinstance(doc, dict) and (found := positive_number(doc.get("voxel_spacing"))):
                same = alignment is None or doc.get("alignment_metadata_path") in (None, alignment)
                candidates.append((not same, found))
        if candidates:
            return min(candidates)[1]
    return spacing_from_path(path)
