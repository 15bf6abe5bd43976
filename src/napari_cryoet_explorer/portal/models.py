"""Frozen models of the portal's tree: what the browser shows and the readers open.

Each model keeps typed attributes for what the code needs, and ``fields``: every
scalar field of its GraphQL type as the server returned it, for a metadata panel.
Sizes and offsets are given in z, y, x order (napari's), unlike the portal's x, y, z.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")
Fields = Mapping[str, Any]
ZYX = tuple[int, int, int]
_EMPTY: Fields = MappingProxyType({})


def freeze(values: Mapping[str, Any]) -> Fields:
    """A read-only copy of a mapping."""
    return MappingProxyType(dict(values))


def _fields() -> Any:
    # Not compared nor hashed: two models of one node are equal whatever was fetched.
    return field(default_factory=lambda: _EMPTY, compare=False, repr=False)


@dataclass(frozen=True)
class Dataset:
    """A dataset of the portal, with its number of runs."""

    id: int
    title: str
    description: str = ""
    organism_name: str | None = None
    cell_name: str | None = None
    tissue_name: str | None = None
    key_photo_thumbnail_url: str | None = None
    https_prefix: str | None = None
    run_count: int = 0
    object_names: tuple[str, ...] = ()
    fields: Fields = _fields()

    @property
    def related_entries(self) -> tuple[str, ...]:
        """Accessions in ``relatedDatabaseEntries`` (``EMPIAR-10499``, ``EMD-1234``...)."""
        return split_entries(self.fields.get("relatedDatabaseEntries"))

    @property
    def empiar_ids(self) -> tuple[str, ...]:
        """The dataset's EMPIAR entries."""
        return tuple(e for e in self.related_entries if e.upper().startswith("EMPIAR-"))


@dataclass(frozen=True)
class VoxelSpacing:
    """One voxel spacing (Angstrom) of a run's tomograms."""

    id: int
    voxel_spacing: float
    run_id: int
    https_prefix: str | None = None
    tomogram_count: int = 0
    fields: Fields = _fields()

    @property
    def folder_name(self) -> str:
        """``VoxelSpacing13.480``, the folder name in a download."""
        return f"VoxelSpacing{self.voxel_spacing:.3f}"


@dataclass(frozen=True)
class TiltSeries:
    """A tilt series of a run: its projection images (MRC and OME-Zarr) and tilt angles.

    ``size_zyx`` is (tilt images, y, x); ``pixel_spacing`` is in Angstrom.
    """

    id: int
    run_id: int
    size_zyx: ZYX
    pixel_spacing: float | None = None
    tilt_min: float | None = None
    tilt_max: float | None = None
    tilt_step: float | None = None
    quality: int | None = None
    https_mrc_file: str | None = None
    s3_mrc_file: str | None = None
    https_omezarr_dir: str | None = None
    s3_omezarr_dir: str | None = None
    https_angle_list: str | None = None
    fields: Fields = _fields()

    @property
    def n_images(self) -> int:
        """How many projection images (tilts) the stack holds."""
        return self.size_zyx[0]

    @property
    def label(self) -> str:
        """``tilt series 12 (41 images, -60 to 60 deg)``: how the browser names it."""
        if self.tilt_min is not None and self.tilt_max is not None:
            span = f", {self.tilt_min:g} to {self.tilt_max:g} deg"
        else:
            span = ""
        return f"tilt series {self.id} ({self.n_images} images{span})"


@dataclass(frozen=True)
class Run:
    """A run (one tilt series and its reconstructions) of a dataset, with counts."""

    id: int
    name: str
    dataset_id: int
    voxel_spacings: tuple[VoxelSpacing, ...] = ()
    tomogram_count: int = 0
    annotation_count: int = 0
    tilt_series_quality: int | None = None
    https_prefix: str | None = None
    object_names: tuple[str, ...] = ()
    tilt_series: tuple[TiltSeries, ...] = ()
    fields: Fields = _fields()


@dataclass(frozen=True)
class Tomogram:
    """A tomogram at one voxel spacing and alignment.

    ``scale_dimensions`` holds the size of each multiscale level (``scale0Dimensions``
    and on), z, y, x; ``offset_zyx`` the origin in voxels.
    """

    id: int
    name: str
    voxel_spacing: float
    voxel_spacing_id: int
    alignment_id: int | None
    size_zyx: ZYX
    run_id: int | None = None
    offset_zyx: ZYX = (0, 0, 0)
    scale_dimensions: tuple[ZYX, ...] = ()
    https_omezarr_dir: str | None = None
    s3_omezarr_dir: str | None = None
    https_mrc_file: str | None = None
    s3_mrc_file: str | None = None
    thumbnail_url: str | None = None
    is_visualization_default: bool = False
    processing: str | None = None
    reconstruction_method: str | None = None
    fields: Fields = _fields()


@dataclass(frozen=True)
class AnnotationFile:
    """One file of an annotation shape, at one voxel spacing and alignment."""

    id: int
    format: str
    https_path: str
    s3_path: str
    shape_type: str
    voxel_spacing_id: int | None
    alignment_id: int | None
    is_visualization_default: bool = False
    fields: Fields = _fields()


