"""The synthetic portal's datasets and runs: samples, dates, cross references and rows.

Organism, cell, tissue and sample type vary with the dataset's index, as do its
publications, related database entries and funding.
"""

from __future__ import annotations

from ..replica.store import Row
from .imaging import empiar_entry
from .paths import files_url, run_rel, s3_url
from .rows import Rows, iso_date

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


FUNDERS = ["Synthetic Science Foundation", "Synthetic Research Council", "Synthetic Health Trust"]


def dataset_dates(dataset_index: int) -> tuple[str, str, str]:
    """Deposition, release and last modification dates of a dataset and its contents."""
    d = dataset_index
    return iso_date(d), iso_date(d + 30), iso_date(d + 60)


def dataset_publications(dataset_index: int) -> str | None:
    """DOIs of a dataset's papers: one, two (paper and preprint) or none."""
    d, doi = dataset_index, f"10.5555/synthetic.{dataset_index + 1}"
    return {0: doi, 1: None, 2: f"{doi}, 10.5555/synthetic-preprint.{d + 1}"}[d % 3]


def dataset_entries(dataset_index: int) -> str | None:
    """A dataset's related EMPIAR and EMDB entries, comma separated, or None."""
    d = dataset_index
    entries = [empiar_entry(d)]
    if d % 2 == 0:
        entries.append(f"EMD-{50000 + d}")
    if d % 4 == 0:
        entries.append(f"EMD-{50000 + d + 1}")
    found = [e for e in entries if e]
    return ", ".join(found) if found else None


def dataset(
    rows: Rows,
    dataset_id: int,
    dep_id: int,
    index: int,
    n_runs: int,
    *,
    key_photos: tuple[str, str] | None = None,
) -> Row:
    """A dataset; organism, cell, tissue and cross references vary with ``index``.

    ``key_photos`` holds the snapshot and thumbnail paths when those files exist.
    Authors come from :func:`~.people.authors` and funding from :func:`funding`.
    """
    organism, taxid, cell, cell_id, tissue, tissue_id, sample = ORGANISMS[index % len(ORGANISMS)]
    rel = f"{dataset_id}/"
    genus = organism.split()[0]
    dates = dataset_dates(index)
    return rows.add(
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
            "datasetPublications": dataset_publications(index),
            "relatedDatabaseEntries": dataset_entries(index),
            "depositionDate": dates[0],
            "releaseDate": dates[1],
            "lastModifiedDate": dates[2],
            "s3Prefix": s3_url(rel),
            "httpsPrefix": files_url(rel),
            "fileSize": None,
        },
    )


def funding(rows: Rows, dataset_id: int, index: int) -> list[Row]:
    """One or two grants of a dataset."""
    return [
        rows.add(
            "DatasetFunding",
            {
                "id": rows.new_id("DatasetFunding"),
                "datasetId": dataset_id,
                "fundingAgencyName": FUNDERS[(index + k) % len(FUNDERS)],
                "grantId": f"SSF-{index + 1:04d}-{k + 1}",
            },
        )
        for k in range(1 + index % 2)
    ]


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
