"""In-memory entity store behind the replica's GraphQL engine.

A generated portal folder holds ``portal.json``::

    {"version": 1, "entities": {"Dataset": [{"id": 10000, ...}], "Run": [...], ...}}

keyed by GraphQL type name; rows are keyed by that type's scalar field names and
foreign keys are the ``<relation>Id`` fields. String values starting with
:data:`FILES_PLACEHOLDER` are URLs of files served by the replica; the server replaces
the placeholder with its own file base URL when it loads the store.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

Row = dict[str, Any]

FILES_PLACEHOLDER = "{files}"
PORTAL_JSON = "portal.json"


class Store:
    """Rows by GraphQL type name, with id and foreign-key indexes.

    Parameters
    ----------
    entities : Mapping[str, Iterable[dict]]
        Rows by GraphQL type name.
    files_url : str, optional
        Base URL substituted for :data:`FILES_PLACEHOLDER` in string values.
    """

    def __init__(self, entities: Mapping[str, Iterable[Row]], files_url: str | None = None) -> None:
        self._rows: dict[str, list[Row]] = {}
        for type_name, rows in entities.items():
            prepared = [_with_files_url(dict(r), files_url) for r in rows]
            prepared.sort(key=lambda r: r.get("id", 0))
            self._rows[type_name] = prepared
        self._by_id: dict[str, dict[Any, Row]] = {
            t: {r["id"]: r for r in rows if "id" in r} for t, rows in self._rows.items()
        }
        self._children: dict[tuple[str, str], dict[Any, list[Row]]] = {}

    @classmethod
    def load(cls, path: str | Path, files_url: str | None = None) -> Store:
        """Read a store from a portal folder or its ``portal.json``."""
        path = Path(path)
        if path.is_dir():
            path = path / PORTAL_JSON
        try:
            doc = json.loads(path.read_text())
        except FileNotFoundError:
            raise FileNotFoundError(f"no portal store at {path}") from None
        if not isinstance(doc, dict) or "entities" not in doc:
            raise ValueError(f"{path} is not a portal store (no 'entities')")
        return cls(doc["entities"], files_url=files_url)

    def rows(self, type_name: str) -> list[Row]:
        """All rows of a type, ordered by id."""
        return self._rows.get(type_name, [])

    def get(self, type_name: str, row_id: Any) -> Row | None:
        """The row of a type with that id, or None."""
        return self._by_id.get(type_name, {}).get(row_id)

    def children(self, type_name: str, fk: str, parent_id: Any) -> list[Row]:
        """Rows of ``type_name`` whose ``fk`` equals ``parent_id`` (index built on first use)."""
        key = (type_name, fk)
        index = self._children.get(key)
        if index is None:
            grouped: defaultdict[Any, list[Row]] = defaultdict(list)
            for row in self.rows(type_name):
                grouped[row.get(fk)].append(row)
            index = self._children[key] = dict(grouped)
        return index.get(parent_id, [])

    def counts(self) -> dict[str, int]:
        """Number of rows per type."""
        return {t: len(r) for t, r in self._rows.items()}


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
