"""Where downloads live on this machine (Qt-free).

The download folders the user chose are remembered (newest first) in a small JSON file
under the user's configuration folder, so the widget's dialog offers the last one again
and the openers can look there for local copies before going to the network.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

APP = "napari-cryoet-explorer"
REMEMBERED = 10  # download folders kept


def config_root() -> Path:
    """``$XDG_CONFIG_HOME/napari-cryoet-explorer`` (``~/.config`` by default)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / APP


def _folders_file() -> Path:
    return config_root() / "download-folders.json"


def download_folders() -> list[Path]:
    """The download folders used so far, newest first (a broken file reads as none)."""
    try:
        doc = json.loads(_folders_file().read_text())
    except (OSError, ValueError):
        return []
    found = doc.get("folders") if isinstance(doc, dict) else None
    if not isinstance(found, list):
        return []
    return [Path(f) for f in found if isinstance(f, str) and f]


def remember_download_folder(folder: str | Path) -> None:
    """Put ``folder`` first among the remembered download folders.

    Written through a temporary file and renamed, so a crash never leaves half a file.
    """
    folder = Path(folder).expanduser().resolve()
    folders = [folder] + [f for f in download_folders() if f != folder]
    target = _folders_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".download-folders-", dir=target.parent)
    try:
        with os.fdopen(fd, "w") as out:
            json.dump({"folders": [str(f) for f in folders[:REMEMBERED]]}, out, indent=1)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


__all__ = [
    "config_root",
    "download_folders",
    "remember_download_folder",
]
