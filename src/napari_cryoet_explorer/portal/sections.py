"""The metadata panel's content: sections of labelled rows, as the portal documents them.

Builders take a node in the GraphQL answer's shape (camelCase fields; relations as
connections ``{"edges": [{"node": ...}]}`` or plain lists) and return
:class:`Section` objects: the portal's labels, readable values (dates as YYYY-MM-DD,
Yes/No, units), a link where the value names a record elsewhere, and the portal's
definition of each field for a tooltip. Absent values are left out, except precision
and recall, which read "NA" as on the portal.

The same builders serve the portal (the details of :mod:`.details`), a model already
loaded (:func:`initial_node`) and a local download (``local.details``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any, cast

from .depositions import Deposition
from .models import Annotation, Dataset, Run, TiltSeries, Tomogram, VoxelSpacing
from .vocabulary import NOT_AVAILABLE, quality_description, quality_label

Node = Mapping[str, Any]

ANGSTROM = "Å"
DEGREE = "°"
FLUX = "e⁻/Å²"


@dataclass(frozen=True)
class Row:
    """One labelled value.

    Attributes
    ----------
    label : str
        The portal's label (``Deposition Date``).
    value : str
        The value as shown and copied.
    link : str or None
        Where the value leads (a DOI, an archive entry, an ORCID record...).
    definition : str
        The portal's definition of the field, for a tooltip.
    field : str
        The API expression the value comes from (``Dataset.depositionDate``).
    children : tuple of Row
        Rows under this one (authors of an author list, the DOIs of a DOI list...).
    """

    label: str
    value: str
    link: str | None = None
    definition: str = ""
    field: str = ""
    children: tuple[Row, ...] = ()


@dataclass(frozen=True)
class Section:
    """A titled group of rows; ``collapsed`` sections start folded."""

    title: str
    rows: tuple[Row, ...]
    collapsed: bool = False


@dataclass(frozen=True)
class Term:
    """A field's label and definition; ``api`` overrides the expression shown."""

    label: str
    definition: str
    api: str = ""


