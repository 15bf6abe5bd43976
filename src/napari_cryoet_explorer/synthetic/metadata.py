"""The metadata JSON files of a downloaded portal tree, built from the synthetic rows.

``dataset_metadata.json``, ``run_metadata.json``, ``tiltseries_metadata.json``,
``alignment_metadata.json``, ``tomogram_metadata.json`` and the annotations'
``<object>-1.0.json``, with the keys the portal's ingestion writes (snake case, dates as
``YYYY-MM-DD``, paths relative to the bucket root).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..replica.store import Row

# A fixed ``last_updated_at`` (2024-06-01 UTC) so the same seed writes the same files.
LAST_UPDATED = 1717200000
IDENTITY_4X4 = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]


def dates(row: Row) -> dict[str, str]:
    """The ``dates`` block from a row's ``DateTime`` fields."""
    return {
        "deposition_date": row["depositionDate"][:10],
        "release_date": row["releaseDate"][:10],
        "last_modified_date": row["lastModifiedDate"][:10],
    }


# Author row field -> key of an ``authors`` entry in the metadata files.
AUTHOR_KEYS = {
    "name": "name",
    "orcid": "ORCID",
    "primaryAuthorStatus": "primary_author_status",
    "correspondingAuthorStatus": "corresponding_author_status",
    "email": "email",
    "affiliationName": "affiliation_name",
    "affiliationAddress": "affiliation_address",
    "affiliationIdentifier": "affiliation_identifier",
}


def people(author_rows: Sequence[Row]) -> list[dict[str, Any]]:
    """``authors`` entries from author rows, in list order; unknown values are left out."""
    ordered = sorted(author_rows, key=lambda a: a["authorListOrder"])
    return [
        {key: a[field] for field, key in AUTHOR_KEYS.items() if a[field] is not None}
        for a in ordered
    ]


def dataset_metadata(
    row: Row, authors: Sequence[Row], funding: Sequence[Row], key_photos: dict[str, str]
) -> dict[str, Any]:
    """``<dataset>/dataset_metadata.json``."""
    return {
        "dataset_identifier": row["id"],
        "dataset_title": row["title"],
        "dataset_description": row["description"],
        "authors": people(authors),
        "cross_references": {
            "publications": row["datasetPublications"],
            "related_database_entries": row["relatedDatabaseEntries"],
        },
        "funding": [
            {"funding_agency_name": f["fundingAgencyName"], "grant_id": f["grantId"]}
            for f in funding
        ],
        "sample_preparation": row["samplePreparation"],
        "grid_preparation": row["gridPreparation"],
        "sample_type": row["sampleType"],
        "dates": dates(row),
        "organism": {"name": row["organismName"], "taxonomy_id": row["organismTaxid"]},
        "tissue": {"name": row["tissueName"], "id": row["tissueId"]},
        "cell_type": {"name": row["cellName"], "id": row["cellTypeId"]},
        "cell_strain": {"name": row["cellStrainName"], "id": row["cellStrainId"]},
        "key_photos": key_photos,
        "deposition_id": row["depositionId"],
    }


def run_metadata(name: str, dep_id: int) -> dict[str, Any]:
    """``<run>/run_metadata.json``."""
    return {"run_name": name, "last_updated_at": LAST_UPDATED, "deposition_id": dep_id}


def tiltseries_metadata(name: str, row: Row) -> dict[str, Any]:
    """``<run>/TiltSeries/<id>/tiltseries_metadata.json``."""
    return {
        "run_name": name,
        "acceleration_voltage": row["accelerationVoltage"],
        "spherical_aberration_constant": row["sphericalAberrationConstant"],
        "microscope": {
            "manufacturer": row["microscopeManufacturer"],
            "model": row["microscopeModel"],
            "additional_info": row["microscopeAdditionalInfo"],
        },
        "microscope_optical_setup": {
            "energy_filter": row["microscopeEnergyFilter"],
            "phase_plate": row["microscopePhasePlate"],
            "image_corrector": row["microscopeImageCorrector"],
        },
        "camera": {"manufacturer": row["cameraManufacturer"], "model": row["cameraModel"]},
        "tilt_range": {"min": row["tiltMin"], "max": row["tiltMax"]},
        "tilt_step": row["tiltStep"],
        "tilting_scheme": row["tiltingScheme"],
        "tilt_axis": row["tiltAxis"],
        "total_flux": row["totalFlux"],
        "data_acquisition_software": row["dataAcquisitionSoftware"],
        "tilt_series_quality": row["tiltSeriesQuality"],
        "related_empiar_entry": row["relatedEmpiarEntry"],
        "binning_from_frames": row["binningFromFrames"],
        "is_aligned": row["isAligned"],
        "pixel_spacing": row["pixelSpacing"],
        "size": {"x": row["sizeX"], "y": row["sizeY"], "z": row["sizeZ"]},
        "deposition_id": row["depositionId"],
        "last_updated_at": LAST_UPDATED,
    }


