"""Listing the portal: our nested queries vs the official client's Model API walks.

Starts the replica on portal-scale metadata (600 datasets, one with 2,000 runs, about
30,000 runs) with a fixed latency per request, then measures, in one run:

* ours: ``PortalClient.datasets()`` (all datasets with run counts) and
  ``PortalClient.runs(largest)`` (its runs with voxel spacings and counts);
* the existing plugin's 0.5 pattern: ``Dataset.find`` then one ``Tomogram.find`` per
  dataset (measured in full, once);
* its 0.4 pattern: ``Dataset.find`` then ``.runs``, ``.tomogram_voxel_spacings`` and
  ``.tomograms`` for every node (measured on a sample, extrapolated per request from the
  store's exact node counts).

Usage: ``python benchmarks/listing.py [--latency-ms 50] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from cryoet_data_portal import Client, Dataset, Tomogram

from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.replica.store import Store
from napari_cryoet_explorer.synthetic.portal import PRESETS, portal_entities


def measure(server: ReplicaServer, action: Callable[[], Any], repeats: int) -> tuple[int, float]:
    """(GraphQL requests of one run, median wall seconds over ``repeats`` runs)."""
    times, requests = [], 0
    for _ in range(repeats):
        server.clear_log()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
        requests = server.graphql_requests
    return requests, statistics.median(times)


def walk_04(client: Client, datasets: list[Dataset]) -> None:
    """The 0.4 plugin's walk: every relationship, one request each."""
    for dataset in datasets:
        for run in dataset.runs:
            for spacing in run.tomogram_voxel_spacings:
                list(spacing.tomograms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sample-runs", type=int, default=100, help="0.4 walk sample")
    args = parser.parse_args()

    store = Store(portal_entities(PRESETS["portal"], np.random.default_rng(0)))
    counts = store.counts()
    largest = max(
        store.rows("Dataset"), key=lambda d: len(store.children("Run", "datasetId", d["id"]))
    )
    largest_runs = store.children("Run", "datasetId", largest["id"])
    largest_vs = sum(
        len(store.children("TomogramVoxelSpacing", "runId", r["id"])) for r in largest_runs
    )
    print(
        f"store: {counts['Dataset']} datasets, {counts['Run']} runs, "
        f"{counts['TomogramVoxelSpacing']} voxel spacings, {counts['Tomogram']} tomograms; "
        f"largest dataset {largest['id']}: {len(largest_runs)} runs, {largest_vs} voxel spacings"
    )
    rows: list[tuple[str, str, int, float, str]] = []
    with ReplicaServer(store, latency_ms=args.latency_ms) as server:
        ours = PortalClient(server.url)
        n, t = measure(server, ours.datasets, args.repeats)
        rows.append(("list all datasets", "ours (nested, paged)", n, t, "measured"))
        n, t = measure(server, lambda: ours.runs(largest["id"]), args.repeats)
        rows.append((f"expand dataset {largest['id']}", "ours (nested, paged)", n, t, "measured"))
        n, t = measure(server, lambda: next(ours.iter_dataset_pages()), args.repeats)
        rows.append(("first screen of datasets", "ours (nested, paged)", n, t, "measured"))

        official = Client(url=server.url)
        # 0.5: Dataset.find, then one Tomogram.find per dataset (all of them, measured).
        server.clear_log()
        start = time.perf_counter()
        datasets = Dataset.find(official)
        for d in datasets:
            Tomogram.find(official, [Tomogram.run.dataset_id == d.id])
        rows.append(
            (
                "list all datasets",
                "0.5 pattern (Tomogram.find per dataset)",
                server.graphql_requests,
                time.perf_counter() - start,
                "measured, one run",
            )
        )
        # 0.4: the relationship walk over whole datasets (sample), then extrapolated.
        by_id = {d.id: d for d in datasets}
        small = sorted(datasets, key=lambda d: len(store.children("Run", "datasetId", d.id)))[:3]
        server.clear_log()
        start = time.perf_counter()
        walk_04(official, small)
        elapsed, sent = time.perf_counter() - start, server.graphql_requests
        total = 1 + counts["Dataset"] + counts["Run"] + counts["TomogramVoxelSpacing"]
        rows.append(
            (
                "list all datasets",
                "0.4 walk (every relationship)",
                total,
                elapsed / sent * total,
                f"extrapolated from {sent} requests",
            )
        )
        # 0.4 expansion of the largest dataset: runs, then each run's spacings and tomograms.
        server.clear_log()
        start = time.perf_counter()
        runs = list(by_id[largest["id"]].runs)
        for run in runs[: args.sample_runs]:
            for spacing in run.tomogram_voxel_spacings:
                list(spacing.tomograms)
        elapsed, sent = time.perf_counter() - start, server.graphql_requests
        total = 1 + len(largest_runs) + largest_vs
        rows.append(
            (
                f"expand dataset {largest['id']}",
                "0.4 walk (every relationship)",
                total,
                elapsed / sent * total,
                f"extrapolated from {sent} requests",
            )
        )

    print(
        f"\nlatency {args.latency_ms:g} ms per request; medians of {args.repeats} runs for ours\n"
    )
    print("| action | client | requests | wall time (s) | how |")
    print("| --- | --- | ---: | ---: | --- |")
    for action, who, n, t, how in rows:
        print(f"| {action} | {who} | {n:,} | {t:,.2f} | {how} |")


if __name__ == "__main__":
    main()
