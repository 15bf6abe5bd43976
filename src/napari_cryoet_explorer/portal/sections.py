"""The metadata panel's content: sections of labelled rows, as the portal documents them.

Builders take a node in the GraphQL answer's shape (camelCase fields; relations as
connections ``{"edges": [{"node": ...}]}`` or plain lists) and return
:class:`~.metadata_rows.Section` objects: the portal's labels, readable values (dates as
YYYY-MM-DD, Yes/No, units), a link where the value names a record elsewhere, and the
portal's definition of each field for a tooltip. Absent values are left out, except
precision and recall, which read "NA" as on the portal.

The same builders serve the portal (the details of :mod:`.details`), a model already
loaded (:func:`initial_node`) and a local download (``local.details``).

The rows and their building blocks live in :mod:`.metadata_rows` (labels and
definitions in :mod:`.metadata_terms`, values in :mod:`.metadata_values`, links in
:mod:`.metadata_links`); the sections of each kind of node in
:mod:`.dataset_sections`, :mod:`.tomogram_sections` and :mod:`.annotation_sections`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, is_dataclass
from typing import Any

from .annotation_sections import annotation_sections
from .dataset_sections import (
    dataset_section,
    deposition_section,
    run_section,
    sample_section,
    spacing_section,
)
from .depositions import Deposition
from .metadata_links import link_for, references
from .metadata_rows import Node, Row, Section, many, one
from .metadata_values import present
from .models import Annotation, Dataset, Run, TiltSeries, Tomogram, VoxelSpacing
from .tomogram_sections import tiltseries_files_section, tiltseries_section, tomogram_section


def sections_for(kind: str, node: Node) -> list[Section]:
    """The sections of a node of ``kind`` (``dataset``, ``run``, ``spacing``,
    ``tomogram``, ``tiltseries``, ``annotation`` or ``deposition``), in the portal's
    order."""
    builders: dict[str, Callable[[Node], Sequence[Section | None]]] = {
        "dataset": lambda n: [dataset_section(n), sample_section(n), _dataset_deposition(n)],
        "run": lambda n: [
            run_section(n),
            *_tiltseries_sections(many(n, "tiltseries")),
            sample_section(one(n, "dataset")),
        ],
        "spacing": lambda n: [spacing_section(n)],
        "tomogram": lambda n: [tomogram_section(n)],
        "tiltseries": lambda n: [tiltseries_section(n), tiltseries_files_section(n)],
        "annotation": lambda n: [*annotation_sections(n), _deposition_of(n)],
        "deposition": lambda n: [deposition_section(n)],
    }
    build = builders.get(kind)
    return [] if build is None else [s for s in build(node) if s is not None]


def _tiltseries_sections(nodes: Sequence[Node]) -> list[Section | None]:
    if len(nodes) == 1:
        return [tiltseries_section(nodes[0])]
    return [tiltseries_section(n, f"Tilt series {n.get('id', i)}") for i, n in enumerate(nodes, 1)]


def _deposition_of(node: Node) -> Section | None:
    deposition = one(node, "deposition")
    return deposition_section(deposition) if deposition is not None else None


def _dataset_deposition(node: Node) -> Section | None:
    deposition = one(node, "deposition")
    if deposition is None and present(node.get("depositionId")):
        deposition = {"id": node["depositionId"]}
    return deposition_section(deposition)


# -- what a loaded model already tells -------------------------------------------------------


def kind_of(model: Any) -> str | None:
    """The node kind of a model: ``dataset``, ``run``, ``spacing``, ``tomogram``,
    ``tiltseries``, ``annotation``; None for anything else."""
    kinds: dict[type, str] = {
        Dataset: "dataset",
        Run: "run",
        VoxelSpacing: "spacing",
        Tomogram: "tomogram",
        TiltSeries: "tiltseries",
        Annotation: "annotation",
        Deposition: "deposition",
    }
    return kinds.get(type(model))


def initial_node(model: Any) -> dict[str, Any]:
    """A node in the GraphQL answer's shape from what a tree model holds already.

    Its typed attributes, then its ``fields`` (every scalar the listing fetched), so
    that the sections of a node show as soon as it is selected.
    """
    node: dict[str, Any] = {}
    if isinstance(model, Dataset):
        node.update(
            id=model.id,
            title=model.title,
            description=model.description or None,
            organismName=model.organism_name,
            cellName=model.cell_name,
            tissueName=model.tissue_name,
        )
    elif isinstance(model, Run):
        node.update(id=model.id, name=model.name, datasetId=model.dataset_id)
        if model.tilt_series:
            node["tiltseries"] = [dict(t.fields) or {"id": t.id} for t in model.tilt_series]
        elif model.tilt_series_quality is not None:
            node["tiltseries"] = [{"tiltSeriesQuality": model.tilt_series_quality}]
    elif isinstance(model, VoxelSpacing):
        node.update(voxelSpacing=model.voxel_spacing, tomogramsAggregate=model.tomogram_count)
    elif isinstance(model, Tomogram):
        z, y, x = model.size_zyx
        node.update(
            id=model.id,
            voxelSpacing=model.voxel_spacing,
            sizeX=x,
            sizeY=y,
            sizeZ=z,
            alignmentId=model.alignment_id,
            processing=model.processing,
            reconstructionMethod=model.reconstruction_method,
        )
    elif isinstance(model, Annotation):
        node.update(
            id=model.id,
            objectName=model.object_name,
            methodType=model.method_type,
            groundTruthStatus=model.ground_truth_status,
            objectCount=model.object_count,
        )
        node["annotationShapes"] = [
            {
                "shapeType": s.shape_type,
                "annotationFiles": [
                    {"format": f.format, "httpsPath": f.https_path, **f.fields} for f in s.files
                ],
            }
            for s in model.shapes
        ]
    node = {k: v for k, v in node.items() if v is not None}
    node.update(getattr(model, "fields", {}) or {})
    return node


# -- every field, raw -------------------------------------------------------------------------


def all_fields_section(fields: Mapping[str, Any], *, collapsed: bool = True) -> Section:
    """``All fields``: every field as the API names it; mappings and lists of mappings
    nest, several references in one field get a linked child each."""
    return Section("All fields", tuple(_raw_rows(fields)), collapsed)


def _raw_rows(fields: Mapping[str, Any]) -> list[Row]:
    out = []
    for key, value in fields.items():
        if is_dataclass(value) and not isinstance(value, type):
            value = asdict(value)
        if isinstance(value, Mapping):
            out.append(Row(str(key), "", field=str(key), children=tuple(_raw_rows(value))))
            continue
        if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            nested = {str(i): v for i, v in enumerate(value, 1)}
            out.append(Row(str(key), "", field=str(key), children=tuple(_raw_rows(nested))))
            continue
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        parts = references(value)
        children = tuple(Row(str(i), p, link_for(p)) for i, p in enumerate(parts, 1))
        out.append(Row(str(key), text, None if parts else link_for(value), "", str(key), children))
    return out


__all__ = [
    "all_fields_section",
    "initial_node",
    "kind_of",
    "sections_for",
]
