"""Links for metadata values that name a record elsewhere.

Web links, DOIs, EMDB, EMPIAR and PDB entries, GO terms, UniProtKB accessions, ORCID
iDs and terms of the OBO library's ontologies, and comma-separated lists of them.
"""

from __future__ import annotations

import re
from typing import Any

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


__all__ = [
    "link_for",
    "orcid_url",
    "references",
]
