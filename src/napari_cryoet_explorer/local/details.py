"""What the metadata panel shows of a node of a download, read from its JSON files.

A download holds the portal's metadata as snake-case JSON (``dataset_metadata.json``,
``run_metadata.json``, ``TiltSeries/<id>/tiltseries_metadata.json``,
``Alignments/<id>/alignment_metadata.json``, ``tomogram_metadata.json`` and each
annotation's ``<object>-<version>.json``). This module turns them into nodes in the
shape of the GraphQL answers (camelCase, relations as lists), so that
:func:`~napari_cryoet_explorer.portal.sections.sections_for` reads both alike.

Ids that a download does not carry (runs, tomograms and annotations are numbered by
folder, not by the portal's database) are left out rather than invented.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..io.download_tree import spacing_from_path
from ..io.folders import is_run_dir, spacing_dirs
from ..io.regular_files import files_in, folders_in, read_json
from ..portal.models import Annotation, Dataset, Run, TiltSeries, Tomogram

Node = dict[str, Any]
_ALIGNMENT = re.compile(r"Alignments/(\d+)/")

DATASET_METADATA = "dataset_metadata.json"
RUN_METADATA = "run_metadata.json"
TOMOGRAM_METADATA = "tomogram_metadata.json"
TILTSERIES_METADATA = "tiltseries_metadata.json"
ALIGNMENT_METADATA = "alignment_metadata.json"


def read_doc(path: Path) -> dict[str, Any]:
    """A metadata document, or an empty one when missing, broken or not an object."""
    doc = read_json(path)
    return doc if isinstance(doc, dict) else {}


def annotation_metadata(folder: Path) -> dict[str, Any]:
    """The annotation's own JSON in its folder (the one with ``annotation_object``).

    An annotation folder may hold other JSON files beside it (captions, for instance);
    the first JSON file is the fallback.
    """
    docs = [read_doc(p) for p in files_in(folder) if p.suffix == ".json"]
    return next((d for d in docs if "annotation_object" in d), docs[0] if docs else {})


def _mapping(doc: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """``doc[key]`` when it is a mapping, else an empty one."""
    value = doc.get(key)
    return value if isinstance(value, Mapping) else {}


def _list(doc: Mapping[str, Any], key: str) -> list[Any]:
    """``doc[key]`` when it is a list, else an empty one."""
    value = doc.get(key)
    return value if isinstance(value, list) else []


def _get(doc: Mapping[str, Any] | None, *path: str) -> Any:
    """``doc[path[0]][path[1]]...``, or None where a step is missing."""
    value: Any = doc
    for step in path:
        value = value.get(step) if isinstance(value, Mapping) else None
    return value


def _dates(doc: Mapping[str, Any]) -> Node:
    dates: Mapping[str, Any] = _mapping(doc, "dates")
    return {
        "depositionDate": dates.get("deposition_date"),
        "releaseDate": dates.get("release_date"),
        "lastModifiedDate": dates.get("last_modified_date"),
    }


def _authors(entries: Any) -> list[Node]:
    """Author nodes from a metadata file's ``authors`` list, in its order."""
    if not isinstance(entries, list):
        return []
    return [
        {
            "name": a.get("name"),
            "orcid": a.get("ORCID") or a.get("orcid"),
            "primaryAuthorStatus": a.get("primary_author_status"),
            "correspondingAuthorStatus": a.get("corresponding_author_status"),
            "email": a.get("email"),
            "affiliationName": a.get("affiliation_name"),
            "authorListOrder": order,
        }
        for order, a in enumerate(entries, start=1)
        if isinstance(a, Mapping)
    ]


def _clean(node: Node) -> Node:
    return {k: v for k, v in node.items() if v is not None}


