"""Rows and sections of the metadata panel, and their building blocks.

:class:`Row` and :class:`Section` are what the panel shows. A node is in the GraphQL
answer's shape (camelCase fields; relations as connections ``{"edges": [{"node":
...}]}`` or plain lists): :func:`many` and :func:`one` read its relations, :func:`row`
labels and defines a value by :data:`~.metadata_terms.TERMS`, and :class:`Rows`
collects one section's rows from one node, skipping absent values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .metadata_links import link_for, orcid_url, references
from .metadata_terms import ORCID_DEFINITION, TERMS
from .metadata_values import as_float, date, number, present, readable, with_unit, yes_no

Node = Mapping[str, Any]


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


def row(key: str, value: str, link: str | None = None, children: Sequence[Row] = ()) -> Row:
    """A row labelled and defined by ``TERMS[key]``."""
    term = TERMS[key]
    return Row(term.label, value, link, term.definition, term.api or key, tuple(children))


def text_row(key: str, value: Any) -> Row | None:
    """A row for a text value: linked when it names a record, a child per reference
    when it lists several (``10.1/a, 10.1/b``); None when absent."""
    if not present(value):
        return None
    text = value if isinstance(value, str) else str(value)
    parts = references(text)
    if parts:
        children = [
            Row(str(i), p, link_for(p), TERMS[key].definition) for i, p in enumerate(parts, 1)
        ]
        return row(key, text, None, children)
    return row(key, text, link_for(text))


class Rows:
    """Collects the rows of one section from one node, skipping absent values.

    Each method adds the row of one field of the node, labelled by
    ``TERMS["<type_name>.<field>"]``.
    """

    def __init__(self, type_name: str, node: Node | None) -> None:
        self.type = type_name
        self.node: Node = node or {}
        self.rows: list[Row] = []

    def add(self, item: Row | None) -> None:
        """Add a row (None adds nothing)."""
        if item is not None:
            self.rows.append(item)

    def text(self, name: str) -> None:
        """A text field (see :func:`text_row`)."""
        self.add(text_row(f"{self.type}.{name}", self.node.get(name)))

    def enum(self, name: str, enum: str) -> None:
        """An enum field by its readable name (see :func:`~.metadata_values.readable`)."""
        value = self.node.get(name)
        if present(value):
            self.add(row(f"{self.type}.{name}", readable(enum, value)))

    def date(self, name: str) -> None:
        """A date field as YYYY-MM-DD."""
        value = self.node.get(name)
        if present(value):
            self.add(row(f"{self.type}.{name}", date(value)))

    def dates(self) -> None:
        """The deposition, release and last modified dates."""
        for name in ("depositionDate", "releaseDate", "lastModifiedDate"):
            self.date(name)

    def flag(self, name: str) -> None:
        """A boolean field as Yes or No."""
        value = self.node.get(name)
        if value is not None:
            self.add(row(f"{self.type}.{name}", yes_no(value)))

    def measure(self, name: str, unit: str = "", scale: float = 1.0) -> None:
        """A number times ``scale``, with its unit."""
        value = as_float(self.node.get(name))
        if value is not None:
            self.add(row(f"{self.type}.{name}", with_unit(number(value * scale), unit)))

    def section(self, title: str, collapsed: bool = False) -> Section | None:
        """The section of the rows added, or None when there is none."""
        return Section(title, tuple(self.rows), collapsed) if self.rows else None


def xyz(node: Node, names: Sequence[str], unit: str = "") -> str | None:
    """Three fields as ``x, y, z`` with their unit; None when one is missing."""
    values = [as_float(node.get(n)) for n in names]
    if any(v is None for v in values):
        return None
    return with_unit(", ".join(number(v) for v in values), unit)


def authors_row(key: str, authors: Iterable[Node]) -> Row | None:
    """An author list, one child per author in publication order: the ORCID iD as value
    and link, primary and corresponding authors marked after the name."""
    people = sorted(authors, key=lambda a: as_float(a.get("authorListOrder")) or 0.0)
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
                str(orcid) if present(orcid) else "",
                orcid_url(orcid),
                ORCID_DEFINITION,
                f"{key.split('.')[0]}Author.orcid",
            )
        )
    names = ", ".join(str(p.get("name") or "") for p in people)
    return row(key, names, None, children)


__all__ = [
    "Node",
    "Row",
    "Rows",
    "Section",
    "authors_row",
    "many",
    "one",
    "row",
    "text_row",
    "xyz",
]
