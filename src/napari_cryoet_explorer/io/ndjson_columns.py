"""The bulk path of ndJSON parsing: one block of lines straight into numpy columns.

``pyarrow.json`` parses a block of lines in C++ into typed columns under
an explicit schema, so numbers stay float64 and ids int64 without a Python object per
number. It accepts only a block it can take whole and that passes every check below;
anything else (a bad line, mixed kinds, blank lines, two objects on one line) returns
None and the block goes to the per-line path, which names each bad line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

KINDS = ("point", "orientedPoint", "instancePoint")
# pyarrow reads a block in pieces of this size; a line longer than that is left to the
# per-line path.
TASK_BYTES = 1 << 21

_LOCATION = pa.struct([("x", pa.float64()), ("y", pa.float64()), ("z", pa.float64())])
# Fixed-size lists would check the 3x3 shape for us, but pyarrow.json cannot read them.
_MATRIX = pa.list_(pa.list_(pa.float64()))
SCHEMA = pa.schema(
    [
        ("type", pa.string()),
        ("location", _LOCATION),
        ("xyz_rotation_matrix", _MATRIX),
        ("instance_id", pa.int64()),
    ]
)
_PARSE = pj.ParseOptions(explicit_schema=SCHEMA, unexpected_field_behavior="ignore")
# One pyarrow thread per block: blocks are parsed in parallel by io.ndjson's threads, and
# pyarrow's own parallel readers, called from several threads, have been seen to abort
# the process at exit.
_READ = pj.ReadOptions(use_threads=False, block_size=TASK_BYTES)
# The C allocator hands a parsed block's memory back to the system; pyarrow's default
# pool kept it resident (measured: peak 64 MB -> 40 MB beyond the text, 300k points).
_POOL = pa.system_memory_pool()


@dataclass
class Columns:
    """The points of one block, all of one kind.

    Attributes
    ----------
    kind : str
        ``point``, ``orientedPoint`` or ``instancePoint``.
    xyz : ndarray
        ``(M, 3)`` float64 locations.
    rotations : ndarray or None
        ``(M, 3, 3)`` float64 matrices of oriented points.
    instance_ids : ndarray or None
        ``(M,)`` int64 ids of instance points.
    """

    kind: str
    xyz: np.ndarray
    rotations: np.ndarray | None = None
    instance_ids: np.ndarray | None = None


def read_columns(block: bytes | memoryview, n_lines: int) -> Columns | None:
    """Columns of a block of ``n_lines`` well-formed records of one kind, else None.

    Parameters
    ----------
    block : bytes or memoryview
        Whole lines of the file.
    n_lines : int
        How many lines the block holds; a table of another length means blank lines or
        more than one object on a line, which the per-line path must number.
    """
    try:
        table = pj.read_json(
            pa.py_buffer(block), read_options=_READ, parse_options=_PARSE, memory_pool=_POOL
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != n_lines or n_lines == 0:
        return None
    types = table.column("type")
    kinds = pc.unique(types)
    if types.null_count or len(kinds) != 1 or kinds[0].as_py() not in KINDS:
        return None
    kind = str(kinds[0].as_py())
    location = table.column("location").combine_chunks()
    xyz = _doubles(location.flatten(), n_lines) if not location.null_count else None
    if xyz is None:
        return None
    result = Columns(kind, xyz.reshape(3, n_lines).T.copy())
    if kind == "orientedPoint":
        values = _matrix_values(table.column("xyz_rotation_matrix").combine_chunks(), n_lines)
        if values is None:
            return None
        result.rotations = values.reshape(n_lines, 3, 3)
    elif kind == "instancePoint":
        ids = table.column("instance_id")
        if ids.null_count:
            return None
        result.instance_ids = _values(ids.combine_chunks(), np.int64).copy()
    return result


def _doubles(fields: list[pa.Array], n: int) -> np.ndarray | None:
    """The fields one after the other as finite float64, or None (nulls, NaN, inf)."""
    out = np.empty(len(fields) * n, dtype=np.float64)
    for i, arr in enumerate(fields):
        if arr.null_count:
            return None
        out[i * n : (i + 1) * n] = _values(arr, np.float64)
    return out if np.isfinite(out).all() else None


def _values(arr: pa.Array, dtype: type[np.generic]) -> np.ndarray:
    """A view of a null-free primitive array's values.

    ``Array.to_numpy`` would do, but its first call imports pandas (about a second).
    """
    item = np.dtype(dtype).itemsize
    return np.frombuffer(arr.buffers()[1], dtype, count=len(arr), offset=arr.offset * item)


def _matrix_values(matrices: pa.Array, n: int) -> np.ndarray | None:
    """The ``9 n`` numbers of ``n`` 3x3 matrices in row order, or None if any is off."""
    if matrices.null_count or not _all_three(matrices):
        return None
    rows = matrices.flatten()
    if rows.null_count or not _all_three(rows):
        return None
    return _doubles([rows.flatten()], 9 * n)


def _all_three(lists: pa.Array) -> bool:
    """Every list holds exactly three items (counts alone would pass 4 + 2 rows)."""
    lengths = pc.min_max(pc.list_value_length(lists))
    return bool(lengths["min"].as_py() == 3 and lengths["max"].as_py() == 3)
