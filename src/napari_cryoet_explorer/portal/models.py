"""Frozen models of the portal's tree: what the browser shows and the readers open.

Each model keeps typed attributes for what the code needs, and ``fields``: every
scalar field of its GraphQL type as the server returned it, for a metadata panel.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

Fields = Mapping[str, Any]
_EMPTY: Fields = MappingProxyType({})


def freeze(values: Mapping[str, Any]) -> Fields:
    """A read-only copy of a mapping."""
    return MappingProxyType(dict(values))


@dataclass(frozen=True)
class Dataset:
    """A dataset of the portal."""

    id: int
    title: str
    organism_name: str | None = None
    run_count: int = 0
    fields: Fields = field(default_factory=lambda: _EMPTY, compare=False, repr=False)


@dataclass(frozen=True)
class VoxelSpacing:
    """One voxel spacing (Angstrom) of a run's tomograms."""

    id: int
    voxel_spacing: float
    run_id: int
    tomogram_count: int = 0
    fields: Fields = field(default_factory=lambda: _EMPTY, compare=False, repr=False)

    @property
    def folder_name(self) -> str:
        """``VoxelSpacing13.480``, the folder name in a download."""
        return f"VoxelSpacing{self.voxel_spacing:.3f}"


@dataclass(frozen=True)
class Run:
    """A run (one tilt series and its reconstructions) of a dataset."""

    id: int
    name: str
    dataset_id: int
    voxel_spacings: tuple[VoxelSpacing, ...] = ()
    tomogram_count: int = 0
    annotation_count: int = 0
    tilt_series_quality: int | None = None
    fields: Fields = field(default_factory=lambda: _EMPTY, compare=False, repr=False)


@dataclass(frozen=True)
class Tomogram:
    """A tomogram at one voxel spacing and alignment."""

    id: int
    name: str
    voxel_spacing: float
    voxel_spacing_id: int
    alignment_id: int | None
    size_zyx: tuple[int, int, int]
    https_omezarr_dir: str | None = None
    s3_omezarr_dir: str | None = None
    https_mrc_file: str | None = None
    s3_mrc_file: str | None = None
    thumbnail_url: str | None = None
    is_visualization_default: bool = False
    processing: str | None = None
    fields: Fields = field(default_factory=lambda: _EMPTY, compare=False, repr=False)


@dataclass(frozen=True)
class AnnotationFile:
    """One file of an annotation shape."""

    id: int
    format: str
    https_path: str
    s3_path: str
    shape_type: str
    voxel_spacing_id: int | None
    alignment_id: int | None
    is_visualization_default: bool = False
    fields: Fields = field(default_factory=lambda: _EMPTY, compare=False, repr=False)


@dataclass(frozen=True)
class AnnotationShape:
    """A shape (Point, OrientedPoint, SegmentationMask, ...) of an annotation."""

    id: int
    shape_type: str
    files: tuple[AnnotationFile, ...] = ()
    fields: Fields = field(default_factory=lambda: _EMPTY, compare=False, repr=False)


@dataclass(frozen=True)
class Annotation:
    """An annotation of one object in a run, with its shapes and files."""

    id: int
    object_name: str
    run_id: int
    method_type: str | None = None
    ground_truth_status: bool | None = None
    object_count: int | None = None
    shapes: tuple[AnnotationShape, ...] = ()
    fields: Fields = field(default_factory=lambda: _EMPTY, compare=False, repr=False)

    @property
    def files(self) -> tuple[AnnotationFile, ...]:
        """Every file of every shape."""
        return tuple(f for s in self.shapes for f in s.files)


@dataclass(frozen=True)
class VoxelSpacingContents:
    """Everything under a voxel spacing: its tomograms and the run's annotations."""

    voxel_spacing: VoxelSpacing
    tomograms: tuple[Tomogram, ...]
    annotations: tuple[Annotation, ...]


def files_for_tomogram(
    annotations: Iterable[Annotation], tomogram: Tomogram
) -> list[tuple[Annotation, AnnotationFile]]:
    """The annotation files that line up with ``tomogram``.

    A file belongs with a tomogram when both have the same voxel spacing and the same
    alignment (a file without an alignment id is taken to fit any alignment).
    """
    out = []
    for annotation in annotations:
        for f in annotation.files:
            if f.voxel_spacing_id != tomogram.voxel_spacing_id:
                continue
            if (
                f.alignment_id is not None
                and tomogram.alignment_id is not None
                and f.alignment_id != tomogram.alignment_id
            ):
                continue
            out.append((annotation, f))
    return out
