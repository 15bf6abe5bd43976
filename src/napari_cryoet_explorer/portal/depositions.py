"""Depositions: what a group submitted to the portal at once (datasets, tomograms,
annotations), listed with their counts a page at a time.

A deposition's own datasets are those whose ``depositionId`` it is; an
annotation-only deposition has none of its own but annotations in others' datasets, so
"the datasets it holds" are found with the deposition filter
(:class:`~.filters.Filters` ``deposition_ids``), which matches either.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .parse import count, nodes, scalars
from .queries import COUNT
from .schema import checked, selection


@dataclass(frozen=True)
class Deposition:
    """A deposition with the number of datasets, tomograms and annotations it brought.

    Attributes
    ----------
    id : int
        The deposition id.
    title : str
        Its title.
    deposition_date : str or None
        When the portal received it (ISO date).
    dataset_count, tomogram_count, annotation_count : int
        Datasets, tomograms and annotations that came with it.
    types : tuple of str
        What it holds, as the portal types it (``annotation``, ``dataset``...).
    fields : Mapping
        Every scalar the listing fetched.
    """

    id: int
    title: str
    deposition_date: str | None = None
    dataset_count: int = 0
    tomogram_count: int = 0
    annotation_count: int = 0
    types: tuple[str, ...] = ()
    fields: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)


@functools.cache
def depositions_page(with_total: bool) -> str:
    """A page of depositions (newest id first) with their counts and types."""
    total = f"total: depositionsAggregate(where: $where) {COUNT}" if with_total else ""
    return checked(
        f"""
        query Depositions($where: DepositionWhereClause, $limit: Int!, $offset: Int!) {{
          depositions(where: $where, orderBy: [{{id: desc}}],
                      limitOffset: {{limit: $limit, offset: $offset}}) {{
            {selection("Deposition")}
            datasetsAggregate {COUNT}
            tomogramsAggregate {COUNT}
            annotationsAggregate {COUNT}
            depositionTypes(first: 20) {{ edges {{ node {{ type }} }} }}
          }}
          {total}
        }}"""
    )


def deposition(node: Mapping[str, Any]) -> Deposition:
    """A :class:`Deposition` from a node of :func:`depositions_page`."""
    types = sorted({str(n["type"]) for n in nodes(node.get("depositionTypes")) if n.get("type")})
    return Deposition(
        id=int(node["id"]),
        title=str(node.get("title") or ""),
        deposition_date=node.get("depositionDate"),
        dataset_count=count(node, "datasetsAggregate"),
        tomogram_count=count(node, "tomogramsAggregate"),
        annotation_count=count(node, "annotationsAggregate"),
        types=tuple(types),
        fields=scalars("Deposition", node),
    )


__all__ = ["Deposition", "deposition", "depositions_page"]
