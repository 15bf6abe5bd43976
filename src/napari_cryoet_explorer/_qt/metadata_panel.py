"""A searchable key/value view of whatever node is selected."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from qtpy.QtCore import Qt, QUrl
from qtpy.QtGui import QDesktopServices, QGuiApplication, QKeySequence, QPixmap
from qtpy.QtWidgets import (
    QLabel,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

_LINK_PREFIXES = ("http://", "https://")
# Key photos are shown at most this tall, so the field list keeps its room.
PHOTO_HEIGHT = 140


# Accession prefixes of the archives the portal cites, and where each entry lives.
_ARCHIVES = {
    "EMD-": "https://www.ebi.ac.uk/emdb/{}",
    "EMPIAR-": "https://www.ebi.ac.uk/empiar/{}/",
}


def _link(value: Any) -> str | None:
    """A clickable URL for a value: web links, DOIs, EMDB and EMPIAR entries."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if value.startswith(_LINK_PREFIXES):
        return value
    if value.startswith("10.") and "/" in value:
        return f"https://doi.org/{value}"
    if value.lower().startswith("doi:"):
        return f"https://doi.org/{value[4:].strip()}"
    for prefix, url in _ARCHIVES.items():
        if value.upper().startswith(prefix) and value[len(prefix) :].isdigit():
            return url.format(value.upper())
    return None


def _references(value: Any) -> list[str]:
    """The parts of a comma-separated list of links (``10.1/a, EMD-1``), else []."""
    if not isinstance(value, str) or "," not in value:
        return []
    parts = [p.strip() for p in value.split(",") if p.strip()]
    return parts if len(parts) > 1 and all(_link(p) for p in parts) else []


class MetadataPanel(QWidget):
    """Every field of the selected node; filter box, copy with Ctrl+C, links open on double-click."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("filter fields…")
        self.filter.setClearButtonEnabled(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["field", "value"])
        self.tree.setColumnWidth(0, 180)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.photo = QLabel()
        self.photo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.photo.setWordWrap(True)
        self.photo.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.photo)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree)
        self.filter.textChanged.connect(self._apply_filter)
        self.tree.itemDoubleClicked.connect(self._open_link)

    def show_fields(self, title: str, fields: Mapping[str, Any]) -> None:
        """Replace the view with ``fields`` (nested mappings become branches)."""
        self.tree.clear()
        root = QTreeWidgetItem([title, ""])
        self.tree.addTopLevelItem(root)
        self._add(root, fields)
        root.setExpanded(True)
        self._apply_filter(self.filter.text())

    def show_photo(self, image: bytes | None, source: str = "") -> None:
        """Show a key photo (PNG or JPEG bytes) above the fields; None hides it."""
        if image is None:
            self.photo.clear()
            self.photo.setVisible(False)
            return
        pixmap = QPixmap()
        if pixmap.loadFromData(image) and not pixmap.isNull():
            if pixmap.height() > PHOTO_HEIGHT:
                pixmap = pixmap.scaledToHeight(
                    PHOTO_HEIGHT, Qt.TransformationMode.SmoothTransformation
                )
            self.photo.setPixmap(pixmap)
        else:
            self.photo.setText(f"key photo is not an image: {source}")
        self.photo.setToolTip(source)
        self.photo.setVisible(True)

    def show_photo_error(self, message: str) -> None:
        """Say why the key photo is missing, in its place."""
        self.photo.setText(message)
        self.photo.setToolTip(message)
        self.photo.setVisible(True)

    def _add(self, parent: QTreeWidgetItem, fields: Mapping[str, Any]) -> None:
        for key, value in fields.items():
            if isinstance(value, Mapping):
                item = QTreeWidgetItem([str(key), ""])
                parent.addChild(item)
                self._add(item, value)
                continue
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            item = QTreeWidgetItem([str(key), text])
            item.setToolTip(1, text)
            parent.addChild(item)
            references = _references(value)
            if not references:
                self._make_link(item, value)
            # Several DOIs or accessions in one field: one clickable row each.
            for index, part in enumerate(references, start=1):
                child = QTreeWidgetItem([str(index), part])
                self._make_link(child, part)
                item.addChild(child)

    def _make_link(self, item: QTreeWidgetItem, value: Any) -> None:
        url = _link(value)
        if url:
            item.setData(1, Qt.ItemDataRole.UserRole, url)
            item.setForeground(1, self.palette().link())
            item.setToolTip(1, f"{item.text(1)}\n{url}\n(double-click to open)")

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()

        def visit(item: QTreeWidgetItem | None) -> bool:
            if item is None:
                return False
            own = not needle or needle in item.text(0).lower() or needle in item.text(1).lower()
            child_hit = False
            for i in range(item.childCount()):
                child_hit = visit(item.child(i)) or child_hit
            item.setHidden(not (own or child_hit))
            return own or child_hit

        for i in range(self.tree.topLevelItemCount()):
            visit(self.tree.topLevelItem(i))

    def link_of(self, item: QTreeWidgetItem) -> str | None:
        """The URL behind an item, if its value is a link."""
        value = item.data(1, Qt.ItemDataRole.UserRole)
        return str(value) if value else None

    def _open_link(self, item: QTreeWidgetItem, _column: int) -> None:
        url = self.link_of(item)
        if url:
            QDesktopServices.openUrl(QUrl(url))

    def selected_text(self) -> str:
        """``key: value`` lines of the selected rows."""
        return "\n".join(f"{i.text(0)}: {i.text(1)}" for i in self.tree.selectedItems())

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        if event.matches(QKeySequence.StandardKey.Copy):
            clipboard = QGuiApplication.clipboard()
            if clipboard is not None:
                clipboard.setText(self.selected_text())
            return
        super().keyPressEvent(event)
