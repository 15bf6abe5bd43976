"""The official ``cryoet-data-portal`` client works against the replica unchanged."""

from __future__ import annotations

from cryoet_data_portal import Annotation, Client, Dataset, Run, Tomogram

from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.replica.synthetic import GeneratedPortal


def test_model_api(tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal) -> None:
    client = Client(url=tiny_replica.url)
    datasets = Dataset.find(client)
    assert sorted(d.id for d in datasets) == [10000, 10001]
    assert Dataset.get_by_id(client, 10001).title == next(
        row["title"] for row in tiny_portal.entities["Dataset"] if row["id"] == 10001
    )

    runs = Run.find(client, [Run.name == "TS_001"])
    assert [r.name for r in runs] == ["TS_001"]
    assert runs[0].dataset.id == 10000
    assert sorted(r.name for r in Run.find(client, [Run.name._in(["TS_001", "TS_101"])])) == [
        "TS_001",
        "TS_101",
    ]

    tomograms = Tomogram.find(client, [Tomogram.tomogram_voxel_spacing.run.dataset.id == 10000])
    expected = [
        t
        for t in tiny_portal.entities["Tomogram"]
        if t["runId"] in {r.id for r in Dataset.get_by_id(client, 10000).runs}
    ]
    assert sorted(t.id for t in tomograms) == sorted(t["id"] for t in expected)
    assert all(t.https_omezarr_dir.startswith(tiny_replica.files_url) for t in tomograms)


def test_relationship_walks(tiny_replica: ReplicaServer) -> None:
    client = Client(url=tiny_replica.url)
    dataset = Dataset.get_by_id(client, 10000)
    runs = list(dataset.runs)
    assert sorted(r.name for r in runs) == ["TS_001", "TS_002"]
    spacings = sorted(v.voxel_spacing for v in runs[0].tomogram_voxel_spacings)
    assert spacings == [10.0, 20.0]
    ribosomes = Annotation.find(
        client, [Annotation.object_name.ilike("%RIBO%"), Annotation.run.name == "TS_001"]
    )
    assert ribosomes and all(a.object_name == "ribosome" for a in ribosomes)
    shapes = list(ribosomes[0].annotation_shapes)
    assert [s.shape_type for s in shapes] == ["OrientedPoint"]
    assert all(f.format == "ndjson" for f in shapes[0].annotation_files)
