"""The rows ``ls`` prints, one dict a node, with the portal's columns: datasets, runs,
voxel spacings, tilt series, tomograms and annotations (grouped by alignment), facet
values and depositions. They are ``--json``'s lines as they are; :mod:`.ls_tables` lays
them out as tables."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .depositions import Deposition
from .facets import FacetValue
from .filters import (
    Filters,
    annotation_filters,
    matches_annotation,
    matches_tomogram,
    tomogram_filters,
)
from .models import (
    Annotation,
    Dataset,
    Run,
    TiltSeries,
    Tomogram,
    VoxelSpacing,
    VoxelSpacingContents,
)
from .resolve import Resolved
from .vocabulary import quality_label

Row = dict[str, Any]


def dataset_rows(datasets: Iterable[Dataset], found: Resolved | None = None) -> list[Row]:
    """One row a dataset (the portal's dataset table); with free text, what matched and
    the matching runs."""
    rows = []
    for d in datasets:
        row: Row = {
            "kind": "dataset",
            "id": d.id,
            "title": d.title,
            "organism": d.organism_name,
            "runs": d.run_count,
            "objects": list(d.object_names),
            "empiar": list(d.empiar_ids),
            "children": d.run_count,
        }
        if found is not None and found.text is not None:
            row["matched_by"] = list(found.matched_by.get(d.id, ()))
            row["matched_runs"] = [r.name for r in found.runs if r.dataset_id == d.id]
        rows.append(row)
    return rows


def run_rows(runs: Iterable[Run]) -> list[Row]:
    """One row a run (the portal's run table): quality, objects, voxel spacings, tilt
    series, counts."""
    return [
        {
            "kind": "run",
            "id": r.id,
            "name": r.name,
            "dataset_id": r.dataset_id,
            "tilt_series_quality": r.tilt_series_quality,
            "quality": quality_label(r.tilt_series_quality),
            "objects": list(r.object_names),
            "voxel_spacings": [v.voxel_spacing for v in r.voxel_spacings],
            "tomograms": r.tomogram_count,
            "annotations": r.annotation_count,
            "tilt_series": [t.id for t in r.tilt_series],
            "children": len(r.voxel_spacings) + len(r.tilt_series),
        }
        for r in runs
    ]


def voxel_spacing_rows(spacings: Iterable[VoxelSpacing]) -> list[Row]:
    """One row a voxel spacing, named as its folder in a download."""
    return [
        {
            "kind": "voxel_spacing",
            "id": v.id,
            "name": v.folder_name,
            "voxel_spacing": v.voxel_spacing,
            "tomograms": v.tomogram_count,
            "children": v.tomogram_count,
        }
        for v in spacings
    ]


def tilt_series_rows(tilt_series: Iterable[TiltSeries]) -> list[Row]:
    """One row a tilt series: images, tilt range and step, pixel spacing, quality, files."""
    return [
        {
            "kind": "tilt_series",
            "id": t.id,
            "name": t.label,
            "images": t.n_images,
            "size_yx": list(t.size_zyx[1:]),
            "tilt_min": t.tilt_min,
            "tilt_max": t.tilt_max,
            "tilt_step": t.tilt_step,
            "pixel_spacing": t.pixel_spacing,
            "tilt_series_quality": t.quality,
            "quality": quality_label(t.quality),
            "mrc": t.https_mrc_file,
            "zarr": t.https_omezarr_dir,
            "angle_list": t.https_angle_list,
            "children": 0,
        }
        for t in tilt_series
    ]


def tomogram_row(t: Tomogram, match: bool | None = None) -> Row:
    """One tomogram, for ``ls`` of a voxel spacing."""
    row: Row = {
        "kind": "tomogram",
        "id": t.id,
        "name": t.name,
        "alignment_id": t.alignment_id,
        "processing": t.processing,
        "reconstruction_method": t.reconstruction_method,
        "size_zyx": list(t.size_zyx),
        "voxel_spacing": t.voxel_spacing,
        "default": t.is_visualization_default,
        "omezarr": t.https_omezarr_dir,
        "mrc": t.https_mrc_file,
        "children": 0,
    }
    if match is not None:
        row["match"] = match
    return row


def annotation_row(a: Annotation, alignment_id: int | None, match: bool | None = None) -> Row:
    """One annotation with its files at one alignment (the portal's annotation table)."""
    files = a.files
    row: Row = {
        "kind": "annotation",
        "id": a.id,
        "name": a.object_name,
        "alignment_id": alignment_id,
        "shapes": sorted({s.shape_type for s in a.shapes}),
        "method_type": a.method_type,
        "precision": a.precision,
        "recall": a.recall,
        "ground_truth": a.ground_truth_status,
        "default": any(f.is_visualization_default for f in files),
        "authors": list(a.authors),
        "formats": sorted({f.format for f in files}),
        "files": [
            {
                "id": f.id,
                "shape": f.shape_type,
                "format": f.format,
                "alignment_id": f.alignment_id,
                "default": f.is_visualization_default,
                "url": f.https_path,
            }
            for f in files
        ],
        "children": len(files),
    }
    if match is not None:
        row["match"] = match
    return row


def contents_rows(contents: VoxelSpacingContents, filters: Filters | None = None) -> list[Row]:
    """Tomograms, then annotations, alignment by alignment; with row filters, the
    matching ones of each alignment first (``match`` says which)."""
    f = filters or Filters()
    rows: list[Row] = []
    for group in contents.by_alignment():
        tomograms = [
            tomogram_row(t, matches_tomogram(f, t) if tomogram_filters(f) else None)
            for t in group.tomograms
        ]
        annotations = [
            annotation_row(
                a, group.alignment_id, matches_annotation(f, a) if annotation_filters(f) else None
            )
            for a in group.annotations
        ]
        for block in (tomograms, annotations):
            block.sort(key=lambda r: r.get("match") is False)
            rows.extend(r for r in block if r not in rows)
    return rows


def facet_rows(found: dict[str, list[FacetValue]]) -> list[Row]:
    """One row a facet value, with the number of datasets that match with it."""
    return [
        {
            "kind": "facet",
            "facet": name,
            "value": v.value,
            "label": v.label,
            "datasets": v.datasets,
            "selected": v.selected,
        }
        for name, values in found.items()
        for v in values
    ]


def deposition_rows(found: Iterable[Deposition]) -> list[Row]:
    """One row a deposition: its date, title, types and what it brought."""
    return [
        {
            "kind": "deposition",
            "id": d.id,
            "title": d.title,
            "date": (d.deposition_date or "")[:10] or None,
            "datasets": d.dataset_count,
            "tomograms": d.tomogram_count,
            "annotations": d.annotation_count,
            "types": list(d.types),
        }
        for d in found
    ]
