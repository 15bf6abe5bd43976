"""Server-side search against brute-force answers computed from the generated rows."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.replica.store import Store
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal

TEXT_FIELDS = ("title", "description", "organismName", "cellName", "tissueName")


def expected(store: Store, text: str) -> tuple[set[int], set[tuple[int, str]]]:
    """Datasets a search for ``text`` must find, and the (dataset, run) names matching."""
    needle = text.strip().lower()
    found = {
        d["id"]
        for d in store.rows("Dataset")
        if any(needle in str(d.get(k) or "").lower() for k in TEXT_FIELDS) or needle == str(d["id"])
    }
    runs = {r["id"]: r for r in store.rows("Run")}
    named = {(r["datasetId"], r["name"]) for r in runs.values() if needle in r["name"].lower()}
    found |= {dataset_id for dataset_id, _ in named}
    found |= {
        runs[a["runId"]]["datasetId"]
        for a in store.rows("Annotation")
        if needle in str(a.get("objectName") or "").lower()
    }
    return found, named


def _texts(store: Store) -> dict[str, str]:
    """Search texts of each kind, taken from the data."""
    datasets = store.rows("Dataset")
    last = datasets[-1]
    runs = [r for r in store.rows("Run") if r["datasetId"] == last["id"]]
    objects = sorted({a["objectName"] for a in store.rows("Annotation")})
    return {
        "organism, other case": str(last["organismName"]).upper(),
        "title word": str(last["title"]).split()[1],
        "tissue": str(last["tissueName"]),
        "dataset id": str(last["id"]),
        "run name": runs[-1]["name"],
        "object": objects[-1],
        "nothing": "no such thing",
        "like wildcards typed": "%_",
    }


KINDS = [
    "organism, other case",
    "title word",
    "tissue",
    "dataset id",
    "run name",
    "object",
    "nothing",
    "like wildcards typed",
]


@pytest.fixture(scope="module")
def tiny_store(tiny_portal: GeneratedPortal) -> Store:
    return Store(tiny_portal.entities)


@pytest.mark.parametrize("kind", KINDS)
def test_search_tiny(tiny_replica: ReplicaServer, tiny_store: Store, kind: str) -> None:
    text = _texts(tiny_store)[kind]
    datasets, runs = expected(tiny_store, text)
    if kind not in ("nothing", "like wildcards typed"):
        assert datasets  # the text is in the data
    client = PortalClient(tiny_replica.url)

    found = client.search(text)

    assert [d.id for d in found.datasets] == sorted(datasets)
    assert {(r.dataset_id, r.name) for r in found.runs} == runs
    assert found.run_total == len(runs)
    assert tiny_replica.graphql_requests == 1 + math.ceil(len(datasets) / client.page_size)


def test_search_reports_what_matched(tiny_replica: ReplicaServer, tiny_store: Store) -> None:
    texts = _texts(tiny_store)
    client = PortalClient(tiny_replica.url)
    last = tiny_store.rows("Dataset")[-1]["id"]
    assert "id" in client.search(texts["dataset id"]).matched_by[last]
    assert "run" in client.search(texts["run name"]).matched_by[last]
    assert "organism" in client.search(texts["organism, other case"]).matched_by[last]
    with pytest.raises(ValueError, match="empty"):
        client.search("  ")


@pytest.mark.parametrize("kind", KINDS)
def test_search_at_portal_scale(
    portal_scale_store: Store, replica_factory: Callable[..., ReplicaServer], kind: str
) -> None:
    server = replica_factory(portal_scale_store)
    text = _texts(portal_scale_store)[kind]
    datasets, runs = expected(portal_scale_store, text)
    client = PortalClient(server.url)

    first = next(client.iter_datasets_by_id(client.search_hits(text).dataset_ids), None)
    assert server.graphql_requests == (2 if datasets else 1)  # the first screen
    assert (first is None) == (not datasets)
    found = client.search(text)

    assert {d.id for d in found.datasets} == datasets
    assert {(r.dataset_id, r.name) for r in found.runs} == runs
    assert all(d.run_count > 0 for d in found.datasets)


def test_run_matches_are_capped_but_counted(
    portal_scale_store: Store, replica_factory: Callable[..., ReplicaServer]
) -> None:
    server = replica_factory(portal_scale_store)
    _, runs = expected(portal_scale_store, "TS_0")
    assert len(runs) > 100
    found = PortalClient(server.url).search("TS_0", run_limit=100)
    assert len(found.runs) == 100 and found.run_total == len(runs)
    assert [(r.dataset_id, r.name) for r in found.runs] == sorted(runs)[:100]
