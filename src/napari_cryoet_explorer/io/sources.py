"""Local paths and URLs alike: opening bytes and JSON, and fsspec storage options."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import fsspec


def is_url(path: str | Path) -> bool:
    """Whether ``path`` is an http(s) or s3 URL."""
    return isinstance(path, str) and urlparse(path).scheme in ("http", "https", "s3")


def storage_options(path: str | Path) -> dict[str, Any]:
    """fsspec options: anonymous access for the portal's public bucket."""
    return {"anon": True} if str(path).startswith("s3://") else {}


def read_bytes(path: str | Path) -> bytes:
    """The whole content of a local file or URL."""
    if not is_url(path):
        return Path(path).read_bytes()
    with fsspec.open(str(path), "rb", **storage_options(path)) as fh:
        data: bytes = fh.read()
    return data


def read_json(path: str | Path) -> Any:
    """A JSON document from a local file or URL, or None if it is missing."""
    try:
        return json.loads(read_bytes(path))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError, OSError):
        return None


def name_of(path: str | Path) -> str:
    """The last path component of a file or URL (without a trailing slash)."""
    return str(path).rstrip("/").rsplit("/", 1)[-1]
