"""Turn GraphQL answers into models.

Functions raise ``KeyError``, ``TypeError`` or ``ValueError`` when a node lacks a
field the schema guarantees; the client turns those into
:class:`~napari_cryoet_explorer.portal.errors.PortalResponseError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .models import (
    ZYX,
    Annotation,
    AnnotationFile,
    AnnotationShape,
    Dataset,
    Run,
    TiltSeries,
    Tomogram,
    VoxelSpacing,
    freeze,
)
from .schema import scalar_fields

Node = Mapping[str, Any]


def scalars(type_name: str, node: Node) -> Mapping[str, Any]:
    """The scalar fields of ``type_name`` present in ``node``, read-only."""
    return freeze({k: node[k] for k in scalar_fields(type_name) if k in node})


def count(node: Node, key: str) -> int:
    """The ``count`` of an aggregate field (``runsAggregate { aggregate { count } }``)."""
    aggregate = node[key]["aggregate"] or [{}]
    return int(aggregate[0].get("count") or 0)


def nodes(connection: Node | None) -> list[Node]:
    """The nodes of a connection's edges."""
    if connection is None:
        return []
    return [edge["node"] for edge in connection["edges"]]


def group_values(node: Node, key: str, path: tuple[str, ...]) -> tuple[str, ...]:
    """The distinct values at ``path`` in the groups of an aggregate (sorted), e.g. the
    object names of ``objects: annotationsAggregate { aggregate { groupBy { objectName } } }``."""
    entries = (node.get(key) or {}).get("aggregate") or []
    values = set()
    for entry in entries:
        value: Any = entry.get("groupBy")
        for step in path:
            value = value.get(step) if isinstance(value, Mapping) else None
        if value is not None:
            values.add(str(value))
    return tuple(sorted(values, key=str.lower))


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _xyz_text(text: Any) -> ZYX | None:
    """``"630,630,184"`` (x, y, z) as (z, y, x); None if absent or malformed."""
    if not isinstance(text, str):
        return None
    try:
        x, y, z = (int(float(p)) for p in text.split(","))
    except ValueError:
        return None
    return (z, y, x)


def dataset(node: Node) -> Dataset:
    """A :class:`Dataset` from a node with ``runsAggregate``."""
    return Dataset(
        id=int(node["id"]),
        title=str(node["title"] or ""),
        description=str(node.get("description") or ""),
        organism_name=node.get("organismName"),
        cell_name=node.get("cellName"),
        tissue_name=node.get("tissueName"),
        key_photo_thumbnail_url=node.get("keyPhotoThumbnailUrl"),
        https_prefix=node.get("httpsPrefix"),
        run_count=count(node, "runsAggregate"),
        object_names=group_values(node, "objects", ("annotations", "objectName")),
        fields=scalars("Dataset", node),
    )


def voxel_spacing(node: Node) -> VoxelSpacing:
    """A :class:`VoxelSpacing` from a node (``tomogramsAggregate`` optional)."""
    return VoxelSpacing(
        id=int(node["id"]),
        voxel_spacing=float(node["voxelSpacing"]),
        run_id=int(node.get("runId") or 0),
        https_prefix=node.get("httpsPrefix"),
        tomogram_count=count(node, "tomogramsAggregate") if "tomogramsAggregate" in node else 0,
        fields=scalars("TomogramVoxelSpacing", node),
    )


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def tilt_series(node: Node) -> TiltSeries:
    """A :class:`TiltSeries` from its scalar fields."""
    return TiltSeries(
        id=int(node["id"]),
        run_id=int(node.get("runId") or 0),
        size_zyx=(
            int(node.get("sizeZ") or 0),
            int(node.get("sizeY") or 0),
            int(node.get("sizeX") or 0),
        ),
        pixel_spacing=_float_or_none(node.get("pixelSpacing")),
        tilt_min=_float_or_none(node.get("tiltMin")),
        tilt_max=_float_or_none(node.get("tiltMax")),
        tilt_step=_float_or_none(node.get("tiltStep")),
        quality=_int_or_none(node.get("tiltSeriesQuality")),
        https_mrc_file=node.get("httpsMrcFile"),
        s3_mrc_file=node.get("s3MrcFile"),
        https_omezarr_dir=node.get("httpsOmezarrDir"),
        s3_omezarr_dir=node.get("s3OmezarrDir"),
        https_angle_list=node.get("httpsAngleList"),
        fields=scalars("Tiltseries", node),
    )


