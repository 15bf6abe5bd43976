"""The Download dialog: where to, what to include, how big; then progress with Cancel, a
report naming failed files, and Open, which shows the local copy in the viewer."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qtpy.QtCore import QObject, Signal
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..downloads.command import human_size, space_problem
from ..downloads.places import download_folders, remember_download_folder
from ..downloads.plan import Choice, Item
from ..downloads.selection import NodeDownload, Survey, survey
from ..downloads.transfer import Cancelled, DiskFull, Report, download
from .workers import Jobs

if TYPE_CHECKING:
    import napari

FORMATS = (
    ("OME-Zarr and MRC", ("zarr", "mrc")),
    ("OME-Zarr", ("zarr",)),
    ("MRC", ("mrc",)),
)
DEFAULT_FOLDER = Path("~/cryoet-data-portal")
JOBS = 8  # files fetched at once
PROGRESS_EVERY_S = 0.1  # the worker reports at most this often (plus the last file)
PERMILLE = 1000


def default_folder() -> Path:
    """The last download folder used, else ``~/cryoet-data-portal``."""
    folders = download_folders()
    return folders[0] if folders else DEFAULT_FOLDER.expanduser()


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class _Relay(QObject):
    """Carries progress from the download's thread to the dialog (a queued signal)."""

    progressed = Signal(object)


def _fetch(items: list[Item], dest: Path, cancel: threading.Event, relay: _Relay) -> Report:
    last = [0.0]

    def progress(report: Report) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_S or report.done == report.total:
            last[0] = now
            try:
                relay.progressed.emit((report.done, report.total, report.bytes_so_far))
            except RuntimeError:  # the dialog is gone: nobody is waiting for the files
                cancel.set()

    return download(items, dest, jobs=JOBS, cancel=cancel, progress=progress)


def _planned(
    url: str, node: NodeDownload, choice: Choice, dest: Path, known: Survey | None
) -> Survey:
    # A plan already measured only needs another look at the destination.
    return known.at(dest) if known is not None else survey(url, node, choice, dest)


