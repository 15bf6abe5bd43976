"""npe2 reader entry point: portal files and download folders; declines anything else.

The manifest offers this reader for ``.zarr``, ``.ndjson``, ``.mrc``, ``.rec`` and
``.glb`` only, so other files never list it. npe2 offers every reader that accepts
directories for every local folder, whatever its patterns: a folder that is no part of
a portal download is declined here (None), so npe2 goes on to other readers.

A tilt series read here gets its tilt angle shown on napari's current viewer, as the
explorer widget shows it (:mod:`._qt.tilt_angle`, imported only then).

A file that cannot be read (:class:`~.io.errors.ReaderError`, whose message names it)
is told in a napari notification when a napari window is open, and the reader returns
npe2's "nothing to add" (``[(None,)]``): napari would otherwise report a plugin failure
with a traceback and advise choosing another reader. Without a window (scripts, the
command line, tests) the error is raised.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .io import ReaderError, open_run
from .io.download_tree import parse_annotation_name
from .io.regular_files import read_bytes
from .io.run import portal_folder
from .io.tiltseries import ANGLES_KEY
from .net.sources import is_url

log = logging.getLogger(__name__)

ReaderFunction = Callable[[Any], list[Any]]
# npe2's answer for "read, and nothing to add": napari adds no layer and reports no error.
NOTHING_TO_ADD: list[Any] = [(None,)]
_FILE_SUFFIXES = (".ndjson", ".mrc", ".rec")


def _single(path: Any) -> str | None:
    if isinstance(path, list | tuple):
        return str(path[0]) if len(path) == 1 and isinstance(path[0], str | Path) else None
    return str(path) if isinstance(path, str | Path) else None


def get_reader(path: Any) -> ReaderFunction | None:
    """A reader for a portal file or download folder, or None if ``path`` is not one.

    Never raises: anything unexpected means the path is not ours.
    """
    single = _single(path)
    if single is None:
        return None
    try:
        return _reader if _is_ours(single) else None
    except Exception as exc:  # whatever a file holds, npe2 must be able to go on
        log.debug("%s is not read here: %s", single, exc)
        return None


def _is_ours(source: str) -> bool:
    lower = source.lower().rstrip("/")
    if lower.endswith(".glb"):
        # Meshes only by the portal's file name: other GLB scenes are not annotations.
        named = parse_annotation_name(source.rstrip("/"))
        return named is not None and named.shape_type == "Mesh" and _exists(source)
    if is_url(source):
        if lower.endswith(".zarr"):
            return _is_ome_zarr(source)
        return lower.endswith(_FILE_SUFFIXES)
    path = Path(source)
    if lower.endswith(_FILE_SUFFIXES):
        return path.is_file()
    if lower.endswith(".zarr"):
        return path.is_dir() and _is_ome_zarr(source)
    return portal_folder(path) is not None


def _exists(source: str) -> bool:
    return is_url(source) or Path(source).is_file()


def _is_ome_zarr(source: str) -> bool:
    """A 3D OME-Zarr (tomogram or mask): read from its metadata file only (a regular
    file: a FIFO in its place is not ours, and is never opened)."""
    base = source.rstrip("/")
    for name in ("zarr.json", ".zattrs"):
        try:
            attrs = json.loads(read_bytes(f"{base}/{name}"))
        except FileNotFoundError:
            continue
        except OSError:
            # A `.zarr` URL whose server did not answer (in time): claimed, so that the
            # reader's error names the URL and the failure, not "no reader found".
            return is_url(source)
        except ValueError:
            continue
        # Any JSON may sit there: whatever is not the expected objects and lists is not
        # an OME-Zarr (and must not raise out of get_reader).
        if name == "zarr.json" and isinstance(attrs, dict):
            attrs = attrs.get("attributes", attrs)
        attrs = attrs if isinstance(attrs, dict) else {}
        ome = attrs.get("ome")
        ome = ome if isinstance(ome, dict) else {}
        multiscales = attrs.get("multiscales") or ome.get("multiscales")
        if not multiscales or not isinstance(multiscales, list):
            return False
        if not isinstance(multiscales[0], dict):
            return False
        axes = multiscales[0].get("axes")
        if axes is not None and not isinstance(axes, list):
            return False
        names = [a.get("name") if isinstance(a, dict) else a for a in axes or []]
        # Ours are (z, y, x); other OME-Zarrs (channels, time) are left to other readers.
        return not names or sorted(str(n) for n in names) == ["x", "y", "z"]
    return False


def _reader(path: Any) -> list[Any]:
    """Open a portal file or folder.

    A broken file is told in a notification when a napari window is open (the reader
    then adds nothing); else its ReaderError, naming it, is raised.
    """
    single = _single(path)
    assert single is not None
    try:
        layers = open_run(single)
    except ReaderError as exc:
        if not _notify(str(exc)):
            raise
        return NOTHING_TO_ADD
    if any(ANGLES_KEY in (layer[1].get("metadata") or {}) for layer in layers):
        _show_tilt_angles(single)
    return layers


def _notify(message: str) -> bool:
    """Show ``message`` as an error notification if a napari window is open.

    Returns
    -------
    bool
        Whether it was shown (no window: the caller raises instead).
    """
    # No napari window without napari's Qt module: a script or test has no one to tell,
    # and Qt is not imported for the question.
    if "napari._qt.qt_main_window" not in sys.modules:
        return False
    try:
        import napari
        from napari.utils.notifications import show_error

        if napari.current_viewer() is None:
            return False
        log.warning("%s", message)
        show_error(message)
    except Exception:  # telling must not hide the error: it is raised then
        return False
    return True


def _show_tilt_angles(source: str) -> None:
    """Show the tilt angle of the current image on napari's viewer, if there is one.

    The layers are added after the reader returns; the display picks them up then.
    The angle is a convenience: failing to show it must not fail the read.
    """
    try:
        from ._qt.tilt_angle import show_on_current_viewer

        show_on_current_viewer()
    except Exception as exc:  # any failure costs the overlay only, not the layers
        log.warning("%s: the tilt angles cannot be shown: %s", source, exc)