# The portal's labels and definitions ("Data Organization" tables), completed from the
# schema's field descriptions where those tables say nothing.
TERMS: dict[str, Term] = {
    # -- Dataset ---------------------------------------------------------------------
    "Dataset.id": Term(
        "Dataset ID", "An identifier for a CryoET dataset, assigned by the Data Portal."
    ),
    "Dataset.title": Term("Title", "Title of a CryoET dataset."),
    "Dataset.description": Term(
        "Description",
        "A short description of a CryoET dataset, similar to an abstract for a journal "
        "article or dataset.",
    ),
    "Dataset.depositionDate": Term(
        "Deposition Date", "Date when a dataset is initially received by the Data Portal."
    ),
    "Dataset.releaseDate": Term(
        "Release Date", "Date when a dataset is made available on the Data Portal."
    ),
    "Dataset.lastModifiedDate": Term(
        "Last Modified Date", "Date when a released dataset is last modified."
    ),
    "Dataset.authors": Term(
        "Authors",
        "Authors of the dataset, in publication order, with their ORCID identifiers; "
        "primary and corresponding authors are marked.",
    ),
    "Dataset.fundingSources": Term(
        "Funding", "Funding agencies and grant identifiers that supported the dataset."
    ),
    "DatasetFunding.grantId": Term("Grant ID", "Grant identifier provided by the funding agency."),
    "DatasetFunding.fundingAgencyName": Term("Funding Agency", "Name of the funding agency."),
    "Dataset.datasetPublications": Term(
        "Publications", "Comma-separated list of DOIs for publications associated with the dataset."
    ),
    "Dataset.relatedDatabaseEntries": Term(
        "Related Databases",
        "The dataset identifier for other databases, e.g. EMPIAR, that contain this dataset.",
    ),
    "Dataset.keyPhotoUrl": Term("Key Photo", "URL for the dataset preview image."),
    # -- Sample and experiment conditions ---------------------------------------------
    "Dataset.sampleType": Term(
        "Sample Type",
        "Type of sample: cell, tissue, organism, intact organelle, in-vitro mixture, "
        "in-silico synthetic data, other.",
    ),
    "Dataset.organismName": Term(
        "Organism Name",
        "Name of the organism from which the biological sample is derived from, e.g. homo sapiens.",
    ),
    "Dataset.organismTaxid": Term(
        "NCBI Taxonomy ID", "NCBI taxonomy identifier for the organism, e.g. 9606."
    ),
    "Dataset.tissueName": Term(
        "Tissue Name",
        "Name of the tissue from which a biological sample used in a CryoET study is derived from.",
    ),
    "Dataset.cellName": Term(
        "Cell Name",
        "Name of the cell from which a biological sample used in a CryoET study is derived "
        "from, e.g. sperm.",
    ),
    "Dataset.cellStrainName": Term(
        "Cell Line or Strain Name", "Cell line or strain for the sample e.g. C57BI"
    ),
    "Dataset.cellComponentName": Term(
        "Cellular Component", "Name of the cellular component, e.g. sperm flagellum"
    ),
    "Dataset.samplePreparation": Term(
        "Sample Preparation", "Description of how the sample was prepared."
    ),
    "Dataset.gridPreparation": Term(
        "Grid Preparation", "Description of how the CryoET grid was prepared."
    ),
    "Dataset.otherSetup": Term(
        "Other Setup",
        "Description of other setup not covered by sample preparation or grid preparation "
        "that may make this dataset unique in the same publication.",
    ),
    # -- Run ------------------------------------------------------------------------------
    "Run.name": Term(
        "Run Name", "Short name for this experiment run, chosen by the dataset authors."
    ),
    "Run.id": Term(
        "Run ID",
        "Identifier assigned by the Portal; subject to change in the rare case where the "
        "run data needs to be re-ingested.",
    ),
    "Run.dataset": Term("Dataset", "The dataset this run belongs to.", "Run.dataset.title"),
    # -- Tilt series ------------------------------------------------------------------------
    "Tiltseries.microscopeManufacturer": Term(
        "Microscope Manufacturer", "Name of the microscope manufacturer."
    ),
    "Tiltseries.microscopeModel": Term("Microscope Model", "Microscope model name."),
    "Tiltseries.microscopeEnergyFilter": Term("Energy Filter", "Energy filter setup used."),
    "Tiltseries.microscopePhasePlate": Term("Phase Plate", "Phase plate configuration."),
    "Tiltseries.microscopeImageCorrector": Term("Image Corrector", "Image corrector setup."),
    "Tiltseries.microscopeAdditionalInfo": Term(
        "Additional microscope optical setup",
        "Other microscope optical setup information, in addition to energy filter, phase "
        "plate and image corrector.",
    ),
    "Tiltseries.accelerationVoltage": Term(
        "Acceleration Voltage", "Electron Microscope Accelerator voltage in volts."
    ),
    "Tiltseries.sphericalAberrationConstant": Term(
        "Spherical Aberration Constant",
        "Spherical Aberration Constant of the objective lens in millimeters.",
    ),
    "Tiltseries.cameraManufacturer": Term(
        "Camera Manufacturer", "Name of the camera manufacturer."
    ),
    "Tiltseries.cameraModel": Term("Camera Model", "Camera model name."),
    "Tiltseries.dataAcquisitionSoftware": Term(
        "Data Acquisition Software", "Software used to collect data."
    ),
    "Tiltseries.pixelSpacing": Term("Pixel Spacing", "Pixel spacing for the tilt series."),
    "Tiltseries.tiltAxis": Term("Tilt Axis", "Rotation angle in degrees."),
    "Tiltseries.tiltRange": Term(
        "Tilt Range", "Total tilt range in degrees.", "Tiltseries.tiltMin, Tiltseries.tiltMax"
    ),
    "Tiltseries.tiltStep": Term("Tilt Step", "Tilt step in degrees."),
    "Tiltseries.tiltingScheme": Term(
        "Tilting Scheme", "The order of stage tilting during acquisition of the data."
    ),
    "Tiltseries.totalFlux": Term(
        "Total Flux",
        "Number of electrons reaching the specimen in a square Angstrom area for the entire "
        "tilt series.",
    ),
    "Tiltseries.binningFromFrames": Term(
        "Binning from Frames", "Describes the binning factor from frames to tilt series file."
    ),
    "Tiltseries.isAligned": Term(
        "Series is Aligned",
        "True or false, indicating whether the tilt series images have been transformed to "
        "account for the tomographic alignment.",
    ),
    "Tiltseries.relatedEmpiarEntry": Term(
        "Related EMPIAR Entry",
        "EMPIAR dataset identifier If a tilt series is deposited into EMPIAR.",
    ),
    "Tiltseries.tiltSeriesQuality": Term(
        "Tilt Series Quality",
        "The tilt series quality score is assigned by the dataset authors to communicate "
        "their quality estimate to users. This score is only applicable for comparing tilt "
        "series within a dataset on a relative subjective scale. Score ranges 1-5, with 5 "
        "being best.",
    ),
    "Tiltseries.id": Term("Tilt Series ID", "Numeric identifier assigned by the Portal."),
    "Tiltseries.size": Term(
        "Size (x, y, images)",
        "Width and height of each projection image, and the number of images (tilts).",
        "Tiltseries.sizeX, Tiltseries.sizeY, Tiltseries.sizeZ",
    ),
    "Tiltseries.httpsMrcFile": Term("MRC File", "HTTPS path to the tilt series MRC file."),
    "Tiltseries.httpsOmezarrDir": Term(
        "OME-Zarr Directory", "HTTPS path to the tilt series OME-Zarr directory."
    ),
    "Tiltseries.httpsAngleList": Term(
        "Angle List", "HTTPS path to the list of tilt angles, one per projection image."
    ),
    # -- Tomogram ---------------------------------------------------------------------------
    "Tomogram.id": Term("Tomogram ID", "Numeric identifier assigned by the Portal."),
    "Tomogram.authors": Term("Tomogram Authors", "Authors of this tomogram."),
    "Tomogram.reconstructionMethod": Term(
        "Reconstruction Method", "Reconstruction method, e.g. Weighted back-projection, SART, SIRT."
    ),
    "Tomogram.reconstructionSoftware": Term(
        "Reconstruction Software", "Name of software used for reconstruction."
    ),
    "Tomogram.processing": Term(
        "Processing",
        "Description of additional processing used to derive the tomogram, e.g. denoised.",
    ),
    "Tomogram.processingSoftware": Term(
        "Processing Software", "Processing software used to derive the tomogram."
    ),
    "Tomogram.voxelSpacing": Term(
        "Voxel Spacing", "Voxel spacing equal in all three axes in angstroms."
    ),
    "Tomogram.size": Term(
        "Size (x, y, z)",
        "Comma separated x,y,z dimensions of the unscaled tomogram.",
        "Tomogram.sizeX, Tomogram.sizeY, Tomogram.sizeZ",
    ),
    "Tomogram.fiducialAlignmentStatus": Term(
        "Fiducial Alignment Status",
        "Fiducial Alignment status: True = aligned with fiducial, False = aligned without "
        "fiducial.",
    ),
    "Tomogram.ctfCorrected": Term(
        "CTF Corrected", "Whether this tomogram is contrast transfer function corrected."
    ),
    "Tomogram.smallestVoxelSpacing": Term(
        "Smallest Available Voxel Spacing",
        "Smallest voxel spacing of the available tomograms.",
        "min(Run.tomogramVoxelSpacings.voxelSpacing)",
    ),
    "Alignment.id": Term(
        "Alignment ID",
        "The alignment the tomogram was reconstructed with; annotation files of the same "
        "alignment line up with it.",
        "Tomogram.alignment.id",
    ),
    "Alignment.alignmentType": Term(
        "Alignment Type",
        "Whether this a LOCAL or GLOBAL alignment.",
        "Tomogram.alignment.alignmentType",
    ),
    "Alignment.alignmentMethod": Term(
        "Alignment Method",
        "The method used to create this alignment.",
        "Tomogram.alignment.alignmentMethod",
    ),
    "Alignment.affineTransformationMatrix": Term(
        "Affine Transformation Matrix",
        "The flip or rotation transformation.",
        "Tomogram.alignment.affineTransformationMatrix",
    ),
    "Alignment.volumeOffset": Term(
        "Volume Offset (x, y, z)",
        "Shift of the reconstruction volume in angstrom.",
        "Alignment.volumeXOffset, Alignment.volumeYOffset, Alignment.volumeZOffset",
    ),
    "Alignment.tiltOffset": Term("Tilt Offset", "Additional tilt offset in degrees."),
    "Alignment.xRotationOffset": Term(
        "X Rotation Offset", "Additional X rotation of the reconstruction volume in degrees."
    ),
    # -- Annotation -------------------------------------------------------------------------
    "Annotation.id": Term("Annotation ID", "Numeric identifier assigned by the Portal."),
    "Annotation.authors": Term("Annotation Authors", "Authors of this annotation."),
    "Annotation.annotationPublication": Term(
        "Publication", "DOIs for publications that describe the dataset."
    ),
    "Annotation.depositionDate": Term(
        "Deposition Date", "Date when an annotation set is initially received by the Data Portal."
    ),
    "Annotation.releaseDate": Term(
        "Release Date", "Date when annotation data is made public by the Data Portal."
    ),
    "Annotation.lastModifiedDate": Term(
        "Last Modified Date", "Date when an annotation was last modified in the Data Portal."
    ),
    "Annotation.methodType": Term(
        "Method Type",
        "The method type for generating the annotation (e.g., manual, hybrid, automated).",
    ),
    "Annotation.annotationMethod": Term(
        "Annotation Method",
        "Describes how the annotation is made, e.g., Manual, crYoLO, Positive Unlabeled "
        "Learning, template matching.",
    ),
    "Annotation.methodLinks": Term(
        "Method Links",
        "Links to the resources of the annotation method (documentation, source code, model "
        "weights, website).",
    ),
    "Annotation.annotationSoftware": Term(
        "Annotation Software", "Software used for generating this annotation."
    ),
    "Annotation.objectName": Term(
        "Object Name",
        "Name of the object being annotated, e.g., ribosome, nuclear pore complex, actin "
        "filament, membrane.",
    ),
    "Annotation.objectId": Term(
        "Object ID",
        "Gene Ontology Cellular Component identifier or UniProtKB accession for the "
        "annotation object.",
    ),
    "Annotation.objectCount": Term("Object Count", "Number of objects identified."),
    "AnnotationShape.shapeType": Term(
        "Object Shape Type",
        "Description of whether this is a Point, OrientedPoint, or SegmentationMask file.",
        "AnnotationFile.shape_type",
    ),
    "AnnotationShape.annotationFiles": Term(
        "Files",
        "The annotation's files: one per shape, format, voxel spacing and alignment.",
        "AnnotationFile.httpsPath",
    ),
    "Annotation.objectState": Term(
        "Object State",
        "Additional information about the annotated object not captured by the gene "
        "ontology (e.g., open or closed state for molecules).",
    ),
    "Annotation.objectDescription": Term(
        "Object Description",
        "Description of the annotated object, including additional information not covered "
        "by the Annotation object name and state.",
    ),
    "Annotation.groundTruthStatus": Term(
        "Ground Truth Status",
        "Whether an annotation is considered ground truth, as determined by the annotation author.",
    ),
    "Annotation.groundTruthUsed": Term(
        "Ground Truth Used", "Annotation filename used as ground truth for precision and recall."
    ),
    "Annotation.confidencePrecision": Term(
        "Precision", "Percentage of annotation objects being true positive."
    ),
    "Annotation.confidenceRecall": Term(
        "Recall", "Percentage of true positives being annotated correctly."
    ),
    # -- Deposition -------------------------------------------------------------------------
    "Deposition.id": Term(
        "Deposition ID",
        "Data submitted together are tagged with the same deposition ID.",
    ),
    "Deposition.title": Term("Deposition Title", "Title for the deposition."),
    "Deposition.description": Term("Description", "Description for the deposition."),
    "Deposition.depositionDate": Term("Deposition Date", "The date the deposition was deposited."),
    "Deposition.releaseDate": Term("Release Date", "The date the deposition was released."),
    "Deposition.lastModifiedDate": Term(
        "Last Modified Date", "The date the deposition was last modified."
    ),
    "Deposition.authors": Term("Deposition Authors", "Authors of this deposition."),
    "Deposition.depositionTypes": Term(
        "Deposition Types",
        "The type of data submitted as a part of this deposition (annotation, dataset, tomogram).",
        "Deposition.depositionTypes.type",
    ),
    "Deposition.depositionPublications": Term(
        "Publications", "The publications related to this deposition."
    ),
    "Deposition.relatedDatabaseEntries": Term(
        "Related Databases", "The related database entries to this deposition."
    ),
    # -- Voxel spacing ------------------------------------------------------------------------
    "TomogramVoxelSpacing.voxelSpacing": Term(
        "Voxel Spacing", "Voxel spacing equal in all three axes in angstroms."
    ),
    "TomogramVoxelSpacing.tomogramsAggregate": Term(
        "Tomograms", "How many tomograms the run has at this voxel spacing."
    ),
}

