"""The portal client: lists the tree level by level in a handful of requests."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from . import parse, queries
from .errors import PortalError
from .models import Dataset, Run, VoxelSpacing, VoxelSpacingContents
from .schema import default_url
from .transport import RetryPolicy, Transport

DEFAULT_PAGE_SIZE = 250
MAX_CHILDREN = 1000


@dataclass(frozen=True)
class SearchResult:
    """Datasets matching a search, and the runs whose names matched."""

    datasets: tuple[Dataset, ...]
    runs: tuple[tuple[int, str], ...]  # (dataset id, run name)


class PortalClient:
    """Reads the CryoET Data Portal's tree with nested, paged GraphQL queries.

    Cheap to create; not thread-safe: use one client per thread.

    Parameters
    ----------
    url : str, optional
        GraphQL endpoint; defaults to the public portal.
    page_size : int
        Children per request when listing datasets or runs.
    timeout_s : float
        Read timeout of one request.
    retry : RetryPolicy, optional
        Retry behaviour for 502/503/504, timeouts and connection failures.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        timeout_s: float = 60.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.url = url or default_url()
        self.page_size = page_size
        self.transport = Transport(self.url, timeout_s=timeout_s, retry=retry)

    def close(self) -> None:
        """Release the HTTP session."""
        self.transport.close()

    def __enter__(self) -> PortalClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- datasets -----------------------------------------------------------------

    def iter_dataset_pages(self, where: dict[str, Any] | None = None) -> Iterator[list[Dataset]]:
        """Datasets (with run counts) a page at a time; the first page costs one request."""
        yield from self._pages(queries.datasets_page, "datasets", where, parse.dataset)

    def datasets(self, where: dict[str, Any] | None = None) -> list[Dataset]:
        """Every dataset, in id order."""
        return [d for page in self.iter_dataset_pages(where) for d in page]

    def dataset(self, dataset_id: int) -> Dataset:
        """One dataset by id."""
        found = self.datasets({"id": {"_eq": int(dataset_id)}})
        if not found:
            raise PortalError(f"no dataset {dataset_id} at {self.url}")
        return found[0]

    # -- runs ---------------------------------------------------------------------

    def iter_run_pages(self, dataset_id: int, name_like: str | None = None) -> Iterator[list[Run]]:
        """Runs of a dataset, a page at a time, with voxel spacings and counts."""
        where: dict[str, Any] = {"datasetId": {"_eq": int(dataset_id)}}
        if name_like:
            where["name"] = {"_ilike": name_like}
        yield from self._pages(queries.runs_page, "runs", where, parse.run)

    def runs(self, dataset_id: int) -> list[Run]:
        """Every run of a dataset, by name."""
        return [r for page in self.iter_run_pages(dataset_id) for r in page]

    def run(self, dataset_id: int, run_name: str) -> Run:
        """One run of a dataset by name."""
        where = {"datasetId": {"_eq": int(dataset_id)}, "name": {"_eq": run_name}}
        found = [
            r for page in self._pages(queries.runs_page, "runs", where, parse.run) for r in page
        ]
        if not found:
            raise PortalError(f"no run {run_name!r} in dataset {dataset_id} at {self.url}")
        return found[0]

    # -- voxel spacings -------------------------------------------------------------

    def voxel_spacing_contents(self, voxel_spacing_id: int) -> VoxelSpacingContents:
        """Tomograms of a voxel spacing and the run's annotations, in one request.

        Annotation files are those at this voxel spacing; use
        :func:`~napari_cryoet_explorer.portal.models.files_for_tomogram` to keep the
        ones whose alignment matches a tomogram.
        """
        data = self.transport.execute(
            queries.voxel_spacing_contents(), {"id": int(voxel_spacing_id), "first": MAX_CHILDREN}
        )
        nodes = data.get("tomogramVoxelSpacings") or []
        if not nodes:
            raise PortalError(f"no voxel spacing {voxel_spacing_id} at {self.url}")
        node = nodes[0]
        annotations = [
            parse.annotation(n) for n in parse._nodes((node.get("run") or {}).get("annotations"))
        ]
        return VoxelSpacingContents(
            voxel_spacing=parse.voxel_spacing(node),
            tomograms=tuple(parse.tomogram(n) for n in parse._nodes(node.get("tomograms"))),
            annotations=tuple(a for a in annotations if a.files),
        )

    def find_voxel_spacing(self, run: Run, spacing: float) -> VoxelSpacing:
        """The voxel spacing of ``run`` closest to ``spacing`` Angstrom (within 0.001)."""
        for vs in run.voxel_spacings:
            if math.isclose(vs.voxel_spacing, spacing, abs_tol=1e-3):
                return vs
        have = ", ".join(f"{v.voxel_spacing:.3f}" for v in run.voxel_spacings) or "none"
        raise PortalError(f"run {run.name} has no voxel spacing {spacing:.3f} (has {have})")

    # -- search ---------------------------------------------------------------------

    def search(self, text: str) -> SearchResult:
        """Datasets whose title, description, organism, cell or tissue, run names or
        annotated object names contain ``text`` (case-insensitive), or whose id it is.

        One request.
        """
        text = text.strip()
        numeric = text.isdigit()
        variables: dict[str, Any] = {"text": f"%{_escape_like(text)}%"}
        if numeric:
            variables["id"] = int(text)
        data = self.transport.execute(queries.search(numeric), variables)
        found: dict[int, Dataset] = {}
        for key in (
            "byId",
            "byTitle",
            "byDescription",
            "byOrganism",
            "byCell",
            "byTissue",
            "byRun",
            "byObject",
        ):
            for node in data.get(key) or []:
                found.setdefault(int(node["id"]), parse.dataset(node))
        runs = tuple((int(r["datasetId"]), str(r["name"])) for r in data.get("runs") or [])
        return SearchResult(tuple(found[k] for k in sorted(found)), runs)

    # -- paging ---------------------------------------------------------------------

    def _pages(
        self, make_query: Any, root: str, where: dict[str, Any] | None, parse_node: Any
    ) -> Iterator[list[Any]]:
        # The first page asks for the total too, so the number of requests is the
        # number of pages exactly (no empty page to find the end).
        offset, total = 0, None
        while total is None or offset < total:
            variables = {"where": where or {}, "limit": self.page_size, "offset": offset}
            data = self.transport.execute(make_query(total is None), variables)
            if total is None:
                aggregate = (data.get("total") or {}).get("aggregate") or [{}]
                total = int(aggregate[0].get("count") or 0)
            nodes = data.get(root) or []
            if nodes:
                yield [parse_node(n) for n in nodes]
            if len(nodes) < self.page_size:
                break
            offset += len(nodes)


def _escape_like(text: str) -> str:
    """Escape LIKE wildcards typed by the user."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


__all__ = ["PortalClient", "SearchResult", "VoxelSpacing"]
