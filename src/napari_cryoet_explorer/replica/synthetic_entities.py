"""Metadata rows for the synthetic portal, keyed by the schema's field names.

Each builder fills the fields the real portal fills (every non-null one included), with
values of the schema's types: enums by value name, ``DateTime`` as ISO-8601 strings,
URLs of served files as ``{files}/<path>`` and S3 paths in the public bucket. Folder
identifiers in paths (``Tomograms/100``) are per-run numbers starting at 100, as on the
portal, and are unrelated to the rows' database ids.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from .store import FILES_PLACEHOLDER, Row

S3_BUCKET = "s3://cryoet-data-portal-public"
FIRST_FOLDER_ID = 100
IDENTITY_AFFINE = "[[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]"

# organism | NCBI taxid | cell | cell type id | tissue | tissue id | sample type
_SAMPLES = """
Saccharomyces cerevisiae | 4932 | yeast cell | CL:0000255 | cell culture | BTO:0000214 | cell
Chlamydomonas reinhardtii | 3055 | algal cell | CL:0000521 | whole cell | BTO:0001481 | cell
Homo sapiens | 9606 | HeLa cell | CL:0000034 | cervix | BTO:0000567 | cell_line
Mycoplasma pneumoniae | 2104 | bacterial cell | CL:0000000 | whole cell | BTO:0001481 | organism
Schizosaccharomyces pombe | 4896 | fission yeast cell | CL:0000255 | cell culture | BTO:0000214 | cell
Mus musculus | 10090 | neuron | CL:0000540 | brain | BTO:0000142 | tissue
Escherichia coli | 562 | bacterial cell | CL:0000000 | whole cell | BTO:0001481 | organism
Caenorhabditis elegans | 6239 | muscle cell | CL:0000187 | body wall | BTO:0000042 | organism
"""
ORGANISMS = [tuple(f.strip() for f in line.split("|")) for line in _SAMPLES.strip().splitlines()]
OBJECTS = {
    "ribosome": "GO:0022626",
    "nucleosome": "GO:0000786",
    "vesicle": "GO:0031982",
    "membrane": "GO:0016020",
    "microtubule": "GO:0005874",
    "fatty acid synthase complex": "GO:0005835",
    "proteasome complex": "GO:0000502",
    "actin filament": "GO:0005884",
    "mitochondrion": "GO:0005739",
    "nuclear pore": "GO:0005643",
}
AUTHORS = ["Synthetic Author A", "Synthetic Author B", "Synthetic Author C"]
BASE_DATE = datetime(2023, 4, 1, tzinfo=UTC)


def iso_date(days: int) -> str:
    """``DateTime`` value ``days`` after 2023-04-01, as the API prints it."""
    return (BASE_DATE + timedelta(days=days)).isoformat()


def files_url(rel: str) -> str:
    """URL of a file the replica serves, as stored in ``portal.json``."""
    return f"{FILES_PLACEHOLDER}/{rel}"


def s3_url(rel: str) -> str:
    """The public bucket path the real portal would give."""
    return f"{S3_BUCKET}/{rel}"


@functools.cache
def vs_folder(voxel_spacing: float) -> str:
    """``VoxelSpacing13.480``: the folder name, with three decimals."""
    return f"VoxelSpacing{voxel_spacing:.3f}"


@functools.cache
def slug(name: str) -> str:
    """File-name form of an object name (``fatty acid synthase`` -> ``fatty_acid_synthase``)."""
    return "".join(c if c.isalnum() else "_" for c in name.lower())


# -- paths relative to the portal root ---------------------------------------------


def run_rel(dataset_id: int, run_name: str) -> str:
    """``<dataset>/<run>``."""
    return f"{dataset_id}/{run_name}"


def vs_rel(dataset_id: int, run_name: str, spacing: float) -> str:
    """``<dataset>/<run>/Reconstructions/VoxelSpacing<spacing>``."""
    return f"{dataset_id}/{run_name}/Reconstructions/{vs_folder(spacing)}"


def tomogram_rel(dataset_id: int, run_name: str, spacing: float, folder_id: int) -> str:
    """Folder of a tomogram."""
    return f"{vs_rel(dataset_id, run_name, spacing)}/Tomograms/{folder_id}"


def key_photo_rel(dataset_id: int, run_name: str, spacing: float, folder_id: int) -> str:
    """Folder of a tomogram's key photos."""
    return f"{vs_rel(dataset_id, run_name, spacing)}/Images/{folder_id}"


