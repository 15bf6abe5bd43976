"""Facet counts: for each value of a filter, how many datasets would match with it.

Standard disjunctive faceting: a facet's counts apply every current filter except the
facet's own, so its other values stay visible with what choosing them would give.

Each facet is counted from the row that holds its value (an annotation for objects, a
tilt series for cameras...), with the filters rooted at that row
(:func:`~.where.where_for`), so the same-run and same-row rules hold in the counts
as they do in the listing. The rows are grouped by value and dataset id, and the
datasets of each value counted here. All facets are aliased aggregates of one request.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .filters import Filters
from .resolve import Resolved
from .schema import checked
from .where import Root, Where, conditions, where_for

Path = tuple[str, ...]

_WHERE_TYPES: dict[Root, tuple[str, str]] = {
    # root -> (aggregate root field, where clause type)
    "dataset": ("datasetsAggregate", "DatasetWhereClause"),
    "annotation": ("annotationsAggregate", "AnnotationWhereClause"),
    "shape": ("annotationShapesAggregate", "AnnotationShapeWhereClause"),
    "tiltseries": ("tiltseriesAggregate", "TiltseriesWhereClause"),
    "tomogram": ("tomogramsAggregate", "TomogramWhereClause"),
}
_DATASET_ID: dict[Root, Path] = {
    "dataset": ("id",),
    "annotation": ("run", "dataset", "id"),
    "shape": ("annotation", "run", "dataset", "id"),
    "tiltseries": ("run", "dataset", "id"),
    "tomogram": ("run", "dataset", "id"),
}


@dataclass(frozen=True)
class Part:
    """One aggregate that a facet counts from: its root and the group path of the value
    (and of a label shown beside it)."""

    root: Root
    value: Path
    label: Path | None = None


@dataclass(frozen=True)
class Facet:
    """A facet: its name, the filter field it leaves out, and where it counts from."""

    name: str
    title: str
    filter_field: str
    parts: tuple[Part, ...]


FACETS: tuple[Facet, ...] = (
    Facet("organism", "Organism", "organisms", (Part("dataset", ("organismName",)),)),
    Facet("object", "Object", "objects", (Part("annotation", ("objectName",)),)),
    Facet("shape", "Annotation shape", "shapes", (Part("shape", ("shapeType",)),)),
    Facet("method", "Method type", "methods", (Part("annotation", ("methodType",)),)),
    Facet("camera", "Camera", "cameras", (Part("tiltseries", ("cameraManufacturer",)),)),
    Facet(
        "microscope",
        "Microscope",
        "microscopes",
        (Part("tiltseries", ("microscopeManufacturer",)),),
    ),
    Facet(
        "reconstruction_method",
        "Reconstruction method",
        "reconstruction_methods",
        (Part("tomogram", ("reconstructionMethod",)),),
    ),
    Facet(
        "reconstruction_software",
        "Reconstruction software",
        "reconstruction_softwares",
        (Part("tomogram", ("reconstructionSoftware",)),),
    ),
    Facet(
        "tilt_quality",
        "Tilt-series quality",
        "tilt_quality_min",
        (Part("tiltseries", ("tiltSeriesQuality",)),),
    ),
    Facet(
        "deposition",
        "Deposition",
        "deposition_ids",
        (
            # A deposition holds a dataset, or annotations or tomograms within one.
            Part("dataset", ("deposition", "id"), ("deposition", "title")),
            Part("dataset", ("runs", "annotations", "deposition", "id")),
            Part("dataset", ("runs", "tomograms", "deposition", "id")),
        ),
    ),
)
FACETS_BY_NAME: dict[str, Facet] = {f.name: f for f in FACETS}


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet and the number of datasets that match with it."""

    facet: str
    value: Any
    datasets: int
    label: str | None = None
    selected: bool = False


