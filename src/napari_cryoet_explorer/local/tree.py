"""A downloaded dataset or run folder, read into the portal client's models.

The widget browses a download the way it browses the portal: datasets, runs, voxel
spacings, tomograms and annotations, with ``https_*`` fields holding local paths (the
readers take paths and URLs alike). Ids are the portal's where the folder names carry
them (dataset ids, tomogram and annotation folder numbers) and positions otherwise.
Folders are listed and metadata read with :mod:`..io.regular_files`: a FIFO, socket or
device in a download is never opened.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..io.download_tree import parse_annotation_name, spacing_from_path
from ..io.folders import annotation_files, is_run_dir, run_dirs, spacing_dirs, tomograms
from ..io.regular_files import folders_in, read_json
from ..portal.models import (
    Annotation,
    AnnotationFile,
    AnnotationShape,
    Dataset,
    Run,
    TiltSeries,
    Tomogram,
    VoxelSpacing,
    VoxelSpacingContents,
    freeze,
)
from ..portal.parse import tilt_series as parse_tilt_series
from .details import (
    annotation_metadata,
    tiltseries_folder_node,
    tiltseries_folders,
    tiltseries_nodes,
)

_ALIGNMENT = re.compile(r"Alignments/(\d+)/")


def _json(path: Path) -> dict[str, Any]:
    """A metadata document, or an empty one when missing or not an object."""
    doc = read_json(path)
    return doc if isinstance(doc, dict) else {}


def _number(name: str, fallback: int) -> int:
    return int(name) if name.isdigit() else fallback


def _alignment_id(path: str | None) -> int | None:
    found = _ALIGNMENT.search(path or "")
    return int(found.group(1)) if found else None


def _scalars(doc: dict[str, Any]) -> dict[str, Any]:
    """Top-level scalar fields of a metadata JSON (for the metadata panel)."""
    return {k: v for k, v in doc.items() if not isinstance(v, dict | list)}


def _name(meta: dict[str, Any], key: str) -> str | None:
    """``meta[key]["name"]`` (``organism``, ``cell_type``, ``tissue``), if given."""
    value = meta.get(key)
    name = value.get("name") if isinstance(value, dict) else None
    return str(name) if name else None


def _quality(run_dir: Path) -> int | None:
    """The tilt-series quality of a run's first tilt series, if a file gives it."""
    for doc in tiltseries_nodes(run_dir):
        score = doc.get("tiltSeriesQuality")
        if isinstance(score, int | float) and not isinstance(score, bool):
            return int(score)
    return None


def _tilt_series(run_dir: Path, run_id: int) -> tuple[TiltSeries, ...]:
    """The run's ``TiltSeries/<id>`` folders as models: ids are the folder numbers,
    file fields local paths, ``fields`` what ``tiltseries_metadata.json`` gives."""
    out = []
    for index, folder in enumerate(tiltseries_folders(run_dir)):
        node = {"id": index, "runId": run_id, **tiltseries_folder_node(folder)}
        node["path"] = str(folder)
        out.append(parse_tilt_series(node))
    return tuple(out)


def _thumbnail(photos: Any, dataset_dir: Path) -> str | None:
    """The local path of a key-photo thumbnail named in metadata, if the file is there.

    The metadata gives paths from the portal's root (``10000/Images/thumbnail.png``);
    a download keeps them under the dataset folder.
    """
    rel = photos.get("thumbnail") if isinstance(photos, dict) else None
    if not isinstance(rel, str) or not rel:
        return None
    parts = Path(rel).parts
    for candidate in (dataset_dir.parent / rel, dataset_dir.joinpath(*parts[1:])):
        if candidate.is_file():
            return str(candidate)
    return None


def _dataset_of(spacing_dir: Path) -> Path:
    """``<dataset>/<run>/Reconstructions/VoxelSpacing...`` -> ``<dataset>``."""
    parents = spacing_dir.parents
    return parents[2] if len(parents) > 2 else spacing_dir