def annotation_rel(dataset_id: int, run_name: str, spacing: float, folder_id: int) -> str:
    """Folder of an annotation's files."""
    return f"{vs_rel(dataset_id, run_name, spacing)}/Annotations/{folder_id}"


def alignment_rel(dataset_id: int, run_name: str, folder_id: int) -> str:
    """Folder of an alignment (holds ``alignment_metadata.json``)."""
    return f"{dataset_id}/{run_name}/Alignments/{folder_id}"


def tiltseries_rel(dataset_id: int, run_name: str, folder_id: int) -> str:
    """Folder of a tilt series."""
    return f"{dataset_id}/{run_name}/TiltSeries/{folder_id}"


class Rows:
    """Accumulates rows per type and hands out sequential ids per type."""

    def __init__(self) -> None:
        self.entities: dict[str, list[Row]] = defaultdict(list)
        self._next: dict[str, int] = defaultdict(lambda: 1)

    def new_id(self, type_name: str, row_id: int | None = None) -> int:
        """The next id of ``type_name`` (or reserve ``row_id``)."""
        if row_id is None:
            row_id = self._next[type_name]
        self._next[type_name] = max(self._next[type_name], row_id + 1)
        return row_id

    def add(self, type_name: str, row: Row) -> Row:
        """Append a row that already has its id."""
        self.entities[type_name].append(row)
        return row

    def as_dict(self) -> dict[str, list[Row]]:
        """The rows by type name."""
        return dict(self.entities)


def _author(owner_key: str, owner_id: int, order: int, name: str) -> Row:
    return {
        owner_key: owner_id,
        "name": name,
        "authorListOrder": order,
        "orcid": f"0000-0002-{1000 + order:04d}-{owner_id % 10000:04d}",
        "email": None,
        "affiliationName": "Synthetic Imaging Institute",
        "affiliationAddress": None,
        "affiliationIdentifier": None,
        "primaryAuthorStatus": order == 1,
        "correspondingAuthorStatus": order == 2,
    }


def deposition(rows: Rows, dep_id: int, index: int) -> Row:
    """A deposition with its authors and types."""
    row = rows.add(
        "Deposition",
        {
            "id": rows.new_id("Deposition", dep_id),
            "title": f"Synthetic deposition {index + 1}",
            "description": "Synthetic tomograms and annotations for offline use and tests.",
            "tag": None,
            "depositionPublications": None,
            "relatedDatabaseEntries": None,
            "depositionDate": iso_date(index),
            "releaseDate": iso_date(index + 30),
            "lastModifiedDate": iso_date(index + 60),
            "keyPhotoUrl": None,
            "keyPhotoThumbnailUrl": None,
        },
    )
    author = _author("depositionId", dep_id, 1, AUTHORS[0])
    rows.add("DepositionAuthor", {"id": rows.new_id("DepositionAuthor"), **author})
    for kind in ("dataset", "tomogram", "annotation"):
        rows.add(
            "DepositionType",
            {"id": rows.new_id("DepositionType"), "depositionId": dep_id, "type": kind},
        )
    return row


