"""The GraphQL ``where`` clauses that answer the portal's dataset filters.

Semantics, as the portal's nested ``where`` reads:

* different filters AND; repeated values of one filter OR;
* every condition below the dataset holds in the same run, and conditions on one
  entity hold on the same row: object, shape, method and ground truth on one
  annotation; camera, microscope, tilt range and quality on one tilt series;
  reconstruction method and software, fiducial status and voxel spacing on one
  tomogram.

The schema has no ``_or``, so free text and depositions (which match through several
relations) are first resolved to dataset ids in one small request
(:mod:`.resolve`); everything else is a single ``where`` clause, which
:func:`where_for` roots at any of the entities above, so that facets can count from
the row they group by.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from .filters import HAS_KINDS, ONTOLOGY_ID, Filters

Where = dict[str, Any]
Root = Literal["dataset", "run", "annotation", "shape", "tiltseries", "tomogram"]


# -- comparators -----------------------------------------------------------------------


def like_exact(text: str) -> str:
    """An ILIKE pattern matching ``text`` whole (its wildcards escaped)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def like_within(text: str) -> str:
    """An ILIKE pattern matching values that contain ``text``."""
    return f"%{like_exact(text)}%"


def _regex_escape(text: str) -> str:
    # Escapes read the same by Python's ``re`` and PostgreSQL's regular expressions.
    return "".join(c if c.isalnum() or c == " " else "\\" + c for c in text)


def one_of_ignoring_case(values: tuple[str, ...]) -> Where:
    """Comparators for "equal to one of ``values``, ignoring case"."""
    if len(values) == 1:
        return {"_ilike": like_exact(values[0])}
    return {"_iregex": "^(" + "|".join(_regex_escape(v) for v in values) + ")$"}


def _accessions_regex(groups: list[tuple[str, ...]]) -> str:
    """A regex holding when a comma-separated entry list names one of each group."""

    def any_of(values: tuple[str, ...]) -> str:
        alternatives = "|".join(_regex_escape(v) for v in values)
        return f"(^|[^0-9A-Za-z])({alternatives})([^0-9]|$)"

    if len(groups) == 1:
        return any_of(groups[0])
    return "^" + "".join(f"(?=.*{any_of(g)})" for g in groups)


def _range(lo: float | None, hi: float | None) -> Where:
    out: Where = {}
    if lo is not None:
        out["_gte"] = lo
    if hi is not None:
        out["_lte"] = hi
    return out


EXISTS: Where = {"id": {"_is_null": False}}


# -- conditions per entity ---------------------------------------------------------------


@dataclass
class Conditions:
    """The filters' conditions sorted by the row they hold on."""

    dataset: Where = field(default_factory=dict)
    run: Where = field(default_factory=dict)
    annotation: Where = field(default_factory=dict)
    shape: Where = field(default_factory=dict)
    tiltseries: Where = field(default_factory=dict)
    tomogram: Where = field(default_factory=dict)
    has: tuple[str, ...] = ()  # Run relations that must have a row


