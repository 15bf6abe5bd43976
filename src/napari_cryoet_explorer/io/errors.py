"""Reader errors; messages name the file or URL."""

from __future__ import annotations


class ReaderError(ValueError):
    """A file could not be read as what it claims to be."""


class NotOurs(ReaderError):
    """The path is not a file this plugin reads (readers decline it)."""
