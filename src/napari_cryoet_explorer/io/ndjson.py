"""Fast, tolerant parsing of the portal's ndJSON point annotations.

The whole file is parsed at once by orjson (one C call, with the cyclic garbage
collector paused: it would otherwise rescan millions of fresh dicts), then columns are
pulled out in comprehensions. Only if that fails does a per-line path run, which skips
and reports bad lines instead of losing the file.
"""

from __future__ import annotations

import gc
import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

KINDS = ("point", "orientedPoint", "instancePoint")


@dataclass
class PointAnnotations:
    """Parsed points of one ndJSON file.

    Attributes
    ----------
    kind : str
        ``point``, ``orientedPoint`` or ``instancePoint``.
    xyz : ndarray
        ``(N, 3)`` locations in voxels, xyz order as in the file.
    rotations : ndarray or None
        ``(N, 3, 3)`` xyz rotation matrices of oriented points.
    instance_ids : ndarray or None
        ``(N,)`` instance ids of instance points.
    skipped : list of (line number, reason)
        Lines left out, 1-based.
    """

    kind: str
    xyz: np.ndarray
    rotations: np.ndarray | None = None
    instance_ids: np.ndarray | None = None
    skipped: list[tuple[int, str]] = field(default_factory=list)

    @property
    def zyx(self) -> np.ndarray:
        """Locations in napari's axis order."""
        return self.xyz[:, ::-1]


def _xyz(location: dict[str, Any]) -> tuple[Any, Any, Any]:
    return location["x"], location["y"], location["z"]


@contextmanager
def _gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_ndjson(raw: bytes, source: str = "<ndjson>") -> PointAnnotations:
    """Parse portal ndJSON annotations; warn once about skipped lines.

    Parameters
    ----------
    raw : bytes
        The file's content.
    source : str
        File name or URL, used in messages.
    """
    lines = [ln for ln in raw.splitlines() if ln.strip()]
    if not lines:
        warnings.warn(f"{source}: empty annotation file, no points", stacklevel=2)
        return PointAnnotations("point", np.zeros((0, 3)))
    result = _parse_fast(lines)
    if result is None:
        result = _parse_tolerant(raw)
    if result.skipped:
        shown = ", ".join(f"{n} ({why})" for n, why in result.skipped[:5])
        more = f" and {len(result.skipped) - 5} more" if len(result.skipped) > 5 else ""
        warnings.warn(
            f"{source}: skipped {len(result.skipped)} bad line(s): {shown}{more}", stacklevel=2
        )
    return result


def _parse_fast(lines: list[bytes]) -> PointAnnotations | None:
    """All lines valid and of one kind: columns without per-record checks; else None."""
    try:
        with _gc_paused():
            records = orjson.loads(b"[" + b",".join(lines) + b"]")
            kind = records[0]["type"]
            if kind not in KINDS or any(r["type"] != kind for r in records):
                return None
            n = len(records)
            # fromiter over flat generators: no intermediate list per point.
            xyz = np.fromiter(
                (v for r in records for v in _xyz(r["location"])), dtype=np.float64, count=3 * n
            ).reshape(n, 3)
            rotations = ids = None
            if kind == "orientedPoint":
                rotations = np.fromiter(
                    (v for r in records for row in r["xyz_rotation_matrix"] for v in row),
                    dtype=np.float64,
                    count=9 * n,
                ).reshape(n, 3, 3)
            elif kind == "instancePoint":
                ids = np.fromiter((r["instance_id"] for r in records), dtype=np.int64, count=n)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, IndexError):
        return None
    if not np.isfinite(xyz).all():
        return None
    if rotations is not None and not np.isfinite(rotations).all():
        return None
    return PointAnnotations(kind, xyz, rotations, ids)


def _check(record: Any) -> tuple[str, tuple[float, float, float], Any] | str:
    """A valid record's (kind, xyz, extra), or the reason it is not valid."""
    if not isinstance(record, dict):
        return "not an object"
    kind = record.get("type")
    if kind not in KINDS:
        return f"unknown type {kind!r}"
    loc = record.get("location")
    if not isinstance(loc, dict) or not all(k in loc for k in "xyz"):
        return "no location x/y/z"
    try:
        xyz = (float(loc["x"]), float(loc["y"]), float(loc["z"]))
    except (TypeError, ValueError):
        return "location is not numeric"
    if not all(math.isfinite(v) for v in xyz):
        return "location is not finite"
    extra: Any = None
    if kind == "orientedPoint":
        try:
            extra = np.asarray(record["xyz_rotation_matrix"], dtype=np.float64)
        except (KeyError, TypeError, ValueError):
            return "no xyz_rotation_matrix"
        if extra.shape != (3, 3) or not np.isfinite(extra).all():
            return "xyz_rotation_matrix is not a finite 3x3 matrix"
    elif kind == "instancePoint":
        value = record.get("instance_id")
        if not isinstance(value, int) or isinstance(value, bool):
            return "no integer instance_id"
        extra = value
    return str(kind), xyz, extra


def _parse_tolerant(raw: bytes) -> PointAnnotations:
    good: dict[str, list[tuple[tuple[float, float, float], Any]]] = {k: [] for k in KINDS}
    skipped: list[tuple[int, str]] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            skipped.append((number, "malformed JSON"))
            continue
        checked = _check(record)
        if isinstance(checked, str):
            skipped.append((number, checked))
            continue
        kind, xyz, extra = checked
        good[kind].append((xyz, extra))
    kind = max(KINDS, key=lambda k: len(good[k]))
    for other in KINDS:
        if other != kind and good[other]:
            skipped.append((0, f"{len(good[other])} {other} record(s) in a {kind} file"))
    rows = good[kind]
    xyz_arr = np.array([r[0] for r in rows], dtype=np.float64).reshape(-1, 3)
    result = PointAnnotations(kind, xyz_arr, skipped=sorted(skipped))
    if kind == "orientedPoint":
        result.rotations = np.array([r[1] for r in rows], dtype=np.float64).reshape(-1, 3, 3)
    elif kind == "instancePoint":
        result.instance_ids = np.array([r[1] for r in rows], dtype=np.int64)
    return result
