"""Server-side search: which datasets (and runs) match a free text.

The schema has no ``_or``, so each searched field gets its own aliased root field,
selecting ids only; the whole match is one small request. The matching datasets are
then fetched by id, a page at a time.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from . import parse
from .models import Run
from .queries import COUNT, run_fragment
from .schema import checked
from .where import like_within

# Alias -> where clause on Dataset (``"$text"`` stands for the ILIKE pattern). The
# alias names what matched, as reported in ``SearchResult.matched_by``.
TEXT_FIELDS: dict[str, dict[str, Any]] = {
    "title": {"title": {"_ilike": "$text"}},
    "description": {"description": {"_ilike": "$text"}},
    "organism": {"organismName": {"_ilike": "$text"}},
    "cell": {"cellName": {"_ilike": "$text"}},
    "tissue": {"tissueName": {"_ilike": "$text"}},
    "run": {"runs": {"name": {"_ilike": "$text"}}},
    "object": {"runs": {"annotations": {"objectName": {"_ilike": "$text"}}}},
}


def graphql_literal(value: Any) -> str:
    """A where mapping as a GraphQL input literal; ``"$name"`` strings become variables."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {graphql_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(graphql_literal(v) for v in value) + "]"
    if isinstance(value, str) and value.startswith("$"):
        return value
    return json.dumps(value)


def fill(where: Any, values: Mapping[str, Any]) -> Any:
    """``where`` with ``"$name"`` placeholders replaced by ``values[name]``."""
    if isinstance(where, dict):
        return {k: fill(v, values) for k, v in where.items()}
    if isinstance(where, str) and where.startswith("$"):
        return values[where[1:]]
    return where


@dataclass(frozen=True)
class SearchHits:
    """Ids of matching datasets with what matched, and the runs whose names match.

    ``runs`` holds at most the run limit of the search; ``run_total`` counts them all.
    """

    dataset_ids: tuple[int, ...]
    matched_by: Mapping[int, tuple[str, ...]]
    runs: tuple[Run, ...]
    run_total: int


def dataset_id_in(text: str) -> int | None:
    """The dataset id a search text names (``10001``), if it is one."""
    stripped = text.strip()
    return int(stripped) if stripped.isdigit() and len(stripped) < 10 else None


@functools.cache
def hits_query(with_id: bool) -> str:
    """The matching query: dataset ids per searched field, and runs matching by name."""
    aliases = "\n".join(
        f"{alias}: datasets(where: {graphql_literal(where)}) {{ id }}"
        for alias, where in TEXT_FIELDS.items()
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
    variables: dict[str, Any] = {"text": like_within(text.strip()), "runLimit": run_limit}
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
