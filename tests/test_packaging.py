"""The built sdist and wheel ship the npe2 manifest, and npe2 finds it."""

from __future__ import annotations

import importlib
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml
from npe2 import PluginManifest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
QT_BINDINGS = {"pyqt5", "pyqt6", "pyside2", "pyside6"}


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel built from it, as ``pip install <checkout>`` builds them."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return out


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


def test_wheel_ships_manifest(dist: Path) -> None:
    (wheel,) = dist.glob("napari_cryoet_explorer-*.whl")
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


def test_sdist_ships_manifest_and_entry_point(dist: Path) -> None:
    (sdist,) = dist.glob("napari_cryoet_explorer-*.tar.gz")
    with tarfile.open(sdist) as tf:
        (top,) = {name.split("/", 1)[0] for name in tf.getnames()}
        manifest = tf.extractfile(f"{top}/src/napari_cryoet_explorer/napari.yaml")
        pyproject = tf.extractfile(f"{top}/pyproject.toml")
        assert manifest is not None and pyproject is not None
        shipped = yaml.safe_load(manifest.read())
        project = pyproject.read().decode()
    assert shipped == yaml.safe_load((ROOT / "napari.yaml").read_text())
    assert '"napari.manifest"' in project
    assert "napari_cryoet_explorer:napari.yaml" in project


def _requirements(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as zf:
        (metadata,) = (n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        text = zf.read(metadata).decode()
    prefix = "Requires-Dist: "
    return [
        Requirement(line[len(prefix) :]) for line in text.splitlines() if line.startswith(prefix)
    ]


def test_runtime_requirements_leave_qt_to_napari(dist: Path) -> None:
    """Installed into a napari that has its Qt binding, the plugin adds none of its own;
    ``[all]`` brings napari with PyQt6 for an environment that has no napari yet."""
    (wheel,) = dist.glob("napari_cryoet_explorer-*.whl")
    requirements = _requirements(wheel)
    runtime = [r for r in requirements if r.marker is None]
    names = {r.name.lower() for r in runtime}
    assert {"napari", "npe2", "qtpy", "superqt"} <= names
    assert not names & QT_BINDINGS, names & QT_BINDINGS
    (napari,) = (r for r in runtime if r.name == "napari")
    assert not napari.extras, napari
    extra_all = [r for r in requirements if r.marker and r.marker.evaluate({"extra": "all"})]
    assert any(r.name == "napari" and "pyqt6" in r.extras for r in extra_all), extra_all
