"""What to read for a tomogram and its annotations: a plan of reader calls (Qt-free).

The widget and the demo both run these steps, one LayerData batch each, so layers can
stream into the viewer and a cancel between steps leaves whole layers only. A file
found complete in a remembered download folder is read from there; anything else is
read from the portal through the on-disk cache. :func:`origin_note` says which.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal

from .downloads.local_copies import LocalCopy, find_local
from .io import LayerData, read_annotation_file, read_tomogram
from .io.names import ANNOTATIONS, TOMOGRAMS, folder_id, portal_names, tomogram_name
from .io.tomogram import with_contrast_limits
from .net.cache_counts import Counts, counts, describe
from .portal.models import (
    Annotation,
    AnnotationFile,
    Tomogram,
    VoxelSpacingContents,
    files_for_tomogram,
)

# Formats the readers draw (GLB meshes as surfaces); a mask's MRC copy is
# skipped when its Zarr is there.
OPENABLE_FORMATS = ("ndjson", "zarr", "mrc", "glb")
# How oriented points show their orientation: each particle's x, y, z triad (as the
# portal's viewer draws it), its z axis alone, or not at all (the points only).
Orientation = Literal["triads", "z axis", "none"]
ORIENTATIONS: tuple[Orientation, ...] = ("triads", "z axis", "none")


@dataclass(frozen=True)
class Step:
    """One reader call and what it is for (shown in progress and errors).

    Attributes
    ----------
    label : str
        What is read (``tomogram 100``, ``ribosome (OrientedPoint)``).
    run : callable
        The reader call.
    url : str or None
        The portal URL the step stands for.
    local : LocalCopy or None
        The download it reads instead of the URL, if one was found.
    """

    label: str
    run: Callable[[], list[LayerData]]
    url: str | None = None
    local: LocalCopy | None = None

    @property
    def source(self) -> str | None:
        """What the step reads: the local path, else the URL."""
        return str(self.local.path) if self.local is not None else self.url


def origin_note(step: Step, read: Counts | None = None) -> str:
    """Where a step's data come from, for the widget: ``from your download in DIR``,
    ``from the on-disk cache (N files)``, or empty (from the network).

    Parameters
    ----------
    step : Step
        A step of :func:`plan`.
    read : Counts, optional
        The cache counts of this read alone (``counts(url)`` after minus before); by
        default everything read from the step's URL in this session.
    """
    if step.local is not None:
        return f"from your download in {step.local.folder}"
    if step.url is None:
        return ""
    return describe(step.url, read if read is not None else counts(step.url))


def _origin(url: str, folders: Iterable[str | Path] | None) -> tuple[str, LocalCopy | None]:
    """What to read for ``url``, and the download found, if any."""
    found = find_local(url, folders)
    return (url, None) if found is None else (str(found.path), found)


def _provenance(url: str, local: LocalCopy | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"portal_url": url}
    if local is not None:
        meta["download_folder"] = str(local.folder)
    return meta


def _named(
    read: Callable[[], list[LayerData]],
    run_name: str,
    annotation_id: str,
    vectors: bool = True,
) -> list[LayerData]:
    """An annotation file's layers, named as its download folder would name them;
    without its orientation vectors when ``vectors`` is False."""
    layers = [layer for layer in read() if vectors or layer[2] != "vectors"]
    return portal_names(layers, run=run_name, annotation_id=annotation_id)


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
    download_folders: Iterable[str | Path] | None = None,
    orientation: Orientation = "triads",
    vector_length: float | None = None,
) -> list[Step]:
    """Reader steps: the tomogram, then each chosen annotation file.

    Oriented points show their ``orientation`` (:data:`ORIENTATIONS`) with vectors
    ``vector_length`` Angstrom long (default: from the particles' spacing).

    Files found complete under a download folder (default: the remembered ones) are
    read from disk, with the same layer names and scales as from the portal; the
    layers' metadata keep ``source`` (what was read), ``portal_url`` and, for a
    download, ``download_folder``. Layers are named as a dropped download names them
    (:mod:`.io.names`): by the ``Tomograms/<n>`` and ``Annotations/<n>`` folders of
    the files' URLs, not by the API's ids.
    """
    folders = None if download_folders is None else list(download_folders)
    steps = []
    if include_tomogram:
        url = tomogram.https_omezarr_dir or tomogram.https_mrc_file
        if url is None:
            raise ValueError(f"tomogram {tomogram.id} has neither OME-Zarr nor MRC")
        source, local = _origin(url, folders)
        read = partial(
            read_tomogram,
            source,
            voxel_spacing=tomogram.voxel_spacing,
            name=tomogram_name(
                run_name,
                folder_id(url, TOMOGRAMS) or str(tomogram.id),
                tomogram.processing,
            ),
            multiscale=multiscale,
            level=level,
            metadata={**tomogram.fields, **_provenance(url, local)},
        )
        # The contrast comes from a plane read here, in the worker: left to napari, it
        # would be computed from the first slice it shows, on its own thread's time.
        steps.append(
            Step(
                f"tomogram {tomogram.id}",
                lambda: [with_contrast_limits(read())],
                url=url,
                local=local,
            )
        )
    for annotation, file in files:
        source, local = _origin(file.https_path, folders)
        read_file = partial(
            read_annotation_file,
            source,
            voxel_spacing=contents.voxel_spacing.voxel_spacing,
            shape_type=file.shape_type,
            object_name=annotation.object_name,
            run_name=run_name,
            vector_length=vector_length,
            all_axes=orientation == "triads",
            metadata={
                "annotation": dict(annotation.fields),
                "file": dict(file.fields),
                **_provenance(file.https_path, local),
            },
        )
        annotation_id = folder_id(file.https_path, ANNOTATIONS) or str(annotation.id)
        steps.append(
            Step(
                f"{annotation.object_name} ({file.shape_type})",
                partial(_named, read_file, run_name, annotation_id, orientation != "none"),
                url=file.https_path,
                local=local,
            )
        )
    return steps
