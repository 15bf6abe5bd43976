"""Walking a :class:`Store` along the relationships of the schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .schema_model import ToMany, ToOne
from .store import FILES_PLACEHOLDER, S3_BUCKET, Row, Store

Getter = Callable[[Row], Any]


class Graph:
    """A store seen through the schema: related rows, children and served values.

    Parameters
    ----------
    store : Store
        The rows.
    files_url : str, optional
        Base URL that replaces :data:`FILES_PLACEHOLDER` in string values.
    s3_url : str, optional
        Bucket URL (``s3://test-bucket``, perhaps with a prefix) that replaces the
        public bucket's (:data:`S3_BUCKET`) in string values, so that S3 paths point
        at a bucket a test or benchmark serves.
    """

    def __init__(
        self, store: Store, files_url: str | None = None, s3_url: str | None = None
    ) -> None:
        self.store = store
        self.files_url = files_url.rstrip("/") if files_url else None
        self.s3_url = s3_url.rstrip("/") if s3_url else None
        # (stored prefix, served prefix) pairs; each ends with "/" or is the placeholder
        self._rewrites: list[tuple[str, str]] = []
        if self.files_url is not None:
            self._rewrites.append((FILES_PLACEHOLDER, self.files_url))
        if self.s3_url is not None:
            self._rewrites.append((S3_BUCKET + "/", self.s3_url + "/"))

    def related(self, rel: ToOne, row: Row) -> Row | None:
        """The row at the other end of a to-one relationship, or None."""
        if rel.key is not None:
            key = row.get(rel.key)
            return None if key is None else self.store.get(rel.target, key)
        if rel.back_key is None:
            return None
        found = self.store.lookup(rel.target, rel.back_key, row.get("id"))
        return found[0] if found else None

    def children(self, rel: ToMany, row: Row) -> list[Row]:
        """The rows at the other end of a to-many relationship (id order)."""
        if rel.back_key is None:
            return []
        return self.store.lookup(rel.child, rel.back_key, row.get("id"))

    def getter(self, field: str, scalar_type: str) -> Getter:
        """Reads a scalar as served (file URLs point at this server, S3 paths at the
        bucket given)."""
        rewrites = tuple(self._rewrites)
        if not rewrites or scalar_type != "String":
            return lambda row: row.get(field)

        def served(row: Row) -> Any:
            value = row.get(field)
            if isinstance(value, str):
                for stored, shown in rewrites:
                    if value.startswith(stored):
                        return shown + value[len(stored) :]
            return value

        return served

    def stored(self, value: Any) -> Any:
        """A served value as it is stored (the inverse of :meth:`getter`'s rewrite)."""
        if not isinstance(value, str):
            return value
        for stored, shown in self._rewrites:
            # the file root is served without its trailing slash: match the one after it
            edge = shown + "/" if stored == FILES_PLACEHOLDER else shown
            if value.startswith(edge):
                return stored + value[len(shown) :]
        return value
