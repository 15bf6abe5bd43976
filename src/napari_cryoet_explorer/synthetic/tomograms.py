"""The synthetic portal's imaging rows: tilt series, alignments, voxel spacings and
tomograms, with their files' URLs and S3 paths.
"""

from __future__ import annotations

from ..replica.store import Row
from .imaging import PORTAL_STANDARD, RECONSTRUCTIONS, Reconstruction
from .paths import (
    alignment_rel,
    files_url,
    key_photo_rel,
    s3_url,
    tomogram_rel,
    vs_rel,
)
from .rows import Rows, iso_date

IDENTITY_AFFINE = "[[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]"


def tiltseries(
    rows: Rows,
    run_row: Row,
    dep_id: int,
    quality: int,
    size_xy: tuple[int, int],
    setup: Row,
) -> Row:
    """The tilt series row of a run (file URLs are set once its files are written).

    ``setup`` holds the imaging fields (:func:`~.imaging.imaging`); ``sizeZ``
    is the tilt count.
    """
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
            **setup,
            "tiltSeriesQuality": quality,
            "isAligned": False,
            "alignedTiltseriesBinning": None,
            "sizeX": size_xy[0],
            "sizeY": size_xy[1],
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
    method: str = "fiducial_based",
) -> Row:
    """An alignment of a run; ``local`` gives the portal-standard projection-matching one,
    otherwise ``method`` (``fiducial_based``, ``patch_tracking``) says how it was made.

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
            "alignmentMethod": PORTAL_STANDARD.alignment_method if local else method,
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
    recon: Reconstruction = RECONSTRUCTIONS[0],
    key_photos: bool = True,
    dates: tuple[str, str, str] = (iso_date(0), iso_date(30), iso_date(60)),
) -> Row:
    """A tomogram record (OME-Zarr and MRC paths, sizes, scales, key photos).

    ``recon`` says how the author made it; portal-standard tomograms are the portal's
    own (:data:`~.imaging.PORTAL_STANDARD`). Authors come from
    :func:`~.people.authors`.
    """
    made = PORTAL_STANDARD if portal_standard else recon
    spacing = float(vs_row["voxelSpacing"])
    name = run_row["name"]
    folder = tomogram_rel(dataset_id, name, spacing, folder_id)
    photos = key_photo_rel(dataset_id, name, spacing, folder_id)
    z, y, x = shape_zyx
    return rows.add(
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
            "fiducialAlignmentStatus": made.fiducial_status,
            "reconstructionMethod": made.method,
            "processing": processing,
            "tomogramVersion": 1.0,
            "processingSoftware": "cryoCARE" if processing == "denoised" else None,
            "reconstructionSoftware": made.software,
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
