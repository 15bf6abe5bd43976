"""Browsing by deposition: the depositions with their counts, and what one holds."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest

from napari_cryoet_explorer.cli import main
from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.portal.filters import Filters
from napari_cryoet_explorer.portal.ls import run_ls
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.replica.store import Store
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal


def _json(server: ReplicaServer, target: str | None, **kwargs: Any) -> list[dict[str, Any]]:
    out = io.StringIO()
    assert run_ls(target, url=server.url, as_json=True, out=out, **kwargs) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


def _runs_by_id(portal: GeneratedPortal) -> dict[int, dict[str, Any]]:
    return {r["id"]: r for r in portal.entities["Run"]}


def test_depositions_with_their_counts(
    tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal
) -> None:
    e = tiny_portal.entities
    rows = _json(tiny_replica, None, depositions=True)
    assert [r["id"] for r in rows] == sorted((d["id"] for d in e["Deposition"]), reverse=True)
    for row in rows:
        dep = row["id"]
        assert row["datasets"] == sum(d["depositionId"] == dep for d in e["Dataset"])
        assert row["tomograms"] == sum(t["depositionId"] == dep for t in e["Tomogram"])
        assert row["annotations"] == sum(a["depositionId"] == dep for a in e["Annotation"])
        types = {t["type"] for t in e["DepositionType"] if t["depositionId"] == dep}
        assert row["types"] == sorted(types)
    assert any(r["types"] == ["annotation"] and r["datasets"] == 0 for r in rows)


def test_an_annotation_only_deposition_lists_the_datasets_and_runs_it_annotated(
    tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal
) -> None:
    e = tiny_portal.entities
    (dep,) = [
        d["id"]
        for d in e["Deposition"]
        if {t["type"] for t in e["DepositionType"] if t["depositionId"] == d["id"]}
        == {"annotation"}
    ]
    runs = _runs_by_id(tiny_portal)
    annotated = {runs[a["runId"]]["datasetId"] for a in e["Annotation"] if a["depositionId"] == dep}
    f = Filters(deposition_ids=(dep,))
    assert [r["id"] for r in _json(tiny_replica, None, filters=f)] == sorted(annotated)
    dataset = min(annotated)
    expected = sorted(
        {
            runs[a["runId"]]["name"]
            for a in e["Annotation"]
            if a["depositionId"] == dep and runs[a["runId"]]["datasetId"] == dataset
        }
    )
    listed = [r["name"] for r in _json(tiny_replica, str(dataset), filters=f)]
    assert listed == expected and len(listed) < len(
        [r for r in runs.values() if r["datasetId"] == dataset]
    )


def test_depositions_page_in(
    portal_scale_store: Store, replica_factory: Callable[..., ReplicaServer]
) -> None:
    scale_server = replica_factory(portal_scale_store)
    with PortalClient(scale_server.url, page_size=50) as client:
        scale_server.clear_log()
        pages = list(client.iter_deposition_pages())
    assert scale_server.graphql_requests == len(pages) == 3
    ids = [d.id for p in pages for d in p]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids) == pages[0].total


def test_depositions_refuses_a_target(
    tiny_replica: ReplicaServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ls", "--url", tiny_replica.url, "--depositions", "10000"]) == 2
    assert "--depositions" in capsys.readouterr().err
