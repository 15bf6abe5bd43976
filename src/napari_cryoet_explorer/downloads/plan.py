"""What a download fetches: every file under a dataset, run or voxel spacing, from
GraphQL, with the path it takes in the portal's layout.

Paths follow the bucket's layout (``<dataset_id>/<run>/Reconstructions/...``), which is
what ``Dataset.download_everything`` of the official client writes: each file's path is
its URL relative to the root that holds the dataset folders. Files come over HTTPS
(``via="https"``, the default) or from the bucket (``via="s3"``, anonymous; the
endpoint follows ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` as botocore reads
them). Over HTTPS, OME-Zarr folders are expanded into their files from their metadata
(:mod:`.zarr_keys`), since plain HTTP has no listing; from S3 they are listed.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from ..net.limits import NetworkTimeout, TooLarge
from ..net.sources import filesystem
from ..portal.client import PortalClient
from ..portal.errors import PortalNotFoundError
from ..portal.schema import checked
from .zarr_keys import level_paths, store_keys

FORMATS = ("zarr", "mrc")
VIAS = ("https", "s3")
MANY = 1000  # rows of one relation of one run (annotations, tomograms...)
# Requests at once while planning: each OME-Zarr folder costs a listing (S3) or a few
# metadata reads (HTTP), and a distant server's latency would otherwise add up.
PLAN_JOBS = 8
PLAN_ATTEMPTS, PLAN_BACKOFF_S = 6, 0.25
T = TypeVar("T")


@dataclass(frozen=True)
class Item:
    """One file to fetch: its URL, its path under the destination, whether the server
    may lack it (a fill-value chunk, a metadata file that is not always there), and
    its size where a listing gave it."""

    url: str
    path: str
    optional: bool = False
    size: int | None = None


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
    tomogram = "id httpsOmezarrDir httpsMrcFile s3OmezarrDir s3MrcFile"
    spacing = f"""id voxelSpacing
      {_edges("tomograms", tomogram + " keyPhotoUrl keyPhotoThumbnailUrl")}
      {
        _edges(
            "annotations",
            "id httpsMetadataPath s3MetadataPath "
            + _edges("annotationShapes", _edges("annotationFiles", "id format httpsPath s3Path")),
        )
    }"""
    return checked(
        f"""
        query RunFiles($where: RunWhereClause) {{
          runs(where: $where) {{
            id name httpsPrefix s3Prefix
            dataset {{ id httpsPrefix s3Prefix keyPhotoUrl keyPhotoThumbnailUrl }}
            {_edges("tiltseries", f"id {_both('MrcFile', 'OmezarrDir', 'AngleList')}")}
            {_edges("alignments", f"id {_both('AlignmentMetadata')}")}
            {_edges("tomogramVoxelSpacings", spacing, "voxelSpacing")}
          }}
        }}"""
    )


def _nodes(node: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    return [e["node"] for e in (node.get(key) or {}).get("edges") or []]


def _both(*suffixes: str) -> str:
    return " ".join(f"https{x} s3{x}" for x in suffixes)


def _root(dataset: Mapping[str, Any], field: str) -> str:
    """The folder that holds the dataset folders, from the dataset's ``field`` prefix."""
    if not dataset.get(field):
        raise ValueError(f"the portal gives no {field} for dataset {dataset['id']}")
    prefix = str(dataset[field]).rstrip("/") + "/"
    tail = f"/{dataset['id']}/"
    if not prefix.endswith(tail):
        raise ValueError(f"dataset {dataset['id']}'s folder {prefix} is not named by its id")
    return prefix[: len(prefix) - len(tail) + 1]


class _Layout:
    """Maps URLs to paths under the root that holds the dataset folders, and picks
    each file's URL from the source in use (``via``)."""

    def __init__(self, dataset: Mapping[str, Any], via: str = "https") -> None:
        if via not in VIAS:
            raise ValueError(f"download via {via!r}? one of {', '.join(VIAS)}")
        self.via = via
        self.https_root = _root(dataset, "httpsPrefix")
        self.root = self.https_root if via == "https" else _root(dataset, "s3Prefix")
        self.zarrs: dict[str, list[Item]] = {}  # planned ahead, all at once

    def plan_zarrs(self, urls: Iterable[str]) -> None:
        """Plan the OME-Zarr folders at ``urls`` concurrently (see :func:`_zarr_items`)."""
        todo = [u for u in dict.fromkeys(urls) if u not in self.zarrs]
        with ThreadPoolExecutor(max_workers=PLAN_JOBS) as pool:
            for url, items in zip(todo, pool.map(lambda u: _list_zarr(self, u), todo), strict=True):
                self.zarrs[url] = items

    def url(self, node: Mapping[str, Any], suffix: str) -> str | None:
        """``node``'s ``https<suffix>`` or ``s3<suffix>``, whichever the source is."""
        if self.via == "s3" and node.get(f"s3{suffix}"):
            return str(node[f"s3{suffix}"])
        https = node.get(f"https{suffix}")
        return self.from_https(str(https)) if https else None

    def from_https(self, url: str) -> str:
        """The URL of an HTTPS-only file (key photos) at the source in use: the
        bucket holds it at the same path."""
        if self.via == "https" or not url.startswith(self.https_root):
            return url
        return self.root + url[len(self.https_root) :]

    def item(self, url: str, *, optional: bool = False, size: int | None = None) -> Item:
        if not url.startswith(self.root):
            raise ValueError(f"{url} is not under the dataset's root {self.root}")
        return Item(url, url[len(self.root) :], optional, size)


