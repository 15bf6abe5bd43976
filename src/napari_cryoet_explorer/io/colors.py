"""One colour per annotated object, stable across layers and sessions."""

from __future__ import annotations

import hashlib

import numpy as np
from numpy.typing import ArrayLike

RGBA = tuple[float, float, float, float]

# Saturated colours that read well over a grey tomogram and apart from one another.
PALETTE: tuple[RGBA, ...] = (
    (0.90, 0.16, 0.16, 1.0),
    (0.16, 0.55, 0.95, 1.0),
    (0.20, 0.80, 0.25, 1.0),
    (1.00, 0.60, 0.05, 1.0),
    (0.70, 0.30, 0.95, 1.0),
    (0.05, 0.85, 0.85, 1.0),
    (0.95, 0.35, 0.75, 1.0),
    (0.85, 0.85, 0.10, 1.0),
    (0.80, 0.50, 0.25, 1.0),
    (0.45, 0.95, 0.60, 1.0),
    (0.35, 0.35, 1.00, 1.0),
    (0.60, 0.90, 0.10, 1.0),
)
# Chosen so that the objects most often annotated on the portal (ribosome, nucleosome,
# vesicle, membrane, microtubule, mitochondrion, actin, apoferritin, ...) all differ.
_SALT = "1527"


def object_color(name: str) -> RGBA:
    """RGBA colour of an object, derived from its name only (not from load order).

    The same object gets the same colour in every layer, run and session.
    """
    key = " ".join(name.replace("_", " ").lower().split())
    digest = hashlib.sha1(f"{_SALT}:{key}".encode()).digest()
    return PALETTE[int.from_bytes(digest[:4], "big") % len(PALETTE)]


def instance_colors(ids: ArrayLike) -> np.ndarray:
    """One categorical colour per instance id (neighbouring ids differ), as an
    ``(N, 4)`` float32 array (what napari holds) indexed from the palette: no Python
    object per point."""
    index = np.mod(np.asarray(ids, dtype=np.int64), len(PALETTE))
    return np.asarray(PALETTE, dtype=np.float32)[index]
