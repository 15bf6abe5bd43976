"""Walking a :class:`Store` along the relationships of the schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .schema_model import ToMany, ToOne
from .store import FILES_PLACEHOLDER, Row, Store

Getter = Callable[[Row], Any]


class Graph:
    """A store seen through the schema: related rows, children and served values.

    Parameters
    ----------
    store : Store
        The rows.
    files_url : str, optional
        Base URL that replaces :data:`FILES_PLACEHOLDER` in string values.
    """

    def __init__(self, store: Store, files_url: str | None = None) -> None:
        self.store = store
        self.files_url = files_url.rstrip("/") if files_url else None

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
        """Reads a scalar as served (file URLs point at this server)."""
        base = self.files_url
        if base is None or scalar_type != "String":
            return lambda row: row.get(field)
        cut = len(FILES_PLACEHOLDER)

        def served(row: Row) -> Any:
            value = row.get(field)
            if isinstance(value, str) and value.startswith(FILES_PLACEHOLDER):
                return base + value[cut:]
            return value

        return served

    def stored(self, value: Any) -> Any:
        """A served value as it is stored (the inverse of :meth:`getter`'s rewrite)."""
        base = self.files_url
        if base is not None and isinstance(value, str) and value.startswith(base + "/"):
            return FILES_PLACEHOLDER + value[len(base) :]
        return value