def alignment_metadata(row: Row, tiltseries_path: str) -> dict[str, Any]:
    """``<run>/Alignments/<id>/alignment_metadata.json`` (volume dimensions in Angstrom)."""
    return {
        "format": "IMOD",
        "method_type": row["alignmentMethod"],
        "per_section_alignment_parameters": [],
        "alignment_path": None,
        "tilt_path": None,
        "tiltx_path": None,
        "tiltseries_path": tiltseries_path,
        "files": [],
        "volume_dimension": {
            "x": row["volumeXDimension"],
            "y": row["volumeYDimension"],
            "z": row["volumeZDimension"],
        },
        "affine_transformation_matrix": IDENTITY_4X4,
        "alignment_type": row["alignmentType"],
        "is_portal_standard": row["isPortalStandard"],
        "volume_offset": {
            "x": row["volumeXOffset"],
            "y": row["volumeYOffset"],
            "z": row["volumeZOffset"],
        },
        "tilt_offset": row["tiltOffset"],
        "x_rotation_offset": row["xRotationOffset"],
        "deposition_id": row["depositionId"],
        "last_updated_at": LAST_UPDATED,
    }


def tomogram_metadata(
    row: Row,
    authors: Sequence[Row],
    zarr_rel: str,
    mrc_rel: str,
    key_photos: dict[str, str],
    alignment_path: str,
) -> dict[str, Any]:
    """``Tomograms/<id>/tomogram_metadata.json``."""
    scales = []
    for level in range(3):
        x, y, z = (int(v) for v in row[f"scale{level}Dimensions"].split(","))
        scales.append({"z": z, "y": y, "x": x})
    return {
        "voxel_spacing": row["voxelSpacing"],
        "reconstruction_method": row["reconstructionMethod"],
        "reconstruction_software": row["reconstructionSoftware"],
        "fiducial_alignment_status": row["fiducialAlignmentStatus"],
        "ctf_corrected": row["ctfCorrected"],
        "processing": row["processing"],
        "processing_software": row["processingSoftware"],
        "is_visualization_default": row["isVisualizationDefault"],
        "offset": {"x": row["offsetX"], "y": row["offsetY"], "z": row["offsetZ"]},
        "affine_transformation_matrix": IDENTITY_4X4,
        "authors": people(authors),
        "tomogram_version": 1,
        "scales": scales,
        "size": {"z": row["sizeZ"], "y": row["sizeY"], "x": row["sizeX"]},
        "omezarr_dir": zarr_rel,
        "mrc_file": mrc_rel,
        "run_name": row["name"],
        "key_photo": key_photos,
        "deposition_id": row["depositionId"],
        "dates": dates(row),
        "alignment_metadata_path": alignment_path,
        "last_updated_at": LAST_UPDATED,
    }


def annotation_metadata(
    row: Row, authors: Sequence[Row], files: list[dict[str, Any]], alignment_path: str
) -> dict[str, Any]:
    """``Annotations/<id>/<object>-1.0.json``: the annotation and its ``files``."""
    return {
        "annotation_ingest_id": row["annotationIngestId"],
        "annotation_object": {
            "id": row["objectId"],
            "name": row["objectName"],
            "description": row["objectDescription"],
            "state": row["objectState"],
        },
        "dates": dates(row),
        "annotation_method": row["annotationMethod"],
        "method_type": row["methodType"],
        "annotation_publications": row["annotationPublication"],
        "ground_truth_status": row["groundTruthStatus"],
        "authors": people(authors),
        "annotation_software": row["annotationSoftware"],
        "version": "1.0",
        "is_curator_recommended": row["isCuratorRecommended"],
        **_confidence(row),
        "object_count": row["objectCount"],
        "files": files,
        "deposition_id": row["depositionId"],
        "alignment_metadata_path": alignment_path,
        "last_updated_at": LAST_UPDATED,
    }


def _confidence(row: Row) -> dict[str, Any]:
    """The ``confidence`` block of an annotation that reports one, else nothing."""
    if row["confidencePrecision"] is None and row["confidenceRecall"] is None:
        return {}
    return {
        "confidence": {
            "precision": row["confidencePrecision"],
            "recall": row["confidenceRecall"],
            "ground_truth_used": row["groundTruthUsed"],
        }
    }