ORCID_DEFINITION = "A unique, persistent identifier for researchers, provided by ORCID."

# Readable names of enum values, per enum.
_READABLE: dict[str, dict[str, str]] = {
    "sample_type": {
        "cell": "Cell",
        "cell_line": "Cell line",
        "in_silico": "In-silico synthetic data",
        "in_vitro": "In-vitro mixture",
        "organelle": "Intact organelle",
        "organism": "Organism",
        "organoid": "Organoid",
        "other": "Other",
        "primary_cell_culture": "Primary cell culture",
        "tissue": "Tissue",
        "virus": "Virus",
    },
    "processing": {
        "raw": "Raw",
        "denoised": "Denoised",
        "filtered": "Filtered",
        "filtered_even": "Filtered (even)",
        "filtered_odd": "Filtered (odd)",
    },
    "reconstruction": {
        "WBP": "Weighted back-projection (WBP)",
        "SART": "SART",
        "SIRT": "SIRT",
        "Fourier_Space": "Fourier space",
        "Unknown": "Unknown",
    },
    "fiducial": {"FIDUCIAL": "Fiducial", "NON_FIDUCIAL": "Non-fiducial"},
    "method_type": {
        "manual": "Manual",
        "automated": "Automated",
        "hybrid": "Hybrid",
        "simulated": "Simulated",
    },
    "alignment_type": {"LOCAL": "Local", "GLOBAL": "Global"},
    "alignment_method": {
        "projection_matching": "Projection matching",
        "patch_tracking": "Patch tracking",
        "fiducial_based": "Fiducial based",
        "simulated": "Simulated",
    },
    "link_type": {
        "documentation": "Documentation",
        "models_weights": "Model weights",
        "other": "Other",
        "source_code": "Source code",
        "website": "Website",
    },
    "deposition_type": {"annotation": "Annotations", "dataset": "Dataset", "tomogram": "Tomograms"},
    "manufacturer": {"SIMULATED": "Simulated"},
}


