"""Finding the metadata of a downloaded file: voxel spacing, annotation JSON, object name.

A download keeps the portal's layout (``.../Reconstructions/VoxelSpacing13.480/
Annotations/<id>/ribosome-1.0_orientedpoint.ndjson`` beside ``ribosome-1.0.json``), so a
dropped file's siblings and path say what it is.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .sources import name_of, read_json

_SPACING = re.compile(r"VoxelSpacing(\d+(?:\.\d+)?)")
_SUFFIX = re.compile(
    r"^(?P<object>.+?)(?:-(?P<version>[0-9.]+))?_(?P<shape>point|orientedpoint|instancesegmentation"
    r"|segmentationmask|instancesegmentationmask|triangularmesh)\.(?P<ext>\w+)$"
)
SHAPES = {
    "point": "Point",
    "orientedpoint": "OrientedPoint",
    "instancesegmentation": "InstanceSegmentation",
    "segmentationmask": "SegmentationMask",
    "instancesegmentationmask": "InstanceSegmentationMask",
    "triangularmesh": "Mesh",
}


def spacing_from_path(path: str | Path) -> float | None:
    """The voxel spacing named by a ``VoxelSpacing13.480`` folder in the path, if any."""
    found = _SPACING.findall(str(path))
    return float(found[-1]) if found else None


def parse_annotation_name(path: str | Path) -> tuple[str, str] | None:
    """``(object name, shape type)`` from a portal annotation file name, if it is one."""
    match = _SUFFIX.match(name_of(path))
    if not match:
        return None
    return match["object"].replace("_", " "), SHAPES[match["shape"]]


def annotation_json(path: str | Path) -> dict[str, Any] | None:
    """The annotation's ``<object>-<version>.json`` next to one of its files, if present."""
    name = name_of(path)
    match = _SUFFIX.match(name)
    if not match:
        return None
    stem = match["object"] + (f"-{match['version']}" if match["version"] else "")
    parent = str(path).rstrip("/")[: -len(name)]
    doc = read_json(f"{parent}{stem}.json")
    return doc if isinstance(doc, dict) else None


def run_name_from_path(path: str | Path) -> str | None:
    """The run folder name of a file inside ``<run>/Reconstructions/...``, if any."""
    parts = str(path).replace("\\", "/").split("/")
    if "Reconstructions" in parts:
        i = parts.index("Reconstructions")
        return parts[i - 1] if i > 0 else None
    return None
