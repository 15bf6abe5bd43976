"""Remembered download folders: newest first, bounded, a broken file reads as none."""

from __future__ import annotations

from pathlib import Path

import pytest

from napari_cryoet_explorer.downloads import places
from napari_cryoet_explorer.net.cache_config import chunk_cache_root


def test_folders_newest_first_and_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert places.download_folders() == []
    for i in range(places.REMEMBERED + 2):
        places.remember_download_folder(tmp_path / f"d{i}")
    places.remember_download_folder(tmp_path / "d3")
    got = places.download_folders()
    assert got[0] == (tmp_path / "d3").resolve()
    assert got[1] == (tmp_path / f"d{places.REMEMBERED + 1}").resolve()
    assert len(got) == places.REMEMBERED
    assert len(set(got)) == len(got)
    assert not [p for p in (tmp_path / "config").rglob(".download-folders-*")]


def test_broken_file_reads_as_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    target = places.config_root() / "download-folders.json"
    target.parent.mkdir(parents=True)
    target.write_text('{"folders": [1, "')
    assert places.download_folders() == []
    places.remember_download_folder(tmp_path / "a")
    assert places.download_folders() == [(tmp_path / "a").resolve()]


def test_cache_root_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAPARI_CRYOET_EXPLORER_CACHE", str(tmp_path / "c"))
    assert chunk_cache_root() == tmp_path / "c"
    monkeypatch.delenv("NAPARI_CRYOET_EXPLORER_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert chunk_cache_root() == tmp_path / "x" / "napari-cryoet-explorer" / "chunks"
