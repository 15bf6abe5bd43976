"""The official ``cryoet-data-portal`` client works against the replica unchanged."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from cryoet_data_portal import (
    Annotation,
    AnnotationFile,
    Client,
    Dataset,
    Run,
    Tomogram,
    TomogramVoxelSpacing,
)

from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal


def _rows(portal: GeneratedPortal, type_name: str) -> list[dict]:
    return portal.entities[type_name]


def test_find_and_get_by_id(tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal) -> None:
    client = Client(url=tiny_replica.url)
    datasets = Dataset.find(client)
    assert sorted(d.id for d in datasets) == sorted(r["id"] for r in _rows(tiny_portal, "Dataset"))
    expected = next(r for r in _rows(tiny_portal, "Dataset") if r["id"] == 10001)
    found = Dataset.get_by_id(client, 10001)
    assert found.title == expected["title"]
    assert isinstance(found.release_date, datetime)
    assert found.https_prefix.startswith(tiny_replica.files_url)
    assert Dataset.get_by_id(client, 1) is None

    runs = Run.find(client, [Run.name == "TS_001"])
    assert [r.name for r in runs] == ["TS_001"]
    assert runs[0].dataset.id == 10000
    both = Run.find(client, [Run.name._in(["TS_001", "TS_101", "nope"])])
    assert sorted(r.name for r in both) == ["TS_001", "TS_101"]
    in_dataset = Run.find(client, [Run.dataset.id == 10000, Run.name.like("TS%")])
    assert sorted(r.dataset_id for r in in_dataset) == [10000, 10000]
    assert Run.find(client, [Run.name != "TS_001", Run.dataset_id == 10000])[0].name == "TS_002"


def test_nested_and_to_many_filters(
    tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal
) -> None:
    client = Client(url=tiny_replica.url)
    tomograms = Tomogram.find(client, [Tomogram.tomogram_voxel_spacing.run.dataset.id == 10000])
    runs = {r["id"] for r in _rows(tiny_portal, "Run") if r["datasetId"] == 10000}
    expected = [t["id"] for t in _rows(tiny_portal, "Tomogram") if t["runId"] in runs]
    assert sorted(t.id for t in tomograms) == sorted(expected)
    assert all(t.https_omezarr_dir.startswith(tiny_replica.files_url) for t in tomograms)
    coarse = Tomogram.find(client, [Tomogram.voxel_spacing >= 20, Tomogram.size_x > 0])
    assert coarse and all(t.voxel_spacing >= 20 for t in coarse)
    # A filter through a to-many relationship: datasets with any run of that name.
    assert [d.id for d in Dataset.find(client, [Dataset.runs.name == "TS_101"])] == [10001]


def test_relationship_walks(tiny_replica: ReplicaServer) -> None:
    client = Client(url=tiny_replica.url)
    dataset = Dataset.get_by_id(client, 10000)
    tiny_replica.clear_log()
    runs = list(dataset.runs)
    assert tiny_replica.graphql_requests == 1
    assert sorted(r.name for r in runs) == ["TS_001", "TS_002"]
    spacings: list[TomogramVoxelSpacing] = list(runs[0].tomogram_voxel_spacings)
    assert sorted(v.voxel_spacing for v in spacings) == [10.0, 20.0]
    assert all(t.run.id == runs[0].id for t in spacings[0].tomograms)
    ribosomes = Annotation.find(
        client, [Annotation.object_name.ilike("%RIBO%"), Annotation.run.name == "TS_001"]
    )
    assert ribosomes and all(a.object_name == "ribosome" for a in ribosomes)
    shapes = list(ribosomes[0].annotation_shapes)
    assert [s.shape_type for s in shapes] == ["OrientedPoint"]
    files = list(shapes[0].annotation_files)
    assert files and all(f.format == "ndjson" for f in files)
    assert files[0].annotation_shape.annotation.run.dataset.id == 10000


def test_downloads_over_https(
    tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal, tmp_path: Path
) -> None:
    client = Client(url=tiny_replica.url)
    ndjson = AnnotationFile.find(client, [AnnotationFile.format == "ndjson"])[0]
    ndjson.download(str(tmp_path))
    relative = ndjson.https_path.removeprefix(tiny_replica.files_url + "/")
    written = tmp_path / Path(relative).name
    assert written.read_bytes() == (tiny_portal.root / relative).read_bytes()
    assert any(r.kind == "file" and r.path.endswith(relative) for r in tiny_replica.records())
