"""The fastest ndJSON path: a block whose lines all share one shape, read as CSV.

The portal writes every line of a file with the same keys, in the same order, with the
same spacing; only the numbers change. Such a block is read by ``pyarrow.csv``, whose
number parsing is about twice as fast as ``pyarrow.json``'s:

* every structural character (``{ } [ ] :``) becomes a comma, so each JSON token sits
  in its own CSV column (quotes stay, so a string never reads as a number);
* the block's first line, parsed by Python's ``json``, says which columns hold which
  numbers (its number leaves in document order) and what every other column must hold;
* pyarrow then reads the block with those columns: numbers as float64 (ids as int64),
  quoted texts (keys, the type) dictionary-encoded, so checking that each such column
  holds its one expected text costs one look at a dictionary per chunk; the blank cells
  between brackets are only counted (every line must have the first line's cells).

Any difference from the first line (another key, order, nesting or spacing, a string
with a comma or an escape, a blank line, a null, a non-finite number) makes pyarrow
fail or a check miss, and the block goes to the slower paths, which name bad lines.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from .ndjson_columns import KINDS, TASK_BYTES, Columns

_TO_COMMAS = bytes.maketrans(b"{}[]:", b",,,,,")

_NUMBER = re.compile(rb"\s*-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?\s*")
# A JSON string with nothing a CSV column or this path's split would cut or unescape.
_PLAIN_STRING = re.compile(rb'\s*"[^"\\,{}\[\]:\x00-\x1f]*"\s*')
# Bytes, not strings: pyarrow then skips checking each cell's UTF-8.
_TEXT = pa.dictionary(pa.int32(), pa.binary())
_PARSE = pcsv.ParseOptions(
    delimiter=",",
    quote_char=False,
    double_quote=False,
    escape_char=False,
    newlines_in_values=False,
    ignore_empty_lines=False,
)
_POOL = pa.system_memory_pool()
_Path = tuple[Any, ...]


def read_uniform(
    block: bytes | bytearray | memoryview, n_lines: int, end: int | None = None
) -> Columns | None:
    """Columns of the ``n_lines`` lines of ``block[:end]`` shaped like its first, else None.

    Parameters
    ----------
    block : bytes, bytearray or memoryview
        Whole lines of the file.
    n_lines : int
        How many lines ``block[:end]`` holds.
    end : int, optional
        Where the lines end (what follows, blank lines, is not read); the whole block
        by default.
    """
    end = len(block) if end is None else end
    if n_lines == 0 or end == 0:
        return None
    layout = _Layout.of(_first_line(block, end))
    if layout is None:
        return None
    try:
        table = pcsv.read_csv(
            pa.py_buffer(_with_commas(block, end)),
            read_options=pcsv.ReadOptions(
                column_names=layout.names,
                use_threads=False,
                block_size=TASK_BYTES,  # see ndjson_columns._READ
            ),
            parse_options=_PARSE,
            convert_options=pcsv.ConvertOptions(
                column_types=layout.types,
                include_columns=layout.included,
                null_values=[],
                true_values=[],
                false_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
            memory_pool=_POOL,
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != n_lines or not layout.texts_hold(table):
        return None
    return layout.columns(table, n_lines)


def _first_line(block: bytes | bytearray | memoryview, end: int) -> bytes:
    """The text of the block's first line (without its newline)."""
    view = memoryview(block)[:end]
    window = 4096
    while True:
        head = bytes(view[:window])
        newline = head.find(b"\n")
        if newline >= 0:
            return head[:newline]
        if window >= end:
            return head
        window *= 4


def _with_commas(block: bytes | bytearray | memoryview, end: int) -> memoryview:
    """``block[:end]`` with every structural character a comma."""
    text = block if isinstance(block, bytes | bytearray) else bytes(block[:end])
    return memoryview(text.translate(_TO_COMMAS))[:end]