@dataclass(frozen=True)
class AnnotationShape:
    """A shape (Point, OrientedPoint, SegmentationMask, ...) of an annotation."""

    id: int
    shape_type: str
    files: tuple[AnnotationFile, ...] = ()
    fields: Fields = _fields()


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
    authors: tuple[str, ...] = ()
    fields: Fields = _fields()

    @property
    def precision(self) -> float | None:
        """``confidencePrecision``: the share of annotated objects that are real (0-1)."""
        value = self.fields.get("confidencePrecision")
        return None if value is None else float(value)

    @property
    def recall(self) -> float | None:
        """``confidenceRecall``: the share of real objects that are annotated (0-1)."""
        value = self.fields.get("confidenceRecall")
        return None if value is None else float(value)

    @property
    def files(self) -> tuple[AnnotationFile, ...]:
        """Every file of every shape."""
        return tuple(f for s in self.shapes for f in s.files)


@dataclass(frozen=True)
class VoxelSpacingContents:
    """Everything under a voxel spacing: its tomograms, and the run's annotations
    with the shapes and files at this voxel spacing (every alignment)."""

    voxel_spacing: VoxelSpacing
    tomograms: tuple[Tomogram, ...]
    annotations: tuple[Annotation, ...]

    def files_for(self, tomogram: Tomogram) -> list[tuple[Annotation, AnnotationFile]]:
        """The annotation files that line up with ``tomogram``."""
        return files_for_tomogram(self.annotations, tomogram)

    def by_alignment(self) -> list[AlignmentGroup]:
        """Tomograms and annotations grouped by alignment (see :func:`alignment_groups`)."""
        return alignment_groups(self)


@dataclass(frozen=True)
class AlignmentGroup:
    """The tomograms of one alignment and the annotations drawn in its frame.

    ``annotations`` keep only their files of this alignment (and files without one,
    which fit any).
    """

    alignment_id: int | None
    tomograms: tuple[Tomogram, ...]
    annotations: tuple[Annotation, ...]


def _only_alignment(annotation: Annotation, alignment_id: int | None) -> Annotation | None:
    shapes = []
    for shape in annotation.shapes:
        kept = tuple(
            f for f in shape.files if f.alignment_id is None or f.alignment_id == alignment_id
        )
        if kept:
            shapes.append(replace(shape, files=kept))
    return replace(annotation, shapes=tuple(shapes)) if shapes else None


def alignment_groups(contents: VoxelSpacingContents) -> list[AlignmentGroup]:
    """Tomograms and annotations of a voxel spacing, one group per alignment, in
    alignment id order (files and tomograms without an alignment id go in every group,
    as they fit any; with no alignment ids at all there is one group, ``None``)."""
    ids = {t.alignment_id for t in contents.tomograms} | {
        f.alignment_id for a in contents.annotations for f in a.files
    }
    known: Sequence[int | None] = sorted(i for i in ids if i is not None)
    groups = []
    for alignment_id in known or [None]:
        tomograms = tuple(
            t
            for t in contents.tomograms
            if t.alignment_id is None or alignment_id is None or t.alignment_id == alignment_id
        )
        annotations = tuple(
            kept
            for a in contents.annotations
            if (kept := _only_alignment(a, alignment_id) if alignment_id is not None else a)
        )
        groups.append(AlignmentGroup(alignment_id, tomograms, annotations))
    return groups


@dataclass(frozen=True)
class Page(Sequence[T], Generic[T]):
    """One page of a listing: its items, where it starts, and how many there are in all."""

    items: tuple[T, ...]
    offset: int = 0
    total: int | None = None

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...

    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)


@dataclass(frozen=True)
class SearchResult:
    """What a search found.

    Attributes
    ----------
    datasets : tuple of Dataset
        Matching datasets, by id.
    runs : tuple of Run
        Runs whose names match, by dataset and name (at most the client's run limit).
    run_total : int
        How many runs match in all.
    matched_by : Mapping[int, tuple[str, ...]]
        For each dataset id, what matched: ``id``, ``title``, ``description``,
        ``organism``, ``cell``, ``tissue``, ``run``, ``object``.
    """

    datasets: tuple[Dataset, ...]
    runs: tuple[Run, ...] = ()
    run_total: int = 0
    matched_by: Mapping[int, tuple[str, ...]] = _fields()


def split_entries(value: Any) -> tuple[str, ...]:
    """A comma- or semicolon-separated list of accessions or DOIs, as its parts."""
    if not isinstance(value, str):
        return ()
    parts = (p.strip() for p in value.replace(";", ",").split(","))
    return tuple(p for p in parts if p)


def files_for_tomogram(
    annotations: Iterable[Annotation], tomogram: Tomogram
) -> list[tuple[Annotation, AnnotationFile]]:
    """The annotation files that line up with ``tomogram``.

    A file belongs with a tomogram when both have the same voxel spacing and the same
    alignment. A file or tomogram without an alignment id (older depositions) is
    taken to fit any alignment of its voxel spacing.

    Parameters
    ----------
    annotations : iterable of Annotation
        Annotations with their shapes and files, e.g. ``VoxelSpacingContents.annotations``.
    tomogram : Tomogram
        The tomogram to draw them on.

    Returns
    -------
    list of (Annotation, AnnotationFile)
        Matching files with the annotation each belongs to, in the given order.
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
