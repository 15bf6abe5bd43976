"""Triangle meshes of the synthetic portal: a mask's isosurface as a portal GLB.

The portal's ``_triangularmesh.glb`` holds vertices as x, y, z in voxels of its voxel
spacing (see :mod:`napari_cryoet_explorer.io.mesh`), so the isosurface of a mask, taken
in the mask's voxel indices, is written with its axes reversed and nothing else.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .omezarr import Shape3
from .volumes import render_balls

# Halfway between outside (0) and inside (1): the surface lies between the voxels.
ISO_LEVEL = 0.5


def ball_isosurface(
    centres: np.ndarray,
    radius: float,
    shape: Shape3,
    voxel_spacing: float,
    shift: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The surface of the balls a mask holds, in the mask's voxel indices (zyx).

    Each ball is meshed in a small box of its own, so a full-size mask is never held in
    memory; balls of the synthetic scenes do not touch, so the pieces make the mask's
    surface. Outside the volume counts as empty, closing balls cut by its edges.

    Parameters
    ----------
    centres : ndarray
        ``(n, 3)`` ball centres, zyx Angstrom (before ``shift``).
    radius : float
        Ball radius in Angstrom.
    shape : tuple of int
        The mask's shape (z, y, x).
    voxel_spacing : float
        Angstrom per voxel of the mask.
    shift : ndarray
        Alignment shift, zyx Angstrom.

    Returns
    -------
    vertices, faces : ndarray
        ``(N, 3)`` float vertices (zyx voxels) and ``(M, 3)`` triangles whose normals
        point out of the balls.
    """
    from skimage.measure import marching_cubes

    size = np.array(shape)
    r = radius / voxel_spacing
    vertices: list[np.ndarray] = []
    faces: list[np.ndarray] = []
    count = 0
    for centre in np.asarray(centres, float).reshape(-1, 3):
        local = (centre + shift) / voxel_spacing
        lo = np.clip(np.floor(local - r).astype(int) - 1, 0, size)
        hi = np.clip(np.ceil(local + r).astype(int) + 2, 0, size)
        if np.any(hi <= lo):
            continue
        box = (slice(lo[0], hi[0]), slice(lo[1], hi[1]), slice(lo[2], hi[2]))
        one = render_balls(
            centre[None], np.ones(1), radius, box, voxel_spacing, shift, np.dtype(np.int8)
        )
        if not one.any():
            continue
        # A zero border closes the surface where the box meets the volume's edge.
        padded = np.pad(one.astype(np.float32), 1)
        verts, tris, _normals, _values = marching_cubes(
            padded, ISO_LEVEL, gradient_direction="ascent"
        )
        vertices.append(verts + lo - 1)
        faces.append(tris + count)
        count += len(verts)
    if not faces:
        return np.zeros((0, 3)), np.zeros((0, 3), np.int64)
    return np.concatenate(vertices), np.concatenate(faces).astype(np.int64)


def write_glb(path: Path, vertices_zyx: np.ndarray, faces: np.ndarray) -> None:
    """Write a mesh as the portal does: one GLB, vertices x, y, z.

    Reversing the axes mirrors space, so each triangle's vertex order is reversed too
    and its normal keeps pointing out.
    """
    import trimesh

    mesh = trimesh.Trimesh(
        vertices=np.asarray(vertices_zyx, float)[:, ::-1],
        faces=np.asarray(faces)[:, ::-1],
        process=False,
    )
    data = mesh.export(file_type="glb")
    if not isinstance(data, bytes):
        raise TypeError(f"trimesh wrote {type(data).__name__}, not GLB bytes")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
