"""MRC / REC volumes, memory-mapped and wrapped as dask arrays."""

from __future__ import annotations

import warnings
from pathlib import Path

import dask.array as da
import mrcfile
import numpy as np

from .errors import ReaderError
from .sources import is_url


def read_mrc(path: str | Path) -> tuple[da.Array, float | None]:
    """Open an MRC file lazily; return the volume (z, y, x) and the voxel size in Angstrom.

    Raises
    ------
    ReaderError
        The file is truncated, not MRC, or remote (MRC is read from local files only).
    """
    if is_url(path):
        raise ReaderError(
            f"{path}: MRC files are read from local disk; open the OME-Zarr over the network"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mrc = mrcfile.mmap(str(path), mode="r", permissive=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ReaderError(f"{path} is not a readable MRC file: {exc}") from exc
    data = mrc.data
    if data is None or data.ndim not in (2, 3):
        raise ReaderError(f"{path}: MRC holds no 2D or 3D volume")
    voxel = float(mrc.voxel_size.x)
    # One chunk per ~64 planes keeps a slice cheap without thousands of tiny tasks.
    volume = da.from_array(
        data, chunks=(min(64, data.shape[0]),) + data.shape[1:], asarray=np.asarray
    )
    return volume, voxel if voxel > 0 else None
