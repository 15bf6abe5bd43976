"""ndJSON parsing: the bulk path and the per-line path agree; every kind; blocks."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from napari_cryoet_explorer.io import ndjson
from napari_cryoet_explorer.io.ndjson import parse_ndjson, parse_ndjson_stream
from napari_cryoet_explorer.io.ndjson_lines import read_lines


def rotations(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` proper rotations (orthonormal, det +1), full float64 precision."""
    q, r = np.linalg.qr(rng.normal(size=(n, 3, 3)))
    q = q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]
    q[np.linalg.det(q) < 0, :, 0] *= -1
    return np.asarray(q)


def oriented(n: int, seed: int = 0) -> tuple[bytes, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xyz = rng.uniform(0, 500, (n, 3))
    rot = rotations(n, rng)
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


def test_oriented_points_bulk_path_matches_per_line_path() -> None:
    raw, xyz, rot = oriented(50)
    fast = parse_ndjson(raw)
    slow = read_lines(raw, 1)
    assert fast.kind == "orientedPoint" and not fast.skipped
    assert np.array_equal(fast.xyz, xyz) and np.array_equal(slow.xyz["orientedPoint"], xyz)
    assert fast.rotations is not None and fast.rotations.dtype == np.float64
    assert np.array_equal(fast.rotations, rot) and np.array_equal(slow.rotations, rot)
    assert np.array_equal(fast.zyx, xyz[:, ::-1])
    assert len(fast.improper_rotations) == 0


def test_well_formed_files_never_take_the_per_line_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(block: bytes, first_line: int) -> None:
        raise AssertionError(f"per-line path used from line {first_line}")

    monkeypatch.setattr(ndjson, "read_lines", refuse)
    monkeypatch.setattr(ndjson, "BLOCK_BYTES", 4096)
    raw, xyz, rot = oriented(200)
    # CRLF, blank lines at the end, extra fields: still well formed.
    raw = raw.replace(b"\n", b"\r\n").replace(b"]]}\r", b']], "note": [1, {}]}\r') + b" \r\n\n"
    parsed = parse_ndjson(raw)
    assert np.array_equal(parsed.xyz, xyz)
    assert parsed.rotations is not None and np.array_equal(parsed.rotations, rot)


@pytest.mark.parametrize("from_stream", [False, True], ids=["bytes", "stream"])
@pytest.mark.parametrize("block_bytes", [64, 1000, 4096])
def test_blocks_join_up(
    monkeypatch: pytest.MonkeyPatch, block_bytes: int, from_stream: bool
) -> None:
    """Blocks smaller than a line, a few lines, many lines: the same points."""
    monkeypatch.setattr(ndjson, "BLOCK_BYTES", block_bytes)
    raw, xyz, rot = oriented(30)
    raw = raw[:-1]  # no trailing newline either
    parsed = parse_ndjson_stream(io.BytesIO(raw)) if from_stream else parse_ndjson(raw)
    assert np.array_equal(parsed.xyz, xyz)
    assert parsed.rotations is not None and np.array_equal(parsed.rotations, rot)


def test_a_bad_line_in_a_later_block_costs_only_that_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ndjson, "BLOCK_BYTES", 2000)
    raw, xyz, rot = oriented(60)
    lines = raw.splitlines()
    lines[40] = b'{"type": "point", "location": {"x": 1, "y": 2, "z": 3}}'
    lines[52] = lines[52][:-7]
    with pytest.warns(UserWarning, match=r"skipped 2 .* line 41 \(point in a orientedPoint file\)"):
        parsed = parse_ndjson(b"\n".join(lines), "f.ndjson")
    assert parsed.skipped == [(41, "point in a orientedPoint file"), (53, "malformed JSON")]
    keep = [i for i in range(60) if i not in (40, 52)]
    assert np.array_equal(parsed.xyz, xyz[keep])
    assert parsed.rotations is not None and np.array_equal(parsed.rotations, rot[keep])


def test_points_and_instance_points() -> None:
    points = b"\n".join(
        json.dumps({"type": "point", "location": {"x": i, "y": 2 * i, "z": 0.5}}).encode()
        for i in range(4)
    )
    parsed = parse_ndjson(points)
    assert parsed.kind == "point" and parsed.rotations is None and parsed.instance_ids is None
    assert parsed.xyz.dtype == np.float64
    assert np.array_equal(parsed.zyx, [[0.5, 2 * i, i] for i in range(4)])
    big = 2**53 + 1  # not representable as float64: must stay an exact integer
    instances = b"\r\n".join(
        json.dumps(
            {
                "type": "instancePoint",
                "location": {"x": i, "y": 0, "z": 0},
                "instance_id": i // 2 if i < 5 else big,
            }
        ).encode()
        for i in range(6)
    )
    parsed = parse_ndjson(instances + b"\r\n")
    assert parsed.kind == "instancePoint" and parsed.instance_ids is not None
    assert parsed.instance_ids.tolist() == [0, 0, 1, 1, 2, big]
    assert parsed.instance_ids.dtype == np.int64


