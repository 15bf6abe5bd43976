"""The portal client against the replica: request counts, retries, errors, search."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import pytest

from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.portal.errors import (
    PortalConnectionError,
    PortalHTTPError,
    PortalResponseError,
)
from napari_cryoet_explorer.portal.models import files_for_tomogram
from napari_cryoet_explorer.portal.transport import RetryPolicy
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.replica.store import Store
from napari_cryoet_explorer.replica.synthetic import GeneratedPortal

FAST_RETRY = RetryPolicy(attempts=8, backoff_s=0.01, max_backoff_s=0.05)


def test_listing_costs_one_request_per_page(
    portal_scale_store: Store, replica_factory: Callable[..., ReplicaServer]
) -> None:
    server = replica_factory(portal_scale_store)
    client = PortalClient(server.url, page_size=250)

    first = next(client.iter_dataset_pages())
    assert server.graphql_requests == 1  # the first screen after one request
    assert len(first) == 250

    server.clear_log()
    datasets = client.datasets()
    assert len(datasets) == 600
    assert server.graphql_requests == math.ceil(600 / 250)
    largest = max(datasets, key=lambda d: d.run_count)
    assert (largest.id, largest.run_count) == (10000, 2000)
    assert sum(d.run_count for d in datasets) == portal_scale_store.counts()["Run"]

    server.clear_log()
    runs = client.runs(largest.id)
    assert len(runs) == 2000
    assert server.graphql_requests == math.ceil(2000 / 250)
    assert all(r.voxel_spacings and r.tomogram_count >= 1 for r in runs)
    assert [r.name for r in runs] == sorted(r.name for r in runs)

    server.clear_log()
    contents = client.voxel_spacing_contents(runs[0].voxel_spacings[0].id)
    assert server.graphql_requests == 1
    assert contents.tomograms and contents.annotations


def test_listing_survives_503s(
    portal_scale_store: Store, replica_factory: Callable[..., ReplicaServer]
) -> None:
    clean = PortalClient(replica_factory(portal_scale_store).url).datasets()
    flaky = replica_factory(portal_scale_store, error_rate=0.2, seed=3)
    client = PortalClient(flaky.url, page_size=50, retry=FAST_RETRY)
    assert client.datasets() == clean
    statuses = [r.status for r in flaky.records("graphql")]
    assert 503 in statuses  # retries happened
    assert statuses.count(200) == math.ceil(600 / client.page_size)


def test_voxel_spacing_contents_and_alignment_matching(
    tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal
) -> None:
    client = PortalClient(tiny_replica.url)
    run = client.run(10000, "TS_001")
    assert [v.voxel_spacing for v in run.voxel_spacings] == [10.0, 20.0]
    assert run.tilt_series_quality is not None
    contents = client.voxel_spacing_contents(client.find_voxel_spacing(run, 10.0).id)
    by_alignment = {t.alignment_id: t for t in contents.tomograms}
    assert len(by_alignment) == 2
    for alignment_id, tomogram in by_alignment.items():
        matched = files_for_tomogram(contents.annotations, tomogram)
        assert matched
        assert all(f.alignment_id == alignment_id for _, f in matched)
        assert all(f.voxel_spacing_id == tomogram.voxel_spacing_id for _, f in matched)
    shapes = {f.shape_type for _, f in files_for_tomogram(contents.annotations, by_alignment[1])}
    assert shapes == {
        "OrientedPoint",
        "Point",
        "SegmentationMask",
        "InstanceSegmentation",
        "InstanceSegmentationMask",
    }
    tomogram = by_alignment[1]
    assert tomogram.https_omezarr_dir and tomogram.https_omezarr_dir.startswith(
        tiny_replica.files_url
    )
    # Every scalar field comes along for the metadata panel.
    assert {"reconstructionMethod", "processing", "sizeX", "scale0Dimensions"} <= set(
        tomogram.fields
    )
    assert "organismName" in client.dataset(10000).fields


def test_search(tiny_replica: ReplicaServer) -> None:
    client = PortalClient(tiny_replica.url)
    assert [d.id for d in client.search("algal").datasets] == [10001]
    assert [d.id for d in client.search("CHLAMYDOMONAS").datasets] == [10001]
    assert [d.id for d in client.search("10000").datasets] == [10000]
    by_run = client.search("TS_101")
    assert [d.id for d in by_run.datasets] == [10001]
    assert by_run.runs == ((10001, "TS_101"),)
    assert [d.id for d in client.search("vesicle").datasets] == [10000, 10001]
    assert client.search("no such thing").datasets == ()
    tiny_replica.clear_log()
    client.search("ribosome")
    assert tiny_replica.graphql_requests == 1


def test_clear_errors(tiny_replica: ReplicaServer) -> None:
    wrong_path = tiny_replica.url.replace("/graphql", "/api")
    with pytest.raises(PortalHTTPError, match=wrong_path):
        PortalClient(wrong_path).datasets()
    with pytest.raises(PortalConnectionError, match="not an http"):
        PortalClient("ftp://example.invalid/graphql")
    dead = "http://127.0.0.1:9/graphql"
    start = time.perf_counter()
    with pytest.raises(PortalConnectionError, match=dead):
        PortalClient(dead, retry=RetryPolicy(backoff_s=0.05)).datasets()
    assert time.perf_counter() - start < 5
    files = tiny_replica.files_url + "/10000/dataset_metadata.json"
    with pytest.raises(PortalHTTPError):
        PortalClient(files).datasets()  # a file server is not a GraphQL endpoint (405)


def test_answer_that_does_not_fit(tiny_replica: ReplicaServer) -> None:
    client = PortalClient(tiny_replica.url)
    with pytest.raises(PortalResponseError, match="GraphQL errors"):
        client.transport.execute("{ datasets { notAField } }")
    tiny_replica.error_rate = 1.0
    try:
        with pytest.raises(PortalHTTPError, match="503"):
            PortalClient(tiny_replica.url, retry=RetryPolicy(attempts=2, backoff_s=0.01)).datasets()
    finally:
        tiny_replica.error_rate = 0.0