def readable(enum: str, value: Any) -> str:
    """A readable name for an enum value (``cell_line`` -> ``Cell line``).

    Shape types split their camel case (``OrientedPoint`` -> ``Oriented Point``);
    values the table does not know (a newer schema) keep their text, underscores read
    as spaces.
    """
    if value is None or value == "":
        return ""
    text = str(value)
    known = _READABLE.get(enum, {}).get(text)
    if known is not None:
        return known
    if enum == "shape":
        return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    if enum == "manufacturer":
        return text
    return text.replace("_", " ")


# -- links ------------------------------------------------------------------------------

_WEB = ("http://", "https://")
_ARCHIVES = {
    "EMD-": "https://www.ebi.ac.uk/emdb/{}",
    "EMPIAR-": "https://www.ebi.ac.uk/empiar/{}/",
}
_PDB = re.compile(r"^PDB-([0-9A-Za-z]{4,8})$", re.IGNORECASE)
_GO = re.compile(r"^GO:\d{7}$", re.IGNORECASE)
_UNIPROT = re.compile(r"^UniProtKB:([A-Z0-9]{6,10})$", re.IGNORECASE)
_ORCID = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
# Ontologies of the OBO library: their terms resolve under one address.
_OBO = re.compile(r"^(CL|BTO|UBERON|CHEBI|PATO|MONDO):(\d+)$", re.IGNORECASE)


