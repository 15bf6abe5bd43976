"""The built wheel ships the npe2 manifest and npe2 finds it."""

from __future__ import annotations

import importlib
import subprocess
import sys
import zipfile
from pathlib import Path

import yaml
from npe2 import PluginManifest

ROOT = Path(__file__).resolve().parents[1]


def test_manifest_is_discovered_and_valid() -> None:
    manifest = PluginManifest.from_distribution("napari-cryoet-explorer")
    assert manifest.name == "napari-cryoet-explorer"
    # Every command the manifest names must resolve to an importable callable.
    for command in manifest.contributions.commands or []:
        assert command.python_name, command.id
        module, _, attr = command.python_name.partition(":")
        assert callable(getattr(importlib.import_module(module), attr)), command.id
    result = subprocess.run(
        [sys.executable, "-m", "npe2", "validate", "napari-cryoet-explorer"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_top_level_manifest_is_the_package_s() -> None:
    """The repository's ``napari.yaml`` (a link) and the shipped one never drift apart."""
    top_level = ROOT / "napari.yaml"
    shipped = ROOT / "src" / "napari_cryoet_explorer" / "napari.yaml"
    assert top_level.read_bytes() == shipped.read_bytes()
    installed = PluginManifest.from_distribution("napari-cryoet-explorer")
    assert installed == PluginManifest.from_file(shipped)


def test_wheel_ships_manifest(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("napari_cryoet_explorer-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        shipped = yaml.safe_load(zf.read("napari_cryoet_explorer/napari.yaml"))
        (entry_points,) = (n for n in names if n.endswith(".dist-info/entry_points.txt"))
        entry_text = zf.read(entry_points).decode()
    top_level = yaml.safe_load((ROOT / "napari.yaml").read_text())
    assert shipped == top_level
    assert "[napari.manifest]" in entry_text
    assert "napari_cryoet_explorer:napari.yaml" in entry_text
    assert not any(n.startswith("tests/") for n in names)
