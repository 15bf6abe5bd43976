"""Small-file writers of the synthetic portal: ndJSON, JSON metadata and PNG key photos.

ndJSON is written the way the portal's ``ndjson`` dump writes it.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np


def point_record(kind: str, xyz: Sequence[float], **extra: Any) -> dict[str, Any]:
    """An ndJSON record with the portal's fields: ``type``, ``location`` and extras."""
    record: dict[str, Any] = {
        "type": kind,
        "location": {"x": float(xyz[0]), "y": float(xyz[1]), "z": float(xyz[2])},
    }
    record.update(extra)
    return record


def write_ndjson(path: Path, records: Iterable[dict[str, Any]]) -> None:
    """Write one JSON object a line, as the portal's files are written.

    The portal's ``ndjson.dump`` keeps ``json``'s default separators and joins lines
    with ``\\n`` without a final newline; readers must cope with exactly that.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(json.dumps(r) for r in records))


def write_json(path: Path, doc: Any) -> None:
    """Write pretty JSON metadata, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2))


def write_png(path: Path, image: np.ndarray) -> None:
    """Write a 2D array as an 8-bit greyscale PNG, stretched to its value range."""
    data = np.asarray(image, dtype=np.float64)
    lo, hi = (float(data.min()), float(data.max())) if data.size else (0.0, 0.0)
    scaled = np.zeros(data.shape, np.uint8)
    if hi > lo:
        scaled = np.round((data - lo) / (hi - lo) * 255).astype(np.uint8)
    height, width = data.shape[0], data.shape[-1]
    # Each PNG scanline starts with its filter byte (0: none).
    raw = np.concatenate([np.zeros((height, 1), np.uint8), scaled], axis=1).tobytes()

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def resize_nearest(image: np.ndarray, width: int) -> np.ndarray:
    """Nearest-neighbour resize of a 2D image to ``width`` columns, keeping its aspect."""
    height = max(1, round(image.shape[0] * width / max(1, image.shape[1])))
    rows = np.minimum((np.arange(height) + 0.5) * image.shape[0] / height, image.shape[0] - 1)
    cols = np.minimum((np.arange(width) + 0.5) * image.shape[1] / width, image.shape[1] - 1)
    return np.asarray(image[rows.astype(int)][:, cols.astype(int)])