def link_for(value: Any) -> str | None:
    """A clickable URL for a value, or None.

    Web links stay as they are; DOIs (``10.1/x``, ``doi:10.1/x``) go to doi.org; EMDB,
    EMPIAR and PDB entries to their archives; GO terms to AmiGO; UniProtKB accessions
    to UniProt; Cell Ontology, BRENDA, Uberon and ChEBI terms to the OBO library.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.startswith(_WEB):
        return text
    if text.startswith("10.") and "/" in text:
        return f"https://doi.org/{text}"
    if text.lower().startswith("doi:"):
        return f"https://doi.org/{text[4:].strip()}"
    upper = text.upper()
    for prefix, url in _ARCHIVES.items():
        if upper.startswith(prefix) and text[len(prefix) :].isdigit():
            return url.format(upper)
    if found := _PDB.match(text):
        return f"https://www.rcsb.org/structure/{found.group(1).upper()}"
    if _GO.match(text):
        return f"https://amigo.geneontology.org/amigo/term/{upper}"
    if found := _UNIPROT.match(text):
        return f"https://www.uniprot.org/uniprotkb/{found.group(1).upper()}"
    if found := _OBO.match(text):
        return f"http://purl.obolibrary.org/obo/{found.group(1).upper()}_{found.group(2)}"
    return None


def orcid_url(orcid: Any) -> str | None:
    """``https://orcid.org/<id>`` for an ORCID iD (bare or as a URL), else None."""
    if not isinstance(orcid, str):
        return None
    text = orcid.strip().removeprefix("https://orcid.org/").removeprefix("orcid:")
    return f"https://orcid.org/{text}" if _ORCID.match(text) else None


def references(value: Any) -> list[str]:
    """The parts of a comma-separated list of links (``10.1/a, EMD-1``), else []."""
    if not isinstance(value, str) or "," not in value:
        return []
    parts = [p.strip() for p in value.split(",") if p.strip()]
    return parts if len(parts) > 1 and all(link_for(p) for p in parts) else []


# -- values -------------------------------------------------------------------------------

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def number(value: Any) -> str:
    """A number without trailing zeros (``60.0`` -> ``60``, ``1.348`` -> ``1.348``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) or value.is_integer():
        return str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


def date(value: Any) -> str:
    """``2023-04-01`` from an ISO-8601 date or date-time."""
    text = str(value)
    found = _DATE.match(text)
    return found.group(0) if found else text


def yes_no(value: Any) -> str:
    """``Yes`` or ``No``."""
    return "Yes" if value else "No"


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != []


def _as_float(value: Any) -> float | None:
    try:
        return None if value is None or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None


def many(node: Node | None, key: str) -> list[Node]:
    """The nodes of a relation: a connection's edges or a plain list; [] when absent."""
    value = node.get(key) if node else None
    if isinstance(value, Mapping):
        edges = value.get("edges") or []
        return [
            e["node"]
            for e in edges
            if isinstance(e, Mapping) and isinstance(e.get("node"), Mapping)
        ]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, Mapping)]
    return []


def one(node: Node | None, key: str) -> Node | None:
    """A to-one relation, or None."""
    value = node.get(key) if node else None
    return value if isinstance(value, Mapping) else None


# -- rows ---------------------------------------------------------------------------------


def row(key: str, value: str, link: str | None = None, children: Sequence[Row] = ()) -> Row:
    """A row labelled and defined by ``TERMS[key]``."""
    term = TERMS[key]
    return Row(term.label, value, link, term.definition, term.api or key, tuple(children))


def text_row(key: str, value: Any) -> Row | None:
    """A row for a text value: linked when it names a record, a child per reference
    when it lists several (``10.1/a, 10.1/b``); None when absent."""
    if not _present(value):
        return None
    text = value if isinstance(value, str) else str(value)
    parts = references(text)
    if parts:
        children = [
            Row(str(i), p, link_for(p), TERMS[key].definition) for i, p in enumerate(parts, 1)
        ]
        return row(key, text, None, children)
    return row(key, text, link_for(text))


