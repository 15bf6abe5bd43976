"""What the dock widget's workers run: one level of the tree, a search, facet counts, a
node's details (from the portal, or from a download folder), and the reader steps of an
Open. Each call opens its own portal client, since the gql transport is not thread-safe.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..io import LayerData
from ..local.details import local_details
from ..local.tree import LocalSource
from ..net.cache_counts import counts as cache_counts
from ..opening import Step, origin_note
from ..portal.client import PortalClient
from ..portal.depositions import Deposition
from ..portal.details import fetch_details
from ..portal.facets import FacetValue
from ..portal.filters import Filters
from ..portal.models import Dataset, Run, SearchResult, VoxelSpacing, VoxelSpacingContents


def is_local(source: str) -> bool:
    """Whether ``source`` is a folder of downloaded data rather than a portal URL."""
    return Path(source).expanduser().is_dir()


def dataset_pages(source: str) -> Iterator[Sequence[Dataset]]:
    if is_local(source):
        yield LocalSource(Path(source).expanduser()).datasets()
        return
    with PortalClient(source) as client:
        yield from client.iter_dataset_pages()


def search(source: str, text: str) -> SearchResult:
    if is_local(source):
        datasets = LocalSource(Path(source).expanduser()).search(text)
        return SearchResult(tuple(datasets), (), 0)
    with PortalClient(source) as client:
        return client.search(text)


def run_pages(
    source: str, dataset: Dataset, filters: Filters | None = None
) -> Iterator[Sequence[Run]]:
    if is_local(source):
        yield LocalSource(Path(source).expanduser()).runs(dataset)
        return
    with PortalClient(source) as client:
        if filters is None or filters.is_empty():
            yield from client.iter_run_pages(dataset.id)
        else:
            yield from client.iter_filtered_run_pages(dataset.id, filters)


def filtered_dataset_pages(source: str, filters: Filters) -> Iterator[Sequence[Dataset]]:
    """Datasets matching ``filters``, a page at a time (the server filters)."""
    with PortalClient(source) as client:
        yield from client.iter_filtered_dataset_pages(filters)


def deposition_pages(source: str) -> Iterator[Sequence[Deposition]]:
    with PortalClient(source) as client:
        yield from client.iter_deposition_pages()


def facets(source: str, filters: Filters) -> dict[str, list[FacetValue]]:
    with PortalClient(source) as client:
        return client.facets(filters)


def contents(source: str, spacing: VoxelSpacing) -> VoxelSpacingContents:
    if is_local(source):
        return LocalSource(Path(source).expanduser()).contents(spacing)
    with PortalClient(source) as client:
        return client.voxel_spacing_contents(spacing.id)


def details(source: str, model: Any) -> Mapping[str, Any]:
    """A node's details: from the download's JSON files, or one request to the portal."""
    if is_local(source):
        return local_details(model)
    with PortalClient(source) as client:
        return fetch_details(client, model)


StepResult = tuple[str, list[LayerData] | None, str | None, str]


def run_steps(steps: list[Step]) -> Iterator[StepResult]:
    """Run reader steps in a worker, yielding each step's layers (or its error) and
    where its data came from (a download, the on-disk cache, or the network: empty)."""
    for step in steps:
        before = cache_counts(step.url) if step.url else None
        try:
            layers = step.run()
        except Exception as exc:  # one bad file must not stop the others
            yield step.label, None, f"{step.label}: {exc}", ""
            continue
        read = cache_counts(step.url) - before if step.url and before is not None else None
        yield step.label, layers, None, origin_note(step, read)
