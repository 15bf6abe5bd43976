"""Where generated portals are kept between runs (the demo's data)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .portal import GENERATOR_VERSION, generate_portal


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/napari-cryoet-explorer`` (``~/.cache`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "napari-cryoet-explorer"


def cached_portal(preset: str = "demo", root: Path | None = None) -> Path:
    """A generated portal of ``preset``, generated on first use and reused afterwards.

    Generation writes into a temporary sibling folder that is renamed when complete, so
    an interrupted run never leaves a half-written portal behind.
    """
    # The generator's version is in the name: a new layout never reuses an old cache.
    target = (root or cache_root()) / f"{preset}-portal-v{GENERATOR_VERSION}"
    if (target / "portal.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{preset}-", dir=target.parent))
    try:
        generate_portal(work, preset)
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return target
