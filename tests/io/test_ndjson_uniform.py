"""The uniform path: blocks of same-shaped lines read as CSV, exact, or refused."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_ndjson import oriented

from napari_cryoet_explorer.io import ndjson
from napari_cryoet_explorer.io.ndjson import parse_ndjson
from napari_cryoet_explorer.io.ndjson_uniform import read_uniform

GOOD = {"type": "orientedPoint", "location": {"x": 1.5, "y": 2, "z": 3}}
MATRIX = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]


def block(*records: object) -> bytes:
    return b"\n".join(json.dumps(r).encode() for r in records)


def test_values_are_the_same_floats_as_pythons_json() -> None:
    """Full-precision, extreme and subnormal values come out bit for bit."""
    rng = np.random.default_rng(3)
    specials = [5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -0.0, 1e-300, 123456789]
    values = np.concatenate([rng.normal(scale=1e3, size=2000), specials])
    records = [
        {"type": "point", "location": {"x": float(v), "y": float(-v), "z": 0.1 + i}}
        for i, v in enumerate(values)
    ]
    raw = block(*records)
    columns = read_uniform(raw, len(records))
    assert columns is not None and columns.kind == "point"
    expected = np.array([[r["location"][a] for a in "xyz"] for r in records])  # type: ignore[index]
    assert columns.xyz.tobytes() == expected.tobytes()


def test_oriented_points_take_the_uniform_path_with_the_same_result() -> None:
    raw, xyz, rot = oriented(300)
    columns = read_uniform(raw.rstrip(b"\n"), 300)
    assert columns is not None and columns.rotations is not None
    assert np.array_equal(columns.xyz, xyz) and np.array_equal(columns.rotations, rot)


def test_instance_ids_and_other_fields() -> None:
    records = [
        {"type": "instancePoint", "location": {"x": i, "y": 1, "z": 2}, "instance_id": i // 3}
        for i in range(12)
    ]
    columns = read_uniform(block(*records), 12)
    assert columns is not None and columns.instance_ids is not None
    assert columns.instance_ids.dtype == np.int64
    assert columns.instance_ids.tolist() == [i // 3 for i in range(12)]
    assert columns.xyz[:, 0].tolist() == list(range(12))


@pytest.mark.parametrize(
    "second",
    [
        # Keys in another order: the numbers would land in the wrong columns.
        b'{"type": "orientedPoint", "location": {"y": 2, "x": 1.5, "z": 3}, '
        b'"xyz_rotation_matrix": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}',
        # The same closing brackets, other opening ones: a number where a row belongs.
        b'{"type": "orientedPoint", "location": {"x": 1.5, "y": 2, "z": 3}, '
        b'"xyz_rotation_matrix": [1, [0, 0], [0, 1, 0], [0, 0, 1]]}',
        # Compact spacing.
        b'{"type":"orientedPoint","location":{"x":1.5,"y":2,"z":3},'
        b'"xyz_rotation_matrix":[[1,0,0],[0,1,0],[0,0,1]]}',
        # Another kind, a null, a bool, NaN, a string for a number, an escape.
        b'{"type": "point", "location": {"x": 1.5, "y": 2, "z": 3}, '
        b'"xyz_rotation_matrix": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}',
        b'{"type": "orientedPoint", "location": {"x": null, "y": 2, "z": 3}, '
        b'"xyz_rotation_matrix": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}',
        b'{"type": "orientedPoint", "location": {"x": true, "y": 2, "z": 3}, '
        b'"xyz_rotation_matrix": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}',
        b'{"type": "orientedPoint", "location": {"x": NaN, "y": 2, "z": 3}, '
        b'"xyz_rotation_matrix": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}',
        b'{"type": "orientedPoint", "location": {"x": "1.5", "y": 2, "z": 3}, '
        b'"xyz_rotation_matrix": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}',
        b'{"type": "orientedP\\u006fint", "location": {"x": 1.5, "y": 2, "z": 3}, '
        b'"xyz_rotation_matrix": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}',
        # A blank line, and a second object on the line.
        b"",
        b'{"type": "orientedPoint", "location": {"x": 1.5, "y": 2, "z": 3}, '
        b'"xyz_rotation_matrix": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]} {}',
        # Infinite once parsed.
        b'{"type": "orientedPoint", "location": {"x": 1e999, "y": 2, "z": 3}, '
        b'"xyz_rotation_matrix": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}',
    ],
    ids=[
        "key-order",
        "brackets",
        "spacing",
        "kind",
        "null",
        "bool",
        "nan",
        "string",
        "escape",
        "blank",
        "two-objects",
        "inf",
    ],
)
def test_any_other_shape_is_refused(second: bytes) -> None:
    first = block({**GOOD, "xyz_rotation_matrix": MATRIX})
    assert read_uniform(first + b"\n" + first, 2) is not None
    assert read_uniform(first + b"\n" + second + b"\n" + first, 3) is None


@pytest.mark.parametrize(
    "record",
    [
        {"type": "orientedPoint", "location": {"x": 1, "y": 2, "z": 3}},  # no matrix
        {**GOOD, "xyz_rotation_matrix": [[1, 0, 0], [0, 1, 0]]},
        {**GOOD, "xyz_rotation_matrix": [[[1], 0, 0], [0, 1, 0], [0, 0, 1]]},
        {"type": "instancePoint", "location": {"x": 1, "y": 2, "z": 3}, "instance_id": 1.0},
        {"type": "point", "location": {"x": 1, "y": 2}},
        {"type": "point", "location": {"x": 1, "y": 2, "z": 3}, "note": "a, b"},
        {"type": "line", "location": {"x": 1, "y": 2, "z": 3}},
        [1, 2, 3],
    ],
)
def test_first_lines_this_path_cannot_take(record: object) -> None:
    raw = block(record, record)
    assert read_uniform(raw, 2) is None


def test_refused_blocks_still_parse_by_the_other_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file whose lines change spacing halfway gives every point, exactly."""
    monkeypatch.setattr(ndjson, "BLOCK_BYTES", 4096)
    raw, xyz, rot = oriented(100)
    lines = raw.splitlines()
    compact = [json.dumps(json.loads(line), separators=(",", ":")).encode() for line in lines[50:]]
    parsed = parse_ndjson(b"\n".join(lines[:50] + compact) + b"\n")
    assert not parsed.skipped
    assert np.array_equal(parsed.xyz, xyz)
    assert parsed.rotations is not None and np.array_equal(parsed.rotations, rot)
