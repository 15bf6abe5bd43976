"""Hand-offs for the selected node: Download…, the portal's Neuroglancer, the portal page,
and commands copied to the clipboard (AWS CLI, the official client's lines, curl).

Each action is disabled, with a tooltip saying why, where it does not apply: portal
hand-offs for a local folder, curl for folders, Neuroglancer above the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qtpy.QtCore import Qt, QUrl, Signal
from qtpy.QtGui import QAction, QDesktopServices
from qtpy.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QMenu,
    QToolButton,
    QTreeWidgetItem,
    QWidget,
)

from ..downloads.handoffs import (
    Target,
    annotation_snippet,
    aws_command,
    aws_cp_command,
    curl_command,
    portal_page_url,
    python_snippet,
    tomogram_snippet,
)
from ..downloads.neuroglancer import tomogram_url
from ..downloads.selection import NodeDownload, node_download
from ..opening import default_tomogram
from ..portal.client import PortalClient
from ..portal.models import (
    Annotation,
    AnnotationFile,
    Dataset,
    Run,
    Tomogram,
    VoxelSpacing,
    VoxelSpacingContents,
)
from .download_dialog import DownloadDialog, default_folder
from .tree import PortalTree
from .tree_columns import CONTENTS
from .tree_items import AlignmentNode
from .workers import Jobs

if TYPE_CHECKING:
    import napari

HELP = {
    "Download…": "Download the selection in the portal's layout, then open the local copy",
    "Neuroglancer": "Open the tomogram (or the run's or voxel spacing's default one) in the"
    " portal's Neuroglancer, in the browser",
    "Portal page": "Open the portal's page of the selection (or of its run) in the browser",
    "Copy AWS CLI command": "aws s3 --no-sign-request sync|cp into the download folder",
    "Copy Python snippet": "The official cryoet_data_portal client's lines for the same files",
    "Copy curl command": "curl for the selection's single files, into the download folder",
}
LOCAL = "a local folder: this hand-off is for data on the portal"
NOTHING = "select a dataset, run, voxel spacing, tomogram or annotation"


@dataclass(frozen=True)
class Selection:
    """What the selected row stands for, with what lies above it in the tree."""

    model: Any = None
    dataset_id: int | None = None
    run: Run | None = None
    spacing: VoxelSpacing | None = None
    contents: VoxelSpacingContents | None = None
    tomogram: Tomogram | None = None
    local: bool = False

    @property
    def node(self) -> Any:
        """The model that counts for hand-offs: an alignment row stands for its spacing."""
        return self.spacing if isinstance(self.model, AlignmentNode) else self.model


def selection_of(item: QTreeWidgetItem | None, *, local: bool) -> Selection:
    """The selection a tree row makes (its run, spacing and their contents found above it)."""
    model = PortalTree.node_model(item)
    dataset_id: int | None = None
    run: Run | None = None
    row = item
    while row is not None:
        above = PortalTree.node_model(row)
        if isinstance(above, Run) and run is None:
            run = above
            dataset_id = above.dataset_id
        if isinstance(above, Dataset) and dataset_id is None:
            dataset_id = above.id
        row = row.parent()
    spacing_row = PortalTree.spacing_of(item)
    spacing = PortalTree.node_model(spacing_row)
    contents = None if spacing_row is None else spacing_row.data(0, CONTENTS)
    tomogram = PortalTree.offered_tomogram(item)
    if tomogram is None and isinstance(contents, VoxelSpacingContents) and contents.tomograms:
        tomogram = default_tomogram(contents)
    return Selection(
        model,
        dataset_id,
        run,
        spacing if isinstance(spacing, VoxelSpacing) else None,
        contents if isinstance(contents, VoxelSpacingContents) else None,
        tomogram,
        local,
    )


def _target(sel: Selection) -> Target | None:
    """The dataset, run or voxel spacing as the AWS and client hand-offs name it."""
    node = sel.node
    if isinstance(node, Dataset):
        prefix, run_name, spacing, folder = node.fields.get("s3Prefix"), None, None, str(node.id)
    elif isinstance(node, Run):
        prefix, run_name, spacing = node.fields.get("s3Prefix"), node.name, None
        folder = f"{node.dataset_id}/{node.name}"
    elif isinstance(node, VoxelSpacing) and sel.run is not None:
        prefix, run_name, spacing = node.fields.get("s3Prefix"), sel.run.name, node.voxel_spacing
        folder = f"{sel.run.dataset_id}/{sel.run.name}/Reconstructions/{node.folder_name}"
    else:
        return None
    if not prefix or sel.dataset_id is None:
        return None
    return Target(sel.dataset_id, run_name, spacing, str(prefix).rstrip("/") + "/", folder)


def _folder_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[0] + "/"


def _plain_files(annotation: Annotation) -> list[str]:
    """An annotation's files curl can fetch (not OME-Zarr folders), with its metadata."""
    urls = [f.https_path for f in annotation.files if f.format != "zarr" and f.https_path]
    meta = annotation.fields.get("httpsMetadataPath")
    return [*urls, str(meta)] if meta else urls


