"""The package's parts import one another in one direction only (docs/architecture.md),
and Qt only under ``_qt/``. Read from the source with :mod:`ast`: nothing is imported."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import napari_cryoet_explorer

PACKAGE = Path(napari_cryoet_explorer.__file__).parent
NAME = "napari_cryoet_explorer"
# Each part and the parts it may import (besides itself). Top-level modules (cli,
# opening, the npe2 entry points) and _qt/ sit above all of them.
ALLOWED: dict[str, set[str]] = {
    "net": set(),
    "replica": set(),
    "synthetic": {"replica"},
    "portal": {"net"},
    "io": {"net", "portal"},
    "local": {"portal", "io"},
    "downloads": {"net", "portal"},
}
QT_MODULES = ("qtpy", "PyQt5", "PyQt6", "PySide2", "PySide6", "superqt", "napari._qt")


def _imports(path: Path) -> list[str]:
    """Absolute names of the modules ``path`` imports, relative imports resolved."""
    module = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = module[:-1] if module[-1] != "__init__" else module[:-1]
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                names.append(".".join([*base, *([node.module] if node.module else [])]))
            elif node.module:
                names.append(node.module)
    return names


def _part(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == NAME else None


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_parts_import_only_the_parts_below_them(part: str) -> None:
    wrong = []
    for path in sorted((PACKAGE / part).rglob("*.py")):
        for name in _imports(path):
            target = _part(name) if name.startswith(NAME + ".") else None
            if name.startswith(NAME) and target is None and name != NAME:
                target = name.split(".")[1]  # a top-level module (cli, opening...)
            if target and target != part and target not in ALLOWED[part]:
                wrong.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert wrong == []


def test_qt_is_imported_only_under_qt() -> None:
    wrong = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if "_qt" not in path.relative_to(PACKAGE).parts
        for name in _imports(path)
        if name.startswith(QT_MODULES)
    ]
    assert wrong == []


def test_the_check_sees_relative_imports() -> None:
    """The resolver turns ``from ..net.cache import x`` in io/ into the absolute name."""
    names = _imports(PACKAGE / "io" / "zarr_chunks.py")
    assert f"{NAME}.net.cache" in names and "zarr" in names
