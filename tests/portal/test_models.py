"""Models carry every scalar field; annotation files match tomograms by spacing and alignment."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any, cast

import pytest

from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.portal.models import (
    Annotation,
    AnnotationFile,
    AnnotationShape,
    Tomogram,
    VoxelSpacingContents,
    files_for_tomogram,
)
from napari_cryoet_explorer.portal.schema import scalar_fields
from napari_cryoet_explorer.portal.thread_clients import thread_client
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.replica.store import FILES_PLACEHOLDER
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal


@pytest.fixture
def contents(tiny_replica: ReplicaServer) -> VoxelSpacingContents:
    """Everything under the finest voxel spacing of the first run."""
    client = PortalClient(tiny_replica.url)
    return client.voxel_spacing_contents(client.runs(10000)[0].voxel_spacings[0].id)


def test_models_carry_every_scalar_field(
    tiny_replica: ReplicaServer, contents: VoxelSpacingContents
) -> None:
    client = PortalClient(tiny_replica.url)
    dataset = client.dataset(10000)
    run = client.runs(10000)[0]
    annotation = contents.annotations[0]
    every = {
        "Dataset": dataset.fields,
        "Run": run.fields,
        "TomogramVoxelSpacing": run.voxel_spacings[0].fields,
        "Tomogram": contents.tomograms[0].fields,
        "Annotation": annotation.fields,
        "AnnotationShape": annotation.shapes[0].fields,
        "AnnotationFile": annotation.files[0].fields,
    }
    for type_name, fields in every.items():
        assert set(fields) == set(scalar_fields(type_name)), type_name
        with pytest.raises(TypeError):
            cast(Any, fields)["id"] = 0
    assert "sizeX" in scalar_fields("Tomogram") and "_id" not in scalar_fields("Tomogram")
    assert dataset.fields["organismName"] == dataset.organism_name
    with pytest.raises(dataclasses.FrozenInstanceError):
        cast(Any, dataset).title = "x"


def test_typed_attributes_match_the_rows(
    tiny_portal: GeneratedPortal, tiny_replica: ReplicaServer, contents: VoxelSpacingContents
) -> None:
    files_url = tiny_replica.files_url
    rows = {r["id"]: r for r in tiny_portal.entities["Tomogram"]}
    for tomogram in contents.tomograms:
        row = rows[tomogram.id]
        assert tomogram.size_zyx == (row["sizeZ"], row["sizeY"], row["sizeX"])
        assert tomogram.offset_zyx == (row["offsetZ"], row["offsetY"], row["offsetX"])
        assert tomogram.alignment_id == row["alignmentId"]
        assert tomogram.voxel_spacing == row["voxelSpacing"]
        assert tomogram.https_omezarr_dir == row["httpsOmezarrDir"].replace(
            FILES_PLACEHOLDER, files_url
        )
        assert tomogram.s3_mrc_file == row["s3MrcFile"]
        assert tomogram.scale_dimensions[0] == tomogram.size_zyx
        assert len(tomogram.scale_dimensions) == 3


def test_files_for_tomogram_match_spacing_and_alignment(
    tiny_portal: GeneratedPortal, contents: VoxelSpacingContents
) -> None:
    alignments = {t.alignment_id for t in contents.tomograms}
    assert len(alignments) >= 2  # the generator's second alignment
    file_rows = tiny_portal.entities["AnnotationFile"]
    for tomogram in contents.tomograms:
        matched = files_for_tomogram(contents.annotations, tomogram)
        expected = {
            f["id"]
            for f in file_rows
            if f["tomogramVoxelSpacingId"] == tomogram.voxel_spacing_id
            and f["alignmentId"] == tomogram.alignment_id
        }
        assert expected and {f.id for _, f in matched} == expected
        assert all(f in a.files for a, f in matched)
        assert contents.files_for(tomogram) == matched


def _file(file_id: int, vs: int, alignment: int | None) -> AnnotationFile:
    return AnnotationFile(file_id, "ndjson", f"f{file_id}", "", "Point", vs, alignment)


def _tomogram(vs: int, alignment: int | None) -> Tomogram:
    return Tomogram(1, "t", 10.0, vs, alignment, (1, 1, 1))


def test_files_for_tomogram_rules() -> None:
    shape = AnnotationShape(
        1, "Point", (_file(1, 5, 1), _file(2, 5, 2), _file(3, 6, 1), _file(4, 5, None))
    )
    annotations = [Annotation(1, "ribosome", 1, shapes=(shape,))]
    assert [f.id for _, f in files_for_tomogram(annotations, _tomogram(5, 1))] == [1, 4]
    assert [f.id for _, f in files_for_tomogram(annotations, _tomogram(5, 2))] == [2, 4]
    assert [f.id for _, f in files_for_tomogram(annotations, _tomogram(6, 2))] == []
    # A tomogram without an alignment takes every file of its voxel spacing.
    assert [f.id for _, f in files_for_tomogram(annotations, _tomogram(5, None))] == [1, 2, 4]


def test_one_client_per_thread(
    tiny_replica: ReplicaServer, replica_factory: Callable[..., ReplicaServer]
) -> None:
    expected = PortalClient(tiny_replica.url).runs(10000)
    results: dict[int, object] = {}
    clients: dict[int, list[PortalClient]] = {}

    def work(k: int) -> None:
        clients[k] = [thread_client(tiny_replica.url), thread_client(tiny_replica.url)]
        results[k] = [thread_client(tiny_replica.url).runs(10000) for _ in range(3)]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == [expected] * 3 for r in results.values())
    assert all(a is b for a, b in clients.values())  # reused within a thread
    assert len({id(c[0]) for c in clients.values()}) == 4  # never shared between threads
