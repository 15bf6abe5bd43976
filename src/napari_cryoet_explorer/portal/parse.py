"""Turn GraphQL answers into models."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .models import (
    Annotation,
    AnnotationFile,
    AnnotationShape,
    Dataset,
    Run,
    Tomogram,
    VoxelSpacing,
    freeze,
)
from .schema import scalar_fields


def _scalars(type_name: str, node: Mapping[str, Any]) -> Mapping[str, Any]:
    return freeze({k: node.get(k) for k in scalar_fields(type_name) if k in node})


def _count(node: Mapping[str, Any], key: str) -> int:
    aggregate = (node.get(key) or {}).get("aggregate") or []
    return int(aggregate[0].get("count") or 0) if aggregate else 0


def _nodes(connection: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    return [edge["node"] for edge in (connection or {}).get("edges", [])]


def dataset(node: Mapping[str, Any]) -> Dataset:
    """A :class:`Dataset` from a node with ``runsAggregate``."""
    return Dataset(
        id=int(node["id"]),
        title=str(node.get("title") or ""),
        organism_name=node.get("organismName"),
        run_count=_count(node, "runsAggregate"),
        fields=_scalars("Dataset", node),
    )


def voxel_spacing(node: Mapping[str, Any]) -> VoxelSpacing:
    """A :class:`VoxelSpacing` from a node (``tomogramsAggregate`` optional)."""
    return VoxelSpacing(
        id=int(node["id"]),
        voxel_spacing=float(node["voxelSpacing"]),
        run_id=int(node.get("runId") or 0),
        tomogram_count=_count(node, "tomogramsAggregate"),
        fields=_scalars("TomogramVoxelSpacing", node),
    )


def run(node: Mapping[str, Any]) -> Run:
    """A :class:`Run` from a node of the runs query."""
    tilt = _nodes(node.get("tiltseries"))
    return Run(
        id=int(node["id"]),
        name=str(node["name"]),
        dataset_id=int(node.get("datasetId") or 0),
        voxel_spacings=tuple(voxel_spacing(n) for n in _nodes(node.get("tomogramVoxelSpacings"))),
        tomogram_count=_count(node, "tomogramsAggregate"),
        annotation_count=_count(node, "annotationsAggregate"),
        tilt_series_quality=tilt[0].get("tiltSeriesQuality") if tilt else None,
        fields=_scalars("Run", node),
    )


def tomogram(node: Mapping[str, Any]) -> Tomogram:
    """A :class:`Tomogram` from its scalar fields."""
    return Tomogram(
        id=int(node["id"]),
        name=str(node.get("name") or ""),
        voxel_spacing=float(node["voxelSpacing"]),
        voxel_spacing_id=int(node["tomogramVoxelSpacingId"]),
        alignment_id=node.get("alignmentId"),
        size_zyx=(int(node["sizeZ"]), int(node["sizeY"]), int(node["sizeX"])),
        https_omezarr_dir=node.get("httpsOmezarrDir"),
        s3_omezarr_dir=node.get("s3OmezarrDir"),
        https_mrc_file=node.get("httpsMrcFile"),
        s3_mrc_file=node.get("s3MrcFile"),
        thumbnail_url=node.get("keyPhotoThumbnailUrl"),
        is_visualization_default=bool(node.get("isVisualizationDefault")),
        processing=node.get("processing"),
        fields=_scalars("Tomogram", node),
    )


def annotation(node: Mapping[str, Any]) -> Annotation:
    """An :class:`Annotation` with its shapes and their files."""
    shapes = []
    for shape_node in _nodes(node.get("annotationShapes")):
        shape_type = str(shape_node.get("shapeType"))
        files = tuple(
            AnnotationFile(
                id=int(f["id"]),
                format=str(f.get("format")),
                https_path=str(f.get("httpsPath")),
                s3_path=str(f.get("s3Path")),
                shape_type=shape_type,
                voxel_spacing_id=f.get("tomogramVoxelSpacingId"),
                alignment_id=f.get("alignmentId"),
                is_visualization_default=bool(f.get("isVisualizationDefault")),
                fields=_scalars("AnnotationFile", f),
            )
            for f in _nodes(shape_node.get("annotationFiles"))
        )
        shapes.append(
            AnnotationShape(
                id=int(shape_node["id"]),
                shape_type=shape_type,
                files=files,
                fields=_scalars("AnnotationShape", shape_node),
            )
        )
    return Annotation(
        id=int(node["id"]),
        object_name=str(node.get("objectName") or ""),
        run_id=int(node.get("runId") or 0),
        method_type=node.get("methodType"),
        ground_truth_status=node.get("groundTruthStatus"),
        object_count=node.get("objectCount"),
        shapes=tuple(shapes),
        fields=_scalars("Annotation", node),
    )
