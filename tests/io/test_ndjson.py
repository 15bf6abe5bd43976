"""ndJSON parsing: the bulk path and the per-line path agree; every kind; batches."""

from __future__ import annotations

import gc
import json

import numpy as np
import pytest

from napari_cryoet_explorer.io import ndjson
from napari_cryoet_explorer.io.ndjson import _parse_tolerant, parse_ndjson


def _oriented(n: int, seed: int = 0) -> tuple[bytes, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xyz = rng.uniform(0, 500, (n, 3))
    rot = rng.normal(size=(n, 3, 3))
    lines = [
        json.dumps(
            {
                "type": "orientedPoint",
                "location": {"x": p[0], "y": p[1], "z": p[2]},
                "xyz_rotation_matrix": r.tolist(),
            }
        )
        for p, r in zip(xyz, rot, strict=True)
    ]
    return ("\n".join(lines) + "\n").encode(), xyz, rot


def test_oriented_points_fast_path_matches_tolerant_path() -> None:
    raw, xyz, rot = _oriented(50)
    fast = parse_ndjson(raw)
    slow = _parse_tolerant(raw)
    assert fast.kind == slow.kind == "orientedPoint" and not fast.skipped
    assert np.array_equal(fast.xyz, xyz) and np.array_equal(slow.xyz, xyz)
    assert fast.rotations is not None and np.array_equal(fast.rotations, rot)
    assert np.array_equal(fast.zyx, xyz[:, ::-1])


def test_batches_join_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ndjson, "BATCH_LINES", 7)
    raw, xyz, rot = _oriented(30)
    parsed = parse_ndjson(raw)
    assert np.array_equal(parsed.xyz, xyz)
    assert parsed.rotations is not None and np.array_equal(parsed.rotations, rot)


def test_a_bad_line_in_a_later_batch_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ndjson, "BATCH_LINES", 7)
    raw, xyz, _ = _oriented(30)
    lines = raw.splitlines()
    lines[20] = b'{"type": "point", "location": {"x": 1, "y": 2, "z": 3}}'
    with pytest.warns(UserWarning, match=r"line 21 \(point in a orientedPoint file\)"):
        parsed = parse_ndjson(b"\n".join(lines))
    assert len(parsed.xyz) == 29 and np.array_equal(parsed.xyz[20:], xyz[21:])


def test_points_and_instance_points() -> None:
    points = b"\n".join(
        json.dumps({"type": "point", "location": {"x": i, "y": 2 * i, "z": 0.5}}).encode()
        for i in range(4)
    )
    parsed = parse_ndjson(points)
    assert parsed.kind == "point" and parsed.rotations is None and parsed.instance_ids is None
    assert np.array_equal(parsed.zyx[:, 2], [0, 1, 2, 3])
    instances = b"\r\n".join(
        json.dumps(
            {"type": "instancePoint", "location": {"x": i, "y": 0, "z": 0}, "instance_id": i // 2}
        ).encode()
        for i in range(6)
    )
    parsed = parse_ndjson(instances + b"\r\n\r\n")
    assert parsed.kind == "instancePoint" and parsed.instance_ids is not None
    assert parsed.instance_ids.tolist() == [0, 0, 1, 1, 2, 2]
    assert parsed.instance_ids.dtype == np.int64


def test_garbage_collector_is_restored() -> None:
    raw, _, _ = _oriented(5)
    assert gc.isenabled()
    parse_ndjson(raw)
    assert gc.isenabled()
    with pytest.warns(UserWarning):
        parse_ndjson(b"{broken\n")  # falls back
    assert gc.isenabled()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"{not json", "malformed JSON"),
        (b"[1, 2, 3]", "not an object"),
        (b'{"location": {"x": 1, "y": 2, "z": 3}}', "no type"),
        (b'{"type": "sphere", "location": {"x": 1, "y": 2, "z": 3}}', "unknown type 'sphere'"),
        (b'{"type": "point"}', "no location x/y/z"),
        (b'{"type": "point", "location": {"x": 1, "y": 2}}', "no location x/y/z"),
        (b'{"type": "point", "location": {"x": "a", "y": 2, "z": 3}}', "not numeric"),
        (b'{"type": "point", "location": {"x": NaN, "y": 2, "z": 3}}', "not finite"),
        (b'{"type": "point", "location": {"x": Infinity, "y": 2, "z": 3}}', "not finite"),
    ],
)
def test_each_bad_line_says_why(line: bytes, reason: str) -> None:
    good = b'{"type": "point", "location": {"x": 1, "y": 2, "z": 3}}'
    with pytest.warns(UserWarning, match="skipped 1 bad line") as record:
        parsed = parse_ndjson(b"\n".join([good, line, good]), "f.ndjson")
    assert len(parsed.xyz) == 2
    assert parsed.skipped == [(2, parsed.skipped[0][1])] and reason in parsed.skipped[0][1]
    assert "f.ndjson" in str(record[0].message)


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({}, "no xyz_rotation_matrix"),
        ({"xyz_rotation_matrix": [[1, 0], [0, 1]]}, "not a 3x3"),
        ({"xyz_rotation_matrix": [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]]}, "not a 3x3"),
        ({"xyz_rotation_matrix": "identity"}, "not a 3x3"),
    ],
)
def test_bad_rotations(extra: dict[str, object], reason: str) -> None:
    good = {
        "type": "orientedPoint",
        "location": {"x": 1, "y": 2, "z": 3},
        "xyz_rotation_matrix": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    }
    bad = {"type": "orientedPoint", "location": {"x": 1, "y": 2, "z": 3}, **extra}
    raw = b"\n".join(json.dumps(r).encode() for r in (good, bad, good))
    with pytest.warns(UserWarning, match=reason):
        parsed = parse_ndjson(raw)
    assert parsed.rotations is not None and parsed.rotations.shape == (2, 3, 3)


def test_rows_that_balance_out_are_still_caught() -> None:
    """A 4-row and a 2-row matrix hold 18 numbers like two good ones: not accepted."""
    rows4 = {"xyz_rotation_matrix": [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]]}
    rows2 = {"xyz_rotation_matrix": [[1, 0, 0], [0, 1, 0]]}
    records = [
        {"type": "orientedPoint", "location": {"x": 1, "y": 2, "z": 3}, **r} for r in (rows4, rows2)
    ]
    with pytest.warns(UserWarning, match="skipped 2 bad line"):
        parsed = parse_ndjson(b"\n".join(json.dumps(r).encode() for r in records))
    assert len(parsed.xyz) == 0


def test_fractional_instance_ids_are_rejected() -> None:
    lines = [
        b'{"type": "instancePoint", "location": {"x": 1, "y": 2, "z": 3}, "instance_id": 1}',
        b'{"type": "instancePoint", "location": {"x": 1, "y": 2, "z": 3}, "instance_id": 1.5}',
    ]
    with pytest.warns(UserWarning, match="no integer instance_id"):
        parsed = parse_ndjson(b"\n".join(lines))
    assert parsed.instance_ids is not None and parsed.instance_ids.tolist() == [1]


def test_many_bad_lines_are_summarised() -> None:
    with pytest.warns(UserWarning, match=r"skipped 8 bad line\(s\), kept 0 .* and 3 more"):
        parse_ndjson(b"\n".join([b"{x"] * 8))
