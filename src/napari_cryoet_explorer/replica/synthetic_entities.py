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
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

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
BASE_DATE = datetime(2023, 4, 1, tzinfo=UTC)

# -- what varies between datasets and runs ------------------------------------------
#
# A dataset is one imaging condition on the real portal (microscope, camera, tilt
# scheme, processing); every fourth dataset, from the second on, mixes two, so that
# "the same tilt series row" semantics of nested filters have something to tell apart.


class Microscope(NamedTuple):
    """A microscope setup (the manufacturer is the schema's enum)."""

    manufacturer: str
    model: str
    voltage: int
    energy_filter: str
    phase_plate: str | None
    image_corrector: str | None
    acquisition_software: str
    cs: float


class Camera(NamedTuple):
    """A detector, with the pixel spacing and tilt axis it is used at."""

    manufacturer: str
    model: str
    pixel_spacing: float
    tilt_axis: float


class TiltScheme(NamedTuple):
    """Tilt angles in degrees; lamellae have an asymmetric range around their pre-tilt."""

    tilt_min: float
    tilt_max: float
    step: float


class Reconstruction(NamedTuple):
    """How a tomogram was made from its tilt series."""

    method: str  # tomogram_reconstruction_method_enum
    software: str
    fiducial_status: str  # fiducial_alignment_status_enum
    alignment_method: str  # alignment_method_type_enum


class AnnotationProfile(NamedTuple):
    """How an annotation was made and judged."""

    method_type: str  # annotation_method_type_enum
    ground_truth: bool
    confidence: bool


class Person(NamedTuple):
    """An author; ``orcid`` None for one who has none."""

    name: str
    orcid: str | None
    affiliation: str
    address: str
    email: str


class Team(NamedTuple):
    """Authors in list order; the first ``n_primary`` are primary, the last corresponds."""

    people: tuple[Person, ...]
    n_primary: int = 1


class Deposit(NamedTuple):
    """A deposition as the rows deposited in it see it."""

    id: int
    dates: tuple[str, str, str]
    team: Team


MICROSCOPES = [
    Microscope("TFS", "Krios G4", 300000, "Selectris X", None, None, "Tomography 5", 2.7),
    Microscope("FEI", "Titan Krios", 300000, "GIF Quantum LS", None, None, "SerialEM", 2.7),
    Microscope("JEOL", "CRYO ARM 300", 300000, "In-column Omega", None, None, "SerialEM", 2.7),
    Microscope("TFS", "Glacios", 200000, "None", None, None, "SerialEM", 2.7),
    Microscope(
        "FEI", "Titan Krios", 300000, "GIF Quantum LS", "Volta Phase Plate", None, "SerialEM", 2.7
    ),
    Microscope(
        "TFS", "Titan Krios G3i", 300000, "BioQuantum K3", None, "Cs corrector", "SerialEM", 0.01
    ),
]
CAMERAS = [
    Camera("Gatan", "K3", 1.348, 84.7),
    Camera("TFS", "Falcon 4i", 1.54, -95.5),
    Camera("Gatan", "K2 Summit", 2.17, 85.3),
    Camera("DECTRIS", "ELA", 1.96, 178.4),
    Camera("TFS", "Falcon 4", 1.6, -94.8),
]
TILT_SCHEMES = [
    TiltScheme(-60.0, 60.0, 3.0),
    TiltScheme(-50.0, 50.0, 2.0),
    TiltScheme(-48.0, 72.0, 3.0),
    TiltScheme(-45.0, 45.0, 3.0),
    TiltScheme(-65.0, 65.0, 2.0),
    TiltScheme(-54.0, 54.0, 3.0),
]
RECONSTRUCTIONS = [
    Reconstruction("WBP", "IMOD", "FIDUCIAL", "fiducial_based"),
    Reconstruction("SIRT", "IMOD", "FIDUCIAL", "fiducial_based"),
    Reconstruction("Fourier_Space", "Warp", "NON_FIDUCIAL", "patch_tracking"),
    Reconstruction("WBP", "novaCTF", "FIDUCIAL", "fiducial_based"),
    Reconstruction("SART", "AreTomo3", "NON_FIDUCIAL", "patch_tracking"),
]
# The portal's own reprocessing of every run, on its own (local) alignment.
PORTAL_STANDARD = Reconstruction("SART", "AreTomo3", "NON_FIDUCIAL", "projection_matching")
# Both "ground truth with precision" and "not ground truth without" occur.
ANNOTATION_PROFILES = [
    AnnotationProfile("manual", True, False),
    AnnotationProfile("automated", False, True),
    AnnotationProfile("hybrid", True, True),
    AnnotationProfile("automated", False, False),
    AnnotationProfile("manual", False, False),
    AnnotationProfile("hybrid", False, True),
]
TILT_QUALITIES = (5, 4, 3, 5, 2, 4, 1, 3)
_AFFILIATIONS = [
    ("Synthetic Imaging Institute", "1 Example Road, Sampletown"),
    ("Synthetic Structural Biology Centre", "2 Example Avenue, Sampleville"),
    ("Synthetic University, Department of Biophysics", "3 Example Square, Samplecity"),
]
FUNDERS = ["Synthetic Science Foundation", "Synthetic Research Council", "Synthetic Health Trust"]
# Datasets per deposition, cycled: depositions of one dataset and of a dozen both occur.
DEPOSITION_SIZES = (1, 2, 4, 3, 8, 1, 5, 2, 12, 6)
# Datasets whose runs one annotation-only deposition adds annotations to.
ANNOTATION_DEPOSITION_SPAN = 60
ANNOTATION_DEPOSITION_DAY = 500  # days after BASE_DATE of the first one


