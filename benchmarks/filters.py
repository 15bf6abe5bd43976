"""Filters and facets: GraphQL requests and wall time per filtered listing, at two latencies.

Starts the replica on portal-scale metadata (600 datasets, one with 2,000 runs, about
30,000 runs) and, for a handful of representative filter sets, measures:

* the first page of matching datasets (``next(iter_filtered_dataset_pages(filters))``);
* all matching datasets (every page of ``iter_filtered_dataset_pages(filters)``);
* all facet counts (``facets(filters)``);
* the matching runs of one dataset (every page of ``iter_filtered_run_pages``), the
  matching dataset with the most runs.

Each is timed at ``--latency-ms`` added to every request and at 0 ms, alternating
within each repeat, so the server's own cost (0 ms) and the cost of the round trips
(the difference) are read side by side. Request counts are exact, checked identical
over every repeat at both latencies; times are medians of ``--repeats`` runs.

Usage: ``python benchmarks/filters.py [--latency-ms 50] [--repeats 3]``

Notes
-----
The budget the filters were built to: a filtered first page in at most 2 requests (the
second resolves free text or depositions to dataset ids), all facets in at most 3, and
never a request per dataset.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.portal.filters import Filters
from napari_cryoet_explorer.portal.models import Dataset
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.replica.store import Store
from napari_cryoet_explorer.synthetic.presets import PRESETS
from napari_cryoet_explorer.synthetic.scale import portal_entities

_GROUND_TRUTH: dict[str, Any] = {"ground_truth": True, "objects": ("ribosome",)}
_IMAGING: dict[str, Any] = {
    "organisms": ("Escherichia coli",),
    "cameras": ("Gatan",),
    "tilt_range_min": 100,
}
_PROCESSING: dict[str, Any] = {"tilt_quality_min": 4, "reconstruction_softwares": ("IMOD",)}
_TEXT: dict[str, Any] = {"search": "nuclear pore"}
_DEPOSITION: dict[str, Any] = {"deposition_ids": (9,)}

FILTER_SETS: dict[str, Filters] = {
    "no filter": Filters(),
    "ground truth + object ribosome": Filters(**_GROUND_TRUTH),
    "organism E. coli + camera Gatan + tilt range >= 100": Filters(**_IMAGING),
    "tilt quality >= 4 + software IMOD": Filters(**_PROCESSING),
    'text "nuclear pore"': Filters(**_TEXT),
    "deposition 9": Filters(**_DEPOSITION),
    "all of the above": Filters(**_GROUND_TRUTH, **_IMAGING, **_PROCESSING, **_TEXT, **_DEPOSITION),
}


@dataclass(frozen=True)
class Row:
    """One measured action: what it found, its requests, and median seconds per latency."""

    filters: str
    action: str
    found: str
    requests: int
    seconds: dict[float, float]


def measure(
    server: ReplicaServer,
    action: Callable[[], str],
    latencies: tuple[float, ...],
    repeats: int,
) -> tuple[str, int, dict[float, float]]:
    """Time ``action`` at each latency, alternating latencies within each repeat.

    Parameters
    ----------
    server : ReplicaServer
        The running replica; its ``latency_ms`` knob is set before every run.
    action : callable
        Does the work and returns a description of what it found.
    latencies : tuple of float
        Added latencies per request, in ms.
    repeats : int
        Runs per latency.

    Returns
    -------
    found : str
        What the last run found.
    requests : int
        GraphQL requests of one run (the same in every run).
    seconds : dict of float to float
        Median wall seconds per latency.

    Raises
    ------
    RuntimeError
        If the runs did not all send the same number of requests.
    """
    times: dict[float, list[float]] = {latency: [] for latency in latencies}
    counts: set[int] = set()
    found = ""
    for _ in range(repeats):
        for latency in latencies:
            server.latency_ms = latency
            server.clear_log()
            start = time.perf_counter()
            found = action()
            times[latency].append(time.perf_counter() - start)
            counts.add(server.graphql_requests)
    if len(counts) != 1:
        raise RuntimeError(f"request counts differ between runs: {sorted(counts)}")
    return found, counts.pop(), {k: statistics.median(v) for k, v in times.items()}


def first_page(client: PortalClient, filters: Filters) -> str:
    """The first page of matching datasets: ``"250 of 600"``."""
    page = next(iter(client.iter_filtered_dataset_pages(filters)), None)
    if page is None:
        return "0"
    return f"{len(page):,} of {page.total or len(page):,}"


def all_datasets(client: PortalClient, filters: Filters) -> list[Dataset]:
    """Every matching dataset, page after page."""
    return [d for page in client.iter_filtered_dataset_pages(filters) for d in page]


def all_facets(client: PortalClient, filters: Filters) -> str:
    """All facet counts: ``"10 facets, 57 values"``."""
    counts = client.facets(filters)
    values = sum(len(v) for v in counts.values())
    return f"{len(counts)} facets, {values} values"


def dataset_runs(client: PortalClient, dataset: Dataset, filters: Filters) -> str:
    """The matching runs of ``dataset``: ``"dataset 10000: 48 of 2,000 runs"``."""
    runs = sum(len(p) for p in client.iter_filtered_run_pages(dataset.id, filters))
    return f"dataset {dataset.id}: {runs:,} of {dataset.run_count:,} runs"


def measure_filters(
    server: ReplicaServer,
    client: PortalClient,
    filters: Filters,
    name: str,
    latencies: tuple[float, ...],
    repeats: int,
) -> list[Row]:
    """The four actions under one filter set (runs only if some dataset matches)."""
    rows = []
    found, n, t = measure(server, lambda: first_page(client, filters), latencies, repeats)
    rows.append(Row(name, "first page of datasets", found, n, t))
    matching: list[Dataset] = []

    def every_dataset() -> str:
        matching[:] = all_datasets(client, filters)
        return f"{len(matching):,}"

    found, n, t = measure(server, every_dataset, latencies, repeats)
    rows.append(Row(name, "all matching datasets", found, n, t))
    found, n, t = measure(server, lambda: all_facets(client, filters), latencies, repeats)
    rows.append(Row(name, "all facets", found, n, t))
    if matching:
        largest = max(matching, key=lambda d: (d.run_count, -d.id))
        found, n, t = measure(
            server, lambda: dataset_runs(client, largest, filters), latencies, repeats
        )
        rows.append(Row(name, "runs of the largest matching dataset", found, n, t))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.latency_ms <= 0 or args.repeats < 1:
        parser.error("--latency-ms must be positive and --repeats at least 1")
    latencies = (0.0, args.latency_ms)

    store = Store(portal_entities(PRESETS["portal"], np.random.default_rng(0)))
    counts = store.counts()
    print(
        f"store: {counts['Dataset']} datasets, {counts['Run']} runs, "
        f"{counts['Tiltseries']} tilt series, {counts['Tomogram']} tomograms, "
        f"{counts['Annotation']} annotations",
        flush=True,
    )
    rows: list[Row] = []
    with ReplicaServer(store, warm=True) as server:
        client = PortalClient(server.url)
        for name, filters in FILTER_SETS.items():
            measured = measure_filters(server, client, filters, name, latencies, args.repeats)
            for row in measured:
                print(f"{name}: {row.action}: {row.found}, {row.requests} requests", flush=True)
            rows += measured

    zero, latency = latencies
    print(f"\nmedians of {args.repeats} runs at each latency\n")
    print(
        f"| filters | action | found | requests | {zero:g} ms (s) | {latency:g} ms (s) |\n"
        "| --- | --- | --- | ---: | ---: | ---: |"
    )
    for r in rows:
        print(
            f"| {r.filters} | {r.action} | {r.found} | {r.requests} "
            f"| {r.seconds[zero]:.2f} | {r.seconds[latency]:.2f} |"
        )


if __name__ == "__main__":
    main()