def dataset(
    rows: Rows,
    dataset_id: int,
    dep_id: int,
    index: int,
    n_runs: int,
    *,
    key_photos: tuple[str, str] | None = None,
) -> Row:
    """A dataset with its authors and funding; organism, cell and tissue vary with ``index``.

    ``key_photos`` holds the snapshot and thumbnail paths when those files exist.
    """
    organism, taxid, cell, cell_id, tissue, tissue_id, sample = ORGANISMS[index % len(ORGANISMS)]
    rel = f"{dataset_id}/"
    genus = organism.split()[0]
    row = rows.add(
        "Dataset",
        {
            "id": rows.new_id("Dataset", dataset_id),
            "depositionId": dep_id,
            "title": f"{genus} {cell} tomograms, collection {index + 1}",
            "description": (
                f"Cryo-electron tomograms of {organism} {cell}s ({n_runs} runs) with "
                "particle picks and segmentations. Synthetic data for the local replica."
            ),
            "assayLabel": "cryo-electron tomography",
            "assayOntologyId": "EFO:0002016",
            "developmentStageName": None,
            "developmentStageOntologyId": None,
            "diseaseName": "normal",
            "diseaseOntologyId": "PATO:0000461",
            "organismName": organism,
            "organismTaxid": int(taxid),
            "tissueName": tissue,
            "tissueId": tissue_id,
            "cellName": cell,
            "cellTypeId": cell_id,
            "cellStrainName": f"{genus} strain {index % 7 + 1}",
            "cellStrainId": None,
            "cellComponentName": None,
            "cellComponentId": None,
            "sampleType": sample,
            "samplePreparation": "plunge frozen; FIB milled to 150 nm lamellae",
            "gridPreparation": "Quantifoil R2/1 Cu 200 mesh, glow discharged",
            "otherSetup": None,
            "keyPhotoUrl": files_url(key_photos[0]) if key_photos else None,
            "keyPhotoThumbnailUrl": files_url(key_photos[1]) if key_photos else None,
            "datasetPublications": f"10.5555/synthetic.{index + 1}",
            "relatedDatabaseEntries": f"EMD-{50000 + index}",
            "depositionDate": iso_date(index),
            "releaseDate": iso_date(index + 30),
            "lastModifiedDate": iso_date(index + 60),
            "s3Prefix": s3_url(rel),
            "httpsPrefix": files_url(rel),
            "fileSize": None,
        },
    )
    for order, name in enumerate(AUTHORS[:2], start=1):
        author = _author("datasetId", dataset_id, order, name)
        rows.add("DatasetAuthor", {"id": rows.new_id("DatasetAuthor"), **author})
    rows.add(
        "DatasetFunding",
        {
            "id": rows.new_id("DatasetFunding"),
            "datasetId": dataset_id,
            "fundingAgencyName": "Synthetic Science Foundation",
            "grantId": f"SSF-{index + 1:04d}",
        },
    )
    return row


def run(rows: Rows, dataset_id: int, name: str) -> Row:
    """A run."""
    rel = f"{run_rel(dataset_id, name)}/"
    return rows.add(
        "Run",
        {
            "id": rows.new_id("Run"),
            "datasetId": dataset_id,
            "name": name,
            "s3Prefix": s3_url(rel),
            "httpsPrefix": files_url(rel),
        },
    )


def tiltseries(
    rows: Rows, run_row: Row, dep_id: int, quality: int, size_xyz: tuple[int, int, int]
) -> Row:
    """The tilt series of a run (metadata only: no tilt series files are written)."""
    return rows.add(
        "Tiltseries",
        {
            "id": rows.new_id("Tiltseries"),
            "runId": run_row["id"],
            "depositionId": dep_id,
            "s3OmezarrDir": None,
            "fileSizeOmezarr": None,
            "s3MrcFile": None,
            "fileSizeMrc": None,
            "httpsOmezarrDir": None,
            "httpsMrcFile": None,
            "s3AngleList": None,
            "httpsAngleList": None,
            "accelerationVoltage": 300000,
            "sphericalAberrationConstant": 2.7,
            "microscopeManufacturer": "TFS",
            "microscopeModel": "Krios G4",
            "microscopeEnergyFilter": "Selectris X",
            "microscopePhasePlate": None,
            "microscopeImageCorrector": None,
            "microscopeAdditionalInfo": None,
            "cameraManufacturer": "Gatan",
            "cameraModel": "K3",
            "tiltMin": -60.0,
            "tiltMax": 60.0,
            "tiltRange": 120.0,
            "tiltStep": 3.0,
            "tiltingScheme": "dose symmetric",
            "tiltAxis": 84.7,
            "totalFlux": 120.0,
            "dataAcquisitionSoftware": "SerialEM",
            "relatedEmpiarEntry": None,
            "binningFromFrames": 1.0,
            "tiltSeriesQuality": quality,
            "isAligned": False,
            "pixelSpacing": 1.348,
            "alignedTiltseriesBinning": None,
            "sizeX": size_xyz[0],
            "sizeY": size_xyz[1],
            "sizeZ": 41,
        },
    )


