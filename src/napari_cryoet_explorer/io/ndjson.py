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

import warnings
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np

from .errors import ReaderError
from .ndjson_columns import KINDS, read_columns
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


@dataclass
class _Part:
    """Points of one kind from one block; ``lines`` None means consecutive lines."""

    first_line: int
    xyz: np.ndarray
    rotations: np.ndarray | None = None
    instance_ids: np.ndarray | None = None
    lines: np.ndarray | None = None

    def line_numbers(self) -> np.ndarray:
        if self.lines is not None:
            return self.lines
        return np.arange(self.first_line, self.first_line + len(self.xyz), dtype=np.int64)


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
    return _parse(_blocks_of(raw, BLOCK_BYTES), source)


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
    return _parse(_blocks_from(stream, BLOCK_BYTES), source)


# A block: its text (whole lines), its first line's 1-based number, its line count.
_Block = tuple[bytes | memoryview, int, int]
# What a block gave: (kind, points) pairs, and its bad lines.
_Parsed = tuple[list[tuple[str, "_Part"]], list[tuple[int, str]]]


def _parse(blocks: Iterator[_Block], source: str) -> PointAnnotations:
    parts: dict[str, list[_Part]] = {k: [] for k in KINDS}
    skipped: list[tuple[int, str]] = []
    # Two blocks in flight: while pyarrow parses one (without the GIL), the next is
    # read and prepared; results are taken in file order.
    pending: deque[Future[_Parsed]] = deque()
    try:
        with ThreadPoolExecutor(max_workers=PARALLEL_BLOCKS) as pool:
            for block in blocks:
                pending.append(pool.submit(_parse_block, *block))
                if len(pending) >= PARALLEL_BLOCKS:
                    _take(pending.popleft().result(), parts, skipped)
            while pending:
                _take(pending.popleft().result(), parts, skipped)
        result = _assemble(parts, skipped)
    except MemoryError as exc:
        count = sum(len(p.xyz) for ps in parts.values() for p in ps)
        raise ReaderError(
            f"{source}: not enough memory for its points (ran out after {count:,})"
        ) from exc
    _report(result, source)
    return result


def _take(parsed: _Parsed, parts: dict[str, list[_Part]], skipped: list[tuple[int, str]]) -> None:
    found, bad = parsed
    for kind, part in found:
        parts[kind].append(part)
    skipped.extend(bad)


def _blocks_of(raw: bytes, size: int) -> Iterator[_Block]:
    """Blocks of whole lines of ``raw``, as views (no copy of the text)."""
    view = memoryview(raw)
    start, line, total = 0, 1, len(raw)
    while start < total:
        end = total
        if start + size < total:
            end = raw.rfind(b"\n", start, start + size) + 1
            if end <= start:  # a line longer than a block
                end = raw.find(b"\n", start + size) + 1 or total
        newlines = raw.count(b"\n", start, end)
        yield view[start:end], line, newlines + (raw[end - 1] != 0x0A)
        line += newlines
        start = end


def _blocks_from(stream: BinaryIO, size: int) -> Iterator[_Block]:
    """Blocks of whole lines read from ``stream``, ``size`` bytes at a time."""
    line = 1
    pending: list[bytes] = []  # text after the last newline seen, in pieces
    while chunk := stream.read(size):
        cut = chunk.rfind(b"\n") + 1
        if cut == 0:  # a line longer than a block: keep reading
            pending.append(chunk)
            continue
        text = b"".join([*pending, chunk[:cut]]) if pending else chunk[:cut]
        pending = [chunk[cut:]] if cut < len(chunk) else []
        newlines = text.count(b"\n")
        yield text, line, newlines
        line += newlines
    if pending:
        text = b"".join(pending)
        yield text, line, text.count(b"\n") + 1


def _parse_block(text: bytes | memoryview, first_line: int, n_lines: int) -> _Parsed:
    """The points of one block by kind, and its bad lines."""
    # Blank lines at the end (a file's last "\r\n\r\n") would make pyarrow's row count
    # differ from the line count: read the block without them.
    end = len(text)
    while end and text[end - 1] in _BLANK:
        end -= 1
    if end == 0:
        return [], []
    content, content_lines = text, n_lines
    if end < len(text):
        ends_in_newline = text[len(text) - 1] == _NEWLINE
        tail_newlines = bytes(text[end:]).count(b"\n")
        content = text[:end]
        content_lines = n_lines - (not ends_in_newline) - tail_newlines + 1
    columns = read_uniform(content, content_lines) or read_columns(content, content_lines)
    if columns is not None:
        part = _Part(first_line, columns.xyz, columns.rotations, columns.instance_ids)
        return [(columns.kind, part)], []
    records = read_lines(bytes(text), first_line)
    found: list[tuple[str, _Part]] = []
    for kind in KINDS:
        if not records.lines[kind]:
            continue
        part = _Part(
            first_line,
            np.array(records.xyz[kind], dtype=np.float64).reshape(-1, 3),
            lines=np.array(records.lines[kind], dtype=np.int64),
        )
        if kind == "orientedPoint":
            part.rotations = np.array(records.rotations, dtype=np.float64).reshape(-1, 3, 3)
        elif kind == "instancePoint":
            part.instance_ids = np.array(records.instance_ids, dtype=np.int64)
        found.append((kind, part))
    return found, records.skipped


def _assemble(parts: dict[str, list[_Part]], skipped: list[tuple[int, str]]) -> PointAnnotations:
    counts = {k: sum(len(p.xyz) for p in parts[k]) for k in KINDS}
    # One layer type per file: the majority kind; others are reported by line.
    kind = max(KINDS, key=lambda k: counts[k])
    for other in KINDS:
        if other != kind:
            for part in parts[other]:
                reason = f"{other} in a {kind} file"
                skipped.extend((int(n), reason) for n in part.line_numbers())
    chosen = parts.pop(kind)
    parts.clear()
    result = PointAnnotations(kind, _joined([p.xyz for p in chosen], (3,)), skipped=skipped)
    result.skipped.sort()
    if kind == "orientedPoint":
        rotations = [p.rotations for p in chosen if p.rotations is not None]
        result.rotations = _joined(rotations, (3, 3))
        off = [p.line_numbers()[improper(r)] for p, r in zip(chosen, rotations, strict=True)]
        result.improper_rotations = _joined(off, (), np.int64)
    elif kind == "instancePoint":
        ids = [p.instance_ids for p in chosen if p.instance_ids is not None]
        result.instance_ids = _joined(ids, (), np.int64)
    return result


def _joined(
    arrays: list[np.ndarray], shape: tuple[int, ...], dtype: type = np.float64
) -> np.ndarray:
    if len(arrays) == 1:
        return arrays[0]
    return np.concatenate(arrays) if arrays else np.zeros((0, *shape), dtype=dtype)


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
