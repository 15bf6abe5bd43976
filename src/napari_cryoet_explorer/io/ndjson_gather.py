"""Points of one kind gathered block by block into arrays that grow in place.

Each block's points are copied into the file's arrays as the block is taken, so the
block's own arrays are freed at once and their memory serves the next blocks: a file's
points are never held twice, as they would be by one concatenation at the end. The
arrays are sized from an estimate of the file's points (its size over the bytes per
point seen so far); untouched room costs no memory, and a short estimate grows by half.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GROWTH = 1.5


@dataclass
class Part:
    """Points of one kind from one block.

    Attributes
    ----------
    first_line : int
        1-based line of the block's first line.
    xyz : ndarray
        ``(M, 3)`` locations.
    rotations, instance_ids : ndarray or None
        ``(M, 3, 3)`` matrices of oriented points, ``(M,)`` ids of instance points.
    lines : ndarray or None
        The points' line numbers; None when they are the block's lines in order.
    improper : ndarray or None
        Indices (into this part) of matrices that are not proper rotations.
    """

    first_line: int
    xyz: np.ndarray
    rotations: np.ndarray | None = None
    instance_ids: np.ndarray | None = None
    lines: np.ndarray | None = None
    improper: np.ndarray | None = None

    def line_numbers(self) -> np.ndarray:
        """1-based line numbers of the points."""
        if self.lines is not None:
            return self.lines
        return np.arange(self.first_line, self.first_line + len(self.xyz), dtype=np.int64)

    def shift_lines(self, offset: int) -> None:
        """Renumber lines counted within a block as lines of the file."""
        self.first_line += offset
        if self.lines is not None:
            self.lines += offset


class Gathered:
    """The points of one kind in a file, as they arrive.

    Parameters
    ----------
    kind : str
        ``point``, ``orientedPoint`` or ``instancePoint``.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.count = 0
        self._xyz = np.empty((0, 3), dtype=np.float64)
        self._rotations = np.empty((0, 3, 3), dtype=np.float64)
        self._ids = np.empty(0, dtype=np.int64)
        # Line numbers by part: (first line, count) for consecutive lines, else an array.
        self._lines: list[tuple[int, int] | np.ndarray] = []
        self._improper: list[np.ndarray] = []

    def add(self, part: Part, expected: int = 0) -> None:
        """Append ``part``; ``expected`` is how many points the file likely holds."""
        size = len(part.xyz)
        end = self.count + size
        if end > len(self._xyz):
            self._grow(max(end, expected, int(len(self._xyz) * GROWTH)))
        self._xyz[self.count : end] = part.xyz
        if part.rotations is not None:
            self._rotations[self.count : end] = part.rotations
        if part.instance_ids is not None:
            self._ids[self.count : end] = part.instance_ids
        self._lines.append(part.lines if part.lines is not None else (part.first_line, size))
        if part.improper is not None and len(part.improper):
            self._improper.append(part.line_numbers()[part.improper])
        self.count = end

    def _grow(self, capacity: int) -> None:
        def grown(old: np.ndarray) -> np.ndarray:
            new = np.empty((capacity, *old.shape[1:]), dtype=old.dtype)
            new[: self.count] = old[: self.count]
            return new

        self._xyz = grown(self._xyz)
        if self.kind == "orientedPoint":
            self._rotations = grown(self._rotations)
        elif self.kind == "instancePoint":
            self._ids = grown(self._ids)

    @property
    def xyz(self) -> np.ndarray:
        """``(N, 3)`` locations."""
        return self._xyz[: self.count]

    @property
    def rotations(self) -> np.ndarray:
        """``(N, 3, 3)`` matrices (oriented points)."""
        return self._rotations[: self.count]

    @property
    def instance_ids(self) -> np.ndarray:
        """``(N,)`` ids (instance points)."""
        return self._ids[: self.count]

    def line_numbers(self) -> np.ndarray:
        """1-based line numbers of all the points, in order."""
        pieces = [
            np.arange(lines[0], lines[0] + lines[1], dtype=np.int64)
            if isinstance(lines, tuple)
            else lines
            for lines in self._lines
        ]
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)

    def improper_lines(self) -> np.ndarray:
        """1-based lines of matrices that are not proper rotations, in order."""
        if not self._improper:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(self._improper)