def alignment(
    rows: Rows,
    run_row: Row,
    dataset_id: int,
    dep_id: int,
    tiltseries_id: int,
    folder_id: int,
    volume_xyz_angstrom: tuple[float, float, float],
    *,
    local: bool = False,
) -> Row:
    """An alignment of a run; ``local`` gives the portal-standard projection-matching one.

    Volume dimensions are in Angstrom, as the portal stores them.
    """
    rel = f"{alignment_rel(dataset_id, run_row['name'], folder_id)}/alignment_metadata.json"
    return rows.add(
        "Alignment",
        {
            "id": rows.new_id("Alignment"),
            "runId": run_row["id"],
            "depositionId": dep_id,
            "tiltseriesId": tiltseries_id,
            "alignmentType": "LOCAL" if local else "GLOBAL",
            "alignmentMethod": "projection_matching" if local else "fiducial_based",
            "volumeXDimension": float(volume_xyz_angstrom[0]),
            "volumeYDimension": float(volume_xyz_angstrom[1]),
            "volumeZDimension": float(volume_xyz_angstrom[2]),
            "volumeXOffset": 0.0,
            "volumeYOffset": 0.0,
            "volumeZOffset": 0.0,
            "xRotationOffset": 0.0,
            "tiltOffset": 0.0,
            "affineTransformationMatrix": IDENTITY_AFFINE,
            "s3AlignmentMetadata": s3_url(rel),
            "httpsAlignmentMetadata": files_url(rel),
            "isPortalStandard": local,
        },
    )


def voxel_spacing(rows: Rows, run_row: Row, dataset_id: int, spacing: float) -> Row:
    """A voxel spacing of a run."""
    rel = f"{vs_rel(dataset_id, run_row['name'], spacing)}/"
    return rows.add(
        "TomogramVoxelSpacing",
        {
            "id": rows.new_id("TomogramVoxelSpacing"),
            "runId": run_row["id"],
            "voxelSpacing": spacing,
            "s3Prefix": s3_url(rel),
            "httpsPrefix": files_url(rel),
        },
    )