def orcid(number: int) -> str:
    """An ORCID iD with a valid ISO 7064 11,2 check character."""
    digits = f"{number:015d}"
    total = 0
    for c in digits:
        total = (total + int(c)) * 2
    check = (12 - total % 11) % 11
    full = digits + ("X" if check == 10 else str(check))
    return "-".join(full[i : i + 4] for i in range(0, 16, 4))


def _person(i: int) -> Person:
    letter = chr(ord("A") + i)
    affiliation, address = _AFFILIATIONS[i % len(_AFFILIATIONS)]
    return Person(
        f"Synthetic Author {letter}",
        None if letter == "L" else orcid(2_500_000_000_000 + 104_729 * (i + 1)),
        affiliation,
        address,
        f"author.{letter.lower()}@synthetic.example.org",
    )


PEOPLE = tuple(_person(i) for i in range(12))
CURATORS = Team((PEOPLE[10], PEOPLE[11]))


def mixed_imaging(dataset_index: int) -> bool:
    """Whether a dataset's runs alternate between two cameras and tilt schemes."""
    return dataset_index % 4 == 1


def tilt_quality(dataset_index: int, run_index: int) -> int:
    """Tilt-series quality (1-5) of a run."""
    return TILT_QUALITIES[(3 * dataset_index + run_index) % len(TILT_QUALITIES)]


def empiar_entry(dataset_index: int) -> str | None:
    """The EMPIAR entry of a dataset's tilt series (every third dataset has one)."""
    return f"EMPIAR-{10499 + dataset_index}" if dataset_index % 3 == 0 else None


