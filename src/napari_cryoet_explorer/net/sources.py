"""Local paths and URLs alike: reading bytes and JSON, fsspec storage options.

Whole files read from a URL go through the on-disk cache (:mod:`.cache`).
Every network read is bounded (:mod:`.limits`): http(s) sessions have connect and read
timeouts, bodies read whole have a total timeout, a size cap and a rate floor
(:mod:`.bounded`), and S3 clients have connect and read timeouts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import fsspec
from fsspec.spec import AbstractFileSystem

from .bounded import BoundedHTTPFileSystem
from .cache import SourceUnavailable
from .cache_config import cache_for
from .limits import Limits, NetworkTimeout, TooLarge


def is_url(path: str | Path) -> bool:
    """Whether ``path`` is an http(s) or s3 URL."""
    return isinstance(path, str) and urlparse(path).scheme in ("http", "https", "s3")


def _is_http(path: str | Path) -> bool:
    return isinstance(path, str) and urlparse(path).scheme in ("http", "https")


def storage_options(path: str | Path, limits: Limits | None = None) -> dict[str, Any]:
    """fsspec options: connect and read timeouts for http(s) and S3 (``limits``, by
    default from the environment), anonymous access for the portal's public bucket."""
    if _is_http(path):
        limits = limits or Limits.from_env()
        # No total here: a streamed download may take long; whole-body reads add one.
        return {"client_kwargs": {"timeout": limits.timeout(None)}}
    if str(path).startswith("s3://"):
        limits = limits or Limits.from_env()
        timeouts = {"connect_timeout": limits.connect_s, "read_timeout": limits.read_s}
        return {"anon": True, "config_kwargs": timeouts}
    return {}


def filesystem(path: str | Path) -> tuple[AbstractFileSystem, str]:
    """The fsspec filesystem of a local path or URL, and the path within it.

    Over http(s) a :class:`~.bounded.BoundedHTTPFileSystem`: ``cat_file``
    is bounded in time, size and rate.
    """
    if _is_http(path):
        limits = Limits.from_env()
        # The limits are passed so that fsspec's instance cache tells them apart.
        fs = BoundedHTTPFileSystem(**storage_options(path, limits), limits=limits)
        return fs, str(path)
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
        It could not be read (for a URL the message names it): among them
        :class:`~.limits.NetworkTimeout` (no answer, or a trickle, within the limits),
        :class:`~.limits.TooLarge` (over ``NAPARI_CRYOET_EXPLORER_MAX_FILE_MB``) and,
        through the cache, :class:`~.cache.SourceUnavailable` wrapping them.
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
    """A JSON document from a local file or URL, or None if it is missing or broken.

    Raises
    ------
    OSError
        A URL's server did not answer in time, sent too much, or could not be read and
        the file is not cached: a message naming the URL, not a silent None.
    """
    try:
        return json.loads(read_bytes(path))
    except (NetworkTimeout, TooLarge, SourceUnavailable):
        raise
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
