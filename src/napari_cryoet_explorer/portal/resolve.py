"""Free text and depositions, resolved to dataset (and run) ids in one request.

Both match through several relations at once (a text in a title, or a run name, or an
object name; a deposition of the dataset, or of one of its annotations or tomograms),
and the schema has no ``_or``: each alternative is an aliased root field that selects
ids only, and their union is taken here. The filters' other conditions then apply as
one ``where`` clause with ``id: {_in: ...}``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from . import parse
from .filters import Filters
from .models import Run
from .queries import COUNT, run_fragment
from .schema import checked
from .search import TEXT_FIELDS, dataset_id_in, fill
from .where import Where, conditions, like_within, run_where, where_for

# Alias -> where clause on Dataset holding a deposition's data; ``$deps`` its ids.
DEPOSITION_FIELDS: dict[str, Where] = {
    "dataset": {"depositionId": {"_in": "$deps"}},
    "annotations": {"runs": {"annotations": {"depositionId": {"_in": "$deps"}}}},
    "tomograms": {"runs": {"tomograms": {"depositionId": {"_in": "$deps"}}}},
}
# What a text matches within one dataset's runs.
RUN_TEXT_FIELDS: dict[str, Where] = {
    "name": {"name": {"_ilike": "$text"}},
    "object": {"annotations": {"objectName": {"_ilike": "$text"}}},
}
# What a deposition brought within one dataset's runs (when the dataset is not its own).
RUN_DEPOSITION_FIELDS: dict[str, Where] = {
    "annotations": {"annotations": {"depositionId": {"_in": "$deps"}}},
    "tomograms": {"tomograms": {"depositionId": {"_in": "$deps"}}},
}


@dataclass(frozen=True)
class Resolved:
    """Dataset ids that the text and the depositions match, each on its own.

    ``None`` means "not filtered" (no text, or no deposition given).
    """

    text: frozenset[int] | None = None
    deposition: frozenset[int] | None = None
    matched_by: Mapping[int, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    runs: tuple[Run, ...] = ()
    run_total: int = 0
    run_ids: frozenset[int] | None = None  # within one dataset: the runs text and deposition hold

    def dataset_ids(self, *, deposition: bool = True, text: bool = True) -> set[int] | None:
        """The ids both parts allow (None when neither filters); leave one out for
        the counts of its own facet."""
        parts = [p for p, keep in ((self.text, text), (self.deposition, deposition)) if keep]
        chosen = [set(p) for p in parts if p is not None]
        if not chosen:
            return None
        return set.intersection(*chosen)


@functools.cache
def ids_query(aliases: tuple[tuple[str, str, str], ...], with_runs: bool) -> str:
    """A query of id lists, one per ``(alias, root field, where type)``, each with its
    own ``$w_<alias>`` variable; with ``with_runs``, the runs a text names too."""
    variables = [f"$w_{a}: {t}!" for a, _r, t in aliases]
    roots = [f"{a}: {r}(where: $w_{a}) {{ id }}" for a, r, _t in aliases]
    runs = ""
    if with_runs:
        variables += ["$runWhere: RunWhereClause!", "$runLimit: Int!"]
        runs = f"""
          runTotal: runsAggregate(where: $runWhere) {COUNT}
          runs(where: $runWhere,
               orderBy: [{{dataset: {{id: asc}}}}, {{name: asc}}, {{id: asc}}],
               limitOffset: {{limit: $runLimit}}) {{ ...RunFields }}"""
    fragment = run_fragment() if with_runs else ""
    return checked(
        f"""
        query Resolve({", ".join(variables)}) {{
          {" ".join(roots)}
          {runs}
        }}
        {fragment}"""
    )


@dataclass
class _Plan:
    aliases: list[tuple[str, str, str]] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)

    def add(self, alias: str, root: str, where_type: str, where: Where) -> None:
        self.aliases.append((alias, root, where_type))
        self.variables[f"w_{alias}"] = where


def _merged(a: Where, b: Where) -> Where | None:
    """Both clauses on one row (relations merged as well); None when they set the same
    field, which one clause cannot say twice."""
    out = dict(a)
    for key, value in b.items():
        if key not in out:
            out[key] = value
            continue
        if not (isinstance(out[key], dict) and isinstance(value, dict)) or key.startswith("_"):
            return None
        if any(k.startswith("_") for k in (*out[key], *value)):
            return None  # comparisons on one field: not a relation to merge
        inner = _merged(out[key], value)
        if inner is None:
            return None
        out[key] = inner
    return out


def _in_one_run(text_clause: Where, run_body: Where) -> Where:
    """A text clause on a run (``{"name": ...}``, ``{"annotations": ...}``) merged with
    the other filters' run conditions, so that the text and they hold in one run (and
    on one annotation); where they cannot merge the text stands on its own."""
    if not run_body:
        return text_clause
    merged = _merged(run_body, text_clause)
    if merged is None and "annotations" in text_clause:
        # The filters already set the annotation's object: the text's annotation is
        # another annotation of the same run, reached through its voxel spacings (the
        # schema has no _and to say "one annotation with X and one with Y").
        rest = {k: v for k, v in text_clause.items() if k != "annotations"}
        other = {"tomogramVoxelSpacings": {"annotations": text_clause["annotations"]}}
        merged = _merged(run_body, {**rest, **other})
    return merged or text_clause


def plan_datasets(f: Filters, run_limit: int) -> tuple[str, dict[str, Any]] | None:
    """The resolving query for a dataset listing, or None if ``f`` needs none."""
    if not f.needs_resolving:
        return None
    plan = _Plan()
    values = {"text": like_within(f.search), "deps": list(f.deposition_ids)}
    rest = f.without("search", "deposition_ids")
    run_body = where_for("dataset", conditions(rest)).get("runs", {})
    if f.search:
        for alias, clause in TEXT_FIELDS.items():
            where = fill(clause, values)
            if "runs" in where:  # a run's name or object: in the run the filters hold in
                where = {**where, "runs": _in_one_run(where["runs"], run_body)}
            plan.add(f"t_{alias}", "datasets", "DatasetWhereClause", where)
        dataset_id = dataset_id_in(f.search)
        if dataset_id is not None:
            plan.add("t_id", "datasets", "DatasetWhereClause", {"id": {"_eq": dataset_id}})
    for alias, clause in DEPOSITION_FIELDS.items():
        if f.deposition_ids:
            plan.add(f"d_{alias}", "datasets", "DatasetWhereClause", fill(clause, values))
    with_runs = bool(f.search)
    if with_runs:
        # Runs named like the text, that also match the other run-level filters.
        run_rest = where_for("run", conditions(rest))
        plan.variables["runWhere"] = {**run_rest, "name": {"_ilike": values["text"]}}
        plan.variables["runLimit"] = run_limit
    return ids_query(tuple(plan.aliases), with_runs), plan.variables


def plan_runs(f: Filters, dataset_id: int) -> tuple[str, dict[str, Any]] | None:
    """The resolving query for the runs of one dataset, or None if ``f`` needs none.

    A text that matches the dataset itself (its title, organism...) matches all its
    runs; otherwise the runs it names or whose objects it names. Likewise a
    deposition that brought the dataset holds all its runs; otherwise the runs with its
    annotations or tomograms.
    """
    if not f.needs_resolving:
        return None
    plan = _Plan()
    values = {"text": like_within(f.search), "deps": list(f.deposition_ids)}
    own = {"id": {"_eq": int(dataset_id)}}
    if f.search:
        for alias, clause in TEXT_FIELDS.items():
            if alias in ("run", "object"):
                continue
            where = {**fill(clause, values), **own}
            plan.add(f"t_{alias}", "datasets", "DatasetWhereClause", where)
        run_body = where_for("dataset", conditions(f.without("search", "deposition_ids")))
        for alias, clause in RUN_TEXT_FIELDS.items():
            text = _in_one_run(fill(clause, values), run_body.get("runs", {}))
            where = {**text, "datasetId": {"_eq": int(dataset_id)}}
            plan.add(f"r_{alias}", "runs", "RunWhereClause", where)
    if f.deposition_ids:
        where = {**fill(DEPOSITION_FIELDS["dataset"], values), **own}
        plan.add("d_dataset", "datasets", "DatasetWhereClause", where)
        for alias, clause in RUN_DEPOSITION_FIELDS.items():
            where = {**fill(clause, values), "datasetId": {"_eq": int(dataset_id)}}
            plan.add(f"dr_{alias}", "runs", "RunWhereClause", where)
    return ids_query(tuple(plan.aliases), False), plan.variables


def read_datasets(data: Mapping[str, Any], f: Filters) -> Resolved:
    """:class:`Resolved` from the answer to :func:`plan_datasets`' query."""
    matched: dict[int, list[str]] = {}
    deposition: set[int] = set()
    for alias, nodes in data.items():
        if alias.startswith("t_"):
            for node in nodes:
                matched.setdefault(int(node["id"]), []).append(alias[2:])
        elif alias.startswith("d_"):
            deposition.update(int(n["id"]) for n in nodes)
    runs = tuple(parse.run(n) for n in data.get("runs") or ())
    return Resolved(
        text=frozenset(matched) if f.search else None,
        deposition=frozenset(deposition) if f.deposition_ids else None,
        matched_by=MappingProxyType({k: tuple(v) for k, v in sorted(matched.items())}),
        runs=runs,
        run_total=parse.count(data, "runTotal") if "runTotal" in data else 0,
    )


