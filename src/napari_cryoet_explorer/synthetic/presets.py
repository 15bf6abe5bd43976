"""Sizes of the synthetic portals: the presets and the knobs they set."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    """Sizes and options of a synthetic portal; any field can be overridden.

    Attributes
    ----------
    n_datasets, runs_per_dataset : int
        Datasets, and runs in each (portal-scale presets use the two fields below).
    tomogram_shape : tuple of int
        Tomogram shape (z, y, x) at the finest voxel spacing.
    voxel_spacings : tuple of float
        Voxel spacings of every run, finest first (Angstrom). Coarser tomograms show the
        same world content. Portal-scale presets give each dataset one of them instead.
    chunk_size : int
        Edge of the cubic zarr chunks (the portal uses 256).
    dtype : str
        Tomogram data type (``float32``, ``int8``, ``int16``...).
    write_files : bool
        False writes ``portal.json`` only (portal-scale metadata).
    write_mrc : bool
        Write the ``.mrc`` copy of every tomogram and mask.
    key_photos : bool
        Write key photo PNGs (tomograms and datasets).
    second_alignment : bool
        Add a second alignment with its own tomogram and annotation files at the finest
        spacing, its content moved by ``alignment_shift``.
    alignment_shift : tuple of float
        Shift (z, y, x, in voxels of the finest spacing) of the second alignment.
    n_ribosomes, n_nucleosomes, n_vesicles : int
        Objects per run (oriented points, points with a mask, instances with a mask).
    blob_scale : float
        Blob size factor (in voxels of the finest spacing).
    noise : float
        Noise standard deviation; blobs peak at 1.
    max_block_bytes : int
        Largest block of a volume rendered at once, bounding memory use.
    largest_dataset_runs, total_runs : int
        Portal-scale presets: runs of the first dataset, and in all.
    """

    n_datasets: int
    runs_per_dataset: int
    tomogram_shape: tuple[int, int, int]
    voxel_spacings: tuple[float, ...] = (10.0, 20.0)
    chunk_size: int = 256
    dtype: str = "float32"
    write_files: bool = True
    write_mrc: bool = True
    key_photos: bool = True
    second_alignment: bool = True
    alignment_shift: tuple[float, float, float] = (0.0, 2.0, -3.0)
    n_ribosomes: int = 5
    n_nucleosomes: int = 4
    n_vesicles: int = 3
    blob_scale: float = 1.0
    noise: float = 0.03
    max_block_bytes: int = 64 * 2**20
    largest_dataset_runs: int = 0
    total_runs: int = 0


PRESETS: dict[str, Preset] = {
    # Unit tests: tiny volumes, small chunks so every level has several.
    "tiny": Preset(n_datasets=2, runs_per_dataset=2, tomogram_shape=(24, 40, 56), chunk_size=16),
    # The offline demo and screenshots: every kind of node and layer the explorer shows
    # (3 datasets of 2 runs, two voxel spacings, two alignments, tilt series, every
    # annotation shape, MRC copies for the Download dialog's formats). Tomograms are
    # sized for the demo's window (about 3 screen pixels a voxel when fitted) and int16:
    # half of float32's bytes, where int8 would be shown with its whole range as contrast.
    # About 290 MB on disk.
    "demo": Preset(
        n_datasets=3,
        runs_per_dataset=2,
        tomogram_shape=(64, 160, 224),
        voxel_spacings=(13.48, 26.96),
        chunk_size=64,
        dtype="int16",
        n_ribosomes=20,
        n_nucleosomes=12,
        n_vesicles=5,
        blob_scale=2.5,
        alignment_shift=(0.0, 4.0, -6.0),
    ),
    # Listing tests and benchmarks: portal-scale metadata, no files.
    "portal": Preset(
        n_datasets=600,
        runs_per_dataset=0,
        tomogram_shape=(200, 630, 630),
        voxel_spacings=(13.48, 10.012, 7.84, 14.08),
        write_files=False,
        largest_dataset_runs=2000,
        total_runs=30000,
    ),
    # One large tomogram at the portal's chunking, for reader benchmarks.
    "benchmark": Preset(
        n_datasets=1,
        runs_per_dataset=1,
        tomogram_shape=(512, 1024, 1024),
        voxel_spacings=(10.0,),
        chunk_size=256,
        second_alignment=False,
        n_ribosomes=300,
        n_nucleosomes=150,
        n_vesicles=40,
        blob_scale=1.5,
    ),
}
