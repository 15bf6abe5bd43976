"""Fast, tolerant parsing of the portal's ndJSON point annotations.

A file is read in blocks of whole lines. Each block goes first to the uniform path
(:mod:`.ndjson_uniform`: lines shaped like the block's first, read as CSV by
``pyarrow.csv``), then to the bulk path (:mod:`.ndjson_columns`: ``pyarrow.json``
straight into float64 / int64 columns); both hold no Python object per point. A block
both refuse goes to the per-line path (:mod:`.ndjson_lines`), which keeps the good lines
and names each bad one. Only one
block's text is held beyond the caller's, so files of millions of points stream.
"""

from __future__ import annotations

import os
import warnings
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np

from .errors import ReaderError
from .ndjson_columns import KINDS, read_columns
from .ndjson_gather import Gathered, Part
from .ndjson_lines import read_lines
from .ndjson_uniform import read_uniform
from .rotations import ROTATION_TOLERANCE, improper

__all__ = ["KINDS", "PointAnnotations", "parse_ndjson", "parse_ndjson_stream"]

# Bytes of text per block. The peak memory of a read grows with the block (each block
# in flight holds its text, its comma form and pyarrow's buffers): on a 300,000-point
# `point` file 42 MB above the start with 2 MiB blocks, 66 MB with 4 MiB, 105 MB with
# 8 MiB; on oriented points smaller blocks than 4 MiB cost time (docs/benchmarks.md).
BLOCK_BYTES = 1 << 22
# Blocks parsed at once (pyarrow releases the GIL, so reading overlaps parsing).
PARALLEL_BLOCKS = 2
# Above this many points napari draws slowly; the user is told why.
LARGE_POINT_COUNT = 5_000_000
_SHOWN = 5
_BLANK = frozenset(b" \t\r\n")
_NEWLINE = ord("\n")


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
        ``(N, 3, 3)`` xyz rotation matrices of oriented points, as given in the file.
    instance_ids : ndarray or None
        ``(N,)`` instance ids of instance points.
    skipped : list of (line number, reason)
        Lines left out, 1-based.
    improper_rotations : ndarray
        1-based line numbers of kept points whose matrix is not a proper rotation.
    """

    kind: str
    xyz: np.ndarray
    rotations: np.ndarray | None = None
    instance_ids: np.ndarray | None = None
    skipped: list[tuple[int, str]] = field(default_factory=list)
    improper_rotations: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def zyx(self) -> np.ndarray:
        """Locations in napari's axis order."""
        return self.xyz[:, ::-1]


def parse_ndjson(raw: bytes, source: str = "<ndjson>") -> PointAnnotations:
    """Parse portal ndJSON annotations held in memory.

    Parameters
    ----------
    raw : bytes
        The file's content.
    source : str
        File name or URL, used in messages.

    Returns
    -------
    PointAnnotations
        The valid records of the file's (majority) kind. Warnings, once each and naming
        the file, report skipped lines and matrices that are not rotations.
    """
    return _parse(_blocks_of(raw, BLOCK_BYTES), source, len(raw))


def parse_ndjson_stream(stream: BinaryIO, source: str = "<ndjson>") -> PointAnnotations:
    """Parse portal ndJSON annotations from a binary stream, one block at a time.

    Parameters
    ----------
    stream : binary file object
        An open file (or any object with ``read(n)``), read to its end.
    source : str
        File name or URL, used in messages.

    Returns
    -------
    PointAnnotations
        As :func:`parse_ndjson`.

    Raises
    ------
    ReaderError
        Not enough memory for the points (the message says how many were read).
    """
    buffers = _Buffers()
    blocks = _blocks_from(stream, BLOCK_BYTES, buffers)
    return _parse(blocks, source, _remaining_bytes(stream), buffers)


# A block: whole lines of the file (the last block may lack its final newline).
_Block = bytes | bytearray | memoryview
# What a block gave: its size and newline count, (kind, points) pairs and its bad lines,
# with line numbers counted from the block's first line (1).
_Parsed = tuple[int, int, list[tuple[str, Part]], list[tuple[int, str]]]


