"""Metadata rows for the synthetic portal: the collector that hands out ids, and dates.

Rows are keyed by the schema's field names. Each builder (``datasets``,
``tomograms``, ``annotations``...) fills the fields the real portal
fills (every non-null one included), with values of the schema's types: enums by value
name, ``DateTime`` as ISO-8601 strings (:func:`iso_date`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from ..replica.store import Row

BASE_DATE = datetime(2023, 4, 1, tzinfo=UTC)


def iso_date(days: int) -> str:
    """``DateTime`` value ``days`` after 2023-04-01, as the API prints it."""
    return (BASE_DATE + timedelta(days=days)).isoformat()


class Rows:
    """Accumulates rows per type and hands out sequential ids per type."""

    def __init__(self) -> None:
        self.entities: dict[str, list[Row]] = defaultdict(list)
        self._next: dict[str, int] = defaultdict(lambda: 1)

    def new_id(self, type_name: str, row_id: int | None = None) -> int:
        """The next id of ``type_name`` (or reserve ``row_id``)."""
        if row_id is None:
            row_id = self._next[type_name]
        self._next[type_name] = max(self._next[type_name], row_id + 1)
        return row_id

    def add(self, type_name: str, row: Row) -> Row:
        """Append a row that already has its id."""
        self.entities[type_name].append(row)
        return row

    def as_dict(self) -> dict[str, list[Row]]:
        """The rows by type name."""
        return dict(self.entities)
