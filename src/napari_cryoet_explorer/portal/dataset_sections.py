"""The metadata sections of datasets, their samples and depositions, runs and voxel
spacings, as the portal's "Data Organization" tables show them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .metadata_links import link_for
from .metadata_rows import Node, Row, Rows, Section, authors_row, many, one, row
from .metadata_terms import TERMS
from .metadata_values import ANGSTROM, present, readable


def dataset_section(node: Node) -> Section | None:
    """``Dataset``: title, description, dates, authors, funding, publications, databases."""
    rows = Rows("Dataset", node)
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
        if not (present(agency) or present(grant)):
            continue
        term = TERMS["DatasetFunding.grantId"]
        children.append(
            Row(
                str(agency) if present(agency) else TERMS["DatasetFunding.fundingAgencyName"].label,
                str(grant) if present(grant) else "",
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
    rows = Rows("Dataset", node)
    node = rows.node
    rows.enum("sampleType", "sample_type")
    rows.text("organismName")
    taxon = node.get("organismTaxid")
    if present(taxon):
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
    if not present(name):
        return None
    if not present(term_id):
        return row(key, str(name))
    return row(key, f"{name} ({term_id})", link_for(str(term_id)))


def deposition_section(node: Node | None) -> Section | None:
    """``Deposition``: id, title, description, dates, authors and what it holds."""
    rows = Rows("Deposition", node)
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


def run_section(node: Node) -> Section | None:
    """``Run``: name, id and dataset."""
    rows = Rows("Run", node)
    rows.text("name")
    rows.text("id")
    dataset = one(node, "dataset") or {}
    dataset_id = dataset.get("id", node.get("datasetId"))
    if present(dataset_id):
        title = dataset.get("title")
        rows.add(
            row("Run.dataset", f"{dataset_id}: {title}" if present(title) else str(dataset_id))
        )
    return rows.section("Run")


def spacing_section(node: Node) -> Section | None:
    """``Voxel spacing``: the spacing and its number of tomograms."""
    rows = Rows("TomogramVoxelSpacing", node)
    rows.measure("voxelSpacing", ANGSTROM)
    count = node.get("tomogramsAggregate")
    if isinstance(count, int):
        rows.add(row("TomogramVoxelSpacing.tomogramsAggregate", str(count)))
    return rows.section("Voxel spacing")


__all__ = [
    "dataset_section",
    "deposition_section",
    "run_section",
    "sample_section",
    "spacing_section",
]
