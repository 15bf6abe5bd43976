"""Server-side search: which datasets (and runs) match a free text.

The schema has no ``_or``, so each searched field gets its own aliased root field,
selecting ids only; the whole match is one small request. The matching datasets are
then fetched by id, a page at a time.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from . import parse
from .models import Run
from .queries import COUNT, run_fragment
from .schema import checked

# Alias -> where clause on Dataset (``$text`` is the ILIKE pattern). The alias names
# what matched, as reported in ``SearchResult.matched_by``.
TEXT_FIELDS: dict[str, str] = {
    "title": "{title: {_ilike: $text}}",
    "description": "{description: {_ilike: $text}}",
    "organism": "{organismName: {_ilike: $text}}",
    "cell": "{cellName: {_ilike: $text}}",
    "tissue": "{tissueName: {_ilike: $text}}",
    "run": "{runs: {name: {_ilike: $text}}}",
    "object": "{runs: {annotations: {objectName: {_ilike: $text}}}}",
}


@dataclass(frozen=True)
class SearchHits:
    """Ids of matching datasets with what matched, and the runs whose names match.

    ``runs`` holds at most the run limit of the search; ``run_total`` counts them all.
    """

    dataset_ids: tuple[int, ...]
    matched_by: Mapping[int, tuple[str, ...]]
    runs: tuple[Run, ...]
    run_total: int


def like_pattern(text: str) -> str:
    """``%text%`` with the user's own LIKE wildcards (``%``, ``_``, ``\\``) escaped."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def dataset_id_in(text: str) -> int | None:
    """The dataset id a search text names (``10001``), if it is one."""
    stripped = text.strip()
    return int(stripped) if stripped.isdigit() and len(stripped) < 10 else None


@functools.cache
def hits_query(with_id: bool) -> str:
    """The matching query: dataset ids per searched field, and runs matching by name."""
    aliases = "\n".join(
        f"{alias}: datasets(where: {where}) {{ id }}" for alias, where in TEXT_FIELDS.items()
    )
    by_id = "id: datasets(where: {id: {_eq: $id}}) { id }" if with_id else ""
    id_var = ", $id: Int!" if with_id else ""
    return checked(
        f"""
        query SearchHits($text: String!, $runLimit: Int!{id_var}) {{
          {aliases}
          {by_id}
          runTotal: runsAggregate(where: {{name: {{_ilike: $text}}}}) {COUNT}
          runs(where: {{name: {{_ilike: $text}}}},
               orderBy: [{{dataset: {{id: asc}}}}, {{name: asc}}, {{id: asc}}],
               limitOffset: {{limit: $runLimit}}) {{ ...RunFields }}
        }}
        {run_fragment()}"""
    )


def hits_variables(text: str, run_limit: int) -> tuple[str, dict[str, Any]]:
    """The query and its variables for a search text."""
    dataset_id = dataset_id_in(text)
    variables: dict[str, Any] = {"text": like_pattern(text.strip()), "runLimit": run_limit}
    if dataset_id is not None:
        variables["id"] = dataset_id
    return hits_query(dataset_id is not None), variables


def read_hits(data: Mapping[str, Any]) -> SearchHits:
    """Collect the ids each alias returned into :class:`SearchHits`.

    Raises
    ------
    KeyError, TypeError, ValueError
        The answer lacks an alias or holds something that is not an id.
    """
    matched: dict[int, list[str]] = {}
    for alias in ("id", *TEXT_FIELDS):
        if alias == "id" and alias not in data:
            continue
        for node in data[alias]:
            matched.setdefault(int(node["id"]), []).append(alias)
    aggregate = data["runTotal"]["aggregate"] or [{}]
    return SearchHits(
        dataset_ids=tuple(sorted(matched)),
        matched_by=MappingProxyType({k: tuple(v) for k, v in sorted(matched.items())}),
        runs=tuple(parse.run(n) for n in data["runs"]),
        run_total=int(aggregate[0].get("count") or 0),
    )
