"""A destination too small: refused before anything is written, or, when it fills up
under way, stopped with complete files only. On a real small file system (tmpfs)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from napari_cryoet_explorer.cli import main
from napari_cryoet_explorer.downloads.plan import Choice, run_items
from napari_cryoet_explorer.downloads.transfer import (
    INCOMPLETE_SUFFIX,
    PART_SUFFIX,
    DiskFull,
    download,
)
from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.replica.server import ReplicaServer


def test_too_little_space_is_refused_before_writing(
    tiny_replica: ReplicaServer,
    tiny_root: Path,
    small_disk: Callable[[int], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = tiny_root / "10000" / "TS_001"
    large = sum(f.stat().st_size for f in run.rglob("*.mrc"))
    disk = small_disk(large // 2)
    code = main(["download", "10000/TS_001", "--url", tiny_replica.url, "--dest", str(disk)])
    assert code == 1
    err = capsys.readouterr().err
    assert f"not enough space in {disk}" in err and "nothing was downloaded" in err
    assert not any(disk.iterdir())


def test_a_disk_that_fills_up_keeps_complete_files_only(
    tiny_replica: ReplicaServer, tiny_root: Path, small_disk: Callable[[int], Path]
) -> None:
    with PortalClient(tiny_replica.url) as client:
        items = run_items(client, 10000, "TS_001", Choice())
    run_bytes = sum(f.stat().st_size for f in (tiny_root / "10000" / "TS_001").rglob("*"))
    disk = small_disk(run_bytes // 3)
    with pytest.raises(DiskFull, match="no space left"):
        download(items, disk, jobs=2)
    files = [p for p in disk.rglob("*") if p.is_file()]
    whole = [p for p in files if not p.name.endswith((PART_SUFFIX, INCOMPLETE_SUFFIX))]
    assert whole and not [p for p in files if p.name.endswith(PART_SUFFIX)]
    for p in whole:  # every file there is byte for byte the server's
        rel = p.relative_to(disk)
        assert p.read_bytes() == (tiny_root / rel).read_bytes(), rel
    # The stores begun are marked incomplete, so they are not opened as downloads.
    assert [p for p in files if p.name.endswith(".zarr" + INCOMPLETE_SUFFIX)]
