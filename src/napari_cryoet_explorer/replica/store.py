"""In-memory entity store behind the replica's GraphQL engine.

A generated portal folder holds ``portal.json``::

    {"version": 1, "entities": {"Dataset": [{"id": 10000, ...}], "Run": [...], ...}}

keyed by GraphQL type name; rows are keyed by that type's scalar field names and
foreign keys are the ``<relation>Id`` fields. String values starting with
:data:`FILES_PLACEHOLDER` are URLs of files served by the replica: the engine replaces
the placeholder with the server's file base URL when it answers, so one store can back
servers on different ports.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Hashable, Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson

Row = dict[str, Any]
Index = dict[Any, list[Row]]

FILES_PLACEHOLDER = "{files}"
PORTAL_JSON = "portal.json"
# The real portal's public bucket: S3 paths in rows name it; a replica with an S3 server
# rewrites them to its own (:mod:`.relations`).
S3_BUCKET = "s3://cryoet-data-portal-public"


class Store:
    """Rows by GraphQL type name, with an id index and lazily built column indexes.

    Parameters
    ----------
    entities : Mapping[str, Iterable[dict]]
        Rows by GraphQL type name.
    files_url : str, optional
        If given, :data:`FILES_PLACEHOLDER` is replaced by this base URL in the rows
        themselves (otherwise the engine does it when it answers).
    root : Path, optional
        Folder whose files the URLs point at (set by :meth:`load`).
    """

    def __init__(
        self,
        entities: Mapping[str, Iterable[Row]],
        files_url: str | None = None,
        root: str | Path | None = None,
    ) -> None:
        self.root = Path(root).resolve() if root is not None else None
        self._rows: dict[str, list[Row]] = {}
        for type_name, rows in entities.items():
            prepared = [_with_files_url(dict(r), files_url) for r in rows]
            prepared.sort(key=_id_order)
            self._rows[type_name] = prepared
        self._by_id: dict[str, dict[Any, Row]] = {
            t: {r["id"]: r for r in rows if "id" in r} for t, rows in self._rows.items()
        }
        self._indexes: dict[tuple[str, str], Index] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: str | Path, files_url: str | None = None) -> Store:
        """Read a store from a portal folder or its ``portal.json``.

        Raises
        ------
        FileNotFoundError
            If there is no ``portal.json``.
        ValueError
            If the file is not a portal store.
        """
        path = Path(path)
        if path.is_dir():
            path = path / PORTAL_JSON
        try:
            doc = orjson.loads(path.read_bytes())
        except FileNotFoundError:
            raise FileNotFoundError(f"no portal store at {path}") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("entities"), dict):
            raise ValueError(f"{path} is not a portal store (no 'entities')")
        return cls(doc["entities"], files_url=files_url, root=path.parent)

    def types(self) -> list[str]:
        """Names of the types that have rows."""
        return list(self._rows)

    def rows(self, type_name: str) -> list[Row]:
        """All rows of a type, ordered by id."""
        return self._rows.get(type_name, [])

    def get(self, type_name: str, row_id: Any) -> Row | None:
        """The row of a type with that id, or None."""
        try:
            return self._by_id.get(type_name, {}).get(row_id)
        except TypeError:  # an unhashable operand matches nothing
            return None

    def index(self, type_name: str, column: str) -> Index:
        """Rows of ``type_name`` grouped by the value of ``column`` (built on first use).

        Rows whose value is missing are grouped under None; each group keeps id order.

        Raises
        ------
        TypeError
            If a value of the column is not hashable.
        """
        key = (type_name, column)
        index = self._indexes.get(key)
        if index is None:
            grouped: Index = {}
            for row in self.rows(type_name):
                grouped.setdefault(row.get(column), []).append(row)
            with self._lock:
                index = self._indexes.setdefault(key, grouped)
        return index

    def lookup(self, type_name: str, column: str, value: Any) -> list[Row]:
        """Rows of ``type_name`` whose ``column`` equals ``value`` (through :meth:`index`)."""
        if not isinstance(value, Hashable):
            return []
        return self.index(type_name, column).get(value, [])

    def children(self, type_name: str, fk: str, parent_id: Any) -> list[Row]:
        """Rows of ``type_name`` whose foreign key ``fk`` equals ``parent_id``."""
        return self.lookup(type_name, fk, parent_id)

    def counts(self) -> dict[str, int]:
        """Number of rows per type."""
        return {t: len(r) for t, r in self._rows.items()}


def global_id(type_name: str, row: Row) -> str:
    """The row's ``_id``: its own if it has one, else base64 of ``"<Type>:<id>"``."""
    own = row.get("_id")
    if own is not None:
        return str(own)
    return base64.b64encode(f"{type_name}:{row.get('id')}".encode()).decode()


def _id_order(row: Row) -> tuple[bool, Any]:
    # Rows without an id go last; ids of one type share a type, so they compare.
    row_id = row.get("id")
    return (row_id is None, 0 if row_id is None else row_id)


def _with_files_url(row: Row, files_url: str | None) -> Row:
    if files_url is None:
        return row
    for key, value in row.items():
        if isinstance(value, str) and value.startswith(FILES_PLACEHOLDER):
            row[key] = files_url.rstrip("/") + value[len(FILES_PLACEHOLDER) :]
    return row


def save_entities(path: str | Path, entities: Mapping[str, list[Row]]) -> Path:
    """Write ``entities`` as a portal store; ``path`` is a folder or a json file."""
    path = Path(path)
    if path.suffix != ".json":
        path.mkdir(parents=True, exist_ok=True)
        path = path / PORTAL_JSON
    path.write_text(json.dumps({"version": 1, "entities": entities}, separators=(",", ":")))
    return path