class _Layout:
    """Which CSV column holds what, learnt from a block's first line."""

    def __init__(self, kind: str, texts: dict[int, str], numbers: dict[_Path, int]):
        self.kind = kind
        self.texts = texts
        self.numbers = numbers
        count = len(texts) + len(numbers)
        self.names = [f"c{i}" for i in range(count)]
        # Blank cells (spacing around brackets) are left unconverted: pyarrow still
        # checks every line's cell count, and the quoted cells beside them carry the
        # spacing too; converting them cost a quarter of the read.
        self.checked = {i: text.encode() for i, text in texts.items() if text.strip()}
        self.types: dict[str, pa.DataType] = {self.names[i]: _TEXT for i in self.checked}
        for path, i in numbers.items():
            self.types[self.names[i]] = pa.int64() if path == ("instance_id",) else pa.float64()
        self.included = [self.names[i] for i in sorted([*self.checked, *numbers.values()])]

    @classmethod
    def of(cls, line: bytes) -> _Layout | None:
        """The layout of ``line``, or None when this path cannot take its shape."""
        line = line.rstrip(b"\r")
        try:
            record = json.loads(line)
        except ValueError:
            return None
        if not isinstance(record, dict) or record.get("type") not in KINDS:
            return None
        leaves: list[_Path] = []
        if not _number_leaves(record, (), leaves):
            return None
        texts: dict[int, str] = {}
        numbers: dict[_Path, int] = {}
        remaining = iter(leaves)
        for i, cell in enumerate(line.translate(_TO_COMMAS).split(b",")):
            if _NUMBER.fullmatch(cell):
                path = next(remaining, None)
                if path is None:
                    return None
                numbers[path] = i
            elif not cell.strip() or _PLAIN_STRING.fullmatch(cell):
                texts[i] = cell.decode()
            else:  # true, false, null, or a string this path would cut
                return None
        if next(remaining, None) is not None:
            return None
        layout = cls(str(record["type"]), texts, numbers)
        return layout if layout._has_fields(record) else None

    def _has_fields(self, record: dict[str, Any]) -> bool:
        """The record holds the numbers its kind needs, of the right type."""
        needed: list[_Path] = [("location", axis) for axis in "xyz"]
        if self.kind == "orientedPoint":
            matrix = record.get("xyz_rotation_matrix")
            if not (isinstance(matrix, list) and len(matrix) == 3):
                return False
            if not all(isinstance(row, list) and len(row) == 3 for row in matrix):
                return False
            needed += [("xyz_rotation_matrix", r, c) for r in range(3) for c in range(3)]
        elif self.kind == "instancePoint":
            if not isinstance(record.get("instance_id"), int):
                return False
            needed.append(("instance_id",))
        return all(path in self.numbers for path in needed)

    def texts_hold(self, table: pa.Table) -> bool:
        """Every quoted text column holds only the first line's text, in every chunk."""
        for i, expected in self.checked.items():
            for chunk in table.column(self.names[i]).chunks:
                if len(chunk) and chunk.dictionary.to_pylist() != [expected]:
                    return False
        return True

    def columns(self, table: pa.Table, n: int) -> Columns | None:
        """The points as numpy columns, or None when a number is not finite."""
        xyz = self._doubles(table, [("location", axis) for axis in "xyz"], n)
        if xyz is None:
            return None
        result = Columns(self.kind, xyz)
        if self.kind == "orientedPoint":
            paths = [("xyz_rotation_matrix", r, c) for r in range(3) for c in range(3)]
            values = self._doubles(table, paths, n)
            if values is None:
                return None
            result.rotations = values.reshape(n, 3, 3)
        elif self.kind == "instancePoint":
            result.instance_ids = self._values(table, ("instance_id",), np.int64, n)
        return result

    def _doubles(self, table: pa.Table, paths: list[_Path], n: int) -> np.ndarray | None:
        """``(n, len(paths))`` float64 values of the columns at ``paths``."""
        out = np.empty((n, len(paths)), dtype=np.float64)
        for j, path in enumerate(paths):
            self._values(table, path, np.float64, n, out[:, j])
        return out if np.isfinite(out).all() else None

    def _values(
        self,
        table: pa.Table,
        path: _Path,
        dtype: type[np.generic],
        n: int,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """The ``n`` values of the column at ``path``, chunk by chunk into ``out``.

        Read from the chunks' buffers: ``to_numpy`` on an integer column would import
        pandas (about 0.2 s on a first read).
        """
        if out is None:
            out = np.empty(n, dtype=dtype)
        start = 0
        item = np.dtype(dtype).itemsize
        for chunk in table.column(self.names[self.numbers[path]]).chunks:
            count = len(chunk)
            values = np.frombuffer(chunk.buffers()[1], dtype, count, chunk.offset * item)
            out[start : start + count] = values
            start += count
        return out


def _number_leaves(value: Any, path: _Path, leaves: list[_Path]) -> bool:
    """Append the paths of ``value``'s numbers in document order; False on a bool."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float):
        leaves.append(path)
    elif isinstance(value, dict):
        return all(_number_leaves(v, (*path, k), leaves) for k, v in value.items())
    elif isinstance(value, list):
        return all(_number_leaves(v, (*path, i), leaves) for i, v in enumerate(value))
    return True
