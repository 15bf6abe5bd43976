"""The portal client: reads the tree level by level, one request per page of children."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from ..net.limits import Limits
from . import depositions, facets, parse, queries, resolve, search
from .answers import connection, guarded, parse_list, root_list
from .depositions import Deposition
from .errors import PortalNotFoundError, PortalResponseError
from .facets import FacetValue
from .filters import Filters
from .models import Dataset, Page, Run, SearchResult, VoxelSpacing, VoxelSpacingContents
from .resolve import Resolved
from .schema import default_url
from .search import SearchHits
from .transport import RetryPolicy, Transport
from .where import dataset_where

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 250
# Children per connection page under a voxel spacing (tomograms, annotation files).
CONTENTS_PAGE_SIZE = 500
# Runs listed with a search result (their total is reported beside them).
SEARCH_RUN_LIMIT = 500


class PortalClient:
    """Reads the CryoET Data Portal's tree with nested, paged GraphQL queries.

    Cheap to create (the schema is parsed once per process); not thread-safe: use one
    client per thread, e.g. through :func:`.thread_clients.thread_client`.

    Parameters
    ----------
    url : str, optional
        GraphQL endpoint; defaults to the public portal.
    page_size : int
        Datasets or runs per request.
    timeout_s : float, optional
        Total timeout of one request (default ``Limits.request_s``, from the environment).
    retry : RetryPolicy, optional
        Retry behaviour for 429/502/503/504, resets, timeouts and refused connections;
        retries also end when the call's deadline (``Limits.deadline_s``) is spent.
    limits : Limits, optional
        Timeouts, deadline and answer cap (default: from the environment).

    Raises
    ------
    PortalURLError
        ``url`` is not an http(s) URL.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        timeout_s: float | None = None,
        retry: RetryPolicy | None = None,
        limits: Limits | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError(f"page_size must be positive, got {page_size}")
        self.url = url or default_url()
        self.page_size = page_size
        self.transport = Transport(self.url, timeout_s=timeout_s, retry=retry, limits=limits)

    def close(self) -> None:
        """Release the HTTP session."""
        self.transport.close()

    def __enter__(self) -> PortalClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def requests_sent(self) -> int:
        """HTTP requests sent so far, retries included."""
        return self.transport.requests_sent

    # -- datasets -------------------------------------------------------------------

    def iter_dataset_pages(self, where: Mapping[str, Any] | None = None) -> Iterator[Page[Dataset]]:
        """Datasets with run counts, in id order, a page (one request) at a time.

        Parameters
        ----------
        where : Mapping, optional
            A ``DatasetWhereClause``, e.g. ``{"organismName": {"_ilike": "%coli%"}}``.
        """
        yield from self._pages(queries.datasets_page, "datasets", where, parse.dataset)

    def iter_deposition_pages(
        self, where: Mapping[str, Any] | None = None
    ) -> Iterator[Page[Deposition]]:
        """Depositions, newest first, with their dataset, tomogram and annotation counts,
        a page (one request) at a time."""
        yield from self._pages(
            depositions.depositions_page, "depositions", where, depositions.deposition
        )

    def datasets(self, where: Mapping[str, Any] | None = None) -> list[Dataset]:
        """Every dataset (matching ``where``), in id order."""
        return [d for page in self.iter_dataset_pages(where) for d in page]

    def iter_datasets_by_id(self, ids: Sequence[int]) -> Iterator[Page[Dataset]]:
        """The datasets with these ids, in the order given, a page at a time."""
        for start in range(0, len(ids), self.page_size):
            chunk = [int(i) for i in ids[start : start + self.page_size]]
            variables = {"where": {"id": {"_in": chunk}}, "limit": len(chunk), "offset": 0}
            data = self.transport.execute(queries.datasets_page(False), variables)
            found = {d.id: d for d in parse_list(self.url, data, "datasets", parse.dataset)}
            yield Page(tuple(found[i] for i in chunk if i in found), start, len(ids))

    def dataset(self, dataset_id: int) -> Dataset:
        """One dataset by id (one request).

        Raises
        ------
        PortalNotFoundError
            The portal has no dataset of that id.
        """
        found = self.datasets({"id": {"_eq": int(dataset_id)}})
        if not found:
            raise PortalNotFoundError(f"no dataset {dataset_id} at {self.url}", url=self.url)
        return found[0]

    # -- runs -----------------------------------------------------------------------

    def iter_run_pages(self, dataset_id: int, name_like: str | None = None) -> Iterator[Page[Run]]:
        """Runs of a dataset by name, with voxel spacings and counts, a page at a time.

        Parameters
        ----------
        dataset_id : int
            The dataset.
        name_like : str, optional
            An ILIKE pattern on run names (``%`` any text, ``_`` any character).
        """
        where: dict[str, Any] = {"datasetId": {"_eq": int(dataset_id)}}
        if name_like:
            where["name"] = {"_ilike": name_like}
        yield from self._pages(queries.runs_page, "runs", where, parse.run)

    def runs(self, dataset_id: int) -> list[Run]:
        """Every run of a dataset, by name."""
        return [r for page in self.iter_run_pages(dataset_id) for r in page]

    def run(self, dataset_id: int, run_name: str) -> Run:
        """One run of a dataset by name (one request).

        Raises
        ------
        PortalNotFoundError
            There is no such dataset (said first: one more request on that path only),
            or the dataset has no run of that name.
        """
        where = {"datasetId": {"_eq": int(dataset_id)}, "name": {"_eq": run_name}}
        found = [
            r for page in self._pages(queries.runs_page, "runs", where, parse.run) for r in page
        ]
        if not found:
            self.dataset(dataset_id)  # raises "no dataset" when that is what is missing
            raise PortalNotFoundError(
                f"no run {run_name!r} in dataset {dataset_id} at {self.url}", url=self.url
            )
        return found[0]

    # -- voxel spacings ---------------------------------------------------------------

    def voxel_spacing_contents(self, voxel_spacing_id: int) -> VoxelSpacingContents:
        """Tomograms of a voxel spacing and the run's annotations at it, in one request.

        Annotation files are those at this voxel spacing, of every alignment; use
        :func:`~napari_cryoet_explorer.portal.models.files_for_tomogram` to keep those
        that line up with one tomogram. More than ``CONTENTS_PAGE_SIZE`` tomograms or
        files take one more request per further page.

        Raises
        ------
        PortalNotFoundError
            The portal has no voxel spacing of that id.
        """
        variables: dict[str, Any] = {
            "id": int(voxel_spacing_id),
            "first": CONTENTS_PAGE_SIZE,
            "withTomograms": True,
            "tomogramsAfter": None,
            "withFiles": True,
            "filesAfter": None,
        }
        spacing_node: Mapping[str, Any] | None = None
        tomogram_nodes: list[Mapping[str, Any]] = []
        file_nodes: list[Mapping[str, Any]] = []
        while variables["withTomograms"] or variables["withFiles"]:
            data = self.transport.execute(queries.voxel_spacing_contents(), variables)
            found = root_list(self.url, data, "tomogramVoxelSpacings")
            if not found:
                raise PortalNotFoundError(
                    f"no voxel spacing {voxel_spacing_id} at {self.url}", url=self.url
                )
            node = found[0]
            spacing_node = spacing_node or node
            for key, into, flag, cursor in (
                ("tomograms", tomogram_nodes, "withTomograms", "tomogramsAfter"),
                ("annotationFiles", file_nodes, "withFiles", "filesAfter"),
            ):
                if not variables[flag]:
                    continue
                children = connection(self.url, node, key)
                page = guarded(self.url, parse.nodes, children)
                into.extend(page)
                page_info = children.get("pageInfo") or {}
                variables[flag] = bool(page_info.get("hasNextPage"))
                variables[cursor] = page_info.get("endCursor")
                if variables[flag] and (not page or variables[cursor] is None):
                    # A next page that cannot be reached would loop forever.
                    raise PortalResponseError(
                        f"{self.url} announced more {key} but gave no cursor to them",
                        url=self.url,
                    )
        assert spacing_node is not None
        return VoxelSpacingContents(
            voxel_spacing=guarded(self.url, parse.voxel_spacing, spacing_node),
            tomograms=tuple(guarded(self.url, parse.tomogram, n) for n in tomogram_nodes),
            annotations=guarded(self.url, parse.annotations_from_files, file_nodes),
        )

    def find_voxel_spacing(self, run: Run, spacing: float) -> VoxelSpacing:
        """The voxel spacing of ``run`` equal to ``spacing`` Angstrom (within 0.001).

        Raises
        ------
        PortalNotFoundError
            The run has no such voxel spacing.
        """
        for vs in run.voxel_spacings:
            if math.isclose(vs.voxel_spacing, spacing, abs_tol=1e-3):
                return vs
        have = ", ".join(f"{v.voxel_spacing:.3f}" for v in run.voxel_spacings) or "none"
        raise PortalNotFoundError(
            f"run {run.name} has no voxel spacing {spacing:.3f} (has {have}) at {self.url}",
            url=self.url,
        )

    # -- search -----------------------------------------------------------------------

    def search_hits(self, text: str, *, run_limit: int = SEARCH_RUN_LIMIT) -> SearchHits:
        """Which datasets match ``text``, and the runs named like it: one request.

        Matches, case-insensitively, text within a dataset's title, description,
        organism, cell or tissue name, its runs' names or its annotated objects'
        names, and a dataset id given as digits. Fetch the datasets themselves with
        :meth:`iter_datasets_by_id`.

        Raises
        ------
        ValueError
            ``text`` is empty.
        """
        if not text.strip():
            raise ValueError("empty search text")
        query, variables = search.hits_variables(text, run_limit)
        data = self.transport.execute(query, variables)
        return guarded(self.url, search.read_hits, data)

    def search(self, text: str, *, run_limit: int = SEARCH_RUN_LIMIT) -> SearchResult:
        """Datasets matching ``text`` (see :meth:`search_hits`) and the matching runs.

        Costs one request plus one per page of matching datasets.
        """
        hits = self.search_hits(text, run_limit=run_limit)
        datasets = tuple(d for page in self.iter_datasets_by_id(hits.dataset_ids) for d in page)
        return SearchResult(datasets, hits.runs, hits.run_total, hits.matched_by)

    # -- filters ----------------------------------------------------------------------

    def resolve(
        self, filters: Filters, *, dataset_id: int | None = None, run_limit: int = SEARCH_RUN_LIMIT
    ) -> Resolved | None:
        """Resolve free text and depositions to ids: one request, or none if ``filters``
        has neither.

        Parameters
        ----------
        filters : Filters
            The filters.
        dataset_id : int, optional
            Resolve within one dataset (which of its runs the text names).
        run_limit : int
            Runs named like the text to return with a dataset listing.
        """
        if dataset_id is None:
            plan = resolve.plan_datasets(filters, run_limit)
            if plan is None:
                return None
            data = self.transport.execute(*plan)
            return guarded(self.url, resolve.read_datasets, data, filters)
        plan = resolve.plan_runs(filters, dataset_id)
        if plan is None:
            return None
        data = self.transport.execute(*plan)
        return guarded(self.url, resolve.read_runs, data, filters, int(dataset_id))

    def iter_filtered_dataset_pages(
        self, filters: Filters, resolved: Resolved | None = None
    ) -> Iterator[Page[Dataset]]:
        """Datasets matching ``filters``, in id order, a page (one request) at a time.

        ``resolved`` is what :meth:`resolve` gave for these filters (it is resolved
        here, one request more, when the filters need it and it is not given).
        """
        if resolved is None and filters.needs_resolving:
            resolved = self.resolve(filters)
        ids = resolved.dataset_ids() if resolved is not None else None
        if ids is not None and not ids:
            return
        yield from self.iter_dataset_pages(dataset_where(filters, ids))

    def iter_filtered_run_pages(
        self, dataset_id: int, filters: Filters, resolved: Resolved | None = None
    ) -> Iterator[Page[Run]]:
        """Runs of one dataset matching ``filters``, by name, a page at a time."""
        if resolved is None and filters.needs_resolving:
            resolved = self.resolve(filters, dataset_id=dataset_id)
        where = resolve.runs_where(filters, dataset_id, resolved)
        if where is None:
            return
        yield from self._pages(queries.runs_page, "runs", where, parse.run)

    def facets(
        self,
        filters: Filters,
        names: Sequence[str] | None = None,
        resolved: Resolved | None = None,
    ) -> dict[str, list[FacetValue]]:
        """For each value of each facet, the number of datasets matching with it.

        Disjunctive: a facet's counts apply every filter but its own. One request
        for all facets, plus one to resolve free text and depositions when
        ``resolved`` is not given and the filters need it.
        """
        chosen = tuple(names) if names else tuple(f.name for f in facets.FACETS)
        unknown = [n for n in chosen if n not in facets.FACETS_BY_NAME]
        if unknown:
            raise ValueError(f"unknown facet {unknown[0]!r}")
        if resolved is None and filters.needs_resolving:
            resolved = self.resolve(filters)
        variables = facets.facets_variables(filters, resolved, chosen)
        data = self.transport.execute(facets.facets_query(chosen), variables)
        return guarded(self.url, facets.read_facets, data, filters, chosen)

    # -- paging and checking ----------------------------------------------------------

    def _pages(
        self,
        make_query: Callable[[bool], str],
        root: str,
        where: Mapping[str, Any] | None,
        parse_node: Callable[[Mapping[str, Any]], T],
    ) -> Iterator[Page[T]]:
        # The first page asks for the total too, so the number of requests is the
        # number of pages exactly (no trailing empty page to find the end).
        offset, total = 0, None
        while total is None or offset < total:
            variables = {"where": dict(where or {}), "limit": self.page_size, "offset": offset}
            data = self.transport.execute(make_query(total is None), variables)
            items = parse_list(self.url, data, root, parse_node)
            if total is None:
                total = guarded(self.url, parse.count, data, "total")
            if items:
                yield Page(tuple(items), offset, total)
            if len(items) < self.page_size:
                break
            offset += len(items)


__all__ = ["PortalClient", "SearchHits"]
