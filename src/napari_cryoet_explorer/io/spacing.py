"""How far apart particles are: the median distance to the nearest other particle.

The orientation triads are sized from it. It is measured from a sample of particles
to every other particle. A k-d tree over all of a large file's particles is most of
the cost (about 55 ms for 300,000 particles), so above :data:`SPARSE_ABOVE`
particles the sample is taken from small cubes laid out on a lattice through the
whole volume, and the tree holds only the particles in those cubes: a sampled
particle sits at least a quarter of its cube's side from the cube's faces, so a
neighbour found nearer than that is its true nearest neighbour. When the median is
not settled that way (particles sparser than the cubes allow for), every particle
goes into the tree.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

__all__ = ["NEIGHBOUR_SAMPLE", "SPARSE_ABOVE", "nearest_neighbour_distance"]

# Nearest neighbours are measured from about this many particles: the median settles
# long before, and a million-point file stays fast.
NEIGHBOUR_SAMPLE = 5_000
# Above this many particles the tree holds only the particles of the lattice's cubes.
SPARSE_ABOVE = 50_000
# A cube's side, in mean nearest-neighbour distances of particles spread evenly
# through the bounding box (the cube's inner quarter-side margin is then 2.5 such
# distances; particles that cluster, as most do, are nearer still).
_CUBE_SIDE = 10.0
# The mean nearest-neighbour distance of uniformly spread points, per (volume /
# count) ** (1 / 3) (a Poisson process's 0.554).
_POISSON_NN = 0.554


def nearest_neighbour_distance(positions: np.ndarray) -> float | None:
    """The median distance from a particle to its nearest other particle.

    Parameters
    ----------
    positions : ndarray
        ``(N, 3)`` positions, in any one unit.

    Returns
    -------
    float or None
        In the unit of ``positions``; None with fewer than two distinct positions.
        Particles at the same position as another are left out of the median.
    """
    positions = np.asarray(positions, dtype=np.float64).reshape(-1, 3)
    if len(positions) < 2:
        return None
    if len(positions) > SPARSE_ABOVE:
        found = _median_in_cubes(positions)
        if found is not None:
            return found
    step = max(1, len(positions) // NEIGHBOUR_SAMPLE)
    return _median(_distances(positions, positions[::step]), np.inf)


def _distances(tree_points: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Each query's distance to its nearest other point of ``tree_points``."""
    # Two neighbours: the first is the query itself (distance 0). An unbalanced tree
    # of uncompacted nodes builds in about two thirds of the time and answers as well.
    tree = cKDTree(tree_points, balanced_tree=False, compact_nodes=False)
    distances, _ = tree.query(queries, k=2, workers=-1)
    found: np.ndarray = distances[:, 1]
    return found


def _median(distances: np.ndarray, certain_below: float) -> float | None:
    """The median of ``distances`` when it is known exactly, else None.

    Distances of 0 (a particle on another) are left out. A distance above
    ``certain_below`` only bounds the true one, which is above ``certain_below``
    too: the median is exact when it falls among the distances below.
    """
    distances = distances[distances > 0]
    if not len(distances):
        return None
    values = np.where(distances <= certain_below, distances, np.inf)
    median = float(np.median(values))
    return median if np.isfinite(median) else None


def _median_in_cubes(positions: np.ndarray) -> float | None:
    """The median measured in the lattice's cubes (module docstring), or None."""
    # Column by column: numpy reduces and compares a column far faster than it works
    # along an (N, 3) array's short rows.
    columns = [positions[:, axis] for axis in range(3)]
    low = np.array([column.min() for column in columns])
    extent = np.array([column.max() for column in columns]) - low
    if not np.all(extent > 0):
        return None  # a plane or a line: the even-spread estimate means nothing
    n = len(positions)
    side = _CUBE_SIDE * _POISSON_NN * float(np.prod(extent) / n) ** (1 / 3)
    # The lattice's period puts about NEIGHBOUR_SAMPLE particles in the cubes' inner
    # halves (an eighth of a cube's volume each).
    period = side / (2 * (NEIGHBOUR_SAMPLE / n) ** (1 / 3))
    if period <= side:
        return None
    members = positions[_in_cubes(columns, low, side / period, period)]
    if len(members) < 2 or len(members) > n // 2:
        return None
    # Inner halves: at least a quarter of the side from every face.
    inner = _in_cubes(
        [members[:, axis] for axis in range(3)], low + side / 4, side / 2 / period, period
    )
    queries = members[inner]
    if len(queries) < NEIGHBOUR_SAMPLE // 10:
        return None
    queries = queries[:: max(1, len(queries) // NEIGHBOUR_SAMPLE)]
    return _median(_distances(members, queries), side / 4)


def _in_cubes(
    columns: list[np.ndarray], low: np.ndarray, fraction: float, period: float
) -> np.ndarray:
    """Which positions lie in the first ``fraction`` of a lattice cell along every axis."""
    inside = np.ones(len(columns[0]), dtype=bool)
    for column, start in zip(columns, low, strict=True):
        cell = column - start
        cell *= 1 / period
        cell -= np.floor(cell)
        inside &= cell < fraction
    return inside