def _default_of(url: str, spacings: Sequence[VoxelSpacing]) -> tuple[Tomogram, list[Any]]:
    """The tomogram the portal would show first among ``spacings`` and its aligned
    annotation files (network: from a worker)."""
    found: list[VoxelSpacingContents] = []
    with PortalClient(url) as client:
        for spacing in spacings:
            contents = client.voxel_spacing_contents(spacing.id)
            if contents.tomograms:
                found.append(contents)
    if not found:
        raise ValueError("no tomogram to show in Neuroglancer")
    best = next(
        (c for c in found if any(t.is_visualization_default for t in c.tomograms)), found[0]
    )
    tomogram = default_tomogram(best)
    return tomogram, best.files_for(tomogram)


class HandoffBar(QWidget):
    """A row of hand-offs for the selected node; ``status`` tells what was done."""

    status = Signal(str)

    def __init__(
        self, viewer: napari.Viewer | None, jobs: Jobs, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.viewer = viewer
        self.jobs = jobs
        self.url = ""
        self.selection = Selection()
        self.dialogs: list[DownloadDialog] = []
        self.download_action = QAction("Download…", self)
        self.neuroglancer_action = QAction("Neuroglancer", self)
        self.page_action = QAction("Portal page", self)
        self.aws_action = QAction("Copy AWS CLI command", self)
        self.python_action = QAction("Copy Python snippet", self)
        self.curl_action = QAction("Copy curl command", self)
        self.copy_menu = QMenu(self)
        self.copy_menu.setToolTipsVisible(True)
        for action in (self.aws_action, self.python_action, self.curl_action):
            self.copy_menu.addAction(action)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for action in (self.download_action, self.neuroglancer_action, self.page_action):
            button = QToolButton()
            button.setDefaultAction(action)
            layout.addWidget(button)
        self.copy_button = QToolButton()
        self.copy_button.setText("Copy ▾")
        # The style's own arrow would sit on the text.
        self.copy_button.setStyleSheet("QToolButton::menu-indicator { image: none; }")
        self.copy_button.setToolTip("Commands that fetch the selection by other means")
        self.copy_button.setMenu(self.copy_menu)
        self.copy_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        layout.addWidget(self.copy_button)
        layout.addStretch(1)
        self.download_action.triggered.connect(self.open_download_dialog)
        self.neuroglancer_action.triggered.connect(self.open_neuroglancer)
        self.page_action.triggered.connect(self.open_portal_page)
        self.aws_action.triggered.connect(lambda: self._copy("AWS CLI command", self.aws_text()))
        self.python_action.triggered.connect(
            lambda: self._copy("Python snippet", self.python_text())
        )
        self.curl_action.triggered.connect(lambda: self._copy("curl command", self.curl_text()))
        self.show_selection(Selection(), "")

    # -- what applies ----------------------------------------------------------------

    def show_item(self, item: QTreeWidgetItem | None, url: str, *, local: bool) -> None:
        """Offer the hand-offs of a tree row (None: nothing selected)."""
        self.show_selection(selection_of(item, local=local), url)

    def show_selection(self, selection: Selection, url: str) -> None:
        """Enable the hand-offs that apply to ``selection``; the others say why not."""
        self.selection, self.url = selection, url
        reasons = self._reasons()
        for action, why in reasons.items():
            action.setEnabled(why is None)
            action.setToolTip(why or HELP.get(action.text(), action.text()))
        self.copy_button.setEnabled(
            any(reasons[a] is None for a in (self.aws_action, self.python_action, self.curl_action))
        )

    def download_node(self) -> NodeDownload | None:
        """What Download… fetches for the selection."""
        sel = self.selection
        return node_download(sel.node, sel.dataset_id, sel.run.name if sel.run else None)

    def _reasons(self) -> dict[QAction, str | None]:
        sel, node = self.selection, self.selection.node
        everything = (
            self.download_action,
            self.neuroglancer_action,
            self.page_action,
            self.aws_action,
            self.python_action,
            self.curl_action,
        )
        if node is None:
            return dict.fromkeys(everything, NOTHING)
        if sel.local:
            return dict.fromkeys(everything, LOCAL)
        reasons: dict[QAction, str | None] = {}
        reasons[self.download_action] = (
            None if self.download_node() is not None else "nothing to download for this row"
        )
        shows = isinstance(node, Run | VoxelSpacing | Tomogram | Annotation)
        reasons[self.neuroglancer_action] = (
            None if shows else "select a run, voxel spacing, tomogram or annotation"
        )
        reasons[self.page_action] = (
            None if portal_page_url(node) else "the portal has no page for this row"
        )
        reasons[self.aws_action] = None if self.aws_text() else "no S3 location for this row"
        reasons[self.python_action] = (
            None if self.python_text() else "the client has no call for this row"
        )
        reasons[self.curl_action] = (
            None
            if self.curl_text()
            else "curl fetches single files: select a tomogram (MRC) or an annotation"
        )
        return reasons

    # -- the commands ----------------------------------------------------------------

    def aws_text(self) -> str | None:
        """The AWS CLI command for the selection, into the download folder."""
        sel, node, dest = self.selection, self.selection.node, str(default_folder())
        target = _target(sel)
        if target is not None:
            return aws_command(target, dest)
        if sel.dataset_id is None:
            return None
        if isinstance(node, Tomogram) and (node.s3_mrc_file or node.s3_omezarr_dir):
            anchor = node.s3_mrc_file or node.s3_omezarr_dir or ""
            return aws_cp_command(_folder_of(anchor), dest, sel.dataset_id)  # its folder
        if isinstance(node, Annotation):
            s3 = [f.s3_path for f in node.files if f.s3_path]
            if s3:
                return aws_cp_command(_folder_of(s3[0]), dest, sel.dataset_id)
        return None

    def python_text(self) -> str | None:
        """The official client's lines for the selection."""
        sel, node, dest = self.selection, self.selection.node, str(default_folder())
        target = _target(sel)
        if target is not None:
            return python_snippet(target, dest)
        if sel.dataset_id is None:
            return None
        try:
            if isinstance(node, Tomogram):
                return tomogram_snippet(node, dest, sel.dataset_id, mrc=bool(node.https_mrc_file))
            if isinstance(node, Annotation):
                return annotation_snippet(node, dest, sel.dataset_id)
        except ValueError:
            return None
        return None

    def curl_text(self) -> str | None:
        """curl for the selection's single files (a tomogram's MRC, an annotation's files)."""
        sel, node = self.selection, self.selection.node
        urls: list[str] = []
        if isinstance(node, Tomogram) and node.https_mrc_file:
            urls = [node.https_mrc_file]
        elif isinstance(node, Annotation):
            urls = _plain_files(node)
        if not urls or sel.dataset_id is None:
            return None
        try:
            return curl_command(urls, str(default_folder()), sel.dataset_id)
        except ValueError:
            return None

    def _copy(self, what: str, text: str | None) -> None:
        clipboard = QApplication.clipboard()
        if text is None or clipboard is None:
            return
        clipboard.setText(text)
        self.status.emit(f"copied the {what} to the clipboard")

    # -- opening in the browser ------------------------------------------------------

    def open_url(self, url: str) -> None:
        """Open ``url`` (already percent-encoded) in the browser."""
        QDesktopServices.openUrl(QUrl.fromEncoded(url.encode()))

    def open_portal_page(self) -> None:
        """The portal's page of the selection (or of its run)."""
        url = portal_page_url(self.selection.node)
        if url:
            self.open_url(url)
            self.status.emit(f"opened {url}")

    def open_neuroglancer(self) -> None:
        """The portal's Neuroglancer on the selected tomogram, or the default one of the
        selected voxel spacing or run (asked from the portal when not listed yet)."""
        sel = self.selection
        if sel.tomogram is not None and sel.contents is not None:
            self._show_in_neuroglancer((sel.tomogram, sel.contents.files_for(sel.tomogram)))
            return
        node = sel.node
        if isinstance(node, Run):
            spacings: Sequence[VoxelSpacing] = node.voxel_spacings
        elif sel.spacing is not None:
            spacings = (sel.spacing,)
        else:
            return
        self.status.emit("finding the tomogram to show in Neuroglancer…")
        self.jobs.start(
            _default_of,
            self.url,
            spacings,
            returned=self._show_in_neuroglancer,
            errored=lambda exc: self.status.emit(f"Neuroglancer: {exc}"),
        )

    def _show_in_neuroglancer(
        self, found: tuple[Tomogram, list[tuple[Annotation, AnnotationFile]]]
    ) -> None:
        tomogram, files = found
        try:
            url = tomogram_url(tomogram, files)
        except ValueError as exc:
            self.status.emit(f"Neuroglancer: {exc}")
            return
        self.open_url(url)
        self.status.emit(f"opened tomogram {tomogram.id} in the portal's Neuroglancer")

    # -- downloading -----------------------------------------------------------------

    def open_download_dialog(self) -> DownloadDialog | None:
        """Show the Download dialog for the selection (several may run at once)."""
        node = self.download_node()
        if node is None:
            return None
        self.dialogs = [d for d in self.dialogs if d.isVisible() or d.downloading]
        dialog = DownloadDialog(self.url, node, self.viewer, self.jobs, self)
        dialog.setWindowFlag(Qt.WindowType.Window, True)
        self.dialogs.append(dialog)
        dialog.show()
        return dialog

    def stop(self) -> None:
        """Cancel every download under way (the widget is closing)."""
        for dialog in self.dialogs:
            dialog.cancel()


__all__ = ["HandoffBar", "Selection", "selection_of"]