def scale_dimensions(shape_zyx: tuple[int, int, int], level: int) -> str:
    """``scale<level>Dimensions``: ``"x,y,z"`` of a pyramid level (halved, rounded up)."""
    z, y, x = shape_zyx
    for _ in range(level):
        z, y, x = -(-z // 2), -(-y // 2), -(-x // 2)
    return f"{x},{y},{z}"


def tomogram(
    rows: Rows,
    run_row: Row,
    vs_row: Row,
    dataset_id: int,
    dep_id: int,
    alignment_id: int,
    folder_id: int,
    shape_zyx: tuple[int, int, int],
    *,
    processing: str = "raw",
    default: bool = True,
    portal_standard: bool = False,
    key_photos: bool = True,
    authors: bool = True,
    dates: tuple[str, str, str] = (iso_date(0), iso_date(30), iso_date(60)),
) -> Row:
    """A tomogram record (OME-Zarr and MRC paths, sizes, scales, key photos), with its
    author unless ``authors`` is False."""
    spacing = float(vs_row["voxelSpacing"])
    name = run_row["name"]
    folder = tomogram_rel(dataset_id, name, spacing, folder_id)
    photos = key_photo_rel(dataset_id, name, spacing, folder_id)
    z, y, x = shape_zyx
    row = rows.add(
        "Tomogram",
        {
            "id": rows.new_id("Tomogram"),
            "alignmentId": alignment_id,
            "depositionId": dep_id,
            "runId": run_row["id"],
            "tomogramVoxelSpacingId": vs_row["id"],
            "name": name,
            "sizeX": x,
            "sizeY": y,
            "sizeZ": z,
            "voxelSpacing": spacing,
            "fiducialAlignmentStatus": "NON_FIDUCIAL" if portal_standard else "FIDUCIAL",
            "reconstructionMethod": "SART" if portal_standard else "WBP",
            "processing": processing,
            "tomogramVersion": 1.0,
            "processingSoftware": "cryoCARE" if processing == "denoised" else None,
            "reconstructionSoftware": "AreTomo3" if portal_standard else "IMOD",
            "isPortalStandard": portal_standard,
            "isAuthorSubmitted": not portal_standard,
            "isVisualizationDefault": default,
            "s3OmezarrDir": s3_url(f"{folder}/{name}.zarr"),
            "httpsOmezarrDir": files_url(f"{folder}/{name}.zarr"),
            "fileSizeOmezarr": None,
            "s3MrcFile": s3_url(f"{folder}/{name}.mrc"),
            "httpsMrcFile": files_url(f"{folder}/{name}.mrc"),
            "fileSizeMrc": None,
            "scale0Dimensions": scale_dimensions(shape_zyx, 0),
            "scale1Dimensions": scale_dimensions(shape_zyx, 1),
            "scale2Dimensions": scale_dimensions(shape_zyx, 2),
            "ctfCorrected": True,
            "offsetX": 0,
            "offsetY": 0,
            "offsetZ": 0,
            "keyPhotoUrl": files_url(f"{photos}/key-photo-snapshot.png") if key_photos else None,
            "keyPhotoThumbnailUrl": (
                files_url(f"{photos}/key-photo-thumbnail.png") if key_photos else None
            ),
            "neuroglancerConfig": None,
            "publications": None,
            "relatedDatabaseEntries": None,
            "depositionDate": dates[0],
            "releaseDate": dates[1],
            "lastModifiedDate": dates[2],
        },
    )
    if authors:
        author = _author("tomogramId", row["id"], 1, AUTHORS[0])
        rows.add("TomogramAuthor", {"id": rows.new_id("TomogramAuthor"), **author})
    return row


def annotation(
    rows: Rows,
    run_row: Row,
    vs_row: Row,
    dataset_id: int,
    dep_id: int,
    folder_id: int,
    object_name: str,
    object_count: int,
    *,
    method_type: str = "manual",
    ground_truth: bool = True,
    authors: bool = True,
    dates: tuple[str, str, str] = (iso_date(0), iso_date(30), iso_date(60)),
) -> Row:
    """An annotation of one object at one voxel spacing, with its author unless
    ``authors`` is False; files come from :func:`annotation_file`."""
    spacing = float(vs_row["voxelSpacing"])
    name = slug(object_name)
    rel = f"{annotation_rel(dataset_id, run_row['name'], spacing, folder_id)}/{name}-1.0.json"
    method = {
        "manual": f"manual picking of {object_name} in 3dmod",
        "automated": f"template matching of {object_name}, thresholded",
        "hybrid": f"{object_name} picked by a CNN, curated by hand",
        "simulated": f"simulated {object_name}",
    }[method_type]
    row = rows.add(
        "Annotation",
        {
            "id": rows.new_id("Annotation"),
            "runId": run_row["id"],
            "depositionId": dep_id,
            "tomogramVoxelSpacingId": vs_row["id"],
            "s3MetadataPath": s3_url(rel),
            "httpsMetadataPath": files_url(rel),
            "annotationPublication": None,
            "annotationMethod": method,
            "annotationIngestId": f"{folder_id}-{name}-1.0",
            "groundTruthStatus": ground_truth,
            "objectId": OBJECTS.get(object_name, "GO:0005575"),
            "objectName": object_name,
            "objectDescription": None,
            "objectState": None,
            "objectCount": object_count,
            "confidencePrecision": None if ground_truth else 0.85,
            "confidenceRecall": None if ground_truth else 0.8,
            "groundTruthUsed": None,
            "annotationSoftware": "3dmod" if method_type == "manual" else "pytom-match-pick",
            "isCuratorRecommended": ground_truth,
            "methodType": method_type,
            "depositionDate": dates[0],
            "releaseDate": dates[1],
            "lastModifiedDate": dates[2],
        },
    )
    if authors:
        author = _author("annotationId", row["id"], 1, AUTHORS[1])
        rows.add("AnnotationAuthor", {"id": rows.new_id("AnnotationAuthor"), **author})
    return row


def annotation_shape(rows: Rows, annotation_row: Row, shape_type: str) -> Row:
    """A shape (Point, OrientedPoint, ...) of an annotation."""
    return rows.add(
        "AnnotationShape",
        {
            "id": rows.new_id("AnnotationShape"),
            "annotationId": annotation_row["id"],
            "shapeType": shape_type,
        },
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
            "id": rows.new_id("AnnotationFile"),
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


def people(order_names: list[str]) -> list[dict[str, Any]]:
    """Author entries of metadata JSON files."""
    return [
        {
            "name": name,
            "primary_author_status": i == 0,
            "corresponding_author_status": i == 1,
        }
        for i, name in enumerate(order_names)
    ]
