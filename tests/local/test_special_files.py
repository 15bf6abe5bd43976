"""FIFOs, sockets and devices in a download are skipped unopened; nothing waits on them.

Opening a FIFO for reading blocks until a writer comes, and reading ``/dev/zero`` never
ends. Every call below runs in a thread given a few seconds: a regression fails the
test instead of hanging the suite.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest

from napari_cryoet_explorer._reader import get_reader
from napari_cryoet_explorer.io import ReaderError, open_run, read_annotation_file, read_tomogram
from napari_cryoet_explorer.local.tree import LocalSource
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal

T = TypeVar("T")
PATIENCE = 5.0  # seconds; everything here takes well under one
SPACING = Path("Reconstructions") / "VoxelSpacing10.000"

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")


def within(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``call(*args, **kwargs)`` in a daemon thread; fails the test if it is still
    running after :data:`PATIENCE` seconds (the thread is left blocked, harmlessly)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call(*args, **kwargs)
        except BaseException as exc:  # handed to the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(PATIENCE)
    if thread.is_alive():
        pytest.fail(f"{getattr(call, '__name__', call)} still blocked after {PATIENCE} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


@pytest.fixture
def unix_sockets(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], None]]:
    """``bind(path)`` leaves a socket file at ``path`` (closed after the test)."""
    opened: list[socket.socket] = []

    def bind(path: Path) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        opened.append(sock)
        # Socket addresses are short (108 bytes): bind by name from inside the folder.
        with monkeypatch.context() as inside:
            inside.chdir(path.parent)
            sock.bind(path.name)

    yield bind
    for sock in opened:
        sock.close()


@pytest.fixture
def run_copy(tiny_portal: GeneratedPortal, tmp_path: Path) -> tuple[Path, Path]:
    """A clean copy of the tiny portal's first run and one to put special files in."""
    clean, dirty = tmp_path / "clean" / "TS_001", tmp_path / "dirty" / "TS_001"
    shutil.copytree(tiny_portal.root / "10000" / "TS_001", clean)
    shutil.copytree(clean, dirty)
    return clean, dirty


def _names(layers: list[Any]) -> list[tuple[str, str]]:
    return sorted((kind, kwargs["name"]) for _, kwargs, kind in layers)


def test_special_files_in_a_run_are_skipped_and_the_rest_opens(
    run_copy: tuple[Path, Path],
    unix_sockets: Callable[[Path], None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    clean, run = run_copy
    annotations = run / SPACING / "Annotations" / "100"
    tomogram = run / SPACING / "Tomograms" / "100"
    specials = [
        annotations / "zzz-1.0_point.ndjson",  # named like an annotation file
        annotations / "zzz-1.0.json",  # named like its metadata
        tomogram / "extra.mrc",  # named like a tomogram
        run / "notes_point.ndjson",  # loose in the run folder
    ]
    for path in specials:
        os.mkfifo(path)
    unix_sockets(annotations / "sock-1.0_point.ndjson")
    # A device behind a portal name: reading /dev/zero would never end.
    os.symlink("/dev/zero", annotations / "dev-1.0_orientedpoint.ndjson")
    os.symlink("/dev/zero", run / SPACING / "Tomograms" / "101" / "zero.mrc")
    with caplog.at_level(logging.WARNING):
        layers = within(open_run, run)
    assert _names(layers) == _names(open_run(clean))
    logged = caplog.text
    for path in specials[:3]:
        assert f"{path} is a FIFO (named pipe)" in logged
    assert "sock-1.0_point.ndjson is a socket" in logged
    assert "dev-1.0_orientedpoint.ndjson is a character device" in logged


def test_the_local_tree_lists_a_download_with_special_files(
    tiny_portal: GeneratedPortal, tmp_path: Path
) -> None:
    clean, dirty = tmp_path / "clean" / "10000", tmp_path / "dirty" / "10000"
    shutil.copytree(tiny_portal.root / "10000", clean)
    shutil.copytree(clean, dirty)
    run = dirty / "TS_001"
    os.mkfifo(dirty / "TS_009")  # named like a run
    os.mkfifo(run / SPACING / "Annotations" / "101" / "extra-1.0.json")
    os.mkfifo(run / SPACING / "Annotations" / "101" / "extra-1.0_point.ndjson")
    os.mkfifo(run / SPACING / "Tomograms" / "100" / "TS_001.rec")
    # Named to sort before the tilt series' own stack and angle list.
    os.mkfifo(run / "TiltSeries" / "100" / "TS_000.mrc")
    os.mkfifo(run / "TiltSeries" / "100" / "TS_000.rawtlt")

    def listing(root: Path) -> list[Any]:
        source = LocalSource(root)
        out: list[Any] = []
        for dataset in source.datasets():
            for found in source.runs(dataset):
                out.append(found.name)
                out.extend((t.https_mrc_file, t.https_angle_list) for t in found.tilt_series)
                for spacing in found.voxel_spacings:
                    contents = source.contents(spacing)
                    out.append(
                        sorted(Path(t.https_mrc_file or "").name for t in contents.tomograms)
                    )
                    out.append(
                        sorted(
                            Path(f.https_path).name for a in contents.annotations for f in a.files
                        )
                    )
        return out

    listed, expected = within(listing, dirty), listing(clean)
    assert str(listed).replace("/dirty/", "/clean/") == str(expected)
    assert "TS_001.rawtlt" in str(listed) and "TS_001.mrc" in str(listed)


def test_a_fifo_inside_a_zarr_store(run_copy: tuple[Path, Path]) -> None:
    """A FIFO in place of a chunk is refused when that chunk is read, naming it; in place
    of a mask's metadata the mask is left out with a warning and the run still opens."""
    _, run = run_copy
    store = run / SPACING / "Tomograms" / "100" / "TS_001.zarr"
    chunk = store / "1" / "0" / "0" / "0"
    chunk.unlink()
    os.mkfifo(chunk)
    data, _, _ = within(read_tomogram, store, voxel_spacing=10.0)
    with pytest.raises(
        ReaderError,
        match=rf"chunk 0/0/0 of {re.escape(str(store))}/1: {re.escape(str(chunk))} is a FIFO",
    ):
        within(np.asarray, data[1][0])
    assert within(np.asarray, data[0][0]).any()  # the other levels read
    mask = run / SPACING / "Annotations" / "101" / "nucleosome-1.0_segmentationmask.zarr"
    (mask / ".zattrs").unlink()
    os.mkfifo(mask / ".zattrs")
    with pytest.raises(ReaderError, match=r"\.zattrs is a FIFO"):
        within(read_annotation_file, mask)
    with pytest.warns(UserWarning, match=r"segmentationmask\.zarr"):
        layers = within(open_run, run)
    assert {kind for _, _, kind in layers} >= {"image", "points", "vectors", "labels"}


@pytest.mark.parametrize(
    ("name", "read"),
    [("x_point.ndjson", read_annotation_file), ("x.mrc", read_tomogram)],
    ids=["ndjson", "mrc"],
)
def test_a_fifo_opened_directly_is_refused_at_once(
    tmp_path: Path, name: str, read: Callable[..., Any]
) -> None:
    fifo = tmp_path / "VoxelSpacing10.000" / name
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    with pytest.raises(ReaderError, match=rf"{name} is a FIFO \(named pipe\), not a regular file"):
        within(read, fifo)
    # napari's reader entry point declines it without opening it.
    assert within(get_reader, str(fifo)) is None
    assert within(get_reader, [str(fifo)]) is None