def conditions(f: Filters, dataset_ids: Iterable[int] | None = None) -> Conditions:
    """Sort the filters' conditions by entity.

    Parameters
    ----------
    f : Filters
        The filters; free text and depositions are not turned into conditions here.
    dataset_ids : iterable of int, optional
        Dataset ids that free text and depositions resolved to (see :mod:`.resolve`).
    """
    c = Conditions()
    ids: set[int] | None = set(f.dataset_ids) if f.dataset_ids else None
    if dataset_ids is not None:
        resolved = set(dataset_ids)
        ids = resolved if ids is None else ids & resolved
    if ids is not None:
        c.dataset["id"] = {"_in": sorted(ids)}
    if f.organisms:
        c.dataset["organismName"] = one_of_ignoring_case(f.organisms)
    author: Where = {}
    if f.author:
        author["name"] = {"_ilike": like_within(f.author)}
    if f.orcid:
        author["orcid"] = {"_ilike": like_exact(f.orcid.removeprefix("https://orcid.org/"))}
    if author:
        c.dataset["authors"] = author
    groups = [g for g in (f.empiar_ids, f.emdb_ids) if g]
    if groups:
        c.dataset["relatedDatabaseEntries"] = {"_iregex": _accessions_regex(groups)}
    if f.runs_min:
        c.dataset["runsAggregate"] = {"count": {"predicate": {"_gte": f.runs_min}}}

    if f.run_ids:
        c.run["id"] = {"_in": list(f.run_ids)}
    if f.run_name:
        c.run["name"] = {"_ilike": like_within(f.run_name)}

    if f.objects:
        by_id = all(ONTOLOGY_ID.match(o) for o in f.objects)
        c.annotation["objectId" if by_id else "objectName"] = one_of_ignoring_case(f.objects)
    if f.methods:
        c.annotation["methodType"] = {"_in": list(f.methods)}
    if f.ground_truth:
        c.annotation["groundTruthStatus"] = {"_eq": True}
    if f.shapes:
        c.shape["shapeType"] = {"_in": list(f.shapes)}

    if f.cameras:
        c.tiltseries["cameraManufacturer"] = one_of_ignoring_case(f.cameras)
    if f.microscopes:
        c.tiltseries["microscopeManufacturer"] = {"_in": list(f.microscopes)}
    tilt = _range(f.tilt_range_min, f.tilt_range_max)
    if tilt:
        c.tiltseries["tiltRange"] = tilt
    if f.tilt_quality_min is not None:
        c.tiltseries["tiltSeriesQuality"] = {"_gte": f.tilt_quality_min}

    if f.fiducial_alignment:
        c.tomogram["fiducialAlignmentStatus"] = {"_eq": f.fiducial_alignment}
    if f.reconstruction_methods:
        c.tomogram["reconstructionMethod"] = {"_in": list(f.reconstruction_methods)}
    if f.reconstruction_softwares:
        c.tomogram["reconstructionSoftware"] = one_of_ignoring_case(f.reconstruction_softwares)
    spacing = _range(f.voxel_spacing_min, f.voxel_spacing_max)
    if spacing:
        c.tomogram["voxelSpacing"] = spacing
    c.has = tuple(HAS_KINDS[k] for k in f.has)
    return c


def _annotation_row(c: Conditions) -> Where:
    row = dict(c.annotation)
    if c.shape:
        row["annotationShapes"] = dict(c.shape)
    return row


def _run_body(c: Conditions, *, skip: str | None = None) -> Where:
    """Conditions on a run (and, through it, on its rows), leaving out relation ``skip``
    whose conditions the root row itself carries."""
    body = dict(c.run)
    below = {
        "annotations": _annotation_row(c),
        "tiltseries": dict(c.tiltseries),
        "tomograms": dict(c.tomogram),
    }
    for relation, where in below.items():
        if relation != skip and where:
            body[relation] = where
    for relation in c.has:
        if relation != skip and relation not in body:
            body[relation] = dict(EXISTS)
    return body


def where_for(root: Root, c: Conditions) -> Where:
    """One ``where`` clause for rows of ``root`` that take part in a match.

    ``dataset`` gives the matching datasets, ``run`` the matching runs; the others the
    rows (annotations, shapes, tilt series, tomograms) that satisfy their own
    conditions in a run and dataset that satisfy theirs, which is what a facet
    counts from.
    """
    if root == "dataset":
        where = dict(c.dataset)
        body = _run_body(c)
        if body:
            where["runs"] = body
        return where
    skip = {"run": None, "annotation": "annotations", "shape": "annotations"}.get(root, root)
    run = _run_body(c, skip=skip)
    if c.dataset:
        run["dataset"] = dict(c.dataset)
    if root == "run":
        return run
    up: Where = {"run": run} if run else {}
    if root == "annotation":
        return {**_annotation_row(c), **up}
    if root == "shape":
        annotation = {**c.annotation, **up}
        return {**c.shape, **({"annotation": annotation} if annotation else {})}
    if root == "tiltseries":
        return {**c.tiltseries, **up}
    if root == "tomogram":
        return {**c.tomogram, **up}
    raise ValueError(f"unknown root {root!r}")


def dataset_where(f: Filters, dataset_ids: Iterable[int] | None = None) -> Where:
    """The ``DatasetWhereClause`` of the datasets matching ``f``."""
    return where_for("dataset", conditions(f, dataset_ids))


def run_where(f: Filters, dataset_id: int, dataset_ids: Iterable[int] | None = None) -> Where:
    """The ``RunWhereClause`` of the runs of dataset ``dataset_id`` matching ``f``."""
    where = where_for("run", conditions(f, dataset_ids))
    where["datasetId"] = {"_eq": int(dataset_id)}
    return where
