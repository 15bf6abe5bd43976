"""The portal's filters above the tree: facets with their counts, ranges, ids, and the
active filters as removable chips.

The panel holds no network code: it turns what the user set into a
:class:`~napari_cryoet_explorer.portal.filters.Filters` (``filters()``), shows facet
counts it is handed (``set_facets``), and says when the user changed something
(``changed``). The widget debounces, fetches in workers and drops stale answers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from qtpy.QtCore import Qt, Signal
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from superqt import QCollapsible, QFlowLayout, QLabeledDoubleRangeSlider

from ..portal.facets import FACETS, FacetValue
from ..portal.filters import HAS_KINDS, Filters
from ..portal.vocabulary import TILT_SERIES_QUALITY

VALUE = Qt.ItemDataRole.UserRole
# Facets shown as ticked lists (tilt quality is a "≥ N" choice, not a list).
LIST_FACETS = tuple(f for f in FACETS if f.name != "tilt_quality")
TILT_SPAN = (0.0, 180.0)
BODY_MAX_HEIGHT = 320  # pixels of filters shown before they scroll


def _ids(text: str) -> tuple[str, ...]:
    """Comma- or space-separated ids of a line edit."""
    return tuple(p for p in text.replace(",", " ").split() if p)


def _int_ids(text: str, what: str) -> tuple[int, ...]:
    from ..portal.filters import FilterError

    out = []
    for part in _ids(text):
        if not part.isdigit():
            raise FilterError(f"{what} must be whole numbers, got {part!r}")
        out.append(int(part))
    return tuple(out)


class FacetList(QListWidget):
    """One facet's values, each ticked or not, with its number of datasets."""

    def __init__(self, facet: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.facet = facet
        self.setMinimumHeight(90)
        self.setMaximumHeight(140)
        self.setToolTip("tick values to keep datasets that have any of them")

    def set_values(self, values: Sequence[FacetValue], chosen: Sequence[Any]) -> None:
        """Show ``values`` with their counts; ``chosen`` stay ticked (even at zero)."""
        with _quiet(self):
            self.clear()
            seen = set()
            for v in values:
                seen.add(v.value)
                self._add(v.value, v.label, v.datasets, v.value in chosen)
            for value in chosen:
                if value not in seen:
                    self._add(value, None, 0, True)

    def _add(self, value: Any, label: str | None, count: int, ticked: bool) -> None:
        text = f"{value}" if label is None else f"{value}: {label}"
        item = QListWidgetItem(f"{text} ({count})")
        item.setData(VALUE, value)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
        noun = "dataset" if count == 1 else "datasets"
        item.setToolTip(f"{text}\n{count} {noun} match with this value and the other filters")
        self.addItem(item)

    def ticked(self) -> tuple[Any, ...]:
        """The ticked values, in list order."""
        items = (self.item(i) for i in range(self.count()))
        return tuple(
            i.data(VALUE)
            for i in items
            if i is not None and i.checkState() == Qt.CheckState.Checked
        )

    def counts(self) -> dict[Any, int]:
        """Value -> the count shown beside it."""
        out = {}
        for i in range(self.count()):
            item = self.item(i)
            if item is not None:
                out[item.data(VALUE)] = int(item.text().rsplit("(", 1)[1].rstrip(")"))
        return out


@contextlib.contextmanager
def _quiet(*widgets: QWidget) -> Iterator[None]:
    """Set widgets from code without their signals reporting a user change."""
    old = [w.blockSignals(True) for w in widgets]
    try:
        yield
    finally:
        for w, was in zip(widgets, old, strict=True):
            w.blockSignals(was)


class FilterPanel(QWidget):
    """Collapsible filters; ``changed`` fires on every user edit, ``opened`` each time
    the panel is unfolded (facet counts are fetched only while someone looks)."""

    changed = Signal()
    opened = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.collapsible = QCollapsible("Filters")
        body = QWidget()
        form = QFormLayout(body)
        form.setContentsMargins(4, 0, 4, 0)
        form.setVerticalSpacing(2)

        self.ground_truth = QCheckBox("with a ground-truth annotation")
        form.addRow("Ground truth", self.ground_truth)
        has_row = QWidget()
        has_layout = QFlowLayout(has_row)
        self.has = {kind: QCheckBox(kind) for kind in HAS_KINDS}
        for check in self.has.values():
            has_layout.addWidget(check)
        form.addRow("Data types", has_row)

        self.dataset_ids = self._line("10000 10001")
        self.run_ids = self._line("run ids")
        self.accessions = self._line("EMPIAR-10499, EMD-12345")
        self.run_name = self._line("contains…")
        self.author = self._line("name or ORCID")
        form.addRow("Dataset IDs", self.dataset_ids)
        form.addRow("Run IDs", self.run_ids)
        form.addRow("EMPIAR / EMDB", self.accessions)
        form.addRow("Run name", self.run_name)
        form.addRow("Author", self.author)
        self.runs_min = QSpinBox()
        self.runs_min.setRange(0, 100_000)
        self.runs_min.setSpecialValueText("any")
        form.addRow("Runs at least", self.runs_min)

        self.facet_lists: dict[str, FacetList] = {}
        self._facet_boxes: dict[str, QCollapsible] = {}
        for facet in LIST_FACETS:
            listing = FacetList(facet.name)
            fold = QCollapsible(facet.title)
            fold.addWidget(listing)
            fold_layout = fold.layout()
            if fold_layout is not None:
                fold_layout.setContentsMargins(0, 0, 0, 0)
                fold_layout.setSpacing(0)
            self.facet_lists[facet.name] = listing
            self._facet_boxes[facet.name] = fold
            form.addRow(fold)
            listing.itemChanged.connect(lambda _item: self.changed.emit())

        self.tilt_quality = QComboBox()
        self.tilt_quality.addItem("any", None)
        for score in sorted(TILT_SERIES_QUALITY, reverse=True):
            quality = TILT_SERIES_QUALITY[score]
            self.tilt_quality.addItem(f"≥ {quality.label}", score)
            self.tilt_quality.setItemData(
                self.tilt_quality.count() - 1, quality.description, Qt.ItemDataRole.ToolTipRole
            )
        form.addRow("Tilt-series quality", self.tilt_quality)
        self.tilt_range = QLabeledDoubleRangeSlider(Qt.Orientation.Horizontal)
        self.tilt_range.setRange(*TILT_SPAN)  # type: ignore[arg-type]  # floats are fine here
        self.tilt_range.setValue(TILT_SPAN)
        self.tilt_range.setDecimals(0)
        self.tilt_range.setToolTip("tilt range of a tilt series (degrees); the full span is any")
        form.addRow("Tilt range (°)", self.tilt_range)
        spacing = QWidget()
        spacing_row = QHBoxLayout(spacing)
        spacing_row.setContentsMargins(0, 0, 0, 0)
        self.spacing_min, self.spacing_max = QDoubleSpinBox(), QDoubleSpinBox()
        for spin in (self.spacing_min, self.spacing_max):
            spin.setRange(0.0, 1000.0)
            spin.setDecimals(2)
            spin.setSuffix(" Å")
            spin.setSpecialValueText("any")
            spacing_row.addWidget(spin)
        form.addRow("Voxel spacing", spacing)
        self.fiducial = QComboBox()
        self.fiducial.addItem("any", None)
        self.fiducial.addItem("fiducial", "FIDUCIAL")
        self.fiducial.addItem("non-fiducial", "NON_FIDUCIAL")
        form.addRow("Fiducial alignment", self.fiducial)
        # The filters scroll within a bounded height, so the tree keeps its room.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        scroll.setMaximumHeight(BODY_MAX_HEIGHT)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.collapsible.addWidget(scroll)

        self.chip_area = QWidget()
        self.chip_layout = QFlowLayout(self.chip_area)
        self.chip_layout.setContentsMargins(0, 0, 0, 0)
        self.clear_button = QPushButton("clear all")
        self.clear_button.setToolTip("remove every filter")
        self.note = QLabel("")
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.collapsible)
        layout.addWidget(self.chip_area)
        layout.addWidget(self.note)
        self.chip_area.setVisible(False)
        self.note.setVisible(False)

        self.collapsible.toggled.connect(self._toggled)
        self.clear_button.clicked.connect(self.clear)
        for check in (self.ground_truth, *self.has.values()):
            check.toggled.connect(self.changed.emit)
        for edit in (self.dataset_ids, self.run_ids, self.accessions, self.run_name, self.author):
            edit.textChanged.connect(self.changed.emit)
        self.runs_min.valueChanged.connect(self.changed.emit)
        for bound in (self.spacing_min, self.spacing_max):
            bound.valueChanged.connect(self.changed.emit)
        for combo in (self.tilt_quality, self.fiducial):
            combo.currentIndexChanged.connect(self.changed.emit)
        self.tilt_range.valueChanged.connect(self.changed.emit)

    @staticmethod
    def _line(placeholder: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        edit.setClearButtonEnabled(True)
        return edit

    def _toggled(self, expanded: bool) -> None:
        if expanded:
            self.opened.emit()

    # -- reading and writing the filters -------------------------------------------

    def filters(self, search: str = "") -> Filters:
        """The filters the panel shows, with free text ``search``.

        Raises
        ------
        FilterError
            A value the portal cannot answer (its message says which).
        """
        accessions = _ids(self.accessions.text())
        emdb = tuple(a for a in accessions if a.upper().startswith("EMD"))
        author = self.author.text().strip()
        is_orcid = len(author) == 19 and author[4] == "-" and author[:4].isdigit()
        low, high = self.tilt_range.value()
        return Filters(
            search=search,
            ground_truth=self.ground_truth.isChecked(),
            has=tuple(k for k, box in self.has.items() if box.isChecked()),
            runs_min=self.runs_min.value() or None,
            dataset_ids=_int_ids(self.dataset_ids.text(), "dataset ids"),
            run_ids=_int_ids(self.run_ids.text(), "run ids"),
            deposition_ids=tuple(int(v) for v in self.facet_lists["deposition"].ticked()),
            empiar_ids=tuple(a for a in accessions if a not in emdb),
            emdb_ids=emdb,
            run_name=self.run_name.text(),
            author="" if is_orcid else author,
            orcid=author if is_orcid else "",
            organisms=self._ticked("organism"),
            objects=self._ticked("object"),
            shapes=self._ticked("shape"),
            methods=self._ticked("method"),
            cameras=self._ticked("camera"),
            microscopes=self._ticked("microscope"),
            tilt_range_min=low if low > TILT_SPAN[0] else None,
            tilt_range_max=high if high < TILT_SPAN[1] else None,
            tilt_quality_min=self.tilt_quality.currentData(),
            fiducial_alignment=self.fiducial.currentData(),
            reconstruction_methods=self._ticked("reconstruction_method"),
            reconstruction_softwares=self._ticked("reconstruction_software"),
            voxel_spacing_min=self.spacing_min.value() or None,
            voxel_spacing_max=self.spacing_max.value() or None,
        )

    def _ticked(self, facet: str) -> tuple[str, ...]:
        return tuple(str(v) for v in self.facet_lists[facet].ticked())

    def set_filters(self, f: Filters) -> None:
        """Show ``f`` (its free text aside) without reporting a user change."""
        widgets: list[QWidget] = [
            self.ground_truth,
            *self.has.values(),
            self.dataset_ids,
            self.run_ids,
            self.accessions,
            self.run_name,
            self.author,
            self.runs_min,
            self.tilt_quality,
            self.tilt_range,
            self.spacing_min,
            self.spacing_max,
            self.fiducial,
            *self.facet_lists.values(),
        ]
        with _quiet(*widgets):
            self.ground_truth.setChecked(f.ground_truth)
            for kind, box in self.has.items():
                box.setChecked(kind in f.has)
            self.dataset_ids.setText(" ".join(str(i) for i in f.dataset_ids))
            self.run_ids.setText(" ".join(str(i) for i in f.run_ids))
            self.accessions.setText(", ".join((*f.empiar_ids, *f.emdb_ids)))
            self.run_name.setText(f.run_name)
            self.author.setText(f.orcid or f.author)
            self.runs_min.setValue(f.runs_min or 0)
            self.tilt_quality.setCurrentIndex(
                max(self.tilt_quality.findData(f.tilt_quality_min), 0)
            )
            self.tilt_range.setValue(
                (f.tilt_range_min or TILT_SPAN[0], f.tilt_range_max or TILT_SPAN[1])
            )
            self.spacing_min.setValue(f.voxel_spacing_min or 0.0)
            self.spacing_max.setValue(f.voxel_spacing_max or 0.0)
            self.fiducial.setCurrentIndex(max(self.fiducial.findData(f.fiducial_alignment), 0))
            for facet in LIST_FACETS:
                chosen = set(getattr(f, facet.filter_field))
                listing = self.facet_lists[facet.name]
                for i in range(listing.count()):
                    item = listing.item(i)
                    if item is not None:
                        ticked = item.data(VALUE) in chosen
                        item.setCheckState(
                            Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked
                        )

    def clear(self) -> None:
        """Remove every filter (one ``changed``)."""
        self.set_filters(Filters())
        self.changed.emit()

    def remove(self, field_name: str) -> None:
        """Remove one filter, as its chip's button does."""
        try:
            current = self.filters()
        except ValueError:
            current = Filters()
        self.set_filters(current.without(field_name))
        self.changed.emit()

    # -- what the server said -------------------------------------------------------

    def set_facets(self, facets: dict[str, list[FacetValue]], f: Filters) -> None:
        """Show each facet's values with their dataset counts, ``f``'s values ticked."""
        for facet in LIST_FACETS:
            values = facets.get(facet.name)
            if values is None:
                continue
            chosen = list(getattr(f, facet.filter_field))
            self.facet_lists[facet.name].set_values(values, chosen)
            total = len(values)
            picked = f" · {len(chosen)} chosen" if chosen else ""
            self._facet_boxes[facet.name].setText(f"{facet.title} ({total}){picked}")
        quality = {v.value: v.datasets for v in facets.get("tilt_quality", [])}
        if quality:
            for i in range(1, self.tilt_quality.count()):
                score = self.tilt_quality.itemData(i)
                q = TILT_SERIES_QUALITY[score]
                self.tilt_quality.setItemData(
                    i,
                    f"{q.description}\n{quality.get(score, 0)} datasets have a tilt series "
                    f"of exactly {score}",
                    Qt.ItemDataRole.ToolTipRole,
                )

    def show_chips(self, f: Filters) -> None:
        """One removable chip per active filter (free text aside), and "clear all"."""
        while self.chip_layout.count():
            taken = self.chip_layout.takeAt(0)
            widget = taken.widget() if taken is not None else None
            if widget is not None and widget is not self.clear_button:
                widget.setParent(None)  # gone from findChildren at once
                widget.deleteLater()
        chips = [(name, text) for name, text in f.chips() if name != "search"]
        for name, text in chips:
            chip = QPushButton(f"{text}  ✕")
            chip.setToolTip(f"remove the filter {text}")
            chip.setObjectName(f"chip:{name}")
            chip.setFlat(True)
            chip.setStyleSheet(
                "border: 1px solid palette(mid); border-radius: 8px; padding: 1px 6px;"
            )
            chip.clicked.connect(lambda _checked=False, n=name: self.remove(n))
            self.chip_layout.addWidget(chip)
        if chips:
            self.chip_layout.addWidget(self.clear_button)
        self.chip_area.setVisible(bool(chips))

    def chip_texts(self) -> list[str]:
        """The chips shown (without their ✕)."""
        return [
            b.text().removesuffix("  ✕")
            for b in self.chip_area.findChildren(QPushButton)
            if b.objectName().startswith("chip:") and b.isVisibleTo(self.chip_area)
        ]

    def show_note(self, text: str, *, error: bool = False) -> None:
        """A line under the filters (a bad value, or nothing matching); "" hides it."""
        self.note.setText(text)
        self.note.setStyleSheet("color: #d9534f;" if error else "")
        self.note.setVisible(bool(text))
