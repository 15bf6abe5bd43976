"""Checks on the rotation matrices of oriented points."""

from __future__ import annotations

import numpy as np

# |R^T R - I| and |det R - 1| beyond this: not a proper rotation (reflection, scale, shear).
# Loose enough for matrices written with float32 or six-decimal precision.
ROTATION_TOLERANCE = 1e-3


def improper(rotations: np.ndarray, tolerance: float = ROTATION_TOLERANCE) -> np.ndarray:
    """Which ``(N, 3, 3)`` matrices are not proper rotations (orthonormal, det +1).

    Parameters
    ----------
    rotations : ndarray
        ``(N, 3, 3)`` matrices.
    tolerance : float
        Largest accepted ``|R^T R - I|`` element and ``|det R - 1|``.

    Returns
    -------
    ndarray of bool
        ``(N,)``, True where the matrix is off.
    """
    n = len(rotations)
    # Nine rows of N numbers: numpy's batched 3x3 products cost more in per-matrix
    # overhead than in arithmetic (measured 3.5x slower on 300k matrices).
    flat = np.ascontiguousarray(np.asarray(rotations, dtype=np.float64).reshape(n, 9).T)
    columns = [flat[[0, 3, 6]], flat[[1, 4, 7]], flat[[2, 5, 8]]]
    worst = np.zeros(n)
    for i in range(3):
        for k in range(i, 3):
            dot = (columns[i] * columns[k]).sum(axis=0)
            np.maximum(worst, np.abs(dot - (1.0 if i == k else 0.0)), out=worst)
    a, b, c = columns
    det = (
        a[0] * (b[1] * c[2] - b[2] * c[1])
        - a[1] * (b[0] * c[2] - b[2] * c[0])
        + a[2] * (b[0] * c[1] - b[1] * c[0])
    )
    # NaN compares False above: count it as off.
    return np.asarray(~(worst <= tolerance) | ~(np.abs(det - 1.0) <= tolerance))
