"""A download folder read into the portal client's models."""

from __future__ import annotations

import shutil
from pathlib import Path

from napari_cryoet_explorer.local.details import annotation_node
from napari_cryoet_explorer.local.tree import LocalSource
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal


def test_key_photos_resolve_to_files_of_the_download(tiny_portal: GeneratedPortal) -> None:
    source = LocalSource(tiny_portal.root)
    datasets = source.datasets()
    assert [d.id for d in datasets] == [10000, 10001]
    photo = Path(datasets[0].key_photo_thumbnail_url or "")
    assert photo == tiny_portal.root / "10000" / "Images" / "thumbnail.png" and photo.is_file()
    run = source.runs(datasets[0])[0]
    contents = source.contents(run.voxel_spacings[0])
    for tomogram in contents.tomograms:
        path = Path(tomogram.thumbnail_url or "")
        assert path.is_file() and path.name == "key-photo-thumbnail.png"
        assert path.parent.name == str(tomogram.id)


def test_a_download_without_key_photos(tiny_portal: GeneratedPortal, tmp_path: Path) -> None:
    copy = tmp_path / "10001"
    shutil.copytree(tiny_portal.root / "10001", copy)
    shutil.rmtree(copy / "Images")
    dataset = LocalSource(copy).datasets()[0]
    assert dataset.id == 10001 and dataset.key_photo_thumbnail_url is None


def test_mesh_files_carry_the_apis_shape_type(tiny_portal: GeneratedPortal) -> None:
    # Annotation JSONs say "TriangularMesh" where the API says "Mesh": the tree and the
    # metadata panel's node of a download both use the API's word.
    source = LocalSource(tiny_portal.root)
    dataset = source.datasets()[0]
    run = source.runs(dataset)[0]
    contents = source.contents(run.voxel_spacings[0])
    meshes = [(a, f) for a in contents.annotations for f in a.files if f.format == "glb"]
    assert meshes and {f.shape_type for _, f in meshes} == {"Mesh"}
    annotation, mesh = meshes[0]
    node = annotation_node(Path(mesh.https_path).parent)
    shapes = {s["shapeType"] for s in node["annotationShapes"]}
    assert "Mesh" in shapes and "TriangularMesh" not in shapes
