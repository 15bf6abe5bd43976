"""What to read for a tomogram and its annotations: a plan of reader calls (Qt-free).

The widget and the demo both run these steps, one LayerData batch each, so layers can
stream into the viewer and a cancel between steps leaves whole layers only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

from .io import LayerData, read_annotation_file, read_tomogram
from .io.tomogram import with_contrast_limits
from .portal.models import (
    Annotation,
    AnnotationFile,
    Tomogram,
    VoxelSpacingContents,
    files_for_tomogram,
)

# Formats the readers draw; meshes (glb) are left out, and a mask's MRC copy is
# skipped when its Zarr is there.
OPENABLE_FORMATS = ("ndjson", "zarr", "mrc")


@dataclass(frozen=True)
class Step:
    """One reader call and what it is for (shown in progress and errors)."""

    label: str
    run: Callable[[], list[LayerData]]


def default_tomogram(contents: VoxelSpacingContents) -> Tomogram:
    """The visualization-default tomogram of a voxel spacing (else the first)."""
    if not contents.tomograms:
        raise ValueError(
            f"voxel spacing {contents.voxel_spacing.voxel_spacing:.3f} has no tomograms"
        )
    return sorted(contents.tomograms, key=lambda t: (not t.is_visualization_default, t.id))[0]


def openable_files(
    contents: VoxelSpacingContents, tomogram: Tomogram
) -> list[tuple[Annotation, AnnotationFile]]:
    """Files matching the tomogram that a reader can draw, one format per shape."""
    chosen: dict[tuple[int, str], tuple[Annotation, AnnotationFile]] = {}
    for annotation, file in files_for_tomogram(contents.annotations, tomogram):
        if file.format not in OPENABLE_FORMATS:
            continue
        key = (annotation.id, file.shape_type)
        # Prefer Zarr over MRC for masks: it is multiscale and lazy over the network.
        if key not in chosen or (file.format == "zarr" and chosen[key][1].format == "mrc"):
            chosen[key] = (annotation, file)
    return list(chosen.values())


def plan(
    contents: VoxelSpacingContents,
    tomogram: Tomogram,
    files: Iterable[tuple[Annotation, AnnotationFile]],
    *,
    run_name: str,
    multiscale: bool = True,
    level: int | None = None,
    include_tomogram: bool = True,
) -> list[Step]:
    """Reader steps: the tomogram, then each chosen annotation file."""
    steps = []
    if include_tomogram:
        source = tomogram.https_omezarr_dir or tomogram.https_mrc_file
        if source is None:
            raise ValueError(f"tomogram {tomogram.id} has neither OME-Zarr nor MRC")
        read = partial(
            read_tomogram,
            source,
            voxel_spacing=tomogram.voxel_spacing,
            name=f"{run_name} tomogram {tomogram.id}",
            multiscale=multiscale,
            level=level,
            metadata=dict(tomogram.fields),
        )
        # The contrast comes from a plane read here, in the worker: left to napari, it
        # would be computed from the first slice it shows, on its own thread's time.
        steps.append(Step(f"tomogram {tomogram.id}", lambda: [with_contrast_limits(read())]))
    for annotation, file in files:
        steps.append(
            Step(
                f"{annotation.object_name} ({file.shape_type})",
                partial(
                    read_annotation_file,
                    file.https_path,
                    voxel_spacing=contents.voxel_spacing.voxel_spacing,
                    shape_type=file.shape_type,
                    object_name=annotation.object_name,
                    run_name=run_name,
                    metadata={"annotation": dict(annotation.fields), "file": dict(file.fields)},
                ),
            )
        )
    return steps