class _Rows:
    """Collects the rows of one section from one node, skipping absent values."""

    def __init__(self, type_name: str, node: Node | None) -> None:
        self.type = type_name
        self.node: Node = node or {}
        self.rows: list[Row] = []

    def add(self, item: Row | None) -> None:
        if item is not None:
            self.rows.append(item)

    def text(self, name: str) -> None:
        self.add(text_row(f"{self.type}.{name}", self.node.get(name)))

    def enum(self, name: str, enum: str) -> None:
        value = self.node.get(name)
        if _present(value):
            self.add(row(f"{self.type}.{name}", readable(enum, value)))

    def date(self, name: str) -> None:
        value = self.node.get(name)
        if _present(value):
            self.add(row(f"{self.type}.{name}", date(value)))

    def dates(self) -> None:
        for name in ("depositionDate", "releaseDate", "lastModifiedDate"):
            self.date(name)

    def flag(self, name: str) -> None:
        value = self.node.get(name)
        if value is not None:
            self.add(row(f"{self.type}.{name}", yes_no(value)))

    def measure(self, name: str, unit: str = "", scale: float = 1.0) -> None:
        value = _as_float(self.node.get(name))
        if value is not None:
            self.add(row(f"{self.type}.{name}", _with_unit(number(value * scale), unit)))

    def section(self, title: str, collapsed: bool = False) -> Section | None:
        return Section(title, tuple(self.rows), collapsed) if self.rows else None


def _with_unit(text: str, unit: str) -> str:
    if not unit:
        return text
    return f"{text}{unit}" if unit == DEGREE else f"{text} {unit}"


def _xyz(node: Node, names: Sequence[str], unit: str = "") -> str | None:
    values = [_as_float(node.get(n)) for n in names]
    if any(v is None for v in values):
        return None
    return _with_unit(", ".join(number(v) for v in values), unit)


def authors_row(key: str, authors: Iterable[Node]) -> Row | None:
    """An author list, one child per author in publication order: the ORCID iD as value
    and link, primary and corresponding authors marked after the name."""
    people = sorted(authors, key=lambda a: _as_float(a.get("authorListOrder")) or 0.0)
    if not people:
        return None
    children = []
    for person in people:
        marks = [
            mark
            for flag, mark in (
                ("primaryAuthorStatus", "primary author"),
                ("correspondingAuthorStatus", "corresponding author"),
            )
            if person.get(flag)
        ]
        name = str(person.get("name") or "")
        label = f"{name} ({', '.join(marks)})" if marks else name
        orcid = person.get("orcid")
        children.append(
            Row(
                label,
                str(orcid) if _present(orcid) else "",
                orcid_url(orcid),
                ORCID_DEFINITION,
                f"{key.split('.')[0]}Author.orcid",
            )
        )
    names = ", ".join(str(p.get("name") or "") for p in people)
    return row(key, names, None, children)


# -- sections per node ---------------------------------------------------------------------


def dataset_section(node: Node) -> Section | None:
    """``Dataset``: title, description, dates, authors, funding, publications, databases."""
    rows = _Rows("Dataset", node)
    rows.text("id")
    rows.text("title")
    rows.text("description")
    rows.dates()
    rows.add(authors_row("Dataset.authors", many(node, "authors")))
    rows.add(_funding_row(many(node, "fundingSources")))
    rows.text("datasetPublications")
    rows.text("relatedDatabaseEntries")
    rows.text("keyPhotoUrl")
    return rows.section("Dataset")


def _funding_row(sources: Sequence[Node]) -> Row | None:
    children = []
    for source in sources:
        agency, grant = source.get("fundingAgencyName"), source.get("grantId")
        if not (_present(agency) or _present(grant)):
            continue
        term = TERMS["DatasetFunding.grantId"]
        children.append(
            Row(
                str(agency)
                if _present(agency)
                else TERMS["DatasetFunding.fundingAgencyName"].label,
                str(grant) if _present(grant) else "",
                link_for(grant),
                f"{TERMS['DatasetFunding.fundingAgencyName'].definition} {term.label}: {term.definition}",
                "DatasetFunding.fundingAgencyName, DatasetFunding.grantId",
            )
        )
    if not children:
        return None
    summary = ", ".join(f"{c.label} ({c.value})" if c.value else c.label for c in children)
    return row("Dataset.fundingSources", summary, None, children)


def sample_section(node: Node | None) -> Section | None:
    """``Sample and experiment conditions`` of a dataset."""
    rows = _Rows("Dataset", node)
    node = rows.node
    rows.enum("sampleType", "sample_type")
    rows.text("organismName")
    taxon = node.get("organismTaxid")
    if _present(taxon):
        url = f"https://www.ncbi.nlm.nih.gov/Taxonomy/Browser/wwwtax.cgi?id={taxon}"
        rows.add(row("Dataset.organismTaxid", str(taxon), url))
    for name, id_name in (
        ("tissueName", "tissueId"),
        ("cellName", "cellTypeId"),
        ("cellStrainName", "cellStrainId"),
        ("cellComponentName", "cellComponentId"),
    ):
        rows.add(_named_term(f"Dataset.{name}", node.get(name), node.get(id_name)))
    rows.text("samplePreparation")
    rows.text("gridPreparation")
    rows.text("otherSetup")
    return rows.section("Sample and experiment conditions")