def dataset_node(dataset_dir: Path) -> Node:
    """A dataset node from ``<dataset>/dataset_metadata.json``."""
    doc = read_doc(dataset_dir / DATASET_METADATA)
    refs: Mapping[str, Any] = _mapping(doc, "cross_references")
    funding: list[Any] = _list(doc, "funding")
    deposition = doc.get("deposition_id")
    node = {
        "id": doc.get("dataset_identifier"),
        "title": doc.get("dataset_title"),
        "description": doc.get("dataset_description"),
        **_dates(doc),
        "authors": _authors(doc.get("authors")),
        "fundingSources": [
            {"fundingAgencyName": f.get("funding_agency_name"), "grantId": f.get("grant_id")}
            for f in funding
            if isinstance(f, Mapping)
        ],
        # Older files name the DOIs ``dataset_publications``.
        "datasetPublications": refs.get("publications") or refs.get("dataset_publications"),
        "relatedDatabaseEntries": refs.get("related_database_entries"),
        "sampleType": doc.get("sample_type"),
        "organismName": _get(doc, "organism", "name"),
        "organismTaxid": _get(doc, "organism", "taxonomy_id"),
        "tissueName": _get(doc, "tissue", "name"),
        "tissueId": _get(doc, "tissue", "id"),
        "cellName": _get(doc, "cell_type", "name"),
        "cellTypeId": _get(doc, "cell_type", "id"),
        "cellStrainName": _get(doc, "cell_strain", "name"),
        "cellStrainId": _get(doc, "cell_strain", "id"),
        "cellComponentName": _get(doc, "cell_component", "name"),
        "cellComponentId": _get(doc, "cell_component", "id"),
        "samplePreparation": doc.get("sample_preparation"),
        "gridPreparation": doc.get("grid_preparation"),
        "otherSetup": doc.get("other_setup"),
        "depositionId": deposition,
        "deposition": None if deposition is None else {"id": deposition},
    }
    return _clean(node)


def tiltseries_node(doc: Mapping[str, Any]) -> Node:
    """A tilt-series node from a ``tiltseries_metadata.json``."""
    low, high = _get(doc, "tilt_range", "min"), _get(doc, "tilt_range", "max")
    node = {
        "microscopeManufacturer": _get(doc, "microscope", "manufacturer"),
        "microscopeModel": _get(doc, "microscope", "model"),
        "microscopeAdditionalInfo": _get(doc, "microscope", "additional_info"),
        "microscopeEnergyFilter": _get(doc, "microscope_optical_setup", "energy_filter"),
        "microscopePhasePlate": _get(doc, "microscope_optical_setup", "phase_plate"),
        "microscopeImageCorrector": _get(doc, "microscope_optical_setup", "image_corrector"),
        "accelerationVoltage": doc.get("acceleration_voltage"),
        "sphericalAberrationConstant": doc.get("spherical_aberration_constant"),
        "cameraManufacturer": _get(doc, "camera", "manufacturer"),
        "cameraModel": _get(doc, "camera", "model"),
        "dataAcquisitionSoftware": doc.get("data_acquisition_software"),
        "pixelSpacing": doc.get("pixel_spacing"),
        "tiltAxis": doc.get("tilt_axis"),
        "tiltMin": low,
        "tiltMax": high,
        "tiltStep": doc.get("tilt_step"),
        "tiltingScheme": doc.get("tilting_scheme"),
        "totalFlux": doc.get("total_flux"),
        "binningFromFrames": doc.get("binning_from_frames"),
        "isAligned": doc.get("is_aligned"),
        "relatedEmpiarEntry": doc.get("related_empiar_entry"),
        "tiltSeriesQuality": doc.get("tilt_series_quality"),
        "sizeX": _get(doc, "size", "x"),
        "sizeY": _get(doc, "size", "y"),
        "sizeZ": _get(doc, "size", "z"),
    }
    return _clean(node)


def tiltseries_files(folder: Path) -> Node:
    """The stack and angle list files of a ``TiltSeries/<id>`` folder, as the API's
    ``httpsMrcFile``, ``httpsOmezarrDir`` and ``httpsAngleList`` (local paths)."""
    found: dict[str, Any] = {}
    # Stacks and angle lists are regular files, stores folders: nothing else is offered.
    files, stores = files_in(folder), folders_in(folder)
    for key, candidates, suffix in (
        ("httpsMrcFile", files, ".mrc"),
        ("httpsOmezarrDir", stores, ".zarr"),
        ("httpsAngleList", files, ".rawtlt"),
        ("httpsAngleList", files, ".tlt"),
    ):
        match = [p for p in candidates if p.suffix == suffix]
        if match and key not in found:
            found[key] = str(match[0])
    return found


def tiltseries_folder_node(folder: Path) -> Node:
    """A ``TiltSeries/<id>`` folder: its metadata, files and the folder number as id."""
    doc = read_doc(folder / TILTSERIES_METADATA)
    node = {**(tiltseries_node(doc) if doc else {}), **tiltseries_files(folder)}
    if folder.name.isdigit():
        node["id"] = int(folder.name)
    return node