class LocalSource:
    """Browse a download folder: a dataset folder, a folder of datasets, or a run folder.

    Parameters
    ----------
    root : str or Path
        The folder.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"no folder {self.root}")

    def __enter__(self) -> LocalSource:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def _dataset_dirs(self) -> list[Path]:
        if is_run_dir(self.root) or run_dirs(self.root):
            return [self.root.parent if is_run_dir(self.root) else self.root]
        return [p for p in folders_in(self.root) if run_dirs(p)]

    def datasets(self) -> list[Dataset]:
        """The datasets under the folder (one page: everything is local)."""
        out = []
        for index, folder in enumerate(self._dataset_dirs()):
            meta = _json(folder / "dataset_metadata.json")
            runs = [self.root] if is_run_dir(self.root) else run_dirs(folder)
            out.append(
                Dataset(
                    id=_number(folder.name, index),
                    # The portal's files say ``dataset_title``; ``title`` is kept for
                    # hand-written ones.
                    title=str(meta.get("dataset_title") or meta.get("title") or folder.name),
                    description=str(
                        meta.get("dataset_description") or meta.get("description") or ""
                    ),
                    organism_name=_name(meta, "organism") or meta.get("organism_name"),
                    cell_name=_name(meta, "cell_type"),
                    tissue_name=_name(meta, "tissue"),
                    https_prefix=str(folder),
                    run_count=len(runs),
                    key_photo_thumbnail_url=_thumbnail(meta.get("key_photos"), folder),
                    # Authors, funding and cross-references too, nested as in the file.
                    fields=freeze({"path": str(folder), **meta}),
                )
            )
        return out

    def iter_dataset_pages(self) -> Iterator[list[Dataset]]:
        """The datasets, as one page."""
        yield self.datasets()

    def runs(self, dataset: Dataset) -> list[Run]:
        """Runs of a dataset folder with their voxel spacings."""
        folder = Path(dataset.https_prefix or self.root)
        runs = [self.root] if is_run_dir(self.root) else run_dirs(folder)
        out = []
        for index, run_dir in enumerate(runs):
            spacings = []
            for vs_index, spacing_dir in enumerate(spacing_dirs(run_dir)):
                spacing = spacing_from_path(spacing_dir.name) or 0.0
                spacings.append(
                    VoxelSpacing(
                        id=index * 1000 + vs_index,
                        voxel_spacing=spacing,
                        run_id=index,
                        https_prefix=str(spacing_dir),
                        tomogram_count=len(tomograms(spacing_dir)),
                        fields=freeze({"path": str(spacing_dir), "voxelSpacing": spacing}),
                    )
                )
            annotations = sum(len(folders_in(s / "Annotations")) for s in spacing_dirs(run_dir))
            meta = _json(run_dir / "run_metadata.json")
            out.append(
                Run(
                    id=index,
                    name=run_dir.name,
                    dataset_id=dataset.id,
                    voxel_spacings=tuple(spacings),
                    tomogram_count=sum(v.tomogram_count for v in spacings),
                    annotation_count=annotations,
                    tilt_series_quality=_quality(run_dir),
                    https_prefix=str(run_dir),
                    tilt_series=_tilt_series(run_dir, index),
                    fields=freeze({"path": str(run_dir), **_scalars(meta)}),
                )
            )
        return out

    def contents(self, spacing: VoxelSpacing) -> VoxelSpacingContents:
        """Tomograms and annotations of a voxel-spacing folder."""
        folder = Path(spacing.https_prefix or "")
        found = []
        for index, t in enumerate(tomograms(folder)):
            meta = t.metadata
            size = meta.get("size") or {}
            zyx = (int(size.get("z", 0)), int(size.get("y", 0)), int(size.get("x", 0)))
            where = str(t.path)
            found.append(
                Tomogram(
                    id=_number(t.path.parent.name, index),
                    name=t.path.stem,
                    voxel_spacing=t.voxel_spacing or spacing.voxel_spacing,
                    voxel_spacing_id=spacing.id,
                    alignment_id=_alignment_id(t.alignment),
                    size_zyx=zyx,
                    https_omezarr_dir=where if t.path.suffix == ".zarr" else None,
                    https_mrc_file=where if t.path.suffix != ".zarr" else None,
                    is_visualization_default=t.is_default or index == 0,
                    processing=meta.get("processing"),
                    thumbnail_url=_thumbnail(meta.get("key_photo"), _dataset_of(folder)),
                    fields=freeze({"path": where, **_scalars(meta)}),
                )
            )
        annotations = []
        for folder_index, ann_dir in enumerate(folders_in(folder / "Annotations")):
            meta = annotation_metadata(ann_dir)
            alignment = _alignment_id(meta.get("alignment_metadata_path"))
            shapes: dict[str, list[AnnotationFile]] = {}
            for file_index, path in enumerate(annotation_files(folder, None)):
                if path.parent != ann_dir:
                    continue
                parsed = parse_annotation_name(path.name)
                if parsed is None:
                    continue
                fmt = path.suffix.lstrip(".")
                shapes.setdefault(parsed.shape_type, []).append(
                    AnnotationFile(
                        id=file_index,
                        format=fmt,
                        https_path=str(path),
                        s3_path="",
                        shape_type=parsed.shape_type,
                        voxel_spacing_id=spacing.id,
                        alignment_id=alignment,
                        is_visualization_default=True,
                        fields=freeze({"path": str(path)}),
                    )
                )
            if not shapes:
                continue
            obj = meta.get("annotation_object") or {}
            name = obj.get("name") if isinstance(obj, dict) else None
            first = next(iter(shapes.values()))[0]
            parsed = parse_annotation_name(first.https_path)
            annotations.append(
                Annotation(
                    id=_number(ann_dir.name, folder_index),
                    object_name=str(name or (parsed.object_name if parsed else ann_dir.name)),
                    run_id=spacing.run_id,
                    method_type=meta.get("method_type"),
                    ground_truth_status=meta.get("ground_truth_status"),
                    object_count=meta.get("object_count"),
                    shapes=tuple(
                        AnnotationShape(id=i, shape_type=k, files=tuple(v))
                        for i, (k, v) in enumerate(shapes.items())
                    ),
                    fields=freeze({"path": str(ann_dir), **_scalars(meta)}),
                )
            )
        return VoxelSpacingContents(
            voxel_spacing=spacing, tomograms=tuple(found), annotations=tuple(annotations)
        )

    def search(self, text: str) -> list[Dataset]:
        """Datasets whose title, id, organism, run or object names contain ``text``."""
        needle = text.strip().lower()
        hits = []
        for d in self.datasets():
            names = [d.title, str(d.id), d.organism_name or "", d.description]
            folder = Path(d.https_prefix or "")
            names += [r.name for r in run_dirs(folder)]
            names += [p.name for p in folder.glob("*/Reconstructions/*/Annotations/*/*.json")]
            if any(needle in n.lower() for n in names):
                hits.append(d)
        return hits
