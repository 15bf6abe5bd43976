"""What a download fetches: every file under a dataset, run or voxel spacing, from
GraphQL, with the path it takes in the portal's layout.

Paths follow the bucket's layout (``<dataset_id>/<run>/Reconstructions/...``), which is
what ``Dataset.download_everything`` of the official client writes: each file's path is
its URL relative to the root that holds the dataset folders. OME-Zarr folders are
expanded into their files (:mod:`.zarr_keys`), since plain HTTP has no listing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..io.sources import filesystem
from ..portal.client import PortalClient
from ..portal.errors import PortalNotFoundError
from ..portal.schema import checked
from .zarr_keys import store_keys

FORMATS = ("zarr", "mrc")
MANY = 1000  # rows of one relation of one run (annotations, tomograms...)


@dataclass(frozen=True)
class Item:
    """One file to fetch: its URL, its path under the destination, whether the server
    may lack it (a fill-value chunk, a metadata file that is not always there)."""

    url: str
    path: str
    optional: bool = False


@dataclass(frozen=True)
class Choice:
    """What to include (the command line's flags)."""

    tomograms: bool = True
    annotations: bool = True
    formats: tuple[str, ...] = FORMATS
    voxel_spacing: float | None = None
    annotation_ids: tuple[int, ...] = ()


def _edges(name: str, body: str, order: str = "id") -> str:
    return f"{name}(first: {MANY}, orderBy: [{{{order}: asc}}]) {{ edges {{ node {{ {body} }} }} }}"


@functools.cache
def run_files_query() -> str:
    """A run's files: tilt series, alignments, and per voxel spacing its tomograms and
    annotations with their files, in one request."""
    spacing = f"""id voxelSpacing
      {_edges("tomograms", "id httpsOmezarrDir httpsMrcFile keyPhotoUrl keyPhotoThumbnailUrl")}
      {
        _edges(
            "annotations",
            "id httpsMetadataPath "
            + _edges("annotationShapes", _edges("annotationFiles", "id format httpsPath")),
        )
    }"""
    return checked(
        f"""
        query RunFiles($where: RunWhereClause) {{
          runs(where: $where) {{
            id name httpsPrefix
            dataset {{ id httpsPrefix keyPhotoUrl keyPhotoThumbnailUrl }}
            {_edges("tiltseries", "id httpsMrcFile httpsOmezarrDir httpsAngleList")}
            {_edges("alignments", "id httpsAlignmentMetadata")}
            {_edges("tomogramVoxelSpacings", spacing, "voxelSpacing")}
          }}
        }}"""
    )


def _nodes(node: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    return [e["node"] for e in (node.get(key) or {}).get("edges") or []]


class _Layout:
    """Maps URLs to paths under the root that holds the dataset folders."""

    def __init__(self, dataset: Mapping[str, Any]) -> None:
        prefix = str(dataset["httpsPrefix"]).rstrip("/") + "/"
        self.root = prefix.removesuffix(f"{dataset['id']}/")
        if self.root == prefix:
            raise ValueError(f"dataset {dataset['id']}'s folder {prefix} is not named by its id")

    def item(self, url: str, *, optional: bool = False) -> Item:
        if not url.startswith(self.root):
            raise ValueError(f"{url} is not under the dataset's root {self.root}")
        return Item(url, url[len(self.root) :], optional)


def _zarr_items(layout: _Layout, url: str) -> list[Item]:
    """The files of the OME-Zarr (or bare array) at ``url``."""
    fs, inner = filesystem(url)
    base = url.rstrip("/")

    @functools.cache
    def fetch(key: str) -> bytes | None:
        try:
            data: bytes = fs.cat_file(f"{inner.rstrip('/')}/{key}")
        except FileNotFoundError:
            return None
        return data

    keys = store_keys(fetch, base)
    return [layout.item(f"{base}/{k.key}", optional=k.optional) for k in keys]


def _sibling(url: str, name: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[0] + "/" + name


def _tomogram_items(layout: _Layout, t: Mapping[str, Any], choice: Choice) -> list[Item]:
    items: list[Item] = []
    anchor = t.get("httpsMrcFile") or t.get("httpsOmezarrDir")
    if anchor:
        items.append(layout.item(_sibling(anchor, "tomogram_metadata.json"), optional=True))
    if "zarr" in choice.formats and t.get("httpsOmezarrDir"):
        items += _zarr_items(layout, t["httpsOmezarrDir"])
    if "mrc" in choice.formats and t.get("httpsMrcFile"):
        items.append(layout.item(t["httpsMrcFile"]))
    items += [layout.item(t[k]) for k in ("keyPhotoUrl", "keyPhotoThumbnailUrl") if t.get(k)]
    return items


def _annotation_items(layout: _Layout, a: Mapping[str, Any]) -> list[Item]:
    items = [layout.item(a["httpsMetadataPath"])] if a.get("httpsMetadataPath") else []
    for shape in _nodes(a, "annotationShapes"):
        for f in _nodes(shape, "annotationFiles"):
            url = f.get("httpsPath")
            if not url:
                continue
            if str(f.get("format")) == "zarr":
                items += _zarr_items(layout, url)
            else:
                items.append(layout.item(url))
    return items


def run_items(
    client: PortalClient, dataset_id: int, run_name: str, choice: Choice = Choice()
) -> list[Item]:
    """Every file of one run that ``choice`` includes, with the dataset's metadata
    file (so that a run's download is a dataset folder as well).

    Raises
    ------
    PortalNotFoundError
        There is no such dataset or run, or no such voxel spacing in it.
    """
    where = {"datasetId": {"_eq": int(dataset_id)}, "name": {"_eq": run_name}}
    found = client.transport.execute(run_files_query(), {"where": where}).get("runs") or []
    if not found:
        client.run(dataset_id, run_name)  # names what is missing: the dataset or the run
        raise PortalNotFoundError(f"no run {run_name!r} in dataset {dataset_id}", url=client.url)
    run = found[0]
    layout = _Layout(run["dataset"])
    items = [
        layout.item(f"{layout.root}{dataset_id}/dataset_metadata.json"),
        layout.item(str(run["httpsPrefix"]).rstrip("/") + "/run_metadata.json"),
    ]
    spacings = _nodes(run, "tomogramVoxelSpacings")
    if choice.voxel_spacing is not None:
        spacings = [s for s in spacings if abs(s["voxelSpacing"] - choice.voxel_spacing) < 1e-3]
        if not spacings:
            raise PortalNotFoundError(
                f"no voxel spacing {choice.voxel_spacing:g} in {dataset_id}/{run_name}",
                url=client.url,
            )
    whole_run = choice.voxel_spacing is None and not choice.annotation_ids
    if whole_run:
        for ts in _nodes(run, "tiltseries"):
            if ts.get("httpsMrcFile"):
                items.append(layout.item(ts["httpsMrcFile"]))
            if ts.get("httpsOmezarrDir"):
                items += _zarr_items(layout, ts["httpsOmezarrDir"])
            if ts.get("httpsAngleList"):
                items.append(layout.item(ts["httpsAngleList"]))
            anchor = ts.get("httpsMrcFile") or ts.get("httpsOmezarrDir")
            if anchor:
                items.append(
                    layout.item(_sibling(anchor, "tiltseries_metadata.json"), optional=True)
                )
    for al in _nodes(run, "alignments"):
        if al.get("httpsAlignmentMetadata"):
            items.append(layout.item(al["httpsAlignmentMetadata"]))
    for spacing in spacings:
        if choice.tomograms and not choice.annotation_ids:
            for t in _nodes(spacing, "tomograms"):
                items += _tomogram_items(layout, t, choice)
        if choice.annotations or choice.annotation_ids:
            for a in _nodes(spacing, "annotations"):
                if not choice.annotation_ids or int(a["id"]) in choice.annotation_ids:
                    items += _annotation_items(layout, a)
    return list(dict.fromkeys(items))


def dataset_items(
    client: PortalClient,
    dataset_id: int,
    choice: Choice = Choice(),
    runs: Callable[[PortalClient, int], Iterable[str]] | None = None,
) -> list[Item]:
    """Every file of a dataset: its metadata, key photos and every run's files."""
    dataset = client.dataset(dataset_id)
    layout = _Layout({"id": dataset_id, "httpsPrefix": dataset.https_prefix})
    items = [layout.item(f"{layout.root}{dataset_id}/dataset_metadata.json")]
    for key in ("keyPhotoUrl", "keyPhotoThumbnailUrl"):
        url = dataset.fields.get(key)
        if url:
            items.append(layout.item(str(url)))
    names = (
        runs(client, dataset_id)
        if runs is not None
        else [r.name for page in client.iter_run_pages(dataset_id) for r in page]
    )
    for name in names:
        items += run_items(client, dataset_id, name, choice)
    return list(dict.fromkeys(items))


__all__ = ["FORMATS", "Choice", "Item", "dataset_items", "run_files_query", "run_items"]