def imaging(dataset_index: int, run_index: int) -> Row:
    """The ``Tiltseries`` fields of a run's imaging (shared dict: copy before changing).

    The dataset's condition; in a mixed dataset, odd runs use the next camera and tilt
    scheme; one run in seven lost its last tilt.
    """
    d = dataset_index
    n_schemes = len(TILT_SCHEMES)
    camera, scheme = d % len(CAMERAS), (d + d // n_schemes) % n_schemes
    if mixed_imaging(d) and run_index % 2:
        camera, scheme = (camera + 1) % len(CAMERAS), (scheme + 1) % n_schemes
    return _imaging(d % len(MICROSCOPES), camera, scheme, run_index % 7 == 3, empiar_entry(d))


@functools.cache
def _imaging(
    microscope: int, camera: int, scheme: int, dropped_last: bool, empiar: str | None
) -> Row:
    m, c, s = MICROSCOPES[microscope], CAMERAS[camera], TILT_SCHEMES[scheme]
    tilt_max = s.tilt_max - (s.step if dropped_last else 0.0)
    n_tilts = round((tilt_max - s.tilt_min) / s.step) + 1
    start = (s.tilt_min + s.tilt_max) / 2
    return {
        "accelerationVoltage": m.voltage,
        "sphericalAberrationConstant": m.cs,
        "microscopeManufacturer": m.manufacturer,
        "microscopeModel": m.model,
        "microscopeEnergyFilter": m.energy_filter,
        "microscopePhasePlate": m.phase_plate,
        "microscopeImageCorrector": m.image_corrector,
        "microscopeAdditionalInfo": None,
        "cameraManufacturer": c.manufacturer,
        "cameraModel": c.model,
        "tiltMin": s.tilt_min,
        "tiltMax": tilt_max,
        "tiltRange": tilt_max - s.tilt_min,
        "tiltStep": s.step,
        "tiltingScheme": f"dose symmetric from {start:.1f} degrees",
        "tiltAxis": c.tilt_axis,
        "totalFlux": round(3.0 * n_tilts, 1),
        "dataAcquisitionSoftware": m.acquisition_software,
        "relatedEmpiarEntry": empiar,
        "binningFromFrames": 1.0,
        "pixelSpacing": c.pixel_spacing,
        "sizeZ": n_tilts,
    }


def reconstruction(dataset_index: int, run_index: int) -> Reconstruction:
    """How the author's tomograms of a run were made (mixed datasets alternate two ways)."""
    k = dataset_index + (run_index % 2 if mixed_imaging(dataset_index) else 0)
    return RECONSTRUCTIONS[k % len(RECONSTRUCTIONS)]


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


def dataset_team(dataset_index: int) -> Team:
    """Authors of a dataset: three or four people, sometimes two primary ones."""
    d = dataset_index
    start = (5 * d) % len(PEOPLE)
    size = 3 + d % 2
    people = tuple(PEOPLE[(start + i) % len(PEOPLE)] for i in range(size))
    return Team(people, 2 if d % 5 == 2 else 1)


def tomogram_team(dataset_index: int) -> Team:
    """Author of a dataset's author-submitted tomograms."""
    return Team(dataset_team(dataset_index).people[:1])


def annotation_team(dataset_index: int, k: int, profile: AnnotationProfile) -> Team:
    """Authors of a dataset's ``k``-th annotated object; hybrids add a second annotator."""
    people = dataset_team(dataset_index).people
    first = people[1 + k % (len(people) - 1)]
    return Team((first, people[0]) if profile.method_type == "hybrid" else (first,))


def annotation_deposition_team(index: int) -> Team:
    """Authors of the ``index``-th annotation-only deposition (and of its annotations)."""
    n = len(PEOPLE)
    return Team((PEOPLE[(6 + 2 * index) % n], PEOPLE[(7 + 2 * index) % n]))


def dataset_depositions(n_datasets: int) -> list[int]:
    """Deposition id of each dataset: runs of consecutive datasets, of varied length."""
    out: list[int] = []
    dep = 0
    while len(out) < n_datasets:
        out.extend([dep + 1] * DEPOSITION_SIZES[dep % len(DEPOSITION_SIZES)])
        dep += 1
    return out[:n_datasets]


def dataset_dates(dataset_index: int) -> tuple[str, str, str]:
    """Deposition, release and last modification dates of a dataset and its contents."""
    d = dataset_index
    return iso_date(d), iso_date(d + 30), iso_date(d + 60)


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


def authors(rows: Rows, type_name: str, owner_key: str, owner_id: int, team: Team) -> list[Row]:
    """Author rows (``DatasetAuthor``, ``TomogramAuthor``...) of one owner, in list order.

    The first ``team.n_primary`` people are primary authors and the last one is the
    corresponding author, who alone gives an email address.
    """
    out = []
    for order, person in enumerate(team.people, start=1):
        corresponding = order == len(team.people)
        row = {
            "id": rows.new_id(type_name),
            owner_key: owner_id,
            "name": person.name,
            "authorListOrder": order,
            "orcid": person.orcid,
            "email": person.email if corresponding else None,
            "affiliationName": person.affiliation,
            "affiliationAddress": person.address,
            "affiliationIdentifier": None,
            "primaryAuthorStatus": order <= team.n_primary,
            "correspondingAuthorStatus": corresponding,
        }
        out.append(rows.add(type_name, row))
    return out


def deposition(
    rows: Rows,
    deposit: Deposit,
    title: str,
    description: str,
    types: Sequence[str],
    *,
    publications: str | None = None,
    related_entries: str | None = None,
) -> Row:
    """A deposition with its authors and one ``DepositionType`` row per type."""
    row = rows.add(
        "Deposition",
        {
            "id": rows.new_id("Deposition", deposit.id),
            "title": title,
            "description": description,
            "tag": None,
            "depositionPublications": publications,
            "relatedDatabaseEntries": related_entries,
            "depositionDate": deposit.dates[0],
            "releaseDate": deposit.dates[1],
            "lastModifiedDate": deposit.dates[2],
            "keyPhotoUrl": None,
            "keyPhotoThumbnailUrl": None,
        },
    )
    authors(rows, "DepositionAuthor", "depositionId", deposit.id, deposit.team)
    for kind in types:
        rows.add(
            "DepositionType",
            {"id": rows.new_id("DepositionType"), "depositionId": deposit.id, "type": kind},
        )
    return row


class Depositions:
    """The depositions of a portal; each one's rows are added when first asked for.

    Datasets are grouped into depositions (:data:`DEPOSITION_SIZES`); annotation-only
    depositions, numbered after those, each add annotations to the runs of
    :data:`ANNOTATION_DEPOSITION_SPAN` consecutive datasets.
    """

    def __init__(self, rows: Rows, n_datasets: int) -> None:
        self.rows = rows
        self.ids = dataset_depositions(n_datasets)
        self.first_annotation_id = max(self.ids, default=0) + 1
        self._made: dict[int, Deposit] = {}

    def of_dataset(self, dataset_index: int) -> Deposit:
        """The deposition a dataset (its runs, tomograms and own annotations) came in."""
        dep_id = self.ids[dataset_index]
        if dep_id not in self._made:
            first = self.ids.index(dep_id)
            self._made[dep_id] = self._dataset_deposition(dep_id, first)
        return self._made[dep_id]

    def annotation_only(self, dataset_index: int) -> Deposit:
        """The annotation-only deposition that adds annotations to a dataset's runs."""
        index = dataset_index // ANNOTATION_DEPOSITION_SPAN
        dep_id = self.first_annotation_id + index
        if dep_id not in self._made:
            self._made[dep_id] = self._annotation_deposition(dep_id, index)
        return self._made[dep_id]

    def _dataset_deposition(self, dep_id: int, first: int) -> Deposit:
        organism, _, cell = ORGANISMS[first % len(ORGANISMS)][:3]
        deposit = Deposit(dep_id, dataset_dates(first), dataset_team(first))
        deposition(
            self.rows,
            deposit,
            f"In situ cryo-electron tomography of {organism} {cell}s",
            f"Tilt series, tomograms and annotations of {organism} {cell}s, "
            "deposited with the datasets they belong to.",
            ("annotation", "dataset", "tomogram"),
            publications=dataset_publications(first),
            related_entries=dataset_entries(first),
        )
        return deposit

    def _annotation_deposition(self, dep_id: int, index: int) -> Deposit:
        day = ANNOTATION_DEPOSITION_DAY + 45 * index
        dates = (iso_date(day), iso_date(day + 30), iso_date(day + 60))
        deposit = Deposit(dep_id, dates, annotation_deposition_team(index))
        deposition(
            self.rows,
            deposit,
            f"Community annotations, collection {index + 1}",
            "Particle picks and segmentations added after the datasets' release, by a "
            "group other than the datasets' authors.",
            ("annotation",),
            publications=f"10.5555/synthetic-annotations.{index + 1}" if index % 2 == 0 else None,
        )
        return deposit


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
    Authors come from :func:`authors` and funding from :func:`funding`.
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


def tiltseries(
    rows: Rows,
    run_row: Row,
    dep_id: int,
    quality: int,
    size_xy: tuple[int, int],
    setup: Row,
) -> Row:
    """The tilt series row of a run (file URLs are set once its files are written).

    ``setup`` holds the imaging fields (:func:`imaging`); ``sizeZ`` is the tilt count.
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
    own (:data:`PORTAL_STANDARD`). Authors come from :func:`authors`.
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
    :func:`authors`."""
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
