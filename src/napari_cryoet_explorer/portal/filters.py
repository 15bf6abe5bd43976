"""The portal's dataset filters: their values, checked on creation, and their test
of rows already fetched.

A :class:`Filters` becomes GraphQL ``where`` clauses in :mod:`.where`; free text and
depositions are first resolved to dataset ids (:mod:`.resolve`).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from graphql import GraphQLEnumType

from .models import Annotation, Tomogram
from .schema import portal_schema

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
ONTOLOGY_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*:[A-Za-z0-9_.-]+$")
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
        names = [o for o in self.objects if not ONTOLOGY_ID.match(o)]
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
        by_id = all(ONTOLOGY_ID.match(o) for o in f.objects)
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
