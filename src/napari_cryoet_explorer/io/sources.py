"""Local paths and URLs alike: reading bytes and JSON, fsspec storage options.

Whole files read from a URL go through the on-disk cache (:mod:`..downloads.cache`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import fsspec
from fsspec.spec import AbstractFileSystem

from ..downloads.cache import cache_for


def is_url(path: str | Path) -> bool:
    """Whether ``path`` is an http(s) or s3 URL."""
    return isinstance(path, str) and urlparse(path).scheme in ("http", "https", "s3")


def storage_options(path: str | Path) -> dict[str, Any]:
    """fsspec options: anonymous access for the portal's public bucket."""
    return {"anon": True} if str(path).startswith("s3://") else {}


def filesystem(path: str | Path) -> tuple[AbstractFileSystem, str]:
    """The fsspec filesystem of a local path or URL, and the path within it."""
    fs, inner = fsspec.core.url_to_fs(str(path), **storage_options(path))
    return fs, str(inner)


def read_bytes(path: str | Path, *, cache: bool = True) -> bytes:
    """The whole content of a local file or URL.

    Parameters
    ----------
    path : str or Path
        A local file, or an http(s) / s3 URL.
    cache : bool
        Read a URL through the on-disk cache (unless turned off by environment): a file
        read once is read again offline, and a file the server lacked stays missing.

    Raises
    ------
    FileNotFoundError
        No such file (for a URL: the server said so, now or when last asked).
    OSError
        It could not be read (for a URL the message names it).
    """
    if not is_url(path):
        return Path(path).read_bytes()
    url = str(path)

    def fetch() -> bytes:
        fs, inner = filesystem(url)
        data: bytes = fs.cat_file(inner)
        return data

    disk = cache_for(url, cache)
    return fetch() if disk is None else disk.read(url, fetch)


def read_json(path: str | Path) -> Any:
    """A JSON document from a local file or URL, or None if it is missing or broken."""
    try:
        return json.loads(read_bytes(path))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError, ValueError):
        return None


def name_of(path: str | Path) -> str:
    """The last path component of a file or URL (without a trailing slash)."""
    return str(path).rstrip("/").replace("\\", "/").rsplit("/", 1)[-1]


def parent_of(path: str | Path) -> str:
    """The folder holding a file or URL, without a trailing slash."""
    if not is_url(path):
        return str(Path(path).parent)
    return str(path).rstrip("/").rsplit("/", 1)[0]