def _named_term(key: str, name: Any, term_id: Any) -> Row | None:
    """``cell culture (BTO:0000214)``, linked to the ontology term or the strain page."""
    if not _present(name):
        return None
    if not _present(term_id):
        return row(key, str(name))
    return row(key, f"{name} ({term_id})", link_for(str(term_id)))


def deposition_section(node: Node | None) -> Section | None:
    """``Deposition``: id, title, description, dates, authors and what it holds."""
    rows = _Rows("Deposition", node)
    node = rows.node
    rows.text("id")
    rows.text("title")
    rows.text("description")
    rows.dates()
    rows.add(authors_row("Deposition.authors", many(node, "authors")))
    types = [readable("deposition_type", t.get("type")) for t in many(node, "depositionTypes")]
    if any(types):
        rows.add(row("Deposition.depositionTypes", ", ".join(t for t in types if t)))
    rows.text("depositionPublications")
    rows.text("relatedDatabaseEntries")
    return rows.section("Deposition")


def _dataset_deposition(node: Node) -> Section | None:
    deposition = one(node, "deposition")
    if deposition is None and _present(node.get("depositionId")):
        deposition = {"id": node["depositionId"]}
    return deposition_section(deposition)


def run_section(node: Node) -> Section | None:
    """``Run``: name, id and dataset."""
    rows = _Rows("Run", node)
    rows.text("name")
    rows.text("id")
    dataset = one(node, "dataset") or {}
    dataset_id = dataset.get("id", node.get("datasetId"))
    if _present(dataset_id):
        title = dataset.get("title")
        rows.add(
            row("Run.dataset", f"{dataset_id}: {title}" if _present(title) else str(dataset_id))
        )
    return rows.section("Run")


def tiltseries_section(node: Node, title: str = "Tilt series") -> Section | None:
    """``Tilt series``: microscope, optics, camera, geometry, dose and quality."""
    rows = _Rows("Tiltseries", node)
    rows.enum("microscopeManufacturer", "manufacturer")
    for name in (
        "microscopeModel",
        "microscopeEnergyFilter",
        "microscopePhasePlate",
        "microscopeImageCorrector",
        "microscopeAdditionalInfo",
    ):
        rows.text(name)
    rows.measure("accelerationVoltage", "kV", 1e-3)  # the API gives volts
    rows.measure("sphericalAberrationConstant", "mm")
    rows.text("cameraManufacturer")
    rows.text("cameraModel")
    rows.text("dataAcquisitionSoftware")
    rows.measure("pixelSpacing", ANGSTROM)
    rows.measure("tiltAxis", DEGREE)
    low, high = _as_float(node.get("tiltMin")), _as_float(node.get("tiltMax"))
    if low is not None and high is not None:
        rows.add(row("Tiltseries.tiltRange", f"{number(low)}{DEGREE} to {number(high)}{DEGREE}"))
    rows.measure("tiltStep", DEGREE)
    rows.text("tiltingScheme")
    rows.measure("totalFlux", FLUX)
    rows.measure("binningFromFrames")
    rows.flag("isAligned")
    rows.text("relatedEmpiarEntry")
    quality = node.get("tiltSeriesQuality")
    if _present(quality):
        score = int(cast(Any, quality))
        meaning = quality_description(score)
        label = quality_label(score)
        rows.add(row("Tiltseries.tiltSeriesQuality", f"{label}: {meaning}" if meaning else label))
    return rows.section(title)


def tiltseries_files_section(node: Node) -> Section | None:
    """``Tilt series files``: id, image size and the stack and angle list files."""
    rows = _Rows("Tiltseries", node)
    rows.text("id")
    size = _xyz(node, ("sizeX", "sizeY", "sizeZ"))
    if size is not None:
        rows.add(row("Tiltseries.size", size))
    for name in ("httpsMrcFile", "httpsOmezarrDir", "httpsAngleList"):
        value = node.get(name)
        if _present(value):
            rows.add(row(f"Tiltseries.{name}", str(value), link_for(value)))
    return rows.section("Tilt series files")


def tomogram_section(node: Node) -> Section | None:
    """``Tomogram``: reconstruction, processing, size, alignment and voxel spacings."""
    rows = _Rows("Tomogram", node)
    rows.text("id")
    rows.add(authors_row("Tomogram.authors", many(node, "authors")))
    rows.enum("reconstructionMethod", "reconstruction")
    rows.text("reconstructionSoftware")
    rows.enum("processing", "processing")
    rows.text("processingSoftware")
    rows.measure("voxelSpacing", ANGSTROM)
    size = _xyz(node, ("sizeX", "sizeY", "sizeZ"))
    if size:
        rows.add(row("Tomogram.size", size))
    rows.enum("fiducialAlignmentStatus", "fiducial")
    rows.flag("ctfCorrected")
    rows.rows += _alignment_rows(one(node, "alignment"), node.get("alignmentId"))
    spacings = [
        _as_float(v.get("voxelSpacing")) for v in many(one(node, "run"), "tomogramVoxelSpacings")
    ]
    known = [s for s in spacings if s is not None]
    if known:
        rows.add(row("Tomogram.smallestVoxelSpacing", _with_unit(number(min(known)), ANGSTROM)))
    return rows.section("Tomogram")


