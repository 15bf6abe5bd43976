"""Writers for the portal's file formats, used by the synthetic generator.

OME-Zarr is written as the portal writes it: NGFF 0.4 in zarr format 2 with ``/``
chunk keys, blosc lz4, three levels binned 2x and ``scale`` in Angstrom. ndJSON lines
carry exactly the portal's fields.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import mrcfile
import numcodecs
import numpy as np
import zarr

N_LEVELS = 3


def bin2(volume: np.ndarray, factor: int, *, labels: bool = False) -> np.ndarray:
    """Bin a volume by ``factor`` in z, y and x (mean for images, max for labels)."""
    if factor == 1:
        return volume
    z, y, x = (s // factor * factor for s in volume.shape)
    trimmed = volume[:z, :y, :x]
    blocks = trimmed.reshape(z // factor, factor, y // factor, factor, x // factor, factor)
    if labels:
        return blocks.max(axis=(1, 3, 5)).astype(volume.dtype)
    binned = blocks.mean(axis=(1, 3, 5))
    if np.issubdtype(volume.dtype, np.integer):
        return np.round(binned).astype(volume.dtype)
    return binned.astype(volume.dtype)


def level_shape(shape: Sequence[int], level: int) -> tuple[int, int, int]:
    """Shape of pyramid ``level`` (each level bins the previous one by 2)."""
    f = 2**level
    return (shape[0] // f, shape[1] // f, shape[2] // f)


def write_ome_zarr(
    path: Path,
    shape: tuple[int, int, int],
    dtype: Any,
    voxel_spacing: float,
    render_slab: Callable[[int, int], np.ndarray],
    *,
    chunk_size: int = 256,
    slab: int | None = None,
    labels: bool = False,
    image_label: dict[str, Any] | None = None,
) -> None:
    """Write a three-level OME-Zarr (NGFF 0.4, zarr format 2) slab by slab.

    Parameters
    ----------
    path : Path
        The ``.zarr`` folder to create.
    shape : tuple of int
        Shape (z, y, x) of level 0.
    dtype : numpy dtype
        Data type of every level.
    voxel_spacing : float
        Angstrom per voxel at level 0.
    render_slab : callable
        ``render_slab(z0, z1)`` returns level-0 planes ``z0:z1``.
    chunk_size : int
        Edge of the cubic chunks (clipped to the shape).
    slab : int, optional
        Planes rendered at a time; a multiple of 4 so every level bins whole blocks.
        Defaults to the whole volume when small.
    labels : bool
        Bin with max instead of mean (masks).
    image_label : dict, optional
        ``image-label`` metadata for instance masks.
    """
    group = zarr.open_group(str(path), mode="w", zarr_format=2)
    compressor = numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE)
    arrays = []
    for level in range(N_LEVELS):
        lshape = level_shape(shape, level)
        chunks = tuple(max(1, min(chunk_size, s)) for s in lshape)
        arrays.append(
            group.create_array(
                str(level),
                shape=lshape,
                chunks=chunks,
                dtype=dtype,
                compressors=compressor,
                chunk_key_encoding={"name": "v2", "separator": "/"},
                fill_value=0,
            )
        )
    step = slab or shape[0]
    step = max(4, step - step % 4) if step < shape[0] else shape[0]
    for z0 in range(0, shape[0], step):
        z1 = min(shape[0], z0 + step)
        planes = render_slab(z0, z1).astype(dtype, copy=False)
        for level, array in enumerate(arrays):
            f = 2**level
            binned = bin2(planes, f, labels=labels)
            lz0 = z0 // f
            lz1 = min(array.shape[0], lz0 + binned.shape[0])
            if lz1 > lz0:
                array[lz0:lz1] = binned[: lz1 - lz0, : array.shape[1], : array.shape[2]]
    multiscale: dict[str, Any] = {
        "version": "0.4",
        "name": path.stem,
        "axes": [{"name": a, "type": "space", "unit": "angstrom"} for a in "zyx"],
        "datasets": [
            {
                "path": str(level),
                "coordinateTransformations": [
                    {"type": "scale", "scale": [voxel_spacing * 2**level] * 3}
                ],
            }
            for level in range(N_LEVELS)
        ],
    }
    if image_label is not None:
        multiscale["metadata"] = {"image-label": image_label}
    group.attrs["multiscales"] = [multiscale]


def write_mrc(path: Path, volume: np.ndarray, voxel_spacing: float) -> None:
    """Write a volume (z, y, x) as MRC with the voxel size in the header."""
    # MRC modes exist for these types only; anything else is stored as float32.
    supported = (np.int8, np.int16, np.uint16, np.float32, np.uint8)
    data = volume if volume.dtype.type in supported else volume.astype(np.float32)
    with mrcfile.new(path, overwrite=True) as mrc:
        mrc.set_data(np.ascontiguousarray(data))
        mrc.voxel_size = voxel_spacing


def write_ndjson(path: Path, records: Iterable[dict[str, Any]]) -> None:
    """Write one JSON object a line."""
    with path.open("w") as fh:
        for record in records:
            fh.write(json.dumps(record, separators=(",", ":")))
            fh.write("\n")


def point_record(kind: str, xyz: Sequence[float], **extra: Any) -> dict[str, Any]:
    """An ndJSON record with the portal's fields: ``type``, ``location`` and extras."""
    record: dict[str, Any] = {
        "type": kind,
        "location": {"x": float(xyz[0]), "y": float(xyz[1]), "z": float(xyz[2])},
    }
    record.update(extra)
    return record


def write_json(path: Path, doc: Any) -> None:
    """Write pretty JSON metadata, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2))
