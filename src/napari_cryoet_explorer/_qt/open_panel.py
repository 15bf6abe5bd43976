"""Choices for opening a voxel spacing (tomogram, resolution, annotations, mode), or a
tilt series: the one Open button opens what the tree's selection offers."""

from __future__ import annotations

import contextlib
import html
from dataclasses import replace
from typing import Any

from qtpy.QtCore import QSettings, Qt, Signal
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..opening import ORIENTATIONS, Orientation, default_tomogram, openable_files
from ..portal.models import (
    Annotation,
    AnnotationFile,
    TiltSeries,
    Tomogram,
    VoxelSpacingContents,
)


def _preferences() -> QSettings:
    """The explorer's own remembered choices (an ini file in the user's config folder)."""
    return QSettings(
        QSettings.Format.IniFormat,
        QSettings.Scope.UserScope,
        "napari-cryoet-explorer",
        "explorer",
    )


def _background_declined() -> bool:
    return _preferences().value("background_declined", False, type=bool)


def _remember_background(on: bool) -> None:
    _preferences().setValue("background_declined", not on)


# Whether a listed annotation file lines up with the chosen tomogram.
ALIGNED = Qt.ItemDataRole.UserRole + 1
RESOLUTIONS = ("multiscale", "level 0 (finest)", "level 1", "level 2 (coarsest)")
# The vector length box: 0 shows as "auto" (from the particles' spacing).
MAX_VECTOR_LENGTH_ANGSTROM = 5000.0