def _zarr_items(layout: _Layout, url: str) -> list[Item]:
    """The files of the OME-Zarr (or bare array) at ``url``: listed on S3, expanded
    from the store's metadata over HTTP."""
    planned = layout.zarrs.get(url)
    return planned if planned is not None else _list_zarr(layout, url)


def _list_zarr(layout: _Layout, url: str) -> list[Item]:
    fs, inner = filesystem(url)
    base = url.rstrip("/")
    inner = inner.rstrip("/")
    if layout.via == "s3":
        fs.invalidate_cache(inner)  # a second plan in this process sees the bucket anew
        try:
            listed: dict[str, dict[str, Any]] = _retrying(lambda: fs.find(inner, detail=True))
        except Exception as exc:
            raise OSError(f"cannot list {url}: {exc}") from exc
        if not listed:  # nothing there: the folder's first file, named as missing
            return [layout.item(f"{base}/.zgroup")]
        cut = len(inner) + 1
        return [
            layout.item(f"{base}/{name[cut:]}", size=_int_or_none(info.get("size")))
            for name, info in sorted(listed.items())
        ]

    @functools.cache
    def fetch(key: str) -> bytes | None:
        try:
            data: bytes = _retrying(lambda: fs.cat_file(f"{inner}/{key}"))
        except FileNotFoundError:
            return None
        except Exception as exc:
            raise OSError(f"cannot read {base}/{key}: {exc}") from exc
        return data

    _prefetch_levels(fetch)
    keys = store_keys(fetch, base)
    return [layout.item(f"{base}/{k.key}", optional=k.optional) for k in keys]


def _retrying(call: Callable[[], T]) -> T:
    """``call()``, tried again after a short wait when the server fails (a busy server
    answers 503 now and then); a missing file (FileNotFoundError) is an answer, and a
    body over its cap or a server that did not answer in time is not asked again."""
    for attempt in range(PLAN_ATTEMPTS):
        try:
            return call()
        except (FileNotFoundError, PermissionError, TooLarge, NetworkTimeout):
            raise
        except Exception:
            if attempt + 1 == PLAN_ATTEMPTS:
                raise
            time.sleep(PLAN_BACKOFF_S * 2**attempt)
    raise AssertionError("unreachable")


def _prefetch_levels(fetch: Callable[[str], bytes | None]) -> None:
    """Read every level's ``.zarray`` and ``.zattrs`` at once (``fetch`` keeps them),
    rather than one after the other as :func:`store_keys` asks for them."""
    raw = fetch(".zattrs")
    try:
        attrs = json.loads(raw) if raw is not None else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        return  # store_keys says what is wrong with it
    if not isinstance(attrs, dict):
        return
    keys = [f"{p.strip('/')}/{name}" for p in level_paths(attrs) for name in (".zarray", ".zattrs")]
    with ThreadPoolExecutor(max_workers=PLAN_JOBS) as pool:
        list(pool.map(fetch, keys))


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) else None


