"""Metadata rows for the synthetic portal, keyed by the schema's field names.

Each builder fills the fields the real portal fills (all non-null ones included) so
the official client and our own queries see realistic records.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .store import FILES_PLACEHOLDER, Row

S3_BUCKET = "s3://cryoet-data-portal-public"
DATE = "2024-03-01T00:00:00+00:00"

ORGANISMS = [
    ("Saccharomyces cerevisiae", 4932, "yeast cell", "CL:0000255"),
    ("Chlamydomonas reinhardtii", 3055, "algal cell", "CL:0000000"),
    ("Homo sapiens", 9606, "HeLa cell", "CL:0000034"),
    ("Mycoplasma pneumoniae", 2104, "bacterial cell", "CL:0000000"),
    ("Schizosaccharomyces pombe", 4896, "fission yeast cell", "CL:0000255"),
]
TISSUES = ["cell culture", "lamella", "whole cell", "isolated organelle"]
OBJECTS = {
    "ribosome": "GO:0022626",
    "nucleosome": "GO:0000786",
    "vesicle": "GO:0031982",
    "membrane": "GO:0016020",
    "microtubule": "GO:0005874",
    "fatty acid synthase": "GO:0005835",
    "proteasome": "GO:0000502",
    "actin filament": "GO:0005884",
}


def files_url(rel: str) -> str:
    """URL of a file the replica serves, as stored in ``portal.json``."""
    return f"{FILES_PLACEHOLDER}/{rel}"


def s3_url(rel: str) -> str:
    """The public bucket path the real portal would give."""
    return f"{S3_BUCKET}/{rel}"


def vs_folder(voxel_spacing: float) -> str:
    """``VoxelSpacing13.480``: the folder name, with three decimals."""
    return f"VoxelSpacing{voxel_spacing:.3f}"


class Rows:
    """Accumulates rows per type and hands out sequential ids."""

    def __init__(self) -> None:
        self.entities: dict[str, list[Row]] = defaultdict(list)
        self._next: dict[str, int] = defaultdict(lambda: 1)

    def add(self, type_name: str, row: Row, *, row_id: int | None = None) -> Row:
        """Append a row, giving it the next id of its type unless one is given."""
        if row_id is None:
            row_id = self._next[type_name]
        self._next[type_name] = max(self._next[type_name], row_id + 1)
        row = {"id": row_id, **row}
        self.entities[type_name].append(row)
        return row


def deposition(rows: Rows, dep_id: int) -> Row:
    """A deposition record."""
    return rows.add(
        "Deposition",
        {
            "title": f"Synthetic deposition {dep_id}",
            "description": "Synthetic tomograms and annotations for offline use.",
            "depositionDate": DATE,
            "releaseDate": DATE,
            "lastModifiedDate": DATE,
            "depositionPublications": None,
            "relatedDatabaseEntries": None,
        },
        row_id=dep_id,
    )


def dataset(rows: Rows, dataset_id: int, dep_id: int, index: int, n_runs: int) -> Row:
    """A dataset record; organism, cell and tissue vary with ``index``."""
    organism, taxid, cell, cell_id = ORGANISMS[index % len(ORGANISMS)]
    rel = f"{dataset_id}/"
    row = rows.add(
        "Dataset",
        {
            "depositionId": dep_id,
            "title": f"{organism.split()[0]} {cell} tomograms, set {index + 1}",
            "description": (
                f"Cryo-electron tomograms of {organism} {cell}s ({n_runs} runs) with "
                "particle picks and segmentations. Synthetic data for the local replica."
            ),
            "organismName": organism,
            "organismTaxid": taxid,
            "tissueName": TISSUES[index % len(TISSUES)],
            "tissueId": "BTO:0000000",
            "cellName": cell,
            "cellTypeId": cell_id,
            "cellStrainName": f"strain {index % 7}",
            "cellStrainId": None,
            "sampleType": "cell",
            "samplePreparation": "plunge frozen, FIB milled",
            "gridPreparation": "Quantifoil R2/1",
            "otherSetup": None,
            "keyPhotoUrl": None,
            "keyPhotoThumbnailUrl": None,
            "datasetPublications": f"10.5555/synthetic.{dataset_id}",
            "relatedDatabaseEntries": f"EMD-{50000 + index}",
            "depositionDate": DATE,
            "releaseDate": DATE,
            "lastModifiedDate": DATE,
            "s3Prefix": s3_url(rel),
            "httpsPrefix": files_url(rel),
            "fileSize": None,
        },
        row_id=dataset_id,
    )
    rows.add(
        "DatasetAuthor",
        {
            "datasetId": dataset_id,
            "name": "Synthetic Data Generator",
            "authorListOrder": 1,
            "primaryAuthorStatus": True,
            "correspondingAuthorStatus": True,
        },
    )
    return row


def run(rows: Rows, dataset_id: int, name: str, dep_id: int, quality: int) -> Row:
    """A run with its tilt series."""
    rel = f"{dataset_id}/{name}/"
    row = rows.add(
        "Run",
        {
            "datasetId": dataset_id,
            "name": name,
            "s3Prefix": s3_url(rel),
            "httpsPrefix": files_url(rel),
        },
    )
    rows.add(
        "Tiltseries",
        {
            "runId": row["id"],
            "depositionId": dep_id,
            "accelerationVoltage": 300000,
            "sphericalAberrationConstant": 2.7,
            "microscopeManufacturer": "TFS",
            "microscopeModel": "Krios",
            "microscopeEnergyFilter": "Selectris X",
            "cameraManufacturer": "Gatan",
            "cameraModel": "K3",
            "tiltMin": -60.0,
            "tiltMax": 60.0,
            "tiltRange": 120.0,
            "tiltStep": 3.0,
            "tiltingScheme": "dose symmetric",
            "tiltAxis": 85.0,
            "totalFlux": 120.0,
            "dataAcquisitionSoftware": "SerialEM",
            "tiltSeriesQuality": quality,
            "isAligned": True,
            "pixelSpacing": 1.35,
        },
    )
    return row


def alignment(
    rows: Rows, run_row: Row, dataset_id: int, dep_id: int, shape_xyz: tuple[int, int, int]
) -> Row:
    """An alignment of a run; its metadata file lives under ``Alignments/<id>/``."""
    row = rows.add("Alignment", {})
    rel = f"{dataset_id}/{run_row['name']}/Alignments/{row['id']}/alignment_metadata.json"
    row.update(
        {
            "runId": run_row["id"],
            "depositionId": dep_id,
            "alignmentType": "GLOBAL",
            "alignmentMethod": "fiducial_based",
            "volumeXDimension": float(shape_xyz[0]),
            "volumeYDimension": float(shape_xyz[1]),
            "volumeZDimension": float(shape_xyz[2]),
            "volumeXOffset": 0.0,
            "volumeYOffset": 0.0,
            "volumeZOffset": 0.0,
            "xRotationOffset": 0.0,
            "tiltOffset": 0.0,
            "affineTransformationMatrix": "[[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]",
            "s3AlignmentMetadata": s3_url(rel),
            "httpsAlignmentMetadata": files_url(rel),
            "isPortalStandard": row["id"] % 2 == 1,
        }
    )
    return row


def voxel_spacing(rows: Rows, run_row: Row, dataset_id: int, spacing: float) -> Row:
    """A voxel spacing of a run."""
    rel = f"{dataset_id}/{run_row['name']}/Reconstructions/{vs_folder(spacing)}/"
    return rows.add(
        "TomogramVoxelSpacing",
        {
            "runId": run_row["id"],
            "voxelSpacing": spacing,
            "s3Prefix": s3_url(rel),
            "httpsPrefix": files_url(rel),
        },
    )


def tomogram_rel(dataset_id: int, run_name: str, spacing: float, tomo_id: int) -> str:
    """Folder of a tomogram, relative to the portal root."""
    return f"{dataset_id}/{run_name}/Reconstructions/{vs_folder(spacing)}/Tomograms/{tomo_id}"


def tomogram(
    rows: Rows,
    run_row: Row,
    vs_row: Row,
    dataset_id: int,
    dep_id: int,
    alignment_id: int,
    shape_zyx: tuple[int, int, int],
    *,
    processing: str = "raw",
    default: bool = True,
    has_thumbnail: bool = False,
) -> Row:
    """A tomogram record (OME-Zarr and MRC paths, sizes, scales)."""
    row = rows.add("Tomogram", {})
    spacing = float(vs_row["voxelSpacing"])
    folder = tomogram_rel(dataset_id, run_row["name"], spacing, row["id"])
    name = run_row["name"]
    z, y, x = shape_zyx
    dims = [f"{x // 2**k},{y // 2**k},{z // 2**k}" for k in range(3)]
    thumb = files_url(f"{folder}/Images/key-photo-thumbnail.png") if has_thumbnail else None
    row.update(
        {
            "alignmentId": alignment_id,
            "depositionId": dep_id,
            "runId": run_row["id"],
            "tomogramVoxelSpacingId": vs_row["id"],
            "name": name,
            "sizeX": x,
            "sizeY": y,
            "sizeZ": z,
            "voxelSpacing": spacing,
            "fiducialAlignmentStatus": "FIDUCIAL",
            "reconstructionMethod": "WBP",
            "processing": processing,
            "tomogramVersion": 1.0,
            "processingSoftware": None,
            "reconstructionSoftware": "IMOD",
            "isPortalStandard": alignment_id % 2 == 1,
            "isAuthorSubmitted": False,
            "isVisualizationDefault": default,
            "s3OmezarrDir": s3_url(f"{folder}/{name}.zarr"),
            "httpsOmezarrDir": files_url(f"{folder}/{name}.zarr"),
            "fileSizeOmezarr": None,
            "s3MrcFile": s3_url(f"{folder}/{name}.mrc"),
            "httpsMrcFile": files_url(f"{folder}/{name}.mrc"),
            "fileSizeMrc": None,
            "scale0Dimensions": dims[0],
            "scale1Dimensions": dims[1],
            "scale2Dimensions": dims[2],
            "ctfCorrected": True,
            "offsetX": 0,
            "offsetY": 0,
            "offsetZ": 0,
            "keyPhotoUrl": thumb,
            "keyPhotoThumbnailUrl": thumb,
            "neuroglancerConfig": None,
            "publications": None,
            "relatedDatabaseEntries": None,
            "depositionDate": DATE,
            "releaseDate": DATE,
            "lastModifiedDate": DATE,
        }
    )
    rows.add(
        "TomogramAuthor",
        {"tomogramId": row["id"], "name": "Synthetic Data Generator", "authorListOrder": 1},
    )
    return row


def annotation(
    rows: Rows,
    run_row: Row,
    vs_row: Row,
    dataset_id: int,
    dep_id: int,
    object_name: str,
    object_count: int,
    *,
    method_type: str = "manual",
    ground_truth: bool = True,
) -> Row:
    """An annotation of one object in a run; files are added by :func:`annotation_file`."""
    row = rows.add("Annotation", {})
    spacing = float(vs_row["voxelSpacing"])
    slug = object_name.replace(" ", "_")
    rel = (
        f"{dataset_id}/{run_row['name']}/Reconstructions/{vs_folder(spacing)}"
        f"/Annotations/{row['id']}/{slug}-1.0.json"
    )
    row.update(
        {
            "runId": run_row["id"],
            "depositionId": dep_id,
            "tomogramVoxelSpacingId": vs_row["id"],
            "s3MetadataPath": s3_url(rel),
            "httpsMetadataPath": files_url(rel),
            "annotationPublication": None,
            "annotationMethod": f"{method_type} picking of {object_name}",
            "annotationIngestId": f"{slug}-1.0",
            "groundTruthStatus": ground_truth,
            "objectId": OBJECTS.get(object_name, "GO:0005575"),
            "objectName": object_name,
            "objectDescription": None,
            "objectState": None,
            "objectCount": object_count,
            "confidencePrecision": None,
            "confidenceRecall": None,
            "groundTruthUsed": None,
            "annotationSoftware": "synthetic",
            "isCuratorRecommended": ground_truth,
            "methodType": method_type,
            "depositionDate": DATE,
            "releaseDate": DATE,
            "lastModifiedDate": DATE,
        }
    )
    rows.add(
        "AnnotationAuthor",
        {"annotationId": row["id"], "name": "Synthetic Data Generator", "authorListOrder": 1},
    )
    return row


def annotation_shape(rows: Rows, annotation_row: Row, shape_type: str) -> Row:
    """A shape (Point, OrientedPoint, ...) of an annotation."""
    return rows.add(
        "AnnotationShape", {"annotationId": annotation_row["id"], "shapeType": shape_type}
    )


def annotation_file(
    rows: Rows,
    shape_row: Row,
    vs_row: Row,
    alignment_id: int,
    rel: str,
    fmt: str,
    *,
    default: bool = True,
) -> Row:
    """A file of an annotation shape at one voxel spacing and alignment."""
    return rows.add(
        "AnnotationFile",
        {
            "alignmentId": alignment_id,
            "annotationShapeId": shape_row["id"],
            "tomogramVoxelSpacingId": vs_row["id"],
            "format": fmt,
            "s3Path": s3_url(rel),
            "fileSize": None,
            "httpsPath": files_url(rel),
            "isVisualizationDefault": default,
            "source": "dataset_author",
        },
    )


def annotation_files_rel(
    annotation_row: Row, run_name: str, dataset_id: int, spacing: float
) -> str:
    """Folder of an annotation's files at one voxel spacing, relative to the portal root."""
    return (
        f"{dataset_id}/{run_name}/Reconstructions/{vs_folder(spacing)}"
        f"/Annotations/{annotation_row['id']}"
    )


def any_fields(row: Row, keys: list[str]) -> dict[str, Any]:
    """The subset of a row's fields named in ``keys`` (for metadata JSON files)."""
    return {k: row.get(k) for k in keys}
