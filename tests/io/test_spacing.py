"""The particles' spacing on large files: measured in a lattice of cubes, exactly."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import cKDTree

from napari_cryoet_explorer.io import spacing
from napari_cryoet_explorer.io.spacing import SPARSE_ABOVE, nearest_neighbour_distance


def _all_distances(positions: np.ndarray) -> np.ndarray:
    distances, _ = cKDTree(positions).query(positions, k=2)
    found: np.ndarray = distances[:, 1]
    return found[found > 0]


def _uniform(n: int) -> np.ndarray:
    return np.random.default_rng(0).uniform(0, 1000, (n, 3))


def _shells(n: int) -> np.ndarray:
    """Particles crowded on spherical shells, as on vesicles' membranes."""
    rng = np.random.default_rng(1)
    centres = rng.uniform(0, 4000, (30, 3))
    directions = rng.normal(size=(n, 3))
    directions /= np.linalg.norm(directions, axis=1)[:, None]
    radii = rng.uniform(200, 400, (n, 1))
    return centres[rng.integers(0, 30, n)] + directions * radii


@pytest.mark.parametrize("make", [_uniform, _shells], ids=["uniform", "shells"])
def test_cubes_measure_the_median(make, monkeypatch: pytest.MonkeyPatch) -> None:
    positions = make(4 * SPARSE_ABOVE)
    queried: list[np.ndarray] = []
    distances = spacing._distances

    def recorded(tree_points: np.ndarray, queries: np.ndarray) -> np.ndarray:
        queried.append(queries)
        return distances(tree_points, queries)

    monkeypatch.setattr(spacing, "_distances", recorded)
    found = nearest_neighbour_distance(positions)
    # One tree, over a part of the particles, from a sample of about NEIGHBOUR_SAMPLE.
    assert len(queried) == 1
    assert spacing.NEIGHBOUR_SAMPLE / 2 <= len(queried[0]) <= 2 * spacing.NEIGHBOUR_SAMPLE
    # The sampled particles' distances are their true nearest-neighbour distances.
    tree = cKDTree(positions)
    true, _ = tree.query(queried[0], k=2)
    sampled = true[:, 1]
    assert found == pytest.approx(float(np.median(sampled[sampled > 0])), rel=1e-12)
    # And the sample's median is the file's, within a few percent.
    assert found == pytest.approx(float(np.median(_all_distances(positions))), rel=0.05)


def test_an_outlier_or_a_plane_falls_back_to_every_particle() -> None:
    positions = _uniform(2 * SPARSE_ABOVE)
    truth = float(np.median(_all_distances(positions)))
    far = np.vstack([positions, [[1e7, 0.0, 0.0]]])
    assert spacing._median_in_cubes(far) is None
    assert nearest_neighbour_distance(far) == pytest.approx(truth, rel=0.05)
    plane = positions.copy()
    plane[:, 2] = 5.0
    assert spacing._median_in_cubes(plane) is None
    assert nearest_neighbour_distance(plane) == pytest.approx(
        float(np.median(_all_distances(plane))), rel=0.05
    )
