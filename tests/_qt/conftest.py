"""Qt test set-up: the explorer's remembered choices live in each test's own folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from qtpy.QtCore import QSettings


@pytest.fixture(autouse=True)
def _own_preferences(tmp_path: Path) -> None:
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
