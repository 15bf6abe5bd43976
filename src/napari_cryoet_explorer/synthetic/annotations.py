"""The synthetic portal's annotations: objects, how they were annotated, and their rows.

Annotated objects with their Gene Ontology or UniProtKB ids, the methods and judgements
that vary between datasets and runs, and the ``Annotation``, ``AnnotationShape`` and
``AnnotationFile`` rows.
"""

from __future__ import annotations

from typing import NamedTuple

from ..replica.store import Row
from .paths import annotation_rel, files_url, s3_url, slug
from .rows import Rows, iso_date

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
    "ATP synthase complex": "GO:0045259",
    "lipid droplet": "GO:0005811",
    "endoplasmic reticulum": "GO:0005783",
    "Golgi apparatus": "GO:0005794",
    "clathrin-coated vesicle": "GO:0030136",
    "intermediate filament": "GO:0005882",
    "centriole": "GO:0005814",
    "chloroplast": "GO:0009507",
    # Purified proteins are named by their UniProtKB entry, not by a GO term.
    "apoferritin": "UniProtKB:P02794",
    "beta-galactosidase": "UniProtKB:P00722",
    "thyroglobulin": "UniProtKB:P01266",
}


class AnnotationProfile(NamedTuple):
    """How an annotation was made and judged."""

    method_type: str  # annotation_method_type_enum
    ground_truth: bool
    confidence: bool


# Both "ground truth with precision" and "not ground truth without" occur.
ANNOTATION_PROFILES = [
    AnnotationProfile("manual", True, False),
    AnnotationProfile("automated", False, True),
    AnnotationProfile("hybrid", True, True),
    AnnotationProfile("automated", False, False),
    AnnotationProfile("manual", False, False),
    AnnotationProfile("hybrid", False, True),
]


def annotation_profile(dataset_index: int, run_index: int, k: int) -> AnnotationProfile:
    """Method, ground truth and confidence of a run's ``k``-th annotated object."""
    i = (dataset_index + run_index + 2 * k) % len(ANNOTATION_PROFILES)
    return ANNOTATION_PROFILES[i]


def confidence(dataset_index: int, run_index: int, k: int) -> tuple[float, float]:
    """Precision and recall (percent, as the portal gives them) of an annotation that
    reports them."""
    i = dataset_index * 7 + run_index * 3 + k
    return 70.0 + (i % 6) * 5.0, 65.0 + ((i // 2) % 7) * 5.0


def annotation_only(run_index: int, k: int) -> bool:
    """Whether a run's ``k``-th annotation came in a later, annotation-only deposition."""
    return k == 2 and run_index % 2 == 1


# method type -> (annotation method, with the object's name for {}, software)
ANNOTATION_METHODS = {
    "manual": ("manual picking of {} in 3dmod", "3dmod"),
    "automated": ("template matching of {}, thresholded", "pytom-match-pick"),
    "hybrid": ("{} picked by a CNN, curated by hand", "crYOLO, 3dmod"),
    "simulated": ("simulated {}", "polnet"),
}


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
    scores: tuple[float, float] | None = None,
    publication: str | None = None,
    dates: tuple[str, str, str] = (iso_date(0), iso_date(30), iso_date(60)),
) -> Row:
    """An annotation of one object at one voxel spacing; ``scores`` are its precision and
    recall when it reports them. Files come from :func:`annotation_file`, authors from
    :func:`~.people.authors`."""
    spacing = float(vs_row["voxelSpacing"])
    name = slug(object_name)
    rel = f"{annotation_rel(dataset_id, run_row['name'], spacing, folder_id)}/{name}-1.0.json"
    method, software = ANNOTATION_METHODS[method_type]
    return rows.add(
        "Annotation",
        {
            "id": rows.new_id("Annotation"),
            "runId": run_row["id"],
            "depositionId": dep_id,
            "tomogramVoxelSpacingId": vs_row["id"],
            "s3MetadataPath": s3_url(rel),
            "httpsMetadataPath": files_url(rel),
            "annotationPublication": publication,
            "annotationMethod": method.format(object_name),
            "annotationIngestId": f"{folder_id}-{name}-1.0",
            "groundTruthStatus": ground_truth,
            "objectId": OBJECTS.get(object_name, "GO:0005575"),
            "objectName": object_name,
            "objectDescription": None,
            "objectState": None,
            "objectCount": object_count,
            "confidencePrecision": scores[0] if scores else None,
            "confidenceRecall": scores[1] if scores else None,
            "groundTruthUsed": "manually curated picks of the same runs" if scores else None,
            "annotationSoftware": software,
            "isCuratorRecommended": ground_truth,
            "methodType": method_type,
            "depositionDate": dates[0],
            "releaseDate": dates[1],
            "lastModifiedDate": dates[2],
        },
    )


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
