"""One colour per annotated object, stable across layers and sessions."""

from __future__ import annotations

import hashlib

# Distinct, saturated colours that read well over a grey tomogram.
PALETTE: tuple[tuple[float, float, float, float], ...] = (
    (0.90, 0.16, 0.16, 1.0),
    (0.16, 0.55, 0.95, 1.0),
    (0.20, 0.80, 0.25, 1.0),
    (1.00, 0.60, 0.05, 1.0),
    (0.70, 0.30, 0.95, 1.0),
    (0.05, 0.85, 0.85, 1.0),
    (0.95, 0.35, 0.75, 1.0),
    (0.85, 0.85, 0.10, 1.0),
    (0.55, 0.35, 0.15, 1.0),
    (0.45, 0.95, 0.60, 1.0),
)


def object_color(name: str) -> tuple[float, float, float, float]:
    """RGBA colour of an object, derived from its name (not from load order)."""
    digest = hashlib.sha1(name.strip().lower().encode()).digest()
    return PALETTE[int.from_bytes(digest[:4], "big") % len(PALETTE)]


def instance_colors(ids: list[int] | tuple[int, ...]) -> list[tuple[float, float, float, float]]:
    """One palette colour per instance id (categorical)."""
    return [PALETTE[int(i) % len(PALETTE)] for i in ids]
