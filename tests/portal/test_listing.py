"""Listing the tree at portal scale costs one request per page, never one per child."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable

import pytest

from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.replica.store import Store


@pytest.fixture
def portal_replica(
    portal_scale_store: Store, replica_factory: Callable[..., ReplicaServer]
) -> ReplicaServer:
    """The replica on portal-scale metadata (about 600 datasets, 30,000 runs)."""
    return replica_factory(portal_scale_store)


def _runs_by_dataset(store: Store) -> Counter[int]:
    return Counter(r["datasetId"] for r in store.rows("Run"))


@pytest.mark.parametrize("page_size", [250, 500])
def test_datasets_cost_one_request_per_page(
    portal_replica: ReplicaServer, portal_scale_store: Store, page_size: int
) -> None:
    expected_runs = _runs_by_dataset(portal_scale_store)
    n_datasets = len(portal_scale_store.rows("Dataset"))
    assert n_datasets >= 500  # the test is about scale
    client = PortalClient(portal_replica.url, page_size=page_size)

    pages = client.iter_dataset_pages()
    first = next(pages)
    assert portal_replica.graphql_requests == 1  # a UI shows the first page now
    assert len(first) == min(page_size, n_datasets) and first.total == n_datasets
    rest = [d for page in pages for d in page]
    datasets = list(first) + rest

    assert portal_replica.graphql_requests == math.ceil(n_datasets / page_size)
    assert [d.id for d in datasets] == sorted(r["id"] for r in portal_scale_store.rows("Dataset"))
    assert {d.id: d.run_count for d in datasets} == {d.id: expected_runs[d.id] for d in datasets}


def test_runs_of_the_largest_dataset_cost_one_request_per_page(
    portal_replica: ReplicaServer, portal_scale_store: Store
) -> None:
    dataset_id, n_runs = _runs_by_dataset(portal_scale_store).most_common(1)[0]
    assert n_runs >= 2000
    client = PortalClient(portal_replica.url, page_size=250)

    runs = client.runs(dataset_id)

    assert portal_replica.graphql_requests == math.ceil(n_runs / 250)
    assert len(runs) == n_runs and len({r.id for r in runs}) == n_runs
    assert [r.name for r in runs] == sorted(r.name for r in runs)
    # Voxel spacings and counts come along, checked against the store for a sample.
    tomograms = Counter(t["runId"] for t in portal_scale_store.rows("Tomogram"))
    annotations = Counter(a["runId"] for a in portal_scale_store.rows("Annotation"))
    spacings: dict[int, list[float]] = {}
    for vs in portal_scale_store.rows("TomogramVoxelSpacing"):
        spacings.setdefault(vs["runId"], []).append(vs["voxelSpacing"])
    for run in runs[::97]:
        assert run.dataset_id == dataset_id
        assert run.tomogram_count == tomograms[run.id]
        assert run.annotation_count == annotations[run.id]
        assert [v.voxel_spacing for v in run.voxel_spacings] == sorted(spacings[run.id])
        assert all(v.run_id == run.id and v.tomogram_count >= 1 for v in run.voxel_spacings)


def test_voxel_spacing_contents_cost_one_request(
    portal_replica: ReplicaServer, portal_scale_store: Store
) -> None:
    client = PortalClient(portal_replica.url)
    run = client.runs(10000)[0]
    portal_replica.clear_log()

    contents = client.voxel_spacing_contents(run.voxel_spacings[0].id)

    assert portal_replica.graphql_requests == 1
    vs_id = run.voxel_spacings[0].id
    assert {t.id for t in contents.tomograms} == {
        t["id"] for t in portal_scale_store.rows("Tomogram") if t["tomogramVoxelSpacingId"] == vs_id
    }
    files = [f for a in contents.annotations for f in a.files]
    assert files and {f.id for f in files} == {
        f["id"]
        for f in portal_scale_store.rows("AnnotationFile")
        if f["tomogramVoxelSpacingId"] == vs_id
    }


def test_contents_page_on_when_a_voxel_spacing_holds_many(
    tiny_replica: ReplicaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import napari_cryoet_explorer.portal.client as client_module

    client = PortalClient(tiny_replica.url)
    vs = client.runs(10000)[0].voxel_spacings[0]
    whole = client.voxel_spacing_contents(vs.id)
    n_files = sum(len(a.files) for a in whole.annotations)
    assert len(whole.tomograms) >= 2 and n_files >= 3

    monkeypatch.setattr(client_module, "CONTENTS_PAGE_SIZE", 1)
    tiny_replica.clear_log()
    paged = client.voxel_spacing_contents(vs.id)

    assert paged == whole
    assert tiny_replica.graphql_requests == max(len(whole.tomograms), n_files)