def _sibling(url: str, name: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[0] + "/" + name


def _tomogram_items(layout: _Layout, t: Mapping[str, Any], choice: Choice) -> list[Item]:
    items: list[Item] = []
    zarr, mrc = layout.url(t, "OmezarrDir"), layout.url(t, "MrcFile")
    anchor = mrc or zarr
    if anchor:
        items.append(layout.item(_sibling(anchor, "tomogram_metadata.json"), optional=True))
    if "zarr" in choice.formats and zarr:
        items += _zarr_items(layout, zarr)
    if "mrc" in choice.formats and mrc:
        items.append(layout.item(mrc))
    items += [
        layout.item(layout.from_https(t[k]))
        for k in ("keyPhotoUrl", "keyPhotoThumbnailUrl")
        if t.get(k)
    ]
    return items


def _annotation_items(layout: _Layout, a: Mapping[str, Any]) -> list[Item]:
    metadata = layout.url(a, "MetadataPath")
    items = [layout.item(metadata)] if metadata else []
    for shape in _nodes(a, "annotationShapes"):
        for f in _nodes(shape, "annotationFiles"):
            url = layout.url(f, "Path")
            if not url:
                continue
            if str(f.get("format")) == "zarr":
                items += _zarr_items(layout, url)
            else:
                items.append(layout.item(url))
    return items


def _zarr_urls(
    layout: _Layout,
    run: Mapping[str, Any],
    spacings: list[Mapping[str, Any]],
    choice: Choice,
    whole_run: bool,
) -> list[str]:
    """The OME-Zarr folders that :func:`run_items` will include."""
    # The format choice holds for tilt series as for tomograms (both are image stacks).
    tilts = whole_run and "zarr" in choice.formats
    urls = [layout.url(ts, "OmezarrDir") for ts in _nodes(run, "tiltseries")] if tilts else []
    for spacing in spacings:
        if choice.tomograms and not choice.annotation_ids and "zarr" in choice.formats:
            urls += [layout.url(t, "OmezarrDir") for t in _nodes(spacing, "tomograms")]
        if choice.annotations or choice.annotation_ids:
            for a in _nodes(spacing, "annotations"):
                if choice.annotation_ids and int(a["id"]) not in choice.annotation_ids:
                    continue
                for shape in _nodes(a, "annotationShapes"):
                    urls += [
                        layout.url(f, "Path")
                        for f in _nodes(shape, "annotationFiles")
                        if str(f.get("format")) == "zarr"
                    ]
    return [u for u in urls if u]


def run_items(
    client: PortalClient,
    dataset_id: int,
    run_name: str,
    choice: Choice = Choice(),
    *,
    via: str = "https",
) -> list[Item]:
    """Every file of one run that ``choice`` includes, with the dataset's metadata
    file (so that a run's download is a dataset folder as well).

    Parameters
    ----------
    client : PortalClient
        Asks the portal's GraphQL.
    dataset_id, run_name
        The run.
    choice : Choice
        What to include.
    via : {"https", "s3"}
        Where the files come from: the portal's HTTPS paths, or its S3 paths
        (anonymous; OME-Zarr folders listed).

    Raises
    ------
    PortalNotFoundError
        There is no such dataset or run, or no such voxel spacing in it.
    ValueError
        ``via`` is neither, or the portal's paths do not follow its layout.
    """
    where = {"datasetId": {"_eq": int(dataset_id)}, "name": {"_eq": run_name}}
    found = client.transport.execute(run_files_query(), {"where": where}).get("runs") or []
    if not found:
        client.run(dataset_id, run_name)  # names what is missing: the dataset or the run
        raise PortalNotFoundError(f"no run {run_name!r} in dataset {dataset_id}", url=client.url)
    run = found[0]
    layout = _Layout(run["dataset"], via)
    items = [
        layout.item(f"{layout.root}{dataset_id}/dataset_metadata.json"),
        layout.item(str(layout.url(run, "Prefix")).rstrip("/") + "/run_metadata.json"),
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
    layout.plan_zarrs(_zarr_urls(layout, run, spacings, choice, whole_run))
    if whole_run:
        for ts in _nodes(run, "tiltseries"):
            mrc, zarr = layout.url(ts, "MrcFile"), layout.url(ts, "OmezarrDir")
            angles = layout.url(ts, "AngleList")
            if mrc and "mrc" in choice.formats:
                items.append(layout.item(mrc))
            if zarr and "zarr" in choice.formats:
                items += _zarr_items(layout, zarr)
            if angles:
                items.append(layout.item(angles))
            anchor = mrc or zarr
            if anchor:
                items.append(
                    layout.item(_sibling(anchor, "tiltseries_metadata.json"), optional=True)
                )
    for al in _nodes(run, "alignments"):
        metadata = layout.url(al, "AlignmentMetadata")
        if metadata:
            items.append(layout.item(metadata))
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
    *,
    via: str = "https",
) -> list[Item]:
    """Every file of a dataset: its metadata, key photos and every run's files
    (``via`` as for :func:`run_items`)."""
    dataset = client.dataset(dataset_id)
    fields = {"id": dataset_id, "httpsPrefix": dataset.https_prefix}
    fields["s3Prefix"] = dataset.fields.get("s3Prefix")
    layout = _Layout(fields, via)
    items = [layout.item(f"{layout.root}{dataset_id}/dataset_metadata.json")]
    for key in ("keyPhotoUrl", "keyPhotoThumbnailUrl"):
        url = dataset.fields.get(key)
        if url:
            items.append(layout.item(layout.from_https(str(url))))
    names = (
        runs(client, dataset_id)
        if runs is not None
        else [r.name for page in client.iter_run_pages(dataset_id) for r in page]
    )
    for name in names:
        items += run_items(client, dataset_id, name, choice, via=via)
    return list(dict.fromkeys(items))


__all__ = ["FORMATS", "VIAS", "Choice", "Item", "dataset_items", "run_files_query", "run_items"]