def _alignment_rows(alignment: Node | None, alignment_id: Any) -> list[Row]:
    rows = _Rows("Alignment", alignment)
    node = rows.node
    if not _present(node.get("id")) and _present(alignment_id):
        rows.add(row("Alignment.id", str(alignment_id)))
    rows.text("id")
    rows.enum("alignmentType", "alignment_type")
    rows.enum("alignmentMethod", "alignment_method")
    matrix = _matrix_text(node.get("affineTransformationMatrix"))
    if matrix:
        rows.add(row("Alignment.affineTransformationMatrix", matrix))
    offset = _xyz(node, ("volumeXOffset", "volumeYOffset", "volumeZOffset"), ANGSTROM)
    if offset:
        rows.add(row("Alignment.volumeOffset", offset))
    rows.measure("tiltOffset", DEGREE)
    rows.measure("xRotationOffset", DEGREE)
    return rows.rows


def _matrix_text(value: Any) -> str:
    """A matrix (a JSON text, as the API gives it, or nested lists) as compact JSON."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value.strip()
    if isinstance(value, list):
        return (
            "["
            + ", ".join(
                "[" + ", ".join(number(v) for v in r) + "]" if isinstance(r, list) else number(r)
                for r in value
            )
            + "]"
        )
    return ""


def annotation_sections(node: Node) -> list[Section]:
    """``Annotation``, ``Annotation object`` and ``Annotation confidence``, the portal's
    three tables of an annotation's metadata."""
    overview = _Rows("Annotation", node)
    overview.text("id")
    overview.add(authors_row("Annotation.authors", many(node, "authors")))
    overview.text("annotationPublication")
    overview.dates()
    overview.enum("methodType", "method_type")
    overview.text("annotationMethod")
    overview.add(_method_links_row(many(node, "methodLinks")))
    overview.text("annotationSoftware")

    obj = _Rows("Annotation", node)
    obj.text("objectName")
    obj.text("objectId")
    obj.text("objectCount")
    shapes = many(node, "annotationShapes")
    kinds = [readable("shape", s.get("shapeType")) for s in shapes]
    if any(kinds):
        obj.add(row("AnnotationShape.shapeType", ", ".join(dict.fromkeys(k for k in kinds if k))))
    obj.add(_files_row(shapes))
    obj.text("objectState")
    obj.text("objectDescription")

    confidence = _Rows("Annotation", node)
    confidence.flag("groundTruthStatus")
    confidence.text("groundTruthUsed")
    for name in ("confidencePrecision", "confidenceRecall"):
        # The portal marks these NA when no ground truth was compared.
        value = _as_float(node.get(name))
        confidence.add(
            row(f"Annotation.{name}", NOT_AVAILABLE if value is None else f"{number(value)}%")
        )
    found = [
        overview.section("Annotation"),
        obj.section("Annotation object"),
        confidence.section("Annotation confidence"),
    ]
    return [s for s in found if s is not None]


def _method_links_row(links: Sequence[Node]) -> Row | None:
    children = [
        Row(
            str(link.get("name") or readable("link_type", link.get("linkType")) or "link"),
            str(link.get("link")),
            link_for(link.get("link")),
            TERMS["Annotation.methodLinks"].definition,
            "AnnotationMethodLink.link",
        )
        for link in links
        if _present(link.get("link"))
    ]
    if not children:
        return None
    return row("Annotation.methodLinks", ", ".join(c.label for c in children), None, children)


def _files_row(shapes: Sequence[Node]) -> Row | None:
    children = []
    for shape in shapes:
        kind = readable("shape", shape.get("shapeType"))
        for f in many(shape, "annotationFiles"):
            where = f.get("httpsPath") or f.get("s3Path")
            if not _present(where):
                continue
            label = f"{kind} ({f.get('format')})" if _present(f.get("format")) else kind
            children.append(
                Row(
                    label,
                    str(where),
                    link_for(where),
                    TERMS["AnnotationShape.annotationFiles"].definition,
                    "AnnotationFile.httpsPath",
                )
            )
    if not children:
        return None
    return row(
        "AnnotationShape.annotationFiles",
        f"{len(children)} files" if len(children) != 1 else "1 file",
        None,
        children,
    )


def spacing_section(node: Node) -> Section | None:
    """``Voxel spacing``: the spacing and its number of tomograms."""
    rows = _Rows("TomogramVoxelSpacing", node)
    rows.measure("voxelSpacing", ANGSTROM)
    count = node.get("tomogramsAggregate")
    if isinstance(count, int):
        rows.add(row("TomogramVoxelSpacing.tomogramsAggregate", str(count)))
    return rows.section("Voxel spacing")


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
    "TERMS",
    "Row",
    "Section",
    "Term",
    "all_fields_section",
    "initial_node",
    "kind_of",
    "link_for",
    "orcid_url",
    "readable",
    "references",
    "sections_for",
]
