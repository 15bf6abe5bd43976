"""The portal's dataset filters, and the GraphQL ``where`` clauses that answer them.

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

import functools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from graphql import GraphQLEnumType

from .models import Annotation, Tomogram
from .schema import portal_schema

Where = dict[str, Any]
Root = Literal["dataset", "run", "annotation", "shape", "tiltseries", "tomogram"]

# ``--has`` kinds -> the Run relation that holds them.
HAS_KINDS: dict[str, str] = {
    "annotations": "annotations",
    "tomograms": "tomograms",
    "tilt-series": "tiltseries",
    "frames": "frames",
    "ctf": "perSectionParameters",  # per-tilt CTF estimates (defocus, astigmatism)
    "alignments": "alignments",
}
TILT_QUALITY_RANGE = (1, 5)
# An ontology id (``GO:0022626``, ``UniProtKB:P0A7V8``) rather than an object name.
_ONTOLOGY_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*:[A-Za-z0-9_.-]+$")
_ACCESSION = {"empiar": "EMPIAR-", "emdb": "EMD-"}


class FilterError(ValueError):
    """A filter value the portal cannot answer: the message says which and why."""


@functools.cache
def enum_values(enum_name: str) -> tuple[str, ...]:
    """The values of an enum of the portal's schema, in schema order."""
    enum = portal_schema().get_type(enum_name)
    assert isinstance(enum, GraphQLEnumType), enum_name
    return tuple(enum.values)


def _enum_choice(values: Iterable[str], enum_name: str, what: str) -> tuple[str, ...]:
    """``values`` spelled as the enum spells them (matched case-insensitively)."""
    choices = enum_values(enum_name)
    by_lower = {c.lower(): c for c in choices}
    out = []
    for value in values:
        key = value.strip().lower().replace("-", "_").replace(" ", "_")
        match = by_lower.get(key) or by_lower.get(key.replace("_", ""))
        if match is None:
            raise FilterError(f"unknown {what} {value!r}; choose from {', '.join(choices)}")
        out.append(match)
    return tuple(dict.fromkeys(out))


def _strings(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))


def _accession(value: str, kind: str) -> str:
    """``10499`` or ``EMPIAR-10499`` as ``EMPIAR-10499`` (``EMD-`` for EMDB)."""
    prefix = _ACCESSION[kind]
    text = value.strip().upper()
    digits = text.removeprefix(prefix).removeprefix(prefix.rstrip("-"))
    if not digits.isdigit():
        raise FilterError(f"{kind.upper()} id must be a number or {prefix}NNNN, got {value!r}")
    return prefix + digits


def _finite(value: float | None, what: str, *, positive: bool = False) -> float | None:
    if value is None:
        return None
    if not math.isfinite(value):
        raise FilterError(f"{what} must be a finite number, got {value}")
    if positive and value <= 0:
        raise FilterError(f"{what} must be positive, got {value}")
    return float(value)


