"""Large files: read block by block from a stream, in bounded memory, with clear messages."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from test_ndjson import oriented

from napari_cryoet_explorer.io import ndjson
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
    # Points while blocks are joined (twice their size) plus a few blocks of text.
    assert peak < 2 * out_bytes + 8 * ndjson.BLOCK_BYTES < path.stat().st_size


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
