"""Matrices that are not proper rotations: named by line, points kept, values as given."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from test_ndjson import oriented, rotations

from napari_cryoet_explorer._reader import get_reader
from napari_cryoet_explorer.io.ndjson import parse_ndjson
from napari_cryoet_explorer.io.rotations import ROTATION_TOLERANCE, improper
from napari_cryoet_explorer.replica.server import ReplicaServer


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


@pytest.mark.parametrize("where", ["local", "http"])
def test_zero_scaled_and_reflected_matrices_are_named_and_drawn_as_given(
    tmp_path: Path, serve_folder: Callable[..., ReplicaServer], where: str
) -> None:
    """The file's name and lines in one warning; the triads drawn from the matrices as
    written (no axes for zeros, five times as long for 5 I, a mirrored x axis for det -1)."""
    reflection = np.diag([-1.0, 1.0, 1.0])
    raw, expected = _with_matrices({1: np.zeros((3, 3)), 3: 5 * np.eye(3), 6: reflection}, n=12)
    folder = tmp_path / "VoxelSpacing10.000" / "Annotations" / "1"
    folder.mkdir(parents=True)
    (folder / "ribosome-1.0_orientedpoint.ndjson").write_bytes(raw)
    source = str(folder / "ribosome-1.0_orientedpoint.ndjson")
    if where == "http":
        source = (
            f"{serve_folder(tmp_path).files_url}/{Path(source).relative_to(tmp_path).as_posix()}"
        )
    reader = get_reader(source)
    assert reader is not None
    with pytest.warns(UserWarning, match="not proper rotations") as record:
        (points, _, _), (vectors, vector_kwargs, kind) = reader(source)
    (message,) = [str(r.message) for r in record if "not proper rotations" in str(r.message)]
    assert message.startswith(f"{source}: 3 of 12 ") and message.endswith("line 2, 4, 7")
    assert kind == "vectors" and len(points) == 12 and len(vectors) == 36
    # Column j of particle i's matrix, in zyx, at the length of a proper particle's axes.
    length = np.linalg.norm(vectors[0, 1])
    drawn = vectors[:, 1].reshape(12, 3, 3)  # particle, axis, zyx
    given = np.transpose(expected[:, ::-1, :], (0, 2, 1)) * length
    # As given, not normalised: equal to float32's precision (triads are float32).
    assert drawn.dtype == np.float32
    np.testing.assert_allclose(drawn, given, rtol=1e-6, atol=1e-9)
    assert not drawn[1].any()
    np.testing.assert_allclose(np.linalg.norm(drawn[3], axis=1), 5 * length)
    np.testing.assert_allclose(drawn[6, 0], [0.0, 0.0, -length], atol=1e-9)
    assert vector_kwargs["features"]["particle"][3 * 6] == 6