def tiltseries_folders(run_dir: Path) -> list[Path]:
    """The run's ``TiltSeries/<id>`` folders with metadata or a stack, by name."""
    return [
        p
        for p in folders_in(run_dir / "TiltSeries")
        if (p / TILTSERIES_METADATA).is_file() or tiltseries_files(p)
    ]


def tiltseries_nodes(run_dir: Path) -> list[Node]:
    """The run's tilt series, by folder."""
    out = []
    for path in sorted(run_dir.glob(f"TiltSeries/*/{TILTSERIES_METADATA}")):
        doc = read_doc(path)
        if doc:
            out.append(tiltseries_node(doc))
    return out


def _spacings(run_dir: Path) -> list[Node]:
    found = (spacing_from_path(p.name) for p in spacing_dirs(run_dir))
    return [{"voxelSpacing": s} for s in found if s is not None]


def run_node(run_dir: Path) -> Node:
    """A run node: ``run_metadata.json``, its tilt series and its dataset."""
    doc = read_doc(run_dir / RUN_METADATA)
    dataset = dataset_node(run_dir.parent) if (run_dir.parent / DATASET_METADATA).is_file() else {}
    node = {
        "name": doc.get("run_name") or run_dir.name,
        "datasetId": dataset.get("id"),
        "tiltseries": tiltseries_nodes(run_dir),
        "dataset": dataset or None,
        "tomogramVoxelSpacings": _spacings(run_dir),
    }
    return _clean(node)


def _run_dir_of(path: Path) -> Path | None:
    return next((p for p in path.parents if is_run_dir(p)), None)


def alignment_node(run_dir: Path | None, metadata_path: Any) -> Node | None:
    """The alignment a metadata file points at (``.../Alignments/100/...json``)."""
    found = _ALIGNMENT.search(metadata_path) if isinstance(metadata_path, str) else None
    if found is None:
        return None
    node: Node = {"id": int(found.group(1))}
    doc = read_doc(run_dir / "Alignments" / found.group(1) / ALIGNMENT_METADATA) if run_dir else {}
    node.update(
        alignmentType=doc.get("alignment_type"),
        alignmentMethod=doc.get("method_type"),
        affineTransformationMatrix=doc.get("affine_transformation_matrix"),
        volumeXOffset=_get(doc, "volume_offset", "x"),
        volumeYOffset=_get(doc, "volume_offset", "y"),
        volumeZOffset=_get(doc, "volume_offset", "z"),
        tiltOffset=doc.get("tilt_offset"),
        xRotationOffset=doc.get("x_rotation_offset"),
        isPortalStandard=doc.get("is_portal_standard"),
    )
    return _clean(node)


def tomogram_node(tomogram_file: Path) -> Node:
    """A tomogram node from the ``tomogram_metadata.json`` beside its file."""
    doc = read_doc(tomogram_file.parent / TOMOGRAM_METADATA)
    run_dir = _run_dir_of(tomogram_file)
    alignment = alignment_node(run_dir, doc.get("alignment_metadata_path")) or {}
    if "affineTransformationMatrix" not in alignment and doc.get("affine_transformation_matrix"):
        # Older downloads keep the matrix with the tomogram.
        alignment["affineTransformationMatrix"] = doc["affine_transformation_matrix"]
    node = {
        "name": tomogram_file.stem,
        "voxelSpacing": doc.get("voxel_spacing"),
        "reconstructionMethod": doc.get("reconstruction_method"),
        "reconstructionSoftware": doc.get("reconstruction_software"),
        "processing": doc.get("processing"),
        "processingSoftware": doc.get("processing_software"),
        "fiducialAlignmentStatus": doc.get("fiducial_alignment_status"),
        "ctfCorrected": doc.get("ctf_corrected"),
        "sizeX": _get(doc, "size", "x"),
        "sizeY": _get(doc, "size", "y"),
        "sizeZ": _get(doc, "size", "z"),
        "offsetX": _get(doc, "offset", "x"),
        "offsetY": _get(doc, "offset", "y"),
        "offsetZ": _get(doc, "offset", "z"),
        **_dates(doc),
        "authors": _authors(doc.get("authors")),
        "alignment": alignment or None,
        "run": None if run_dir is None else {"tomogramVoxelSpacings": _spacings(run_dir)},
    }
    return _clean(node)


