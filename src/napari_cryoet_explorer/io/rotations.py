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
    gram = np.matmul(rotations.transpose(0, 2, 1), rotations)
    gram -= np.eye(3)
    off = np.abs(gram).max(axis=(1, 2), initial=0.0) > tolerance
    det = np.einsum("ni,ni->n", rotations[:, 0], np.cross(rotations[:, 1], rotations[:, 2]))
    return np.asarray(off | (np.abs(det - 1.0) > tolerance))
