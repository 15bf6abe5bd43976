"""Where the synthetic portal's files are: served URLs, S3 paths and the portal's layout.

URLs of served files are ``{files}/<path>`` and S3 paths are in the public bucket.
Folder identifiers in paths (``Tomograms/100``) are per-run numbers starting at 100, as
on the portal, and are unrelated to the rows' database ids.
"""

from __future__ import annotations

import functools

from ..replica.store import FILES_PLACEHOLDER, S3_BUCKET

FIRST_FOLDER_ID = 100


def files_url(rel: str) -> str:
    """URL of a file the replica serves, as stored in ``portal.json``."""
    return f"{FILES_PLACEHOLDER}/{rel}"


def s3_url(rel: str) -> str:
    """The public bucket path the real portal would give."""
    return f"{S3_BUCKET}/{rel}"


@functools.cache
def vs_folder(voxel_spacing: float) -> str:
    """``VoxelSpacing13.480``: the folder name, with three decimals."""
    return f"VoxelSpacing{voxel_spacing:.3f}"


@functools.cache
def slug(name: str) -> str:
    """File-name form of an object name (``fatty acid synthase`` -> ``fatty_acid_synthase``)."""
    return "".join(c if c.isalnum() else "_" for c in name.lower())


# -- paths relative to the portal root ---------------------------------------------


def run_rel(dataset_id: int, run_name: str) -> str:
    """``<dataset>/<run>``."""
    return f"{dataset_id}/{run_name}"


def vs_rel(dataset_id: int, run_name: str, spacing: float) -> str:
    """``<dataset>/<run>/Reconstructions/VoxelSpacing<spacing>``."""
    return f"{dataset_id}/{run_name}/Reconstructions/{vs_folder(spacing)}"


def tomogram_rel(dataset_id: int, run_name: str, spacing: float, folder_id: int) -> str:
    """Folder of a tomogram."""
    return f"{vs_rel(dataset_id, run_name, spacing)}/Tomograms/{folder_id}"


def key_photo_rel(dataset_id: int, run_name: str, spacing: float, folder_id: int) -> str:
    """Folder of a tomogram's key photos."""
    return f"{vs_rel(dataset_id, run_name, spacing)}/Images/{folder_id}"


def annotation_rel(dataset_id: int, run_name: str, spacing: float, folder_id: int) -> str:
    """Folder of an annotation's files."""
    return f"{vs_rel(dataset_id, run_name, spacing)}/Annotations/{folder_id}"


def alignment_rel(dataset_id: int, run_name: str, folder_id: int) -> str:
    """Folder of an alignment (holds ``alignment_metadata.json``)."""
    return f"{dataset_id}/{run_name}/Alignments/{folder_id}"


def tiltseries_rel(dataset_id: int, run_name: str, folder_id: int) -> str:
    """Folder of a tilt series."""
    return f"{dataset_id}/{run_name}/TiltSeries/{folder_id}"