class DownloadDialog(QDialog):
    """Downloads one node of the browser (see :class:`NodeDownload`) into a folder.

    Planning, measuring and fetching run in workers of ``jobs``; closing the dialog
    while it downloads cancels (complete files stay).
    """

    def __init__(
        self,
        url: str,
        node: NodeDownload,
        viewer: napari.Viewer | None,
        jobs: Jobs,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.url = url
        self.node = node
        self.viewer = viewer
        self.jobs = jobs
        self.survey: Survey | None = None
        self.report: Report | None = None
        self._known: dict[Choice, Survey] = {}
        self._asked = 0  # answers to older plans are dropped
        self._cancel: threading.Event | None = None
        self._started = 0.0
        self._to_fetch = 0
        self._planning = False
        self._planned_for: tuple[Choice, Path] | None = None
        self._start_when_planned = False
        self._relay = _Relay(self)
        self._relay.progressed.connect(self._progressed)
        self.setWindowTitle(f"Download {node.label}")

        self.dest_edit = QLineEdit(str(default_folder()))
        self.dest_edit.setToolTip("Files go under this folder in the portal's layout")
        self.browse_button = QPushButton("Browse…")
        self.tomograms = QCheckBox("tomograms")
        self.annotations = QCheckBox("annotations")
        for box in (self.tomograms, self.annotations):
            box.setChecked(True)
            box.setEnabled(node.whole)
        if not node.whole:
            self.tomograms.setToolTip(f"the download is {node.label} alone")
            self.annotations.setToolTip(f"the download is {node.label} alone")
        self.format = QComboBox()
        for label, _formats in FORMATS:
            self.format.addItem(label)
        self.format.setToolTip("the tomograms' files (annotations come in every format)")
        self.format.setEnabled(node.annotation_id is None)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, PERMILLE)
        self.progress.setValue(0)
        self.progress_text = QLabel("")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.failures = QPlainTextEdit()
        self.failures.setReadOnly(True)
        self.failures.setMaximumHeight(110)
        self.failures.hide()
        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.open_button = QPushButton("Open")
        self.open_button.setToolTip("Open the local copy in the viewer")
        self.close_button = QPushButton("Close")

        where = QHBoxLayout()
        where.addWidget(self.dest_edit, 1)
        where.addWidget(self.browse_button)
        include = QHBoxLayout()
        include.addWidget(self.tomograms)
        include.addWidget(self.annotations)
        include.addStretch(1)
        heading = QLabel(f"<b>Download {node.label}</b>")
        form = QFormLayout()
        form.addRow("from", QLabel(url))
        form.addRow("to", where)
        form.addRow("include", include)
        form.addRow("format", self.format)
        form.addRow("size", self.summary)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.start_button, self.cancel_button, self.open_button, self.close_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.progress_text)
        layout.addWidget(self.message)
        layout.addWidget(self.failures)
        layout.addLayout(buttons)
        self.resize(620, self.sizeHint().height())

        self.browse_button.clicked.connect(self._browse)
        self.dest_edit.editingFinished.connect(lambda: self.replan())
        self.tomograms.toggled.connect(lambda *_: self.replan())
        self.annotations.toggled.connect(lambda *_: self.replan())
        self.format.currentIndexChanged.connect(lambda *_: self.replan())
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.open_button.clicked.connect(self.open_copy)
        self.close_button.clicked.connect(self.close)
        self._set_running(False)
        self.replan()

    # -- what and where -------------------------------------------------------------

    def choice(self) -> Choice:
        """What the ticks and the format ask for."""
        formats = FORMATS[max(self.format.currentIndex(), 0)][1]
        return self.node.choice(self.tomograms.isChecked(), self.annotations.isChecked(), formats)

    def destination(self) -> Path:
        """The folder the files go under."""
        return Path(self.dest_edit.text().strip() or str(DEFAULT_FOLDER)).expanduser()

    @property
    def downloading(self) -> bool:
        """Whether a download is under way."""
        return self._cancel is not None

    @property
    def planning(self) -> bool:
        """Whether the plan for the current options is still being made."""
        return self._planning

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Download to", str(self.destination()))
        if folder:
            self.dest_edit.setText(folder)
            self.replan()

    def replan(self) -> None:
        """Plan and measure the download for the current options, in a worker (a plan
        already made only looks at the destination again); nothing to do when neither
        the options nor the destination changed."""
        self._replan(again=False)

    def _replan(self, *, again: bool) -> None:
        if self.downloading:
            return
        asked, choice, dest = self._asked + 1, self.choice(), self.destination()
        if not again and self._planned_for == (choice, dest) and self.survey is not None:
            return
        self._asked = asked
        self._planned_for = (choice, dest)
        self.survey = None
        self._planning = True
        self.start_button.setEnabled(False)
        self.summary.setText("planning and measuring…")

        def planned(result: Survey) -> None:
            self._known[choice] = result
            if asked == self._asked:
                self._planning = False
                self._show_survey(result)
                if self._start_when_planned:
                    self._start_when_planned = False
                    self.start()

        def failed(exc: BaseException) -> None:
            if asked == self._asked:
                self._planning = False
                self._start_when_planned = False
                self.summary.setText(f"could not plan the download: {exc}")

        self.jobs.start(
            _planned,
            self.url,
            self.node,
            choice,
            dest,
            self._known.get(choice),
            returned=planned,
            errored=failed,
        )

    def _show_survey(self, result: Survey) -> None:
        self.survey = result
        files = len(result.items)
        text = f"{files} files, {human_size(result.total_bytes)}"
        if result.unknown:
            text += f" ({result.unknown} of unknown size or not on the server)"
        if result.present:
            text += f"; {len(result.present)} already there, {human_size(result.to_fetch_bytes)} to fetch"
        self.summary.setText(text)
        self.start_button.setEnabled(files > 0)

    # -- downloading ----------------------------------------------------------------

    def _set_running(self, running: bool) -> None:
        for w in (self.dest_edit, self.browse_button, self.format):
            w.setEnabled(not running and (w is not self.format or self.node.annotation_id is None))
        for box in (self.tomograms, self.annotations):
            box.setEnabled(not running and self.node.whole)
        self.start_button.setEnabled(not running and self.survey is not None)
        self.cancel_button.setEnabled(running)
        self.open_button.setEnabled(not running and self.report is not None)

    def start(self) -> None:
        """Fetch the planned files in a worker; the folder is remembered."""
        if self.downloading:
            return
        wanted = (self.choice(), self.destination())
        if self.survey is None or self._planned_for != wanted:
            self._start_when_planned = True  # the plan for these options comes first
            if self._planned_for != wanted:
                self.replan()
            return
        dest = wanted[1]
        try:
            dest.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.message.setText(f"cannot use {dest}: {exc}")
            return
        result = self.survey  # measured at this destination by the last plan
        short = space_problem(dest, result.to_fetch_bytes)
        if short is not None:
            self.message.setText(f"{short}; choose another folder or free space")
            return
        remember_download_folder(dest)
        self._to_fetch = result.to_fetch_bytes
        self._cancel = threading.Event()
        self._started = time.monotonic()
        self.report = None
        self.failures.clear()
        self.failures.hide()
        self.progress.setValue(0)
        self.progress_text.setText(f"0 of {len(result.items)} files")
        self.message.setText(f"downloading {self.node.label} to {dest}…")
        self._set_running(True)
        self.jobs.start(
            _fetch,
            result.items,
            dest,
            self._cancel,
            self._relay,
            returned=self._done,
            errored=self._stopped,
            finished=self._finished,
        )

    def cancel(self) -> None:
        """Stop the download: files under way are dropped, complete ones stay."""
        if self._cancel is not None:
            self._cancel.set()
            self.message.setText("cancelling…")

    def _progressed(self, snapshot: tuple[int, int, int]) -> None:
        done, total, fetched = snapshot
        elapsed = max(time.monotonic() - self._started, 1e-6)
        rate = fetched / elapsed
        if self._to_fetch > 0:
            self.progress.setValue(min(PERMILLE, PERMILLE * fetched // self._to_fetch))
        elif total:
            self.progress.setValue(PERMILLE * done // total)
        text = f"{done} of {total} files, {human_size(fetched)} of {human_size(self._to_fetch)}"
        if fetched:
            text += f", {human_size(rate)}/s"
            left = max(self._to_fetch - fetched, 0)
            if left and done < total:
                text += f", about {_duration(left / rate)} left"
        self.progress_text.setText(text)

    def _done(self, report: Report) -> None:
        self.report = report
        self.progress.setValue(PERMILLE)
        self._progressed((report.done, report.total, report.bytes_so_far))
        text = (
            f"{report.fetched} fetched, {report.skipped} already there, "
            f"{report.missing} not on the server (optional), {len(report.failed)} failed, "
            f"in {self.destination()}"
        )
        if report.failed:
            text += "; run again to retry the failed files"
            self.failures.setPlainText(
                "\n".join(f"could not fetch {item.path}: {why}" for item, why in report.failed)
            )
            self.failures.show()
        self.message.setText(text)

    def _stopped(self, exc: BaseException) -> None:
        dest = self.destination()
        if isinstance(exc, Cancelled):
            self.message.setText(
                f"cancelled: complete files stay in {dest}; Start again to resume "
                "(files already there are skipped)"
            )
        elif isinstance(exc, DiskFull):
            self.message.setText(
                f"{exc.strerror}: complete files stay; free some space and Start again"
            )
        else:
            self.message.setText(f"the download stopped: {exc}")

    def _finished(self) -> None:
        self._cancel = None
        self._set_running(False)
        self._replan(again=True)  # what is there now

    # -- afterwards -----------------------------------------------------------------

    def copy_path(self) -> Path:
        """The folder of the local copy that Open shows."""
        return self.destination() / self.node.opens

    def open_copy(self) -> None:
        """Open the local copy in the viewer with this plugin's reader."""
        if self.viewer is None:
            return
        path = self.copy_path()
        try:
            self.viewer.open(str(path), plugin="napari-cryoet-explorer")
        except Exception as exc:  # the viewer's own error, told in the dialog
            self.message.setText(f"could not open {path}: {exc}")
            return
        self.message.setText(f"opened {path}")

    def done(self, result: int) -> None:  # noqa: D102 - Qt's name; every way of closing
        self.cancel()
        super().done(result)

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        self.cancel()
        super().closeEvent(event)


__all__ = ["DownloadDialog", "default_folder"]
