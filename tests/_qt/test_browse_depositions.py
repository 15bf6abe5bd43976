"""Browsing by deposition in the dock: depositions, their datasets, and those runs."""

from __future__ import annotations

from typing import Any

from napari_cryoet_explorer._qt.widget import ExplorerWidget
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal

TIMEOUT = 30_000


def _idle(widget: ExplorerWidget, qtbot: Any) -> None:
    qtbot.waitUntil(lambda: not widget.jobs.busy, timeout=TIMEOUT)


def _children(item: Any) -> list[str]:
    return [item.child(i).text(0) for i in range(item.childCount())]


def test_depositions_their_datasets_and_runs(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal, qtbot: Any
) -> None:
    e = tiny_portal.entities
    widget.connect_to_portal(tiny_replica.url)
    _idle(widget, qtbot)
    widget.browse.setCurrentText("depositions")
    _idle(widget, qtbot)
    top = [widget.tree.topLevelItem(i) for i in range(widget.tree.topLevelItemCount())]
    assert [t.text(0) for t in top] == [
        str(d["id"]) for d in sorted(e["Deposition"], key=lambda d: -d["id"])
    ]
    types = {d["id"]: set() for d in e["Deposition"]}
    for t in e["DepositionType"]:
        types[t["depositionId"]].add(t["type"])
    (only_annotations,) = [i for i, kinds in types.items() if kinds == {"annotation"}]
    row = next(t for t in top if t.text(0) == str(only_annotations))
    count = sum(a["depositionId"] == only_annotations for a in e["Annotation"])
    assert f"{count} annotations" in row.text(3) and "0 datasets" in row.text(3)

    # Selecting it shows its Deposition section (one detail request).
    widget.tree.setCurrentItem(row)
    qtbot.waitUntil(
        lambda: "Deposition Types" in widget.metadata.rows("Deposition"), timeout=TIMEOUT
    )
    (dep,) = [d for d in e["Deposition"] if d["id"] == only_annotations]
    assert widget.metadata.rows("Deposition")["Deposition Title"].text(1) == dep["title"]

    # Its datasets are those it annotated; under one, the runs holding its annotations.
    runs = {r["id"]: r for r in e["Run"]}
    mine = [a for a in e["Annotation"] if a["depositionId"] == only_annotations]
    row.setExpanded(True)
    _idle(widget, qtbot)
    assert _children(row) == sorted({str(runs[a["runId"]]["datasetId"]) for a in mine})
    dataset = row.child(0)
    dataset.setExpanded(True)
    _idle(widget, qtbot)
    expected = sorted(
        {
            runs[a["runId"]]["name"]
            for a in mine
            if str(runs[a["runId"]]["datasetId"]) == dataset.text(0)
        }
    )
    assert _children(dataset) == expected

    # Back to datasets: the plain listing.
    widget.browse.setCurrentText("datasets")
    _idle(widget, qtbot)
    assert [
        widget.tree.topLevelItem(i).text(0) for i in range(widget.tree.topLevelItemCount())
    ] == [
        "10000",
        "10001",
    ]
