"""Metadata grouped as the portal documents it: each node kind, from the portal (one
request) and from a download's JSON files; NA for absent confidence; alignment groups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from napari_cryoet_explorer.local.details import local_details
from napari_cryoet_explorer.local.tree import LocalSource
from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.portal.details import fetch_deposition, fetch_details
from napari_cryoet_explorer.portal.metadata_rows import Row, Section
from napari_cryoet_explorer.portal.models import Annotation, Dataset, Run, Tomogram
from napari_cryoet_explorer.portal.sections import kind_of, sections_for
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal


def _rows(sections: list[Section], title: str) -> dict[str, Row]:
    (section,) = [s for s in sections if s.title == title]
    return {r.label: r for r in section.rows}


def _titles(sections: list[Section]) -> list[str]:
    return [s.title for s in sections]


def _entity(portal: GeneratedPortal, type_name: str, **match: Any) -> dict[str, Any]:
    (row,) = [r for r in portal.entities[type_name] if all(r[k] == v for k, v in match.items())]
    return row


@pytest.fixture
def client(tiny_replica: ReplicaServer) -> Any:
    with PortalClient(tiny_replica.url) as c:
        yield c


def _sections(client: PortalClient, server: ReplicaServer, model: Any) -> list[Section]:
    server.clear_log()
    node = fetch_details(client, model)
    assert server.graphql_requests == 1  # a node's panel is one round trip
    kind = kind_of(model)
    assert kind is not None
    return sections_for(kind, node)


def test_dataset_sections(
    client: PortalClient, tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal
) -> None:
    dataset = client.dataset(10000)
    sections = _sections(client, tiny_replica, dataset)
    assert _titles(sections) == ["Dataset", "Sample and experiment conditions", "Deposition"]
    row = _entity(tiny_portal, "Dataset", id=10000)
    rows = _rows(sections, "Dataset")
    assert rows["Title"].value == row["title"]
    assert rows["Deposition Date"].value == row["depositionDate"][:10]
    authors = sorted(
        (a for a in tiny_portal.entities["DatasetAuthor"] if a["datasetId"] == 10000),
        key=lambda a: a["authorListOrder"],
    )
    listed = rows["Authors"].children
    assert [c.label.split(" (")[0] for c in listed] == [a["name"] for a in authors]
    assert listed[0].link == f"https://orcid.org/{authors[0]['orcid']}"
    primary = [c for c, a in zip(listed, authors, strict=True) if a["primaryAuthorStatus"]]
    assert primary and all("primary author" in c.label for c in primary)
    grants = [f for f in tiny_portal.entities["DatasetFunding"] if f["datasetId"] == 10000]
    assert grants and all(
        f["fundingAgencyName"] in rows["Funding"].value and f["grantId"] in rows["Funding"].value
        for f in grants
    )
    related = rows["Related Databases"]
    assert "EMPIAR-" in related.value
    assert any(c.link and "empiar" in c.link for c in related.children) or (
        related.link and "empiar" in related.link
    )
    assert rows["Publications"].value == row["datasetPublications"]
    sample = _rows(sections, "Sample and experiment conditions")
    assert sample["Organism Name"].value == row["organismName"]
    assert (
        sample["NCBI Taxonomy ID"].link
        and str(row["organismTaxid"]) in sample["NCBI Taxonomy ID"].link
    )
    assert _rows(sections, "Deposition")["Deposition ID"].value == str(row["depositionId"])


def test_run_sections_show_the_tilt_series(
    client: PortalClient, tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal
) -> None:
    run = client.run(10000, "TS_001")
    sections = _sections(client, tiny_replica, run)
    assert _titles(sections)[:2] == ["Run", "Tilt series"]
    ts = _entity(tiny_portal, "Tiltseries", runId=run.id)
    rows = _rows(sections, "Tilt series")
    assert ts["cameraModel"] in rows["Camera Model"].value
    assert rows["Acceleration Voltage"].value == f"{ts['accelerationVoltage'] // 1000} kV"
    assert rows["Spherical Aberration Constant"].value.endswith("mm")
    assert rows["Total Flux"].value.endswith("e⁻/Å²")
    assert rows["Tilt Range"].value.startswith(f"{ts['tiltMin']:g}")
    quality = rows["Tilt Series Quality"].value
    assert quality.startswith(f"{ts['tiltSeriesQuality']} ") and ":" in quality


def test_tomogram_sections_show_alignment_and_spacings(
    client: PortalClient, tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal
) -> None:
    run = client.run(10000, "TS_001")
    contents = client.voxel_spacing_contents(run.voxel_spacings[0].id)
    tomogram = contents.tomograms[0]
    sections = _sections(client, tiny_replica, tomogram)
    rows = _rows(sections, "Tomogram")
    row = _entity(tiny_portal, "Tomogram", id=tomogram.id)
    assert f"({row['reconstructionMethod']})" in rows["Reconstruction Method"].value
    assert rows["Reconstruction Software"].value == row["reconstructionSoftware"]
    assert rows["Voxel Spacing"].value == f"{row['voxelSpacing']:g} Å"
    assert "56" in rows["Size (x, y, z)"].value and "24" in rows["Size (x, y, z)"].value
    assert rows["Alignment ID"].value == str(row["alignmentId"])
    assert rows["Affine Transformation Matrix"].value.startswith("[[1, 0, 0, 0]")
    assert rows["Smallest Available Voxel Spacing"].value == "10 Å"


def test_annotation_sections_and_na_confidence(
    client: PortalClient, tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal
) -> None:
    run = client.run(10000, "TS_001")
    contents = client.voxel_spacing_contents(run.voxel_spacings[0].id)
    by_id = {a.id: a for a in contents.annotations}
    rows_of = {a["id"]: a for a in tiny_portal.entities["Annotation"] if a["id"] in by_id}
    measured = [a for a in rows_of.values() if a["confidencePrecision"] is not None]
    unmeasured = [a for a in rows_of.values() if a["confidencePrecision"] is None]
    assert measured and unmeasured, "the tiny portal has both kinds"

    sections = _sections(client, tiny_replica, by_id[unmeasured[0]["id"]])
    assert _titles(sections) == [
        "Annotation",
        "Annotation object",
        "Annotation confidence",
        "Deposition",
    ]
    confidence = _rows(sections, "Annotation confidence")
    assert confidence["Precision"].value == confidence["Recall"].value == "NA"

    row = measured[0]
    sections = _sections(client, tiny_replica, by_id[row["id"]])
    confidence = _rows(sections, "Annotation confidence")
    assert confidence["Precision"].value == f"{row['confidencePrecision']:g}%"
    assert confidence["Recall"].value == f"{row['confidenceRecall']:g}%"
    assert confidence["Ground Truth Status"].value == ("Yes" if row["groundTruthStatus"] else "No")
    obj = _rows(sections, "Annotation object")
    assert obj["Object Name"].value == row["objectName"]
    assert obj["Object ID"].link and row["objectId"].split(":")[1] in obj["Object ID"].link
    overview = _rows(sections, "Annotation")
    assert overview["Method Type"].value.lower() == row["methodType"]
    names = [
        a["name"]
        for a in tiny_portal.entities["AnnotationAuthor"]
        if a["annotationId"] == row["id"]
    ]
    assert names and all(n in overview["Annotation Authors"].value for n in names)


def test_deposition_sections(
    client: PortalClient, tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal
) -> None:
    depositions = tiny_portal.entities["Deposition"]
    assert len(depositions) >= 2
    for deposition in depositions:
        node = fetch_deposition(client, deposition["id"])
        rows = _rows(sections_for("deposition", node), "Deposition")
        assert rows["Deposition ID"].value == str(deposition["id"])
        assert rows["Deposition Title"].value == deposition["title"]
        types = {
            t["type"]
            for t in tiny_portal.entities["DepositionType"]
            if t["depositionId"] == deposition["id"]
        }
        shown = rows["Deposition Types"].value.lower().split(", ")
        assert types and sorted(t.removesuffix("s") for t in shown) == sorted(types)


# -- a download's JSON files -------------------------------------------------------------


def test_local_download_shows_the_same_sections(
    client: PortalClient, tiny_replica: ReplicaServer, tiny_root: Path
) -> None:
    source = LocalSource(tiny_root)
    (dataset,) = [d for d in source.datasets() if d.id == 10000]
    local = sections_for("dataset", local_details(dataset))
    remote = sections_for("dataset", fetch_details(client, client.dataset(10000)))
    local_rows, remote_rows = _rows(local, "Dataset"), _rows(remote, "Dataset")
    assert local_rows["Title"].value == remote_rows["Title"].value != "10000"
    for label in ("Authors", "Funding", "Related Databases", "Publications", "Deposition Date"):
        assert local_rows[label].value == remote_rows[label].value, label
    assert (
        _rows(local, "Sample and experiment conditions")["Organism Name"].value
        == _rows(remote, "Sample and experiment conditions")["Organism Name"].value
    )

    (run,) = [r for r in source.runs(dataset) if r.name == "TS_001"]
    tilt = _rows(sections_for("run", local_details(run)), "Tilt series")
    remote_tilt = _rows(
        sections_for("run", fetch_details(client, client.run(10000, "TS_001"))), "Tilt series"
    )
    for label in ("Microscope Manufacturer", "Camera Manufacturer", "Tilt Range", "Total Flux"):
        assert tilt[label].value == remote_tilt[label].value, label
    assert isinstance(dataset, Dataset) and isinstance(run, Run)


def test_local_tomogram_and_annotation(tiny_root: Path) -> None:
    source = LocalSource(tiny_root)
    dataset = next(d for d in source.datasets() if d.id == 10000)
    run = next(r for r in source.runs(dataset) if r.name == "TS_001")
    contents = source.contents(run.voxel_spacings[0])
    tomogram = contents.tomograms[0]
    assert isinstance(tomogram, Tomogram)
    rows = _rows(sections_for("tomogram", local_details(tomogram)), "Tomogram")
    assert rows["Reconstruction Method"].value and rows["Voxel Spacing"].value == "10 Å"
    annotation = contents.annotations[0]
    assert isinstance(annotation, Annotation)
    sections = sections_for("annotation", local_details(annotation))
    assert _rows(sections, "Annotation object")["Object Name"].value == annotation.object_name
    assert _rows(sections, "Annotation confidence")["Precision"].value.endswith(("%", "NA"))


# -- alignments ---------------------------------------------------------------------------


def test_annotations_grouped_by_alignment(client: PortalClient) -> None:
    run = client.run(10000, "TS_001")
    contents = client.voxel_spacing_contents(run.voxel_spacings[0].id)
    groups = contents.by_alignment()
    assert len(groups) == 2
    assert [g.alignment_id for g in groups] == sorted({t.alignment_id for t in contents.tomograms})
    for group in groups:
        assert group.tomograms and all(
            t.alignment_id == group.alignment_id for t in group.tomograms
        )
        assert group.annotations
        for annotation in group.annotations:
            assert all(f.alignment_id in (None, group.alignment_id) for f in annotation.files)
    # Each alignment has its own copy of every object.
    assert sorted(a.object_name for a in groups[0].annotations) == sorted(
        a.object_name for a in groups[1].annotations
    )
