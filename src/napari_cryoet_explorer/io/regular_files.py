"""Local files are opened only when they are regular files; folders are listed unopened.

A download folder can hold whatever a file system holds. Opening a FIFO (named pipe)
blocks until something writes to it, in practice for ever, and would freeze napari; a
device may never end, or act when opened; a socket cannot be opened at all. So folders
are listed with :func:`os.scandir`, whose entries tell files, folders and the rest apart
without opening anything, special files are skipped (logged once each), and a file is
opened only after ``stat`` says it is regular. It is opened non-blocking and checked
again with ``fstat``, so that a file swapped for a FIFO in between cannot block either.
URLs are read as :mod:`.sources` reads them.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import threading
from pathlib import Path
from typing import Any, BinaryIO

from ..net import sources
from .errors import ReaderError

log = logging.getLogger(__name__)

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)
# Non-blocking, so that opening a FIFO returns at once; no controlling terminal from a
# terminal device. (Neither flag changes how a regular file reads.)
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_OPEN_FLAGS |= getattr(os, "O_BINARY", 0)

# Special files already reported: folders are listed again and again while browsing.
_reported: set[str] = set()
_reported_lock = threading.Lock()


def kind_of(mode: int) -> str:
    """What a ``st_mode`` that is not a regular file's is, in words."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def is_regular_file(path: str | Path) -> bool:
    """Whether ``path`` is a regular file (a symbolic link to one counts); never opens it."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def check_regular_file(path: str | Path) -> None:
    """Raise unless ``path`` is a regular file; nothing is opened.

    Raises
    ------
    FileNotFoundError, OSError
        There is no such file, or it cannot be looked at.
    ReaderError
        It is a FIFO, socket, device or folder; the message names it and says which.
    """
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise ReaderError(f"{path} is {kind_of(mode)}, not a regular file; it is not read")


def open_file(path: str | Path) -> BinaryIO:
    """A regular file opened for reading in binary mode.

    Raises
    ------
    OSError
        It cannot be opened.
    ReaderError
        It is not a regular file (checked before and after opening).
    """
    check_regular_file(path)
    fd = os.open(path, _OPEN_FLAGS)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):  # replaced between the two looks
            raise ReaderError(f"{path} is {kind_of(mode)}, not a regular file; it is not read")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: str | Path, *, cache: bool = True) -> bytes:
    """The content of a local regular file, or of a URL (:func:`.sources.read_bytes`).

    Raises
    ------
    OSError
        It cannot be read (for a URL the message names it).
    ReaderError
        A local path that is not a regular file.
    """
    if sources.is_url(path):
        return sources.read_bytes(path, cache=cache)
    with open_file(path) as stream:
        return stream.read()


def read_json(path: str | Path) -> Any:
    """A JSON document from a local regular file or a URL; None when it is missing,
    broken or not a regular file (which is logged)."""
    try:
        return json.loads(read_bytes(path))
    except ReaderError as exc:
        _report(str(path), str(exc))
        return None
    except (json.JSONDecodeError, UnicodeDecodeError, OSError, ValueError):
        return None


def _report(key: str, message: str) -> None:
    with _reported_lock:
        if key in _reported:
            return
        _reported.add(key)
    log.warning("%s", message)


def _entries(folder: Path) -> list[tuple[Path, str]]:
    """``(path, "file" | "folder" | "other")`` for each entry of ``folder``, by name;
    [] when it cannot be listed. Symbolic links are followed, as ``Path.is_file`` does."""
    out = []
    try:
        with os.scandir(folder) as found:
            for entry in found:
                try:
                    kind = "file" if entry.is_file() else "folder" if entry.is_dir() else "other"
                except OSError:
                    kind = "other"
                out.append((folder / entry.name, kind))
    except OSError:
        return []
    return sorted(out)


def _special(path: Path) -> None:
    try:
        what = kind_of(os.stat(path).st_mode)
    except OSError:
        what = "a broken link or unreadable entry"
    _report(str(path), f"{path} is {what}, not a regular file or folder: skipped")


def files_in(folder: str | Path) -> list[Path]:
    """The regular files in ``folder``, by name; FIFOs, sockets and devices are skipped
    (and logged), never opened."""
    out = []
    for path, kind in _entries(Path(folder)):
        if kind == "file":
            out.append(path)
        elif kind == "other":
            _special(path)
    return out


def folders_in(folder: str | Path) -> list[Path]:
    """The folders in ``folder``, by name."""
    return [path for path, kind in _entries(Path(folder)) if kind == "folder"]


__all__ = [
    "check_regular_file",
    "files_in",
    "folders_in",
    "is_regular_file",
    "kind_of",
    "open_file",
    "read_bytes",
    "read_json",
]
