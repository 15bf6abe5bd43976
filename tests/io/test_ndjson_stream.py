"""Large files: read block by block from a stream, in bounded memory, with clear messages."""

from __future__ import annotations

import io
import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from test_ndjson import oriented

from napari_cryoet_explorer.io import ndjson, ndjson_gather
from napari_cryoet_explorer.io.errors import ReaderError
from napari_cryoet_explorer.io.ndjson import parse_ndjson, parse_ndjson_stream


def test_a_file_streams_in_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory beyond the points is one block of text, not the file."""
    monkeypatch.setattr(ndjson, "BLOCK_BYTES", 1 << 18)
    raw, xyz, rot = oriented(20_000)
    path = tmp_path / "big_orientedpoint.ndjson"
    path.write_bytes(raw)
    del raw
    out_bytes = xyz.nbytes + rot.nbytes
    tracemalloc.start()
    try:
        with path.open("rb") as fh:
            parsed = parse_ndjson_stream(fh, str(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert np.array_equal(parsed.xyz, xyz)
    assert parsed.rotations is not None and np.array_equal(parsed.rotations, rot)
    # The points (gathered once, with a little room) plus a few blocks of text.
    assert peak < 1.2 * out_bytes + 8 * ndjson.BLOCK_BYTES < path.stat().st_size


def test_bad_lines_in_a_big_file_keep_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ndjson, "BLOCK_BYTES", 1 << 14)
    raw, xyz, _ = oriented(2_000)
    lines = raw.splitlines()
    bad = [7, 999, 1_998]
    for i in bad:
        lines[i] = b"{" + lines[i]
    with pytest.warns(UserWarning, match=r"skipped 3 .* kept 1997 .* line 8 \(malformed JSON\)"):
        parsed = parse_ndjson(b"\n".join(lines))
    assert [n for n, _ in parsed.skipped] == [i + 1 for i in bad]
    assert np.array_equal(parsed.xyz, np.delete(xyz, bad, axis=0))


def test_very_many_points_are_announced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ndjson, "LARGE_POINT_COUNT", 5)
    line = json.dumps({"type": "point", "location": {"x": 1, "y": 2, "z": 3}}).encode()
    with pytest.warns(UserWarning, match="f.ndjson: 6 points; napari may be slow"):
        parse_ndjson(b"\n".join([line] * 6), "f.ndjson")


def test_running_out_of_memory_names_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ndjson, "BLOCK_BYTES", 4096)
    calls = []

    def exhausted(block: bytes, n_lines: int, end: int | None = None) -> None:
        calls.append(n_lines)
        if len(calls) > 2:
            raise MemoryError
        return real(block, n_lines, end)

    real = ndjson.read_uniform
    monkeypatch.setattr(ndjson, "read_uniform", exhausted)
    raw, _, _ = oriented(100)
    with pytest.raises(ReaderError, match=r"big.ndjson: not enough memory .* after \d+\)"):
        parse_ndjson(raw, "big.ndjson")


class _ReadOnly:
    """A stream with ``read(n)`` alone: no ``readinto``, no file number."""

    def __init__(self, raw: bytes) -> None:
        self._raw = io.BytesIO(raw)

    def read(self, n: int) -> bytes:
        return self._raw.read(n)


@pytest.mark.parametrize("block_bytes", [100, 3000])
def test_a_stream_with_read_alone(monkeypatch: pytest.MonkeyPatch, block_bytes: int) -> None:
    monkeypatch.setattr(ndjson, "BLOCK_BYTES", block_bytes)
    raw, xyz, rot = oriented(80)
    parsed = parse_ndjson_stream(_ReadOnly(raw[:-1]))  # type: ignore[arg-type]
    assert np.array_equal(parsed.xyz, xyz)
    assert parsed.rotations is not None and np.array_equal(parsed.rotations, rot)


def test_points_outgrowing_the_estimate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Long lines first, short ones after: the arrays sized from the start grow."""
    monkeypatch.setattr(ndjson, "BLOCK_BYTES", 4096)
    grown: list[int] = []
    real_grow = ndjson_gather.Gathered._grow

    def grow(self: ndjson_gather.Gathered, capacity: int) -> None:
        grown.append(capacity)
        real_grow(self, capacity)

    monkeypatch.setattr(ndjson_gather.Gathered, "_grow", grow)
    raw, xyz, rot = oriented(400)
    lines = raw.splitlines()
    padded = [line[:-1] + b', "note": "' + b"n" * 400 + b'"}' for line in lines[:20]]
    path = tmp_path / "uneven_orientedpoint.ndjson"
    path.write_bytes(b"\n".join(padded + lines[20:]) + b"\n")
    with path.open("rb") as fh:
        parsed = parse_ndjson_stream(fh, str(path))
    assert len(grown) > 1 and grown[-1] >= 400
    assert np.array_equal(parsed.xyz, xyz)
    assert parsed.rotations is not None and np.array_equal(parsed.rotations, rot)


def test_lines_are_numbered_across_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bad lines and improper matrices far into a file keep their file line numbers."""
    monkeypatch.setattr(ndjson, "BLOCK_BYTES", 1500)
    raw, xyz, rot = oriented(300)
    lines = raw.splitlines()
    lines[150] = b"{broken"
    record = json.loads(lines[290])
    record["xyz_rotation_matrix"][0] = [2.0, 0.0, 0.0]
    lines[290] = json.dumps(record).encode()
    with pytest.warns(UserWarning):
        parsed = parse_ndjson(b"\n".join(lines) + b"\n")
    assert parsed.skipped == [(151, "malformed JSON")]
    assert parsed.improper_rotations.tolist() == [291]
    assert np.array_equal(parsed.xyz, np.delete(xyz, 150, axis=0))
