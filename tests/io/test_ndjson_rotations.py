"""Matrices that are not proper rotations: named by line, points kept, values as given."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_ndjson import oriented, rotations

from napari_cryoet_explorer.io.ndjson import parse_ndjson
from napari_cryoet_explorer.io.rotations import ROTATION_TOLERANCE, improper


def _with_matrices(matrices: dict[int, np.ndarray], n: int = 20) -> tuple[bytes, np.ndarray]:
    raw, _, rot = oriented(n)
    lines = raw.splitlines()
    for i, m in matrices.items():
        record = json.loads(lines[i])
        record["xyz_rotation_matrix"] = m.tolist()
        lines[i] = json.dumps(record).encode()
        rot[i] = m
    return b"\n".join(lines), rot


def test_improper_matrices_are_named_and_kept_as_given() -> None:
    rng = np.random.default_rng(3)
    r = rotations(4, rng)
    reflection = r[0] * [[-1], [1], [1]]  # orthonormal, det -1
    scaled = 1.01 * r[1]
    sheared = r[2] + 0.01 * np.triu(np.ones((3, 3)), 1)
    float32 = r[3].astype(np.float32).astype(np.float64)  # a proper rotation, rounded
    raw, expected = _with_matrices({2: reflection, 5: scaled, 11: sheared, 12: float32})
    with pytest.warns(UserWarning, match=r"f.ndjson: 3 of 20 .* not proper rotations") as record:
        parsed = parse_ndjson(raw, "f.ndjson")
    assert "line 3, 6, 12" in str(record[0].message) and len(record) == 1
    assert parsed.improper_rotations.tolist() == [3, 6, 12]
    assert len(parsed.xyz) == 20 and not parsed.skipped
    assert parsed.rotations is not None and np.array_equal(parsed.rotations, expected)


def test_many_improper_matrices_are_summarised() -> None:
    raw, _ = _with_matrices({i: np.eye(3) * 2 for i in range(0, 20, 2)})
    with pytest.warns(UserWarning, match=r"10 of 20 .* line 1, 3, 5, 7, 9 and 5 more"):
        parse_ndjson(raw)


def test_improper_agrees_with_linear_algebra() -> None:
    rng = np.random.default_rng(7)
    good = rotations(200, rng)
    noisy = good + rng.normal(scale=10 * ROTATION_TOLERANCE, size=good.shape)
    mixed = np.concatenate([good, noisy, -good])
    gram_error = np.abs(mixed.transpose(0, 2, 1) @ mixed - np.eye(3)).max(axis=(1, 2))
    det_error = np.abs(np.linalg.det(mixed) - 1)
    expected = (gram_error > ROTATION_TOLERANCE) | (det_error > ROTATION_TOLERANCE)
    assert np.array_equal(improper(mixed), expected)
    assert not improper(good).any() and improper(-good).all()
    assert improper(np.zeros((0, 3, 3))).shape == (0,)
