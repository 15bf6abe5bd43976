"""OME-Zarr and MRC volumes written the way the portal's ingestion writes them.

OME-Zarr NGFF 0.4 in zarr format 2: ``/`` chunk keys, blosc lz4, three levels each
binned 2x (mean for images, any-set for masks, nearest for instance labels), axes z, y,
x in Angstrom and ``scale`` transforms only; plus an MRC copy with the voxel size in its
header. Volumes are rendered and written block by block, so a large benchmark tomogram
never has to fit in memory.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import mrcfile
import numcodecs
import numpy as np
from mrcfile.utils import mode_from_dtype

N_LEVELS = 3
VolumeKind = Literal["image", "mask", "labels"]
Box = tuple[slice, slice, slice]
Shape3 = tuple[int, int, int]


def level_shape(shape: Sequence[int], level: int) -> Shape3:
    """Shape of pyramid ``level``: each level halves the previous one, rounding up.

    The portal bins with zero padding (``skimage.measure.block_reduce``), so an odd
    edge keeps its last, partial block.
    """
    out = [int(s) for s in shape]
    for _ in range(level):
        out = [-(-s // 2) for s in out]
    return (out[0], out[1], out[2])


def downsample(block: np.ndarray, kind: VolumeKind) -> np.ndarray:
    """Bin a block by 2 in z, y and x the way the portal builds each kind's pyramid.

    Parameters
    ----------
    block : ndarray
        Level data (z, y, x); odd edges are padded with zeros.
    kind : {"image", "mask", "labels"}
        ``image``: mean of each 2x2x2 block, cast back to the source dtype.
        ``mask``: 1 where any voxel of the block is set (int8). ``labels``: every
        second voxel (nearest neighbour), so label values survive unchanged.
    """
    if kind == "labels":
        return block[::2, ::2, ::2]
    pad = [(0, s % 2) for s in block.shape]
    out = np.pad(block, pad) if any(p for _, p in pad) else block
    # Pairwise along one axis at a time: much faster than a 6-d reshape and reduce.
    if kind == "mask":
        out = np.maximum(out[0::2], out[1::2])
        out = np.maximum(out[:, 0::2], out[:, 1::2])
        out = np.maximum(out[:, :, 0::2], out[:, :, 1::2])
        return (out > 0).astype(block.dtype)
    out = out.astype(np.float32, copy=False)
    out = out[0::2] + out[1::2]
    out = out[:, 0::2] + out[:, 1::2]
    out = out[:, :, 0::2] + out[:, :, 1::2]
    out *= np.float32(0.125)
    if np.issubdtype(block.dtype, np.integer):
        return np.round(out).astype(block.dtype)
    return out.astype(block.dtype, copy=False)


def block_shape(shape: Shape3, chunk_size: int, itemsize: int, max_bytes: int) -> Shape3:
    """Edges of the blocks a volume is rendered in: whole chunks, at most ``max_bytes``.

    Every edge is a multiple of 4 (except where the volume ends) so that each block
    bins to whole voxels at levels 1 and 2.
    """
    unit = math.lcm(max(1, chunk_size), 4)
    edge = [min(s, -(-s // unit) * unit) for s in shape]
    while math.prod(edge) * itemsize > max_bytes:
        i = int(np.argmax(edge))
        if edge[i] <= unit:
            break
        edge[i] = max(unit, -(-(edge[i] // 2) // unit) * unit)
    return (edge[0], edge[1], edge[2])


def iter_boxes(shape: Shape3, edge: Shape3) -> Iterator[Box]:
    """Boxes tiling ``shape`` with blocks of ``edge`` (the last ones clipped)."""
    for z0 in range(0, shape[0], edge[0]):
        for y0 in range(0, shape[1], edge[1]):
            for x0 in range(0, shape[2], edge[2]):
                yield (
                    slice(z0, min(shape[0], z0 + edge[0])),
                    slice(y0, min(shape[1], y0 + edge[1])),
                    slice(x0, min(shape[2], x0 + edge[2])),
                )


@dataclass
class VolumeStats:
    """Running statistics of a written volume (for the MRC header and label metadata)."""

    minimum: float = math.inf
    maximum: float = -math.inf
    total: float = 0.0
    total_sq: float = 0.0
    count: int = 0
    labels: set[int] = field(default_factory=set)

    def add(self, block: np.ndarray, *, values: bool = True, labels: bool = False) -> None:
        """Fold a level-0 block into the value statistics and/or the set of labels."""
        if block.size == 0:
            return
        if values:
            self.minimum = min(self.minimum, float(block.min()))
            self.maximum = max(self.maximum, float(block.max()))
            self.total += float(block.sum(dtype=np.float64))
            self.total_sq += float(np.einsum("ijk,ijk->", block, block, dtype=np.float64))
            self.count += block.size
        if labels:
            # Label volumes are mostly background: pick the labelled voxels first.
            self.labels.update(int(v) for v in np.unique(block[block > 0]))

    @property
    def mean(self) -> float:
        """Mean value (0 for an empty volume)."""
        return self.total / self.count if self.count else 0.0

    @property
    def rms(self) -> float:
        """Standard deviation about the mean, as MRC headers store it."""
        if not self.count:
            return 0.0
        return math.sqrt(max(0.0, self.total_sq / self.count - self.mean**2))


def ome_zarr_attrs(voxel_spacing: float, labels: Iterable[int] | None = None) -> dict[str, Any]:
    """``.zattrs`` of a portal OME-Zarr: the ``multiscales`` block (and label colours)."""
    multiscale: dict[str, Any] = {
        "datasets": [
            {
                "path": str(level),
                "coordinateTransformations": [
                    {"scale": [voxel_spacing * 2**level] * 3, "type": "scale"}
                ],
            }
            for level in range(N_LEVELS)
        ],
        "name": "/",
    }
    if labels is not None:
        colours = [{"label-value": int(v)} for v in sorted(labels)]
        multiscale["metadata"] = {"image-label": {"version": "0.4", "colors": colours}}
    multiscale["axes"] = [{"name": a, "type": "space", "unit": "angstrom"} for a in "zyx"]
    multiscale["version"] = "0.4"
    return {"multiscales": [multiscale]}


# mrcfile stamps the creation time into the first label; a fixed one keeps files
# identical between runs with the same seed.
MRC_LABEL = "Synthetic CryoET Data Portal volume".ljust(80)
COMPRESSOR = numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE)


def _dump_zarr_json(path: Path, doc: Any) -> None:
    # zarr 2 writes its metadata sorted and indented by 4.
    path.write_text(json.dumps(doc, indent=4, sort_keys=True))


class ZarrLevelWriter:
    """One array of a zarr-2 group, written chunk file by chunk file.

    Writing the chunk files directly (blosc lz4, ``/`` keys, edge chunks padded to the
    full chunk shape as zarr 2 stores them) keeps the files exactly the portal's and
    avoids the zarr library's per-call overhead on thousands of small writes.
    """

    def __init__(self, path: Path, shape: Shape3, chunks: Shape3, dtype: np.dtype) -> None:
        self.path, self.shape, self.chunks, self.dtype = path, shape, chunks, dtype
        self._made: set[Path] = set()
        path.mkdir(parents=True, exist_ok=True)
        _dump_zarr_json(
            path / ".zarray",
            {
                "chunks": list(chunks),
                "compressor": COMPRESSOR.get_config(),
                "dimension_separator": "/",
                "dtype": dtype.str,
                "fill_value": 0.0 if dtype.kind == "f" else 0,
                "filters": None,
                "order": "C",
                "shape": list(shape),
                "zarr_format": 2,
            },
        )

    def write(self, start: Sequence[int], data: np.ndarray) -> None:
        """Store ``data`` at ``start`` (z, y, x), merging with chunks written before."""
        stop = [a + n for a, n in zip(start, data.shape, strict=True)]
        ranges = [
            range(a // c, -(-b // c)) for a, b, c in zip(start, stop, self.chunks, strict=True)
        ]
        for key in np.ndindex(*(len(r) for r in ranges)):
            index = [r[k] for r, k in zip(ranges, key, strict=True)]
            lo = [i * c for i, c in zip(index, self.chunks, strict=True)]
            hi = [min(a + c, n) for a, c, n in zip(lo, self.chunks, self.shape, strict=True)]
            a = [max(x, y) for x, y in zip(lo, start, strict=True)]
            b = [min(x, y) for x, y in zip(hi, stop, strict=True)]
            target = self.path / "/".join(map(str, index))
            dst = tuple(slice(x - y, z - y) for x, z, y in zip(a, b, lo, strict=True))
            src = tuple(slice(x - y, z - y) for x, z, y in zip(a, b, start, strict=True))
            whole = a == lo and b == hi
            if whole and all(z - y == c for y, z, c in zip(lo, hi, self.chunks, strict=True)):
                chunk = data[src]  # a full interior chunk: nothing to pad or merge
            else:
                if not whole and target.exists():
                    chunk = np.frombuffer(COMPRESSOR.decode(target.read_bytes()), self.dtype)
                    chunk = chunk.reshape(self.chunks).copy()
                else:
                    chunk = np.zeros(self.chunks, self.dtype)
                chunk[dst] = data[src]
            if target.parent not in self._made:
                target.parent.mkdir(parents=True, exist_ok=True)
                self._made.add(target.parent)
            target.write_bytes(COMPRESSOR.encode(np.ascontiguousarray(chunk)))


def write_volume(
    zarr_path: Path | None,
    mrc_path: Path | None,
    shape: Shape3,
    dtype: Any,
    voxel_spacing: float,
    render: Callable[[Box], np.ndarray],
    *,
    kind: VolumeKind = "image",
    chunk_size: int = 256,
    max_block_bytes: int = 64 * 2**20,
    on_block: Callable[[Box, np.ndarray], None] | None = None,
) -> VolumeStats:
    """Render a volume block by block into a portal OME-Zarr and/or MRC file.

    Parameters
    ----------
    zarr_path, mrc_path : Path or None
        Files to create (``None`` skips that format).
    shape : tuple of int
        Level-0 shape (z, y, x).
    dtype : numpy dtype
        Stored type of every level and of the MRC.
    voxel_spacing : float
        Angstrom per voxel at level 0.
    render : callable
        ``render(box)`` returns the level-0 values inside ``box`` (a tuple of slices).
    kind : {"image", "mask", "labels"}
        How the pyramid is binned (see :func:`downsample`); ``labels`` also writes the
        ``image-label`` metadata listing every label present.
    chunk_size : int
        Edge of the cubic zarr chunks, clipped to each level's shape.
    max_block_bytes : int
        Largest level-0 block rendered at once.
    on_block : callable, optional
        Called with every rendered block (used for key photos).

    Returns
    -------
    VolumeStats
        Labels present (``labels`` volumes) and, for volumes written in several
        blocks, the value range, mean and rms that went into the MRC header.
    """
    dtype = np.dtype(dtype)
    stats = VolumeStats()
    levels: list[ZarrLevelWriter] = []
    if zarr_path is not None:
        if zarr_path.exists():
            shutil.rmtree(zarr_path)
        zarr_path.mkdir(parents=True)
        _dump_zarr_json(zarr_path / ".zgroup", {"zarr_format": 2})
        for level in range(N_LEVELS):
            lshape = level_shape(shape, level)
            chunks = (
                min(chunk_size, lshape[0]),
                min(chunk_size, lshape[1]),
                min(chunk_size, lshape[2]),
            )
            levels.append(ZarrLevelWriter(zarr_path / str(level), lshape, chunks, dtype))
    edge = block_shape(shape, chunk_size, dtype.itemsize, max_block_bytes)
    single = edge == shape
    mrc = MrcBlockWriter(mrc_path, shape, dtype) if mrc_path is not None and not single else None
    for box in iter_boxes(shape, edge):
        block = np.asarray(render(box)).astype(dtype, copy=False)
        # mrcfile computes the header statistics itself when the volume is one block.
        stats.add(block, values=mrc is not None, labels=kind == "labels")
        if on_block is not None:
            on_block(box, block)
        if mrc is not None:
            mrc.write(box, block)
        elif mrc_path is not None:
            _write_small_mrc(mrc_path, block, voxel_spacing)
        level_block = block
        for level, writer in enumerate(levels):
            if level:
                level_block = downsample(level_block, kind)
            writer.write([s.start >> level for s in box], level_block)
    if mrc is not None:
        mrc.finish(voxel_spacing, stats)
    if zarr_path is not None:
        labels = stats.labels if kind == "labels" else None
        _dump_zarr_json(zarr_path / ".zattrs", ome_zarr_attrs(voxel_spacing, labels))
    return stats


class MrcBlockWriter:
    """An MRC file filled box by box without keeping the volume in memory.

    Each box goes through a short-lived memory map of the data section, so written
    pages are released rather than accumulating in the process.
    """

    def __init__(self, path: Path, shape: Shape3, dtype: np.dtype) -> None:
        self.path, self.shape = path, shape
        with mrcfile.new_mmap(
            str(path), shape=shape, mrc_mode=mode_from_dtype(dtype), overwrite=True
        ) as mrc:
            self.dtype = mrc.data.dtype  # the file's byte order
            self.offset = int(mrc.header.nbytes + mrc.extended_header.nbytes)

    def write(self, box: Box, block: np.ndarray) -> None:
        """Store ``block`` at ``box``."""
        data = np.memmap(self.path, self.dtype, "r+", offset=self.offset, shape=self.shape)
        data[box] = block
        data.flush()
        del data

    def finish(self, voxel_spacing: float, stats: VolumeStats) -> None:
        """Write the header: voxel size and the statistics of the whole volume."""
        with mrcfile.mmap(str(self.path), mode="r+") as mrc:
            mrc.voxel_size = voxel_spacing
            header = mrc.header
            header.dmin, header.dmax = stats.minimum, stats.maximum
            header.dmean, header.rms = stats.mean, stats.rms
            header.label[0] = MRC_LABEL


def _write_small_mrc(path: Path, volume: np.ndarray, voxel_spacing: float) -> None:
    with mrcfile.new(str(path), overwrite=True) as mrc:
        mrc.set_data(np.ascontiguousarray(volume))
        mrc.voxel_size = voxel_spacing
        mrc.header.label[0] = MRC_LABEL
