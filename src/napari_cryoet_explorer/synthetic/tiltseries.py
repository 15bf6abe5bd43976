"""A synthetic tilt series: the projections of a run's scene, as MRC, OME-Zarr and angles.

Each image is the scene's blobs seen along the beam after tilting the specimen about
the y axis, so the stack looks like a tilt series (blobs slide sideways with the tilt).
The files follow the portal's ``TiltSeries/<id>/`` folder: ``<run>.mrc``, ``<run>.zarr``
(levels binned in y and x only: the tilt axis is not a spatial one) and the angle list
``<run>.rawtlt``, one angle (degrees) a line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .omezarr import ZarrLevelWriter, _dump_zarr_json, _write_small_mrc
from .scene import Scene

N_LEVELS = 3
# Width (pixels) of a projected blob, and the noise on every image (blobs peak near 1).
BLOB_SIGMA_PX = 1.5
NOISE = 0.05


def tilt_angles(row: dict[str, Any]) -> np.ndarray:
    """The tilt angles (degrees, ascending) of a ``Tiltseries`` row: min to max by step,
    ``sizeZ`` of them."""
    n = int(row["sizeZ"])
    return np.round(float(row["tiltMin"]) + float(row["tiltStep"]) * np.arange(n), 3)


def render_projections(
    scene: Scene,
    angles: np.ndarray,
    shape_yx: tuple[int, int],
    voxel_spacing: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Projections (n, y, x) float32 of the scene's blob centres, one per angle.

    Pixels have the size of the finest tomogram's voxels (``voxel_spacing``), so the
    image at 0 degrees lines up with the tomogram seen from above.
    """
    ny, nx = shape_yx
    centres = np.asarray(scene.blobs.centres, float).reshape(-1, 3) / voxel_spacing
    middle = np.asarray(scene.box, float) / voxel_spacing / 2
    yy = np.arange(ny, dtype=np.float32)[:, None]
    xx = np.arange(nx, dtype=np.float32)[None, :]
    stack = rng.normal(0.0, NOISE, (len(angles), ny, nx)).astype(np.float32)
    for i, angle in enumerate(np.deg2rad(angles)):
        dz, dx = centres[:, 0] - middle[0], centres[:, 2] - middle[2]
        seen_x = dx * np.cos(angle) + dz * np.sin(angle) + middle[2]
        for y, x in zip(centres[:, 1], seen_x, strict=True):
            stack[i] += np.exp(-((yy - y) ** 2 + (xx - x) ** 2) / (2 * BLOB_SIGMA_PX**2))
    return stack


def _bin_yx(image: np.ndarray) -> np.ndarray:
    """Mean of 2 x 2 pixels (an odd edge keeps its last row / column alone)."""
    n, y, x = image.shape
    padded = np.pad(image, ((0, 0), (0, y % 2), (0, x % 2)), mode="edge")
    return np.asarray(
        padded.reshape(n, -1, 2, padded.shape[2] // 2, 2).mean(axis=(2, 4)), image.dtype
    )


def write_tiltseries(
    folder: Path, name: str, stack: np.ndarray, angles: np.ndarray, pixel_spacing: float
) -> dict[str, str]:
    """Write ``<name>.mrc``, ``<name>.zarr`` and ``<name>.rawtlt`` into ``folder``.

    Returns
    -------
    dict
        File names by kind (``mrc``, ``zarr``, ``angles``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    _write_small_mrc(folder / f"{name}.mrc", stack, pixel_spacing)
    zarr_path = folder / f"{name}.zarr"
    zarr_path.mkdir(exist_ok=True)
    _dump_zarr_json(zarr_path / ".zgroup", {"zarr_format": 2})
    level = stack
    datasets = []
    for k in range(N_LEVELS):
        if k:
            level = _bin_yx(level)
        chunks = (1, *level.shape[1:])  # one image a chunk: a tilt is read whole
        ZarrLevelWriter(zarr_path / str(k), level.shape, chunks, level.dtype).write(
            (0, 0, 0), level
        )
        scale = [pixel_spacing, pixel_spacing * 2**k, pixel_spacing * 2**k]
        datasets.append(
            {"path": str(k), "coordinateTransformations": [{"scale": scale, "type": "scale"}]}
        )
    multiscale = {
        "datasets": datasets,
        "name": "/",
        "axes": [{"name": a, "type": "space", "unit": "angstrom"} for a in "zyx"],
        "version": "0.4",
    }
    _dump_zarr_json(zarr_path / ".zattrs", {"multiscales": [multiscale]})
    (folder / f"{name}.rawtlt").write_text("".join(f"{a:.2f}\n" for a in angles))
    return {"mrc": f"{name}.mrc", "zarr": f"{name}.zarr", "angles": f"{name}.rawtlt"}


def folder_size(path: Path) -> int:
    """Bytes in a file or under a folder."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
