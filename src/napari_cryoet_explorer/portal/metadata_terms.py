"""The portal's labels and definitions of metadata fields.

:data:`TERMS` holds, per API expression (``Dataset.depositionDate``), the label and
definition that the portal's "Data Organization" tables give, completed from the
schema's field descriptions where those tables say nothing.
"""

from __future__ import annotations

from dataclasses import dataclass


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


__all__ = [
    "ORCID_DEFINITION",
    "TERMS",
    "Term",
]
