"""File > Open Sample: a small synthetic run, generated offline on first use."""

from __future__ import annotations

from pathlib import Path

from .io import LayerData, open_run
from .synthetic.cache import cached_portal


def synthetic_run() -> list[LayerData]:
    """A tiny synthetic run: tomogram, points, oriented points, instance points, masks.

    The ``tiny`` synthetic portal is generated into the user's cache folder the first
    time (no network), then reused.
    """
    root = cached_portal("tiny")
    run_dir = _first_run(root)
    return open_run(run_dir)


def _first_run(root: Path) -> Path:
    for dataset in sorted(p for p in root.iterdir() if p.is_dir()):
        for run in sorted(p for p in dataset.iterdir() if (p / "Reconstructions").is_dir()):
            return run
    raise FileNotFoundError(f"{root}: the synthetic portal holds no run")