@pytest.mark.parametrize(
    "raw", [b"", b"\n", b"\r\n\r\n", b"   \n\t\n"], ids=["empty", "newline", "crlf", "blanks"]
)
def test_empty_files(raw: bytes) -> None:
    with pytest.warns(UserWarning, match="f.ndjson: empty annotation file"):
        parsed = parse_ndjson(raw, "f.ndjson")
    assert parsed.xyz.shape == (0, 3) and not parsed.skipped


def test_crlf_blank_lines_and_extra_fields_keep_line_numbers() -> None:
    good = {"type": "point", "location": {"x": 1.25, "y": 2, "z": 3, "w": 9}, "note": [1, {}]}
    bad = {"type": "point", "location": {"x": "1", "y": 2, "z": 3}}
    lines = [json.dumps(good), "", json.dumps(good), "   ", json.dumps(bad), json.dumps(good)]
    with pytest.warns(UserWarning, match="skipped 1 bad line") as record:
        parsed = parse_ndjson(("\r\n".join(lines) + "\r\n\r\n").encode(), "f.ndjson")
    assert parsed.skipped == [(5, "location is not numeric")]
    assert np.array_equal(parsed.xyz, [[1.25, 2, 3]] * 3)
    assert len(record) == 1


def test_two_objects_on_one_line_are_one_bad_line() -> None:
    """pyarrow would read them as two rows, shifting every later line number."""
    good = b'{"type": "point", "location": {"x": 1, "y": 2, "z": 3}}'
    with pytest.warns(UserWarning, match=r"line 2 \(malformed JSON\)"):
        parsed = parse_ndjson(b"\n".join([good, good + good, good]))
    assert len(parsed.xyz) == 2


def test_duplicate_keys_fall_back_and_keep_the_point() -> None:
    line = b'{"type": "point", "location": {"x": 1, "y": 2, "z": 3, "x": 4}}'
    parsed = parse_ndjson(line + b"\n" + line)
    assert not parsed.skipped and np.array_equal(parsed.xyz, [[4, 2, 3]] * 2)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"{not json", "malformed JSON"),
        (b"[1, 2, 3]", "not an object"),
        (b'{"location": {"x": 1, "y": 2, "z": 3}}', "no type"),
        (b'{"type": "sphere", "location": {"x": 1, "y": 2, "z": 3}}', "unknown type 'sphere'"),
        (b'{"type": "point"}', "no location x/y/z"),
        (b'{"type": "point", "location": null}', "no location x/y/z"),
        (b'{"type": "point", "location": {"x": 1, "y": 2}}', "no location x/y/z"),
        (b'{"type": "point", "location": {"x": "a", "y": 2, "z": 3}}', "not numeric"),
        (b'{"type": "point", "location": {"x": true, "y": 2, "z": 3}}', "not numeric"),
        (b'{"type": "point", "location": {"x": NaN, "y": 2, "z": 3}}', "not finite"),
        (b'{"type": "point", "location": {"x": Infinity, "y": 2, "z": 3}}', "not finite"),
        (b'{"type": "point", "location": {"x": 1e999, "y": 2, "z": 3}}', "not finite"),
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
        ({"xyz_rotation_matrix": None}, "not a 3x3"),
        ({"xyz_rotation_matrix": [[1, 0], [0, 1]]}, "not a 3x3"),
        ({"xyz_rotation_matrix": [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]]}, "not a 3x3"),
        ({"xyz_rotation_matrix": [[1, 0, 0], [0, 1, None], [0, 0, 1]]}, "not a 3x3"),
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


@pytest.mark.parametrize("value", ["1.5", "1e3", '"3"', "99999999999999999999"])
def test_instance_ids_that_are_not_int64_are_rejected(value: str) -> None:
    lines = [
        b'{"type": "instancePoint", "location": {"x": 1, "y": 2, "z": 3}, "instance_id": 1}',
        b'{"type": "instancePoint", "location": {"x": 1, "y": 2, "z": 3}, "instance_id": '
        + value.encode()
        + b"}",
    ]
    with pytest.warns(UserWarning, match=r"line 2 \((no integer instance_id|instance_id out)"):
        parsed = parse_ndjson(b"\n".join(lines))
    assert parsed.instance_ids is not None and parsed.instance_ids.tolist() == [1]


def test_many_bad_lines_are_summarised() -> None:
    with pytest.warns(UserWarning, match=r"skipped 8 bad line\(s\), kept 0 .* and 3 more"):
        parse_ndjson(b"\n".join([b"{x"] * 8))
