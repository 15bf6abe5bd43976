"""Finding a portal file in the user's downloads, so it opens from disk (Qt-free).

A download keeps the bucket's layout: a file's path under the download folder is its
URL's path from ``<dataset_id>/`` on (``.../10000/TS_001/Reconstructions/...`` is
``DEST/10000/TS_001/Reconstructions/...``). A URL names no dataset explicitly, so each
all-digit segment of its path is tried as the dataset folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from .places import download_folders
from .transfer import in_progress

ZARR_MARKERS = (".zgroup", ".zattrs", "zarr.json")


@dataclass(frozen=True)
class LocalCopy:
    """A portal file found in a download.

    Attributes
    ----------
    path : Path
        The local file or folder.
    folder : Path
        The download folder that holds it.
    url : str
        The portal URL it stands for.
    """

    path: Path
    folder: Path
    url: str


def _relative_paths(url: str) -> Iterator[tuple[str, ...]]:
    """The URL's path from each all-digit segment (a dataset id) on."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https", "s3"):
        return
    parts = tuple(unquote(p) for p in parsed.path.strip("/").split("/") if p)
    if any(p in (".", "..") for p in parts):
        return  # never step out of a download folder
    for i, part in enumerate(parts[:-1]):
        if part.isdigit():
            yield parts[i:]


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None


def is_complete(path: Path) -> bool:
    """Whether ``path`` holds what a reader needs: a file, or a zarr folder with its
    group metadata and every multiscale level's array metadata.

    Chunks cannot be checked one by one (an absent chunk is a fill-value chunk): a
    store whose download began and did not complete carries an ``.incomplete`` marker beside
    it and is not complete. Downloads write each file under a temporary name and
    rename it when complete, so the files there are whole.
    """
    if path.is_file():
        return True
    if not path.is_dir() or in_progress(path):
        return False  # a store whose download began and did not complete: chunks missing
    if (path / "zarr.json").is_file():
        return True  # zarr v3 keeps group and attributes in one document
    if not (path / ".zgroup").is_file() and not (path / ".zarray").is_file():
        return False
    attrs = _json(path / ".zattrs") if (path / ".zattrs").is_file() else {}
    if not isinstance(attrs, dict):
        return False
    for multiscale in attrs.get("multiscales") or []:
        datasets = multiscale.get("datasets") if isinstance(multiscale, dict) else None
        for dataset in datasets or []:
            level = dataset.get("path") if isinstance(dataset, dict) else None
            if level is None or not (path / str(level) / ".zarray").is_file():
                return False
    return (path / ".zattrs").is_file() or (path / ".zarray").is_file()


def find_local(url: str, folders: Iterable[str | Path] | None = None) -> LocalCopy | None:
    """The complete local copy of a portal URL in a download folder, if any.

    Parameters
    ----------
    url : str
        An http(s) / s3 URL of a portal file or zarr folder.
    folders : iterable of path, optional
        Where to look, in order; default the remembered download folders, newest first.
        A folder may also be a dataset folder itself (``DEST/10000``).
    """
    candidates = list(_relative_paths(url))
    if not candidates:
        return None
    for folder in download_folders() if folders is None else folders:
        base = Path(folder).expanduser()
        for rel in candidates:
            tries = [base.joinpath(*rel)]
            if base.name == rel[0] and len(rel) > 1:
                tries.append(base.joinpath(*rel[1:]))
            for path in tries:
                if is_complete(path):
                    return LocalCopy(path, base, url)
    return None


def local_copy(url: str, folders: Iterable[str | Path] | None = None) -> Path | None:
    """The path of :func:`find_local`'s copy, or None."""
    found = find_local(url, folders)
    return None if found is None else found.path


__all__ = ["LocalCopy", "find_local", "is_complete", "local_copy"]
