"""What a synthetic run contains: annotated objects at known places and orientations.

A scene lives in world coordinates (Angstrom, z, y, x) in the frame of the run's first
alignment. Another alignment shows the same content moved by its shift. Each object
is drawn as blobs whose centres are exactly the annotation locations:

* ``ribosome``: OrientedPoint; blobs elongated along each particle's z axis, so the
  orientation shows in the picture.
* ``nucleosome``: Point, plus a SegmentationMask of balls around its blobs.
* ``vesicle``: InstanceSegmentation (instancePoint); several blobs per instance, plus an
  InstanceSegmentationMask labelling each instance's blobs with ``instance_id + 1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .volumes import Blobs, covariance

# Blob sizes in voxels of the finest spacing, before the preset's ``blob_scale``.
RIBOSOME_SIGMA = (1.0, 2.0)  # across, along the particle z axis
NUCLEOSOME_SIGMA = 1.2
VESICLE_SIGMA = 0.9
NUCLEOSOME_MASK_RADIUS = 2.0
VESICLE_MASK_RADIUS = 1.8
# Blobs of one vesicle instance, relative to its centre (zyx voxels).
VESICLE_OFFSETS = np.array([[0.0, 3.0, 0.0], [0.0, -3.0, 0.0], [2.5, 0.0, 2.5]])


@dataclass(frozen=True)
class SceneObject:
    """One annotated object of a run and how it is drawn."""

    name: str
    shape_type: str  # shape of its point file: OrientedPoint, Point, InstanceSegmentation
    centres: np.ndarray  # (n, 3) zyx Angstrom, frame of the first alignment
    rotations: np.ndarray | None = None  # (n, 3, 3) xyz rotation matrices
    instance_ids: np.ndarray | None = None  # (n,)
    mask_type: str | None = None  # SegmentationMask or InstanceSegmentationMask
    mask_radius: float = 0.0  # Angstrom

    def mask_labels(self) -> np.ndarray:
        """Value of each centre's ball in the object's mask."""
        if self.mask_type == "InstanceSegmentationMask" and self.instance_ids is not None:
            return self.instance_ids.astype(np.int64) + 1
        return np.ones(len(self.centres), np.int64)

    def truth(self) -> dict[str, Any]:
        """Ground-truth record of this object (JSON-ready)."""
        doc: dict[str, Any] = {
            "shape": self.shape_type,
            "count": len(self.centres),
            "centres_zyx_angstrom": self.centres.tolist(),
        }
        if self.rotations is not None:
            doc["xyz_rotation_matrices"] = self.rotations.tolist()
            doc["particle_z_axes_xyz"] = self.rotations[:, :, 2].tolist()
        if self.instance_ids is not None:
            doc["instance_ids"] = self.instance_ids.tolist()
        if self.mask_type is not None:
            doc["mask"] = {
                "shape": self.mask_type,
                "radius_angstrom": self.mask_radius,
                "labels": self.mask_labels().tolist(),
            }
        return doc


@dataclass(frozen=True)
class Scene:
    """Annotated objects of a run and the blobs that draw them."""

    box: np.ndarray  # world extent (zyx Angstrom) of the finest tomogram
    objects: tuple[SceneObject, ...]
    blobs: Blobs

    def object(self, name: str) -> SceneObject:
        """The object called ``name``."""
        return next(o for o in self.objects if o.name == name)


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    """A uniformly random proper rotation matrix."""
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return np.asarray(q)


def _place(
    rng: np.random.Generator,
    n: int,
    lo: np.ndarray,
    hi: np.ndarray,
    taken: list[np.ndarray],
    gap: float,
) -> list[np.ndarray]:
    """Up to ``n`` centres in the box ``lo..hi`` at least ``gap`` from each other and
    from ``taken``; fewer if the box is full."""
    out: list[np.ndarray] = []
    for _ in range(n):
        for _attempt in range(300):
            p = rng.uniform(lo, hi)
            if all(np.linalg.norm(p - q) >= gap for q in taken + out):
                out.append(p)
                break
    return out


def make_scene(
    rng: np.random.Generator,
    shape: tuple[int, int, int],
    voxel_spacing: float,
    *,
    n_ribosomes: int,
    n_nucleosomes: int,
    n_vesicles: int,
    blob_scale: float = 1.0,
    max_shift: np.ndarray | None = None,
) -> Scene:
    """Draw a run's objects inside a tomogram of ``shape`` at ``voxel_spacing``.

    Parameters
    ----------
    rng : numpy Generator
        Source of every random choice.
    shape : tuple of int
        Finest tomogram shape (z, y, x).
    voxel_spacing : float
        Finest voxel spacing (Angstrom); blob sizes are set in its voxels.
    n_ribosomes, n_nucleosomes, n_vesicles : int
        Wanted counts (fewer are placed when the volume is too small).
    blob_scale : float
        Blob size factor.
    max_shift : ndarray, optional
        Largest shift (zyx Angstrom, absolute) of any alignment: centres keep clear of
        the edges by that much more, so every alignment shows every blob whole.
    """
    vs = voxel_spacing * blob_scale
    box = np.array(shape, float) * voxel_spacing
    margin = 3.0 * vs + (np.abs(max_shift) if max_shift is not None else np.zeros(3))
    lo, hi = margin, np.maximum(box - margin, margin + 1e-6)
    taken: list[np.ndarray] = []
    ribo = _place(rng, n_ribosomes, lo, hi, taken, 7.0 * vs)
    taken += ribo
    nucl = _place(rng, n_nucleosomes, lo, hi, taken, 6.0 * vs)
    taken += nucl
    vesicle_margin = margin + np.abs(VESICLE_OFFSETS).max(axis=0) * vs
    ves = _place(rng, n_vesicles, vesicle_margin, box - vesicle_margin, taken, 10.0 * vs)
    rotations = np.array([random_rotation(rng) for _ in ribo]).reshape(-1, 3, 3)

    ves_points = [c + off * vs for c in ves for off in VESICLE_OFFSETS]
    ves_ids = np.repeat(np.arange(len(ves)), len(VESICLE_OFFSETS))
    objects = (
        SceneObject("ribosome", "OrientedPoint", np.array(ribo).reshape(-1, 3), rotations),
        SceneObject(
            "nucleosome",
            "Point",
            np.array(nucl).reshape(-1, 3),
            mask_type="SegmentationMask",
            mask_radius=NUCLEOSOME_MASK_RADIUS * vs,
        ),
        SceneObject(
            "vesicle",
            "InstanceSegmentation",
            np.array(ves_points).reshape(-1, 3),
            instance_ids=ves_ids,
            mask_type="InstanceSegmentationMask",
            mask_radius=VESICLE_MASK_RADIUS * vs,
        ),
    )
    covs = [
        # The particle z axis is R @ [0, 0, 1] in xyz: the third column, reversed to zyx.
        covariance(RIBOSOME_SIGMA[0] * vs, RIBOSOME_SIGMA[1] * vs, rot[:, 2][::-1])
        for rot in rotations
    ]
    covs += [np.eye(3) * (NUCLEOSOME_SIGMA * vs) ** 2 for _ in nucl]
    covs += [np.eye(3) * (VESICLE_SIGMA * vs) ** 2 for _ in ves_points]
    centres = np.concatenate([o.centres for o in objects]).reshape(-1, 3)
    blobs = Blobs(
        centres=centres,
        precisions=np.linalg.inv(np.array(covs).reshape(-1, 3, 3)),
        amplitudes=np.ones(len(centres)),
    )
    return Scene(box=box, objects=objects, blobs=blobs)