def run(node: Node) -> Run:
    """A :class:`Run` from a ``RunFields`` node."""
    tilts = tuple(tilt_series(n) for n in nodes(node.get("tiltseries")))
    quality = next((t.quality for t in tilts if t.quality is not None), None)
    return Run(
        id=int(node["id"]),
        name=str(node["name"]),
        dataset_id=int(node["datasetId"]),
        voxel_spacings=tuple(voxel_spacing(n) for n in nodes(node.get("tomogramVoxelSpacings"))),
        tomogram_count=count(node, "tomogramsAggregate"),
        annotation_count=count(node, "annotationsAggregate"),
        tilt_series_quality=quality,
        https_prefix=node.get("httpsPrefix"),
        object_names=group_values(node, "objects", ("objectName",)),
        tilt_series=tilts,
        fields=scalars("Run", node),
    )


def tomogram(node: Node) -> Tomogram:
    """A :class:`Tomogram` from its scalar fields."""
    levels = (node.get(f"scale{k}Dimensions") for k in range(3))
    return Tomogram(
        id=int(node["id"]),
        name=str(node.get("name") or ""),
        voxel_spacing=float(node["voxelSpacing"]),
        voxel_spacing_id=int(node["tomogramVoxelSpacingId"]),
        alignment_id=_int_or_none(node.get("alignmentId")),
        size_zyx=(int(node["sizeZ"]), int(node["sizeY"]), int(node["sizeX"])),
        run_id=_int_or_none(node.get("runId")),
        offset_zyx=(
            int(node.get("offsetZ") or 0),
            int(node.get("offsetY") or 0),
            int(node.get("offsetX") or 0),
        ),
        scale_dimensions=tuple(d for d in map(_xyz_text, levels) if d is not None),
        https_omezarr_dir=node.get("httpsOmezarrDir"),
        s3_omezarr_dir=node.get("s3OmezarrDir"),
        https_mrc_file=node.get("httpsMrcFile"),
        s3_mrc_file=node.get("s3MrcFile"),
        thumbnail_url=node.get("keyPhotoThumbnailUrl"),
        is_visualization_default=bool(node.get("isVisualizationDefault")),
        processing=node.get("processing"),
        reconstruction_method=node.get("reconstructionMethod"),
        fields=scalars("Tomogram", node),
    )


def annotation_file(node: Node, shape_type: str) -> AnnotationFile:
    """An :class:`AnnotationFile` of a shape of type ``shape_type``."""
    return AnnotationFile(
        id=int(node["id"]),
        format=str(node["format"]),
        https_path=str(node["httpsPath"]),
        s3_path=str(node.get("s3Path") or ""),
        shape_type=shape_type,
        voxel_spacing_id=_int_or_none(node.get("tomogramVoxelSpacingId")),
        alignment_id=_int_or_none(node.get("alignmentId")),
        is_visualization_default=bool(node.get("isVisualizationDefault")),
        fields=scalars("AnnotationFile", node),
    )


def _annotation(node: Node, shapes: Iterable[AnnotationShape]) -> Annotation:
    return Annotation(
        id=int(node["id"]),
        object_name=str(node.get("objectName") or ""),
        run_id=int(node.get("runId") or 0),
        method_type=node.get("methodType"),
        ground_truth_status=node.get("groundTruthStatus"),
        object_count=_int_or_none(node.get("objectCount")),
        shapes=tuple(shapes),
        authors=tuple(str(n.get("name") or "") for n in nodes(node.get("authors"))),
        fields=scalars("Annotation", node),
    )


def annotations_from_files(file_nodes: Iterable[Node]) -> tuple[Annotation, ...]:
    """Group annotation-file nodes (each with ``annotationShape { annotation }``)
    into annotations with their shapes, ordered by annotation id, then shape id."""
    annotation_nodes: dict[int, Node] = {}
    shape_nodes: dict[int, tuple[int, Node]] = {}
    files: dict[int, list[AnnotationFile]] = {}
    for f in file_nodes:
        shape = f["annotationShape"]
        parent = shape["annotation"]
        shape_id, annotation_id = int(shape["id"]), int(parent["id"])
        annotation_nodes.setdefault(annotation_id, parent)
        shape_nodes.setdefault(shape_id, (annotation_id, shape))
        files.setdefault(shape_id, []).append(annotation_file(f, str(shape.get("shapeType"))))
    shapes: dict[int, list[AnnotationShape]] = {}
    for shape_id, (annotation_id, shape) in sorted(shape_nodes.items()):
        shapes.setdefault(annotation_id, []).append(
            AnnotationShape(
                id=shape_id,
                shape_type=str(shape.get("shapeType")),
                files=tuple(files[shape_id]),
                fields=scalars("AnnotationShape", shape),
            )
        )
    return tuple(_annotation(annotation_nodes[a], shapes[a]) for a in sorted(annotation_nodes))