@dataclass(frozen=True)
class Filters:
    """The portal's dataset filters; empty fields filter nothing.

    Values are checked and normalised on creation (enum values spelled as the schema
    spells them, accessions as ``EMPIAR-NNNN``): a value the portal cannot answer
    raises :class:`FilterError` naming it.
    """

    search: str = ""
    ground_truth: bool = False
    has: tuple[str, ...] = ()
    runs_min: int | None = None
    dataset_ids: tuple[int, ...] = ()
    run_ids: tuple[int, ...] = ()
    deposition_ids: tuple[int, ...] = ()
    empiar_ids: tuple[str, ...] = ()
    emdb_ids: tuple[str, ...] = ()
    run_name: str = ""
    author: str = ""
    orcid: str = ""
    organisms: tuple[str, ...] = ()
    objects: tuple[str, ...] = ()
    shapes: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    cameras: tuple[str, ...] = ()
    microscopes: tuple[str, ...] = ()
    tilt_range_min: float | None = None
    tilt_range_max: float | None = None
    tilt_quality_min: int | None = None
    fiducial_alignment: str | None = None
    reconstruction_methods: tuple[str, ...] = ()
    reconstruction_softwares: tuple[str, ...] = ()
    voxel_spacing_min: float | None = None
    voxel_spacing_max: float | None = None

    def __post_init__(self) -> None:
        put = functools.partial(object.__setattr__, self)
        put("search", self.search.strip())
        put("run_name", self.run_name.strip())
        put("author", self.author.strip())
        put("orcid", self.orcid.strip())
        unknown = [k for k in self.has if k not in HAS_KINDS]
        if unknown:
            raise FilterError(
                f"unknown data type {unknown[0]!r}; choose from {', '.join(HAS_KINDS)}"
            )
        put("has", tuple(dict.fromkeys(self.has)))
        if self.runs_min is not None and self.runs_min < 0:
            raise FilterError(f"number of runs must be 0 or more, got {self.runs_min}")
        for name in ("dataset_ids", "run_ids", "deposition_ids"):
            ids = tuple(dict.fromkeys(int(i) for i in getattr(self, name)))
            if any(i < 0 for i in ids):
                raise FilterError(f"{name.replace('_', ' ')} must not be negative: {ids}")
            put(name, ids)
        put("empiar_ids", tuple(dict.fromkeys(_accession(v, "empiar") for v in self.empiar_ids)))
        put("emdb_ids", tuple(dict.fromkeys(_accession(v, "emdb") for v in self.emdb_ids)))
        for name in ("organisms", "objects", "cameras", "reconstruction_softwares"):
            put(name, _strings(getattr(self, name)))
        put("shapes", _enum_choice(self.shapes, "annotation_file_shape_type_enum", "shape"))
        put("methods", _enum_choice(self.methods, "annotation_method_type_enum", "method"))
        put(
            "microscopes",
            _enum_choice(self.microscopes, "tiltseries_microscope_manufacturer_enum", "microscope"),
        )
        put(
            "reconstruction_methods",
            _enum_choice(
                self.reconstruction_methods,
                "tomogram_reconstruction_method_enum",
                "reconstruction method",
            ),
        )
        if self.fiducial_alignment:
            (status,) = _enum_choice(
                [self.fiducial_alignment], "fiducial_alignment_status_enum", "fiducial alignment"
            )
            put("fiducial_alignment", status)
        else:
            put("fiducial_alignment", None)
        lo = _finite(self.tilt_range_min, "minimum tilt range")
        hi = _finite(self.tilt_range_max, "maximum tilt range")
        for value, what in ((lo, "minimum"), (hi, "maximum")):
            if value is not None and not 0 <= value <= 360:
                raise FilterError(f"{what} tilt range must be 0-360 degrees, got {value:g}")
        if lo is not None and hi is not None and lo > hi:
            raise FilterError(f"tilt range minimum {lo:g} is above its maximum {hi:g}")
        q = self.tilt_quality_min
        if q is not None and not TILT_QUALITY_RANGE[0] <= q <= TILT_QUALITY_RANGE[1]:
            raise FilterError(f"tilt-series quality must be 1-5, got {q}")
        vlo = _finite(self.voxel_spacing_min, "minimum voxel spacing", positive=True)
        vhi = _finite(self.voxel_spacing_max, "maximum voxel spacing", positive=True)
        if vlo is not None and vhi is not None and vlo > vhi:
            raise FilterError(f"voxel spacing minimum {vlo:g} is above its maximum {vhi:g}")
        names = [o for o in self.objects if not _ONTOLOGY_ID.match(o)]
        if names and len(names) < len(self.objects):
            # One annotation row cannot test "name in A or id in B" without ``_or``.
            raise FilterError(
                "give objects either by name or by ontology id (GO:..., UniProtKB:...), "
                "not both in one search"
            )

    # -- views ----------------------------------------------------------------------

    def is_empty(self) -> bool:
        """True when nothing is filtered."""
        return self == Filters()

    def active(self) -> list[str]:
        """The names of the fields that filter something."""
        empty = Filters()
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(empty, f.name)]

    def without(self, *names: str) -> Filters:
        """These filters with the named fields cleared (a facet's own, for its counts)."""
        empty = Filters()
        return replace(self, **{n: getattr(empty, n) for n in names})

    @property
    def needs_resolving(self) -> bool:
        """Whether free text or depositions must first be resolved to dataset ids."""
        return bool(self.search or self.deposition_ids)

    def chips(self) -> list[tuple[str, str]]:
        """``(field, "label: value")`` for each active filter, as the widget shows them."""
        out = []
        for name in self.active():
            value = getattr(self, name)
            label = LABELS.get(name, name.replace("_", " "))
            if isinstance(value, tuple):
                text = " or ".join(str(v) for v in value)
            elif isinstance(value, bool):
                text = "yes"
            elif isinstance(value, float):
                text = f"{value:g}"
            else:
                text = str(value)
            out.append((name, f"{label}: {text}"))
        return out