# An annotation JSON names some shapes otherwise than the API's shape types.
JSON_SHAPES = {"TriangularMesh": "Mesh", "TriangularMeshGroup": "Mesh"}


def _files(doc: Mapping[str, Any], folder: Path) -> list[Node]:
    """Shapes with their files from an annotation JSON's ``files``; paths are local
    where the download has the file."""
    shapes: dict[str, list[Node]] = {}
    entries: list[Any] = _list(doc, "files")
    for entry in entries:
        if not isinstance(entry, Mapping) or not entry.get("shape"):
            continue
        where = str(entry.get("path") or "")
        local = folder / where.rsplit("/", 1)[-1] if where else None
        shape = JSON_SHAPES.get(str(entry["shape"]), str(entry["shape"]))
        shapes.setdefault(shape, []).append(
            _clean(
                {
                    "format": entry.get("format"),
                    "httpsPath": str(local) if local is not None and local.exists() else where,
                    "isVisualizationDefault": entry.get("is_visualization_default"),
                }
            )
        )
    return [{"shapeType": k, "annotationFiles": v} for k, v in shapes.items()]


def annotation_node(folder: Path, fallback_shapes: Iterable[Node] = ()) -> Node:
    """An annotation node from the annotation's JSON in ``folder``."""
    doc = annotation_metadata(folder)
    obj: Mapping[str, Any] = _mapping(doc, "annotation_object")
    confidence: Mapping[str, Any] = _mapping(doc, "confidence")
    links: list[Any] = _list(doc, "method_links")
    deposition = doc.get("deposition_id")
    node = {
        "objectName": obj.get("name"),
        "objectId": obj.get("id"),
        "objectDescription": obj.get("description"),
        "objectState": obj.get("state"),
        "objectCount": doc.get("object_count"),
        **_dates(doc),
        "annotationMethod": doc.get("annotation_method"),
        "methodType": doc.get("method_type"),
        "annotationPublication": doc.get("annotation_publications"),
        "annotationSoftware": doc.get("annotation_software"),
        "groundTruthStatus": doc.get("ground_truth_status"),
        "isCuratorRecommended": doc.get("is_curator_recommended"),
        "groundTruthUsed": confidence.get("ground_truth_used"),
        "confidencePrecision": confidence.get("precision"),
        "confidenceRecall": confidence.get("recall"),
        "authors": _authors(doc.get("authors")),
        "methodLinks": [
            {"link": k.get("link"), "linkType": k.get("link_type"), "name": k.get("custom_name")}
            for k in links
            if isinstance(k, Mapping)
        ],
        "annotationShapes": _files(doc, folder) or list(fallback_shapes),
        "depositionId": deposition,
        "deposition": None if deposition is None else {"id": deposition},
    }
    return _clean(node)


def local_details(model: Any) -> Node:
    """The detail node of a dataset, run, tomogram, tilt series or annotation of a
    download.

    Parameters
    ----------
    model : Dataset, Run, Tomogram, TiltSeries or Annotation
        A model from :class:`~napari_cryoet_explorer.local.tree.LocalSource`.

    Returns
    -------
    dict
        The node in the GraphQL answer's shape; empty where the files are missing.

    Raises
    ------
    TypeError
        ``model`` is of a kind without details.
    """
    if isinstance(model, Dataset):
        return dataset_node(Path(model.https_prefix or "."))
    if isinstance(model, Run):
        return run_node(Path(model.https_prefix or "."))
    if isinstance(model, Tomogram):
        where = model.https_omezarr_dir or model.https_mrc_file
        return tomogram_node(Path(where)) if where else {}
    if isinstance(model, TiltSeries):
        where = model.https_omezarr_dir or model.https_mrc_file
        return tiltseries_folder_node(Path(where).parent) if where else dict(model.fields)
    if isinstance(model, Annotation):
        if not model.files:
            return {}
        shapes = [
            {
                "shapeType": s.shape_type,
                "annotationFiles": [
                    {"format": f.format, "httpsPath": f.https_path} for f in s.files
                ],
            }
            for s in model.shapes
        ]
        return annotation_node(Path(model.files[0].https_path).parent, shapes)
    raise TypeError(f"no details for {type(model).__name__}")


__all__ = [
    "annotation_metadata",
    "annotation_node",
    "dataset_node",
    "local_details",
    "read_doc",
    "run_node",
    "tiltseries_folder_node",
    "tiltseries_folders",
    "tiltseries_nodes",
    "tomogram_node",
]