def read_runs(data: Mapping[str, Any], f: Filters, dataset_id: int) -> Resolved:
    """:class:`Resolved` from the answer to :func:`plan_runs`' query."""
    whole = any(data[a] for a in data if a.startswith("t_"))
    run_ids = {int(n["id"]) for a in data if a.startswith("r_") for n in data[a]}
    own = bool(data.get("d_dataset"))
    deposited = {int(n["id"]) for a in data if a.startswith("dr_") for n in data[a]}
    text: frozenset[int] | None = None
    if f.search:
        text = frozenset({dataset_id}) if whole or run_ids else frozenset()
    deposition: frozenset[int] | None = None
    if f.deposition_ids:
        deposition = frozenset({dataset_id}) if own or deposited else frozenset()
    # Each part that does not hold the whole dataset narrows the runs.
    parts = []
    if f.search and not whole:
        parts.append(run_ids)
    if f.deposition_ids and not own:
        parts.append(deposited)
    return Resolved(
        text=text,
        deposition=deposition,
        run_ids=frozenset(set.intersection(*parts)) if parts else None,
    )


def runs_where(f: Filters, dataset_id: int, resolved: Resolved | None) -> Where | None:
    """The runs of ``dataset_id`` matching ``f``; None when nothing can match."""
    ids: Sequence[int] | None = None
    if resolved is not None:
        allowed = resolved.dataset_ids()
        if allowed is not None and dataset_id not in allowed:
            return None
        ids = [dataset_id]
    where = run_where(f, dataset_id, ids)
    if resolved is not None and resolved.run_ids is not None:
        mine = set(resolved.run_ids)
        if f.run_ids:
            mine &= set(f.run_ids)
        if not mine:
            return None
        where["id"] = {"_in": sorted(mine)}
    return where