def _selection(paths: Iterable[Path]) -> str:
    """A groupBy selection set holding every path (merged into one tree)."""
    tree: dict[str, Any] = {}
    for path in paths:
        node = tree
        for key in path:
            node = node.setdefault(key, {})

    def render(node: dict[str, Any]) -> str:
        return " ".join(k + (f" {{ {render(v)} }}" if v else "") for k, v in node.items())

    return render(tree)


def _alias(facet: Facet, index: int) -> str:
    return f"{facet.name}_{index}"


@functools.cache
def facets_query(names: tuple[str, ...]) -> str:
    """One request with an aggregate per part of each named facet."""
    variables, roots = [], []
    for name in names:
        facet = FACETS_BY_NAME[name]
        for i, part in enumerate(facet.parts):
            alias = _alias(facet, i)
            field_name, where_type = _WHERE_TYPES[part.root]
            paths = [part.value, _DATASET_ID[part.root]] + ([part.label] if part.label else [])
            variables.append(f"$w_{alias}: {where_type}!")
            roots.append(
                f"{alias}: {field_name}(where: $w_{alias}) "
                f"{{ aggregate {{ count groupBy {{ {_selection(paths)} }} }} }}"
            )
    return checked(f"query Facets({', '.join(variables)}) {{ {' '.join(roots)} }}")


def facets_variables(f: Filters, resolved: Resolved | None, names: Sequence[str]) -> dict[str, Any]:
    """The where clause of each aggregate: the filters without the facet's own."""
    variables: dict[str, Any] = {}
    for name in names:
        facet = FACETS_BY_NAME[name]
        own = facet.filter_field
        ids = None
        if resolved is not None:
            ids = resolved.dataset_ids(deposition=own != "deposition_ids")
        c = conditions(f.without(own), ids)
        for i, part in enumerate(facet.parts):
            where: Where = where_for(part.root, c)
            variables[f"w_{_alias(facet, i)}"] = where
    return variables


def _at(group: Mapping[str, Any] | None, path: Path) -> Any:
    value: Any = group
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def read_facets(
    data: Mapping[str, Any], f: Filters, names: Sequence[str]
) -> dict[str, list[FacetValue]]:
    """Count the datasets of each facet value in the answer to :func:`facets_query`.

    Values are ordered by count, then by value; a selected value that no dataset
    has is kept, with 0, so that it can still be removed.

    Raises
    ------
    KeyError, TypeError, ValueError
        The answer lacks an alias or holds something else than groups.
    """
    out: dict[str, list[FacetValue]] = {}
    for name in names:
        facet = FACETS_BY_NAME[name]
        datasets: dict[Any, set[int]] = {}
        labels: dict[Any, str] = {}
        for i, part in enumerate(facet.parts):
            for entry in data[_alias(facet, i)]["aggregate"] or ():
                group = entry.get("groupBy")
                value = _at(group, part.value)
                dataset_id = _at(group, _DATASET_ID[part.root])
                if value is None or dataset_id is None:
                    continue
                datasets.setdefault(value, set()).add(int(dataset_id))
                label = _at(group, part.label) if part.label else None
                if label:
                    labels[value] = str(label)
        chosen = _selected(f, facet)
        present = {str(v).lower() for v in datasets}
        for value in chosen:
            if str(value).lower() not in present:
                datasets[value] = set()
        ordered = sorted(datasets.items(), key=lambda kv: (-len(kv[1]), str(kv[0]).lower()))
        out[name] = [
            FacetValue(name, v, len(ids), labels.get(v), _is_selected(v, chosen))
            for v, ids in ordered
        ]
    return out


def _selected(f: Filters, facet: Facet) -> list[Any]:
    value = getattr(f, facet.filter_field)
    if value is None:
        return []
    if facet.name == "tilt_quality":
        return []  # a minimum, not a choice of values
    return list(value) if isinstance(value, tuple) else [value]


def _is_selected(value: Any, chosen: list[Any]) -> bool:
    if isinstance(value, str):
        return value.lower() in {str(c).lower() for c in chosen}
    return value in chosen