class _Taken:
    """The blocks' results, taken in file order."""

    def __init__(self, total_bytes: int | None) -> None:
        self.total_bytes = total_bytes
        self.bytes = 0
        self.line = 1
        self.kinds: dict[str, Gathered] = {}
        self.skipped: list[tuple[int, str]] = []

    def take(self, parsed: _Parsed) -> None:
        size, newlines, found, bad = parsed
        offset = self.line - 1
        self.bytes += size
        for kind, part in found:
            part.shift_lines(offset)
            gathered = self.kinds.setdefault(kind, Gathered(kind))
            gathered.add(part, self._expected(gathered.count + len(part.xyz)))
        self.skipped.extend((number + offset, why) for number, why in bad)
        self.line += newlines

    def _expected(self, count: int) -> int:
        """How many points of a kind the file holds, at this kind's rate so far."""
        if not self.total_bytes or not self.bytes:
            return 0
        return int(count * self.total_bytes / self.bytes * 1.02) + 64

    def count(self) -> int:
        return sum(g.count for g in self.kinds.values())


def _parse(
    blocks: Iterator[_Block],
    source: str,
    total_bytes: int | None,
    buffers: _Buffers | None = None,
) -> PointAnnotations:
    taken = _Taken(total_bytes)
    buffers = buffers or _Buffers()
    # Two blocks in flight: while pyarrow parses one (without the GIL), the next is
    # read and prepared; results are taken in file order, which numbers their lines.
    pending: deque[tuple[_Block, Future[_Parsed]]] = deque()

    def take_first() -> None:
        block, parsed = pending.popleft()
        taken.take(parsed.result())
        buffers.take_back(block)

    try:
        with ThreadPoolExecutor(max_workers=PARALLEL_BLOCKS) as pool:
            for block in blocks:
                pending.append((block, pool.submit(_parse_block, block)))
                if len(pending) >= PARALLEL_BLOCKS:
                    take_first()
            while pending:
                take_first()
        result = _assemble(taken.kinds, taken.skipped)
    except MemoryError as exc:
        raise ReaderError(
            f"{source}: not enough memory for its points (ran out after {taken.count():,})"
        ) from exc
    _report(result, source)
    return result


def _remaining_bytes(stream: BinaryIO) -> int | None:
    """Bytes from the stream's position to the end of its file, when it is a file."""
    try:
        return max(0, os.fstat(stream.fileno()).st_size - stream.tell())
    except (AttributeError, OSError, ValueError):
        return None


def _blocks_of(raw: bytes, size: int) -> Iterator[_Block]:
    """Blocks of whole lines of ``raw``, as views (no copy of the text)."""
    view = memoryview(raw)
    start, total = 0, len(raw)
    while start < total:
        end = total
        if start + size < total:
            end = raw.rfind(b"\n", start, start + size) + 1
            if end <= start:  # a line longer than a block
                end = raw.find(b"\n", start + size) + 1 or total
        yield view[start:end]
        start = end


class _Buffers:
    """Read buffers lent to blocks and taken back once a block is parsed.

    A few buffers serve a whole file: fresh memory for every block costs a page fault
    per 4 KiB, which some machines make a large part of a read.
    """

    def __init__(self) -> None:
        self._free: list[bytearray] = []

    def lend(self, size: int) -> bytearray:
        """A buffer of at least ``size`` bytes (its content is left over)."""
        buffer = self._free.pop() if self._free else bytearray()
        if len(buffer) < size:
            buffer.extend(bytes(size - len(buffer)))
        return buffer

    def take_back(self, block: _Block) -> None:
        if isinstance(block, bytearray):
            self._free.append(block)


def _blocks_from(stream: BinaryIO, size: int, buffers: _Buffers) -> Iterator[_Block]:
    """Blocks of whole lines read from ``stream``, about ``size`` bytes at a time.

    Each block is read straight into a buffer from ``buffers`` (the file's bytes are
    copied once) and cut after its last newline; the text after it is carried into
    the next block.
    """
    readinto = getattr(stream, "readinto", None)
    carry = b""
    while True:
        start = len(carry)
        buffer = buffers.lend(start + size)
        with memoryview(buffer) as view:
            view[:start] = carry
            if readinto is not None:
                got = readinto(view[start : start + size]) or 0
            else:
                chunk = stream.read(size)
                got = len(chunk)
                view[start : start + got] = chunk
        filled = start + got
        cut = buffer.rfind(b"\n", 0, filled) + 1 if got else 0
        if cut == 0:  # the end, or a line longer than a block: keep reading
            carry = bytes(buffer[:filled])
            buffers.take_back(buffer)
            if not got:
                break
            continue
        carry = bytes(buffer[cut:filled])
        del buffer[cut:]  # shrinks in place; lending it again grows it back
        yield buffer
    if carry:
        yield carry


