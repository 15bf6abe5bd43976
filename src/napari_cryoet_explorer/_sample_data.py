"""File > Open Sample: a small synthetic run, generated offline on first use."""

from __future__ import annotations

from .io import LayerData
from .io.folders import open_run_dir
from .replica.cache import cached_portal


def synthetic_run() -> list[LayerData]:
    """A tiny synthetic run (tomogram, points, oriented points, instance points, masks)."""
    root = cached_portal("tiny")
    run_dir = next(p for p in sorted((root / "10000").iterdir()) if p.is_dir())
    return open_run_dir(run_dir)
