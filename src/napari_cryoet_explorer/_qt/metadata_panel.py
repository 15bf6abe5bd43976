"""The selected node's metadata, in the portal's sections; searchable, copyable, linked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from qtpy.QtCore import Qt, QUrl
from qtpy.QtGui import QColor, QDesktopServices, QGuiApplication, QKeySequence, QPixmap
from qtpy.QtWidgets import (
    QLabel,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..portal.metadata_rows import Row, Section
from ..portal.sections import all_fields_section

# Key photos are shown at most this tall, so the field list keeps its room.
PHOTO_HEIGHT = 140
# The label column fits its longest label up to this width; values get the rest.
MAX_LABEL_WIDTH = 260
LINK_ON_DARK = "#6cb4ff"  # a link colour that reads on napari's dark theme
LINK = Qt.ItemDataRole.UserRole
FIELD = Qt.ItemDataRole.UserRole + 1
SECTION = Qt.ItemDataRole.UserRole + 2


class MetadataPanel(QWidget):
    """The node's sections (bold headers, "All fields" folded), a filter box, Ctrl+C
    copies ``label: value`` of the selected rows, links open on double-click, and a
    tooltip on each label gives the portal's definition."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setVisible(False)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("filter fields…")
        self.filter.setClearButtonEnabled(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["field", "value"])
        self.tree.setColumnWidth(0, 180)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.tree.setWordWrap(True)
        self.photo = QLabel()
        self.photo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.photo.setWordWrap(True)
        self.photo.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.photo)
        layout.addWidget(self.heading)
        layout.addWidget(self.notice)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree)
        self.filter.textChanged.connect(self._apply_filter)
        self.tree.itemDoubleClicked.connect(self._open_link)
        self._auto_expanded: set[str] = set()

    # -- content --------------------------------------------------------------------

    def show_sections(
        self, title: str, sections: Sequence[Section], *, keep_state: bool = False
    ) -> None:
        """Replace the view with ``sections`` under ``title``.

        ``keep_state`` keeps the sections the user folded or unfolded as they were (for
        the same node, when its details arrive).
        """
        state = self._expansion() if keep_state else {}
        self.tree.clear()
        self._auto_expanded.clear()
        self.heading.setText(title)
        self.heading.setToolTip(title)
        for section in sections:
            header = QTreeWidgetItem([section.title, ""])
            header.setData(0, SECTION, section.title)
            font = header.font(0)
            font.setBold(True)
            header.setFont(0, font)
            self.tree.addTopLevelItem(header)
            header.setFirstColumnSpanned(True)
            for row in section.rows:
                self._add_row(header, row)
            header.setExpanded(state.get(section.title, not section.collapsed))
        self._fit_labels()
        self._apply_filter(self.filter.text())

    def show_fields(self, title: str, fields: Mapping[str, Any]) -> None:
        """Show every field of a mapping, unfolded (nested mappings become branches)."""
        self.show_sections(title, [all_fields_section(fields, collapsed=False)])

    def show_notice(self, message: str = "", *, error: bool = False) -> None:
        """A line above the sections (details loading, or why they are missing); ""
        hides it."""
        self.notice.setText(message)
        self.notice.setToolTip(message)
        self.notice.setStyleSheet("color: #d9534f;" if error else "")
        self.notice.setVisible(bool(message))

    def sections(self) -> dict[str, QTreeWidgetItem]:
        """The section headers by title."""
        out = {}
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item is not None:
                out[item.text(0)] = item
        return out

    def rows(self, section: str) -> dict[str, QTreeWidgetItem]:
        """The rows of a section by label."""
        header = self.sections().get(section)
        if header is None:
            return {}
        children = (header.child(i) for i in range(header.childCount()))
        return {c.text(0): c for c in children if c is not None}

    def _add_row(self, parent: QTreeWidgetItem, row: Row) -> None:
        item = QTreeWidgetItem([row.label, row.value])
        item.setData(0, FIELD, row.field)
        tip = row.definition
        if row.field:
            tip = f"{tip}\n({row.field})" if tip else row.field
        item.setToolTip(0, tip)
        item.setToolTip(1, row.value)
        parent.addChild(item)
        if row.link:
            item.setData(1, LINK, row.link)
            item.setForeground(1, self._link_color())
            item.setToolTip(1, f"{row.value}\n{row.link}\n(double-click to open)")
        for child in row.children:
            self._add_row(item, child)

    def _link_color(self) -> QColor:
        """The palette's link colour, lightened on a dark theme (napari's default),
        where Qt's dark blue cannot be read."""
        color = self.palette().link().color()
        if self.palette().base().color().lightness() < 128 and color.lightness() < 140:
            color = QColor(LINK_ON_DARK)
        return color

    def _expansion(self) -> dict[str, bool]:
        return {title: item.isExpanded() for title, item in self.sections().items()}

    def _fit_labels(self) -> None:
        self.tree.resizeColumnToContents(0)
        self.tree.setColumnWidth(0, min(max(self.tree.columnWidth(0), 120), MAX_LABEL_WIDTH))

    # -- key photo ------------------------------------------------------------------

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

    # -- filter, links, copy -----------------------------------------------------------

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()

        def matches(item: QTreeWidgetItem) -> bool:
            texts = (item.text(0), item.text(1), str(item.data(0, FIELD) or ""))
            return any(needle in t.lower() for t in texts)

        def visit(item: QTreeWidgetItem | None) -> bool:
            if item is None:
                return False
            own = not needle or matches(item)
            child_hit = False
            for i in range(item.childCount()):
                child_hit = visit(item.child(i)) or child_hit
            item.setHidden(not (own or child_hit))
            return own or child_hit

        for title, header in self.sections().items():
            hit = False
            for i in range(header.childCount()):
                hit = visit(header.child(i)) or hit
            header.setHidden(bool(needle) and not hit and needle not in title.lower())
            # A folded section with hits opens while filtering, and folds back after.
            if needle and hit and not header.isExpanded():
                header.setExpanded(True)
                self._auto_expanded.add(title)
            elif not needle and title in self._auto_expanded:
                header.setExpanded(False)
        if not needle:
            self._auto_expanded.clear()

    def link_of(self, item: QTreeWidgetItem) -> str | None:
        """The URL behind an item, if its value is a link."""
        value = item.data(1, LINK)
        return str(value) if value else None

    def _open_link(self, item: QTreeWidgetItem, _column: int) -> None:
        url = self.link_of(item)
        if url:
            QDesktopServices.openUrl(QUrl(url))

    def selected_text(self) -> str:
        """``label: value`` lines of the selected rows; a selected section header
        stands for all of its rows."""
        lines: list[str] = []
        seen: set[int] = set()

        def add(item: QTreeWidgetItem) -> None:
            if id(item) in seen:
                return
            seen.add(id(item))
            if item.data(0, SECTION) is not None:
                for i in range(item.childCount()):
                    child = item.child(i)
                    if child is not None and not child.isHidden():
                        add(child)
                return
            lines.append(f"{item.text(0)}: {item.text(1)}")

        for item in self.tree.selectedItems():
            add(item)
        return "\n".join(lines)

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        if event.matches(QKeySequence.StandardKey.Copy):
            clipboard = QGuiApplication.clipboard()
            if clipboard is not None:
                clipboard.setText(self.selected_text())
            return
        super().keyPressEvent(event)