LABELS: dict[str, str] = {
    "search": "text",
    "ground_truth": "ground truth",
    "has": "data types",
    "runs_min": "runs at least",
    "dataset_ids": "dataset id",
    "run_ids": "run id",
    "deposition_ids": "deposition",
    "empiar_ids": "EMPIAR",
    "emdb_ids": "EMDB",
    "run_name": "run name",
    "author": "author",
    "orcid": "ORCID",
    "organisms": "organism",
    "objects": "object",
    "shapes": "shape",
    "methods": "method",
    "cameras": "camera",
    "microscopes": "microscope",
    "tilt_range_min": "tilt range at least",
    "tilt_range_max": "tilt range at most",
    "tilt_quality_min": "tilt quality at least",
    "fiducial_alignment": "fiducial alignment",
    "reconstruction_methods": "reconstruction method",
    "reconstruction_softwares": "reconstruction software",
    "voxel_spacing_min": "voxel spacing at least",
    "voxel_spacing_max": "voxel spacing at most",
}


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
        by_id = all(_ONTOLOGY_ID.match(o) for o in f.objects)
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


def filters_from(values: Mapping[str, Any]) -> Filters:
    """:class:`Filters` from a mapping of field names (unknown names are an error)."""
    known = {f.name for f in fields(Filters)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise FilterError(f"unknown filters {unknown}")
    converted: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if v is not None
    }
    return Filters(**converted)


# -- rows already fetched ------------------------------------------------------------------


def _equal_ignoring_case(value: Any, choices: tuple[str, ...]) -> bool:
    return isinstance(value, str) and value.lower() in {c.lower() for c in choices}


def annotation_filters(f: Filters) -> bool:
    """Whether ``f`` has conditions on the annotation row."""
    return bool(f.objects or f.methods or f.ground_truth or f.shapes)


def tomogram_filters(f: Filters) -> bool:
    """Whether ``f`` has conditions on the tomogram row."""
    return bool(
        f.fiducial_alignment
        or f.reconstruction_methods
        or f.reconstruction_softwares
        or f.voxel_spacing_min is not None
        or f.voxel_spacing_max is not None
    )


def matches_annotation(f: Filters, annotation: Annotation) -> bool:
    """Whether one annotation meets the annotation-row filters (object, shape, method,
    ground truth), read the same way as the server's ``where``."""
    fields_ = annotation.fields
    if f.objects:
        by_id = all(_ONTOLOGY_ID.match(o) for o in f.objects)
        value = fields_.get("objectId") if by_id else annotation.object_name
        if not _equal_ignoring_case(value, f.objects):
            return False
    if f.methods and annotation.method_type not in f.methods:
        return False
    if f.ground_truth and annotation.ground_truth_status is not True:
        return False
    return not f.shapes or any(s.shape_type in f.shapes for s in annotation.shapes)


def matches_tomogram(f: Filters, tomogram: Tomogram) -> bool:
    """Whether one tomogram meets the tomogram-row filters."""
    fields_ = tomogram.fields
    if f.fiducial_alignment and fields_.get("fiducialAlignmentStatus") != f.fiducial_alignment:
        return False
    if f.reconstruction_methods and tomogram.reconstruction_method not in (
        f.reconstruction_methods
    ):
        return False
    if f.reconstruction_softwares and not _equal_ignoring_case(
        fields_.get("reconstructionSoftware"), f.reconstruction_softwares
    ):
        return False
    lo, hi = f.voxel_spacing_min, f.voxel_spacing_max
    return (lo is None or tomogram.voxel_spacing >= lo) and (
        hi is None or tomogram.voxel_spacing <= hi
    )