def _newlines(text: _Block) -> int:
    """The number of newlines in ``text`` (numpy releases the GIL; ``bytes.count`` not)."""
    return int(np.count_nonzero(np.frombuffer(text, np.uint8) == _NEWLINE))


def _parse_block(text: _Block) -> _Parsed:
    """A block's newlines, its points by kind, and its bad lines (numbered from 1)."""
    newlines = _newlines(text)
    size = len(text)
    n_lines = newlines + (size > 0 and text[size - 1] != _NEWLINE)
    # Blank lines at the end (a file's last "\r\n\r\n") would make pyarrow's row count
    # differ from the line count: read the block without them.
    end = size
    while end and text[end - 1] in _BLANK:
        end -= 1
    if end == 0:
        return size, newlines, [], []
    content_lines = n_lines
    if end < size:
        ends_in_newline = text[size - 1] == _NEWLINE
        tail_newlines = bytes(text[end:]).count(b"\n")
        content_lines = n_lines - (not ends_in_newline) - tail_newlines + 1
    columns = read_uniform(text, content_lines, end) or read_columns(
        memoryview(text)[:end], content_lines
    )
    if columns is not None:
        part = Part(1, columns.xyz, columns.rotations, columns.instance_ids)
        return size, newlines, [(columns.kind, _checked(part))], []
    records = read_lines(bytes(text), 1)
    found: list[tuple[str, Part]] = []
    for kind in KINDS:
        if not records.lines[kind]:
            continue
        part = Part(
            1,
            np.array(records.xyz[kind], dtype=np.float64).reshape(-1, 3),
            lines=np.array(records.lines[kind], dtype=np.int64),
        )
        if kind == "orientedPoint":
            part.rotations = np.array(records.rotations, dtype=np.float64).reshape(-1, 3, 3)
        elif kind == "instancePoint":
            part.instance_ids = np.array(records.instance_ids, dtype=np.int64)
        found.append((kind, _checked(part)))
    return size, newlines, found, records.skipped


def _checked(part: Part) -> Part:
    """``part`` with the indices of its matrices that are not proper rotations."""
    if part.rotations is not None:
        part.improper = np.flatnonzero(improper(part.rotations))
    return part


def _assemble(kinds: dict[str, Gathered], skipped: list[tuple[int, str]]) -> PointAnnotations:
    # One layer type per file: the majority kind; others are reported by line.
    counts = {k: kinds[k].count if k in kinds else 0 for k in KINDS}
    kind = max(KINDS, key=lambda k: counts[k])
    for other, gathered in kinds.items():
        if other != kind:
            reason = f"{other} in a {kind} file"
            skipped.extend((int(n), reason) for n in gathered.line_numbers())
    skipped.sort()
    chosen = kinds.get(kind, Gathered(kind))
    result = PointAnnotations(kind, chosen.xyz, skipped=skipped)
    if kind == "orientedPoint":
        result.rotations = chosen.rotations
        result.improper_rotations = chosen.improper_lines()
    elif kind == "instancePoint":
        result.instance_ids = chosen.instance_ids
    return result


def _lines_text(numbers: list[str], total: int) -> str:
    more = f" and {total - len(numbers)} more" if total > len(numbers) else ""
    return ", ".join(numbers) + more


def _report(result: PointAnnotations, source: str) -> None:
    """One warning per kind of trouble, naming the file and the first few lines."""
    kept = len(result.xyz)
    if not kept and not result.skipped:
        warnings.warn(f"{source}: empty annotation file, no points", stacklevel=3)
        return
    if result.skipped:
        shown = [f"{n} ({why})" for n, why in result.skipped[:_SHOWN]]
        warnings.warn(
            f"{source}: skipped {len(result.skipped)} bad line(s), kept {kept} "
            f"{result.kind}(s); line {_lines_text(shown, len(result.skipped))}",
            stacklevel=3,
        )
    off = result.improper_rotations
    if len(off):
        shown = [str(n) for n in off[:_SHOWN].tolist()]
        warnings.warn(
            f"{source}: {len(off)} of {kept} xyz_rotation_matrix value(s) are not proper "
            f"rotations (orthonormal with determinant +1, within {ROTATION_TOLERANCE:g}); "
            f"their points are shown with the matrices as given; line "
            f"{_lines_text(shown, len(off))}",
            stacklevel=3,
        )
    if kept > LARGE_POINT_COUNT:
        warnings.warn(
            f"{source}: {kept:,} points; napari may be slow to draw and pick this many",
            stacklevel=3,
        )
