"""Pictures for the synthetic portal: gaussian blobs, noise and label balls.

Everything is drawn in world coordinates (Angstrom, z, y, x) and sampled on a voxel
grid where voxel ``i`` sits at ``i * voxel_spacing``, the convention of the portal's
annotation files (location in voxels) and of NGFF ``scale`` transforms. Renderers work
on any box of the volume and give the same values whichever boxes a volume is cut into,
so large volumes can be written block by block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .omezarr import Box, Shape3

NOISE_TILE = 64


@dataclass(frozen=True)
class Blobs:
    """Gaussian blobs: centres (n, 3) zyx Angstrom, inverse covariances (n, 3, 3) in
    Angstrom^-2 (zyx) and amplitudes (n,)."""

    centres: np.ndarray
    precisions: np.ndarray
    amplitudes: np.ndarray

    @property
    def extents(self) -> np.ndarray:
        """Half-width (Angstrom) of each blob's bounding box: 3.5 sigma on its long axis."""
        if not len(self.centres):
            return np.zeros(0)
        smallest = np.linalg.eigvalsh(self.precisions)[:, 0]
        return np.asarray(3.5 / np.sqrt(smallest))


def covariance(sigma_across: float, sigma_along: float, axis_zyx: np.ndarray) -> np.ndarray:
    """Covariance (Angstrom^2, zyx) of a blob elongated along ``axis_zyx``."""
    axis = np.asarray(axis_zyx, float)
    axis = axis / np.linalg.norm(axis)
    return np.asarray(
        sigma_across**2 * np.eye(3) + (sigma_along**2 - sigma_across**2) * np.outer(axis, axis)
    )


def _box_origin(box: Box) -> np.ndarray:
    return np.array([s.start for s in box], float)


def _box_shape(box: Box) -> Shape3:
    return (box[0].stop - box[0].start, box[1].stop - box[1].start, box[2].stop - box[2].start)


def render_blobs(blobs: Blobs, box: Box, voxel_spacing: float, shift: np.ndarray) -> np.ndarray:
    """Sum of the blobs inside ``box`` of a tomogram at ``voxel_spacing`` (float32).

    ``shift`` (zyx Angstrom) moves every blob: the content of another alignment.
    """
    shape = _box_shape(box)
    out = np.zeros(shape, np.float32)
    if not len(blobs.centres):
        return out
    origin = _box_origin(box)
    centres = (blobs.centres + shift) / voxel_spacing - origin  # voxels, box frame
    reach = blobs.extents / voxel_spacing
    lo = np.maximum(np.floor(centres - reach[:, None]).astype(int), 0)
    hi = np.minimum(np.ceil(centres + reach[:, None]).astype(int) + 1, shape)
    inside = np.all(hi > lo, axis=1)
    for i in np.flatnonzero(inside):
        axes = [
            np.arange(a, b, dtype=np.float32) - c
            for a, b, c in zip(lo[i], hi[i], centres[i], strict=True)
        ]
        p = (blobs.precisions[i] * voxel_spacing**2).astype(np.float32)
        dz, dy, dx = axes[0][:, None, None], axes[1][None, :, None], axes[2][None, None, :]
        q = (
            p[0, 0] * dz * dz
            + p[1, 1] * dy * dy
            + p[2, 2] * dx * dx
            + 2 * p[0, 1] * dz * dy
            + 2 * p[0, 2] * dz * dx
            + 2 * p[1, 2] * dy * dx
        )
        region = (slice(lo[i, 0], hi[i, 0]), slice(lo[i, 1], hi[i, 1]), slice(lo[i, 2], hi[i, 2]))
        out[region] += np.float32(blobs.amplitudes[i]) * np.exp(np.float32(-0.5) * q)
    return out


def render_noise(seed: int, volume_shape: Shape3, box: Box, sigma: float) -> np.ndarray:
    """Gaussian noise inside ``box``, drawn per fixed tile so any tiling gives the same."""
    shape = _box_shape(box)
    out = np.empty(shape, np.float32)
    t = NOISE_TILE
    tiles = [range(s.start // t, -(-s.stop // t)) for s in box]
    for tz in tiles[0]:
        for ty in tiles[1]:
            for tx in tiles[2]:
                tile_lo = (tz * t, ty * t, tx * t)
                tile_hi = tuple(min(a + t, n) for a, n in zip(tile_lo, volume_shape, strict=True))
                rng = np.random.default_rng([seed, tz, ty, tx])
                tile_shape = tuple(b - a for a, b in zip(tile_lo, tile_hi, strict=True))
                tile = rng.standard_normal(tile_shape, dtype=np.float32)
                src = []
                dst = []
                for s, a, b in zip(box, tile_lo, tile_hi, strict=True):
                    lo, hi = max(s.start, a), min(s.stop, b)
                    src.append(slice(lo - a, hi - a))
                    dst.append(slice(lo - s.start, hi - s.start))
                out[tuple(dst)] = tile[tuple(src)]
    out *= np.float32(sigma)
    return out


def render_balls(
    centres: np.ndarray,
    labels: np.ndarray,
    radius: float,
    box: Box,
    voxel_spacing: float,
    shift: np.ndarray,
    dtype: np.dtype,
) -> np.ndarray:
    """Balls of ``radius`` Angstrom around ``centres`` (zyx Angstrom), filled with ``labels``.

    Later balls overwrite earlier ones where they overlap.
    """
    shape = _box_shape(box)
    out = np.zeros(shape, dtype)
    if not len(centres):
        return out
    origin = _box_origin(box)
    local = (np.asarray(centres, float) + shift) / voxel_spacing - origin
    r = radius / voxel_spacing
    lo = np.maximum(np.floor(local - r).astype(int), 0)
    hi = np.minimum(np.ceil(local + r).astype(int) + 1, shape)
    for i in np.flatnonzero(np.all(hi > lo, axis=1)):
        axes = [np.arange(a, b) - c for a, b, c in zip(lo[i], hi[i], local[i], strict=True)]
        d2 = axes[0][:, None, None] ** 2 + axes[1][None, :, None] ** 2 + axes[2][None, None, :] ** 2
        region = (slice(lo[i, 0], hi[i, 0]), slice(lo[i, 1], hi[i, 1]), slice(lo[i, 2], hi[i, 2]))
        view = out[region]
        view[d2 <= r * r] = labels[i]
    return out
