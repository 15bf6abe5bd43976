"""The tolerant path of ndJSON parsing: line by line, each bad line named with its reason.

Used for a block the bulk path refuses. Python objects live for one block only, so a
huge file with a few bad lines still parses in bounded memory.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from .ndjson_columns import KINDS


@dataclass
class LineRecords:
    """The good records of one block, by kind, with their 1-based line numbers."""

    lines: dict[str, list[int]] = field(default_factory=lambda: {k: [] for k in KINDS})
    xyz: dict[str, list[tuple[float, float, float]]] = field(
        default_factory=lambda: {k: [] for k in KINDS}
    )
    rotations: list[np.ndarray] = field(default_factory=list)
    instance_ids: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def check_record(record: Any) -> tuple[str, tuple[float, float, float], Any] | str:
    """A valid record's (kind, xyz, extra), or the reason it is not valid."""
    if not isinstance(record, dict):
        return "not an object"
    kind = record.get("type")
    if kind not in KINDS:
        return f"unknown type {kind!r}" if "type" in record else "no type"
    loc = record.get("location")
    if not isinstance(loc, dict) or not all(k in loc for k in "xyz"):
        return "no location x/y/z"
    if any(isinstance(loc[k], bool | str) for k in "xyz"):
        return "location is not numeric"
    try:
        xyz = (float(loc["x"]), float(loc["y"]), float(loc["z"]))
    except (TypeError, ValueError, OverflowError):
        return "location is not numeric"
    if not all(math.isfinite(v) for v in xyz):
        return "location is not finite (NaN or infinity)"
    extra: Any = None
    if kind == "orientedPoint":
        if "xyz_rotation_matrix" not in record:
            return "no xyz_rotation_matrix"
        try:
            # No dtype yet: a float conversion would turn null into NaN and true into 1.
            given = np.asarray(record["xyz_rotation_matrix"])
        except (TypeError, ValueError):
            return "xyz_rotation_matrix is not a 3x3 matrix of numbers"
        if given.shape != (3, 3) or given.dtype.kind not in "iuf":
            return "xyz_rotation_matrix is not a 3x3 matrix of numbers"
        extra = given.astype(np.float64)
        if not np.isfinite(extra).all():
            return "xyz_rotation_matrix is not finite"
    elif kind == "instancePoint":
        value = record.get("instance_id")
        if not isinstance(value, int) or isinstance(value, bool):
            return "no integer instance_id"
        if not -(2**63) <= value < 2**63:
            return "instance_id out of range"
        extra = value
    return str(kind), xyz, extra


def _load_line(line: bytes) -> Any:
    """One record; NaN and Infinity (not JSON, but Python writes them) are read too."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)


def read_lines(block: bytes, first_line: int) -> LineRecords:
    """Every line of ``block`` checked on its own; ``first_line`` is its 1-based number."""
    out = LineRecords()
    for number, line in enumerate(block.splitlines(), start=first_line):
        if not line.strip():
            continue
        try:
            record = _load_line(line)
        except (ValueError, UnicodeDecodeError, RecursionError):
            out.skipped.append((number, "malformed JSON"))
            continue
        checked = check_record(record)
        if isinstance(checked, str):
            out.skipped.append((number, checked))
            continue
        kind, xyz, extra = checked
        out.lines[kind].append(number)
        out.xyz[kind].append(xyz)
        if kind == "orientedPoint":
            out.rotations.append(extra)
        elif kind == "instancePoint":
            out.instance_ids.append(extra)
    return out