class OpenPanel(QWidget):
    """Shows what a voxel spacing holds, or a tilt series, and emits ``open_requested``
    (a tomogram and its annotations) or ``tiltseries_requested`` when Open is pressed."""

    open_requested = Signal()
    tiltseries_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.contents: VoxelSpacingContents | None = None
        self.run_name = ""
        self._tiltseries: TiltSeries | None = None
        self._busy = False
        # What a tilt series offers; hidden while a voxel spacing is offered.
        self.tiltseries_label = QLabel()
        self.tiltseries_label.setWordWrap(True)
        self.tiltseries_label.setVisible(False)
        self.tomogram = QComboBox()
        self.resolution = QComboBox()
        self.resolution.addItems(RESOLUTIONS)
        self.annotations = QListWidget()
        self.annotations.setMinimumHeight(90)
        self.orientation = QComboBox()
        self.orientation.addItems(ORIENTATIONS)
        self.orientation.setToolTip(
            "How oriented points show their orientation: each particle's x, y and z axes"
            "\n(red, green, blue, as the portal's viewer draws them), its z axis alone, or none"
        )
        self.vector_length = QDoubleSpinBox()
        self.vector_length.setRange(0.0, MAX_VECTOR_LENGTH_ANGSTROM)
        self.vector_length.setDecimals(0)
        self.vector_length.setSingleStep(10.0)
        self.vector_length.setSuffix(" Å")
        self.vector_length.setSpecialValueText("auto")
        self.vector_length.setToolTip(
            "Length of the orientation vectors; auto: 0.4 x the median distance between\n"
            "neighbouring particles, so triads stay apart"
        )
        self.orientation.currentTextChanged.connect(
            lambda text: self.vector_length.setEnabled(text != "none")
        )
        self.keep_layers = QCheckBox("keep existing layers")
        self.keep_layers.setChecked(True)
        self.three_d = QCheckBox("3D")
        self.background = QCheckBox("load in background")
        self.background.setToolTip(
            "napari's asynchronous slicing (Preferences > Experimental): the viewer stays\n"
            "responsive while the chunks on screen download. Recommended over the network."
        )
        self.open_button = QPushButton("Open")
        self.cancel_button = QPushButton("Cancel")
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        form = QFormLayout()
        form.addRow(self.tiltseries_label)
        form.addRow("tomogram", self.tomogram)
        form.addRow("resolution", self.resolution)
        form.addRow("annotations", self.annotations)
        orientation = QHBoxLayout()
        orientation.addWidget(self.orientation, 1)
        orientation.addWidget(self.vector_length)
        form.addRow("orientation", orientation)
        options = QHBoxLayout()
        options.addWidget(self.keep_layers)
        options.addWidget(self.three_d)
        options.addWidget(self.background)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addLayout(options)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        self.tomogram.currentIndexChanged.connect(self._fill_annotations)
        self.open_button.clicked.connect(self._open_clicked)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self._bind_background_setting()
        self.set_busy(False)
        self.setEnabled(False)

    def _bind_background_setting(self) -> None:
        """Mirror napari's ``experimental.async_`` setting, both ways.

        Unless the user has turned background loading off, the box starts ticked and
        :meth:`apply_background` switches napari's asynchronous slicing on at the first
        Open: fetching over the network must not freeze the viewer. napari does not
        save a setting back at its default, so turning it off is remembered here.
        """
        from napari.settings import get_settings

        experimental = get_settings().experimental
        self.background.setChecked(bool(experimental.async_) or not _background_declined())
        experimental.events.async_.connect(self._on_background_setting)
        self.background.toggled.connect(self._set_background)

    def apply_background(self) -> bool:
        """Make napari's setting follow the box; True when this switched it on."""
        from napari.settings import get_settings

        experimental = get_settings().experimental
        if self.background.isChecked() and not experimental.async_:
            experimental.async_ = True
            return True
        return False

    def _on_background_setting(self, event: Any) -> None:
        _remember_background(bool(event.value))
        # napari's settings outlive the panel: its Qt object may be gone already.
        with contextlib.suppress(RuntimeError):
            self.background.blockSignals(True)
            self.background.setChecked(bool(event.value))
            self.background.blockSignals(False)

    @staticmethod
    def _set_background(checked: bool) -> None:
        from napari.settings import get_settings

        _remember_background(checked)
        get_settings().experimental.async_ = checked

    def _open_clicked(self) -> None:
        if self._tiltseries is not None:
            self.tiltseries_requested.emit()
        else:
            self.open_requested.emit()

    def set_contents(
        self, contents: VoxelSpacingContents, run_name: str, tomogram: Tomogram | None = None
    ) -> None:
        """Offer the tomograms and annotations of a voxel spacing."""
        self._show_tiltseries(None)
        self.contents, self.run_name = contents, run_name
        self.tomogram.blockSignals(True)
        self.tomogram.clear()
        for t in contents.tomograms:
            z, y, x = t.size_zyx
            self.tomogram.addItem(
                f"{t.id}: {t.processing or ''} {x}×{y}×{z}, alignment {t.alignment_id}", t
            )
        self.tomogram.blockSignals(False)
        chosen = tomogram or (default_tomogram(contents) if contents.tomograms else None)
        if chosen is not None:
            self.tomogram.setCurrentIndex([t.id for t in contents.tomograms].index(chosen.id))
        self._fill_annotations()
        self.setEnabled(bool(contents.tomograms))

    def offer_tiltseries(self, tilt_series: TiltSeries, run_name: str) -> None:
        """Offer a tilt series: Open then opens its stack; the tomogram's choices are
        emptied and greyed (a tilt series has none of them)."""
        self.contents, self.run_name = None, run_name
        self.tomogram.clear()
        self.annotations.clear()
        self._show_tiltseries(tilt_series)
        self.setEnabled(True)

    def offered_tiltseries(self) -> tuple[TiltSeries, str] | None:
        """The tilt series Open opens, and its run's name; None when a voxel spacing is
        offered."""
        return (self._tiltseries, self.run_name) if self._tiltseries is not None else None

    def _show_tiltseries(self, tilt_series: TiltSeries | None) -> None:
        self._tiltseries = tilt_series
        tomogram_mode = tilt_series is None
        for widget in (
            self.tomogram,
            self.resolution,
            self.annotations,
            self.orientation,
            self.vector_length,
            self.three_d,
        ):
            widget.setEnabled(tomogram_mode)
        if tomogram_mode:
            self.vector_length.setEnabled(self.orientation.currentText() != "none")
        self.tiltseries_label.setVisible(not tomogram_mode)
        self.tiltseries_label.setText("" if tomogram_mode else self._tiltseries_text())
        self.open_button.setText("Open" if tomogram_mode else "Open tilt series")
        self.open_button.setToolTip(
            ""
            if tomogram_mode
            else "Opens the projection stack in 2D; the tilt slider steps through the images"
        )

    def _tiltseries_text(self) -> str:
        t = self._tiltseries
        assert t is not None
        z, y, x = t.size_zyx
        parts = [f"{z} images of {x}×{y}"]
        if t.tilt_min is not None and t.tilt_max is not None:
            step = f" step {t.tilt_step:g}°" if t.tilt_step else ""
            parts.append(f"tilt {t.tilt_min:g}° to {t.tilt_max:g}°{step}")
        if t.pixel_spacing:
            parts.append(f"{t.pixel_spacing:g} Å/pixel")
        run = f"{self.run_name} " if self.run_name else ""
        # The label is rich text: names from the portal are escaped.
        return f"<b>{html.escape(run)}tilt series {t.id}</b>: {html.escape(', '.join(parts))}"

    def selected_tomogram(self) -> Tomogram | None:
        """The tomogram chosen in the combo box."""
        data = self.tomogram.currentData()
        return data if isinstance(data, Tomogram) else None

    def _fill_annotations(self) -> None:
        """List the files that line up with the chosen tomogram (ticked where the portal
        shows them by default), then those of the voxel spacing's other alignments,
        unticked and marked: they would not line up."""
        self.annotations.clear()
        tomogram = self.selected_tomogram()
        if self.contents is None or tomogram is None:
            return
        aligned = openable_files(self.contents, tomogram)
        for annotation, file in aligned:
            self._add_annotation(annotation, file, tomogram, file.is_visualization_default)
        listed = {file.id for _, file in aligned}
        for alignment_id in self._other_alignments(tomogram):
            # The files a tomogram of that alignment would take.
            theirs = replace(tomogram, alignment_id=alignment_id)
            for annotation, file in openable_files(self.contents, theirs):
                if file.id not in listed:
                    listed.add(file.id)
                    self._add_annotation(annotation, file, tomogram, False, alignment_id)

    def _other_alignments(self, tomogram: Tomogram) -> list[int]:
        if self.contents is None or tomogram.alignment_id is None:
            return []  # a tomogram without an alignment id takes every file already
        groups = self.contents.by_alignment()
        return [
            g.alignment_id
            for g in groups
            if g.alignment_id is not None and g.alignment_id != tomogram.alignment_id
        ]

    def _add_annotation(
        self,
        annotation: Annotation,
        file: AnnotationFile,
        tomogram: Tomogram,
        ticked: bool,
        other_alignment: int | None = None,
    ) -> None:
        text = f"{annotation.object_name} ({file.shape_type}, {file.format})"
        if other_alignment is not None:
            text += f" (not aligned to this tomogram: alignment {other_alignment})"
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, (annotation, file))
        item.setData(ALIGNED, other_alignment is None)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
        if other_alignment is not None:
            item.setToolTip(
                f"annotation {annotation.id} was drawn on alignment {other_alignment}, tomogram"
                f" {tomogram.id} on alignment {tomogram.alignment_id}: it would not line up."
                "\nTick it to open it anyway, or pick a tomogram of its alignment."
            )
            font = item.font()
            font.setItalic(True)
            item.setFont(font)
        else:
            item.setToolTip(f"annotation {annotation.id}, file {file.https_path}")
        self.annotations.addItem(item)

    def is_aligned(self, row: int) -> bool:
        """Whether the annotation file listed at ``row`` lines up with the chosen tomogram."""
        item = self.annotations.item(row)
        return item is not None and bool(item.data(ALIGNED))

    def chosen_files(self) -> list[tuple[Annotation, AnnotationFile]]:
        """The ticked annotation files: by default those that line up with the tomogram;
        another alignment's only when the user ticked it."""
        out = []
        for i in range(self.annotations.count()):
            item = self.annotations.item(i)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                out.append(item.data(Qt.ItemDataRole.UserRole))
        return out

    def level(self) -> tuple[bool, int | None]:
        """(multiscale, level) from the resolution choice."""
        index = self.resolution.currentIndex()
        return (True, None) if index == 0 else (False, index - 1)

    def orientation_choice(self) -> tuple[Orientation, float | None]:
        """(orientation, vector length in Angstrom or None for auto)."""
        chosen = ORIENTATIONS[max(self.orientation.currentIndex(), 0)]
        length = self.vector_length.value()
        return chosen, (length or None)

    @property
    def busy(self) -> bool:
        """Whether an opening is under way (Open is greyed, Cancel live)."""
        return self._busy

    def set_busy(self, busy: bool, total: int = 0) -> None:
        """Switch between the idle and loading states."""
        self._busy = busy
        self.open_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.progress.setVisible(busy)
        if busy:
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(0)
