"""Relay connections: ``first``/``after`` and ``last``/``before`` over an ordered list.

Cursors are opaque to clients; they hold the position in the filtered, ordered list
(the store does not change while it is served, so positions are stable).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from .store import Row

_PREFIX = "replica:"


def cursor(position: int) -> str:
    """The cursor of the item at ``position``."""
    return base64.b64encode(f"{_PREFIX}{position}".encode()).decode()


def position(value: str | None) -> int | None:
    """The position a cursor stands for (None for no cursor).

    Raises
    ------
    ValueError
        If ``value`` is not a cursor of this server.
    """
    if value is None:
        return None
    try:
        text = base64.b64decode(value.encode(), validate=True).decode()
        if not text.startswith(_PREFIX):
            raise ValueError
        found = int(text.removeprefix(_PREFIX))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValueError(f"invalid cursor {value!r}") from None
    if found < 0:
        raise ValueError(f"invalid cursor {value!r}")
    return found


def connection(rows: list[Row], args: dict[str, Any]) -> dict[str, Any]:
    """``{edges, pageInfo}`` for the slice of ``rows`` that the paging arguments select.

    Raises
    ------
    ValueError
        On a negative ``first``/``last`` or an invalid cursor.
    """
    first, last = args.get("first"), args.get("last")
    for name, value in (("first", first), ("last", last)):
        if value is not None and value < 0:
            raise ValueError(f"{name} must be non-negative, got {value}")
    after, before = position(args.get("after")), position(args.get("before"))
    start = 0 if after is None else min(after + 1, len(rows))
    stop = len(rows) if before is None else min(before, len(rows))
    stop = max(start, stop)
    if first is not None:
        stop = min(stop, start + first)
    if last is not None:
        start = max(start, stop - last)
    edges = [{"cursor": cursor(i), "node": rows[i]} for i in range(start, stop)]
    return {
        "edges": edges,
        "pageInfo": {
            "hasNextPage": stop < len(rows),
            "hasPreviousPage": start > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }
