"""Fast, tolerant parsing of the portal's ndJSON point annotations.

The fast path parses lines in large batches, each joined into one JSON array and
parsed by orjson in a single C call with the cyclic garbage collector paused (it would
otherwise rescan millions of fresh dicts). Columns are pulled out with ``map`` and
``itemgetter`` straight into ``np.fromiter``, so no Python loop runs per point, and each
batch is freed before the next (memory stays bounded). If anything in a file is off, a
per-line path runs instead: it skips bad lines and says which, rather than losing the
file.
"""

from __future__ import annotations

import gc
import json
import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from typing import Any

import numpy as np
import orjson

KINDS = ("point", "orientedPoint", "instancePoint")
# Lines per orjson call: large enough to amortise the call, small enough to keep the
# parsed objects of one batch (about 1 kB a line) modest.
BATCH_LINES = 65536
_TYPE = itemgetter("type")
_LOCATION = itemgetter("location")
_XYZ = itemgetter("x", "y", "z")
_ROTATION = itemgetter("xyz_rotation_matrix")
_INSTANCE = itemgetter("instance_id")


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
    """Parse portal ndJSON annotations; warn once, naming the file, about skipped lines.

    Parameters
    ----------
    raw : bytes
        The file's content.
    source : str
        File name or URL, used in messages.

    Returns
    -------
    PointAnnotations
        The valid records of the file's (majority) kind.
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
        kept = len(result.xyz)
        warnings.warn(
            f"{source}: skipped {len(result.skipped)} bad line(s), kept {kept} "
            f"{result.kind}(s); line {shown}{more}",
            stacklevel=2,
        )
    return result


def _parse_fast(lines: list[bytes]) -> PointAnnotations | None:
    """All lines valid and of one kind: columns in bulk, no per-point Python; else None."""
    n = len(lines)
    kind: str | None = None
    xyz = np.empty((n, 3), dtype=np.float64)
    rotations: np.ndarray | None = None
    ids: np.ndarray | None = None
    try:
        with _gc_paused():
            for start in range(0, n, BATCH_LINES):
                records = orjson.loads(b"[" + b",".join(lines[start : start + BATCH_LINES]) + b"]")
                m = len(records)
                kinds = set(map(_TYPE, records))
                if kind is None:
                    kind = records[0]["type"]
                    if kind == "orientedPoint":
                        rotations = np.empty((n, 3, 3), dtype=np.float64)
                    elif kind == "instancePoint":
                        ids = np.empty(n, dtype=np.int64)
                if kinds != {kind} or kind not in KINDS:
                    return None
                rows = slice(start, start + m)
                located = chain.from_iterable(map(_XYZ, map(_LOCATION, records)))
                xyz[rows] = np.fromiter(located, np.float64, 3 * m).reshape(m, 3)
                if rotations is not None:
                    matrices = list(map(_ROTATION, records))
                    matrix_rows = list(chain.from_iterable(matrices))
                    # Count-checked fromiter alone could pair a 4-row and a 2-row matrix.
                    if set(map(len, matrices)) != {3} or set(map(len, matrix_rows)) != {3}:
                        return None
                    values = chain.from_iterable(matrix_rows)
                    rotations[rows] = np.fromiter(values, np.float64, 9 * m).reshape(m, 3, 3)
                if ids is not None:
                    found = np.fromiter(map(_INSTANCE, records), np.float64, m)
                    if not np.array_equal(found, np.round(found)):
                        return None
                    ids[rows] = found.astype(np.int64)
                del records
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, IndexError):
        return None
    if kind is None or not np.isfinite(xyz).all():
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
        return f"unknown type {kind!r}" if "type" in record else "no type"
    loc = record.get("location")
    if not isinstance(loc, dict) or not all(k in loc for k in "xyz"):
        return "no location x/y/z"
    if any(isinstance(loc[k], bool | str) for k in "xyz"):
        return "location is not numeric"
    try:
        xyz = (float(loc["x"]), float(loc["y"]), float(loc["z"]))
    except (TypeError, ValueError):
        return "location is not numeric"
    if not all(math.isfinite(v) for v in xyz):
        return "location is not finite (NaN or infinity)"
    extra: Any = None
    if kind == "orientedPoint":
        if "xyz_rotation_matrix" not in record:
            return "no xyz_rotation_matrix"
        try:
            extra = np.asarray(record["xyz_rotation_matrix"], dtype=np.float64)
        except (TypeError, ValueError):
            return "xyz_rotation_matrix is not a 3x3 matrix of numbers"
        if extra.shape != (3, 3):
            return "xyz_rotation_matrix is not a 3x3 matrix of numbers"
        if not np.isfinite(extra).all():
            return "xyz_rotation_matrix is not finite"
    elif kind == "instancePoint":
        value = record.get("instance_id")
        if not isinstance(value, int) or isinstance(value, bool):
            return "no integer instance_id"
        extra = value
    return str(kind), xyz, extra


def _load_line(line: bytes) -> Any:
    """One record; NaN and Infinity (not JSON, but Python writes them) are read too."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)


def _parse_tolerant(raw: bytes) -> PointAnnotations:
    good: dict[str, list[tuple[int, tuple[float, float, float], Any]]] = {k: [] for k in KINDS}
    skipped: list[tuple[int, str]] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = _load_line(line)
        except (ValueError, UnicodeDecodeError, RecursionError):
            skipped.append((number, "malformed JSON"))
            continue
        checked = _check(record)
        if isinstance(checked, str):
            skipped.append((number, checked))
            continue
        kind, xyz, extra = checked
        good[kind].append((number, xyz, extra))
    # One layer type per file: the majority kind; others are reported by line.
    kind = max(KINDS, key=lambda k: len(good[k]))
    for other in KINDS:
        if other != kind:
            skipped.extend((n, f"{other} in a {kind} file") for n, _, _ in good[other])
    rows = good[kind]
    xyz_arr = np.array([r[1] for r in rows], dtype=np.float64).reshape(-1, 3)
    result = PointAnnotations(kind, xyz_arr, skipped=sorted(skipped))
    if kind == "orientedPoint":
        result.rotations = np.array([r[2] for r in rows], dtype=np.float64).reshape(-1, 3, 3)
    elif kind == "instancePoint":
        result.instance_ids = np.array([r[2] for r in rows], dtype=np.int64)
    return result
