"""The Download dialog and the hand-off buttons against the replica (Xvfb)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest
from qtpy.QtGui import QDesktopServices
from qtpy.QtWidgets import QApplication

from napari_cryoet_explorer._qt import handoff_buttons
from napari_cryoet_explorer._qt.download_dialog import DownloadDialog
from napari_cryoet_explorer._qt.tree import PortalTree
from napari_cryoet_explorer._qt.widget import ExplorerWidget
from napari_cryoet_explorer.downloads.places import download_folders, remember_download_folder
from napari_cryoet_explorer.downloads.plan import Item
from napari_cryoet_explorer.downloads.transfer import INCOMPLETE_SUFFIX, PART_SUFFIX
from napari_cryoet_explorer.opening import default_tomogram
from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.portal.models import Run, Tomogram
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal

TIMEOUT = 60_000
PORTAL = "https://cryoetdataportal.czscience.com"


def _files(root: Path, under: str = "") -> dict[str, bytes]:
    base = root / under if under else root
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in base.rglob("*")
        if p.is_file() and p.name not in ("portal.json", "ground_truth.json")
    }


def _run_files(tiny_root: Path, run: str = "10000/TS_001") -> dict[str, bytes]:
    want = _files(tiny_root, run)
    want["10000/dataset_metadata.json"] = (tiny_root / "10000/dataset_metadata.json").read_bytes()
    return want


def _expand(widget: ExplorerWidget, item: Any, qtbot: Any) -> None:
    item.setExpanded(True)
    qtbot.waitUntil(
        lambda: not PortalTree.needs_children(item) and not widget.jobs.busy, timeout=TIMEOUT
    )
    qtbot.waitUntil(
        lambda: item.childCount() > 0 and PortalTree.kind(item.child(0)) != "loading",
        timeout=TIMEOUT,
    )


def _select_run(widget: ExplorerWidget, source: str, qtbot: Any) -> Any:
    """Connect to ``source`` and select 10000/TS_001."""
    widget.connect_to_portal(source)
    qtbot.waitUntil(
        lambda: widget.tree.topLevelItemCount() > 0 and not widget.jobs.busy, timeout=TIMEOUT
    )
    dataset = next(
        widget.tree.topLevelItem(i)
        for i in range(widget.tree.topLevelItemCount())
        if widget.tree.topLevelItem(i).text(0) == "10000"
    )
    _expand(widget, dataset, qtbot)
    run = next(
        dataset.child(i)
        for i in range(dataset.childCount())
        if dataset.child(i).text(0) == "TS_001"
    )
    widget.tree.setCurrentItem(run)
    return run


def _dialog(widget: ExplorerWidget, dest: Path, qtbot: Any) -> DownloadDialog:
    """The Download dialog for the selection, planned for ``dest``."""
    assert widget.handoffs.download_action.isEnabled()
    widget.handoffs.download_action.trigger()
    dialog = widget.handoffs.dialogs[-1]
    qtbot.addWidget(dialog)
    dialog.dest_edit.setText(str(dest))
    dialog.replan()
    qtbot.waitUntil(lambda: dialog.survey is not None, timeout=TIMEOUT)
    return dialog


def _finished(dialog: DownloadDialog, qtbot: Any) -> None:
    qtbot.waitUntil(lambda: not dialog.downloading and dialog.survey is not None, timeout=TIMEOUT)


def test_download_a_run_then_open_it_aligned(
    widget: ExplorerWidget,
    tiny_replica: ReplicaServer,
    tiny_root: Path,
    tiny_portal: GeneratedPortal,
    tmp_path: Path,
    qtbot: Any,
) -> None:
    _select_run(widget, tiny_replica.url, qtbot)
    dest = tmp_path / "my downloads"
    dialog = _dialog(widget, dest, qtbot)
    want = _run_files(tiny_root)
    # The size before starting: every file of the run, as the server announces it.
    survey = dialog.survey
    assert survey is not None
    assert sorted(i.path for i in survey.items) == sorted(want)
    assert survey.total_bytes == sum(len(v) for v in want.values()) and survey.unknown == 0
    assert dialog.summary.text().startswith(f"{len(want)} files, ")
    assert "already there" not in dialog.summary.text()

    dialog.start_button.click()
    assert dialog.downloading and not dialog.start_button.isEnabled()
    _finished(dialog, qtbot)
    report = dialog.report
    assert report is not None and not report.failed
    assert report.fetched == len(want)
    assert _files(dest) == want
    assert not list(dest.rglob(f"*{PART_SUFFIX}"))
    assert dialog.progress.value() == dialog.progress.maximum()
    assert dialog.progress_text.text().startswith(f"{len(want)} of {len(want)} files")
    assert f"{len(want)} fetched, 0 already there" in dialog.message.text()
    assert dialog.summary.text().endswith(f"{len(want)} already there, 0 bytes to fetch")

    # The folder is remembered and offered first next time.
    assert download_folders()[0] == dest.resolve()
    widget.handoffs.download_action.trigger()
    again = widget.handoffs.dialogs[-1]
    qtbot.addWidget(again)
    assert again.dest_edit.text() == str(dest.resolve())
    again.close()

    # Open: the local copy in the viewer, aligned in Angstrom.
    assert dialog.open_button.isEnabled()
    dialog.open_button.click()
    layers = widget.viewer.layers
    assert len(layers) > 0 and dialog.message.text().startswith("opened ")
    for layer in layers:
        assert np.allclose(layer.scale, 10.0), layer.name
    ribosomes = next(layer for layer in layers if "ribosome" in layer.name and layer.ndim == 3)
    truth = np.array(
        tiny_portal.ground_truth["runs"]["10000/TS_001"]["objects"]["ribosome"][
            "centres_zyx_angstrom"
        ]
    )
    world = np.asarray(ribosomes.data) * ribosomes.scale
    assert np.allclose(np.sort(world, axis=0), np.sort(truth, axis=0), atol=1e-6)
    qtbot.waitUntil(lambda: all(layer.loaded for layer in layers), timeout=TIMEOUT)


def _whole_files(root: Path) -> list[Path]:
    """Files that are not partial downloads nor markers of a store begun."""
    ends = (INCOMPLETE_SUFFIX, PART_SUFFIX)
    return [p for p in root.rglob("*") if p.is_file() and not p.name.endswith(ends)]


def test_too_small_a_destination_is_refused_before_starting(
    widget: ExplorerWidget,
    tiny_replica: ReplicaServer,
    tiny_root: Path,
    small_disk: Callable[[int], Path],
    qtbot: Any,
) -> None:
    _select_run(widget, tiny_replica.url, qtbot)
    disk = small_disk(sum(len(v) for v in _run_files(tiny_root).values()) // 2)
    dialog = _dialog(widget, disk, qtbot)
    dialog.start_button.click()
    assert not dialog.downloading
    assert dialog.message.text().startswith(f"not enough space in {disk}")
    assert not any(disk.iterdir()) and download_folders() == []


def test_cancel_and_close_leave_complete_files_then_resume(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, tiny_root: Path, tmp_path: Path, qtbot: Any
) -> None:
    _select_run(widget, tiny_replica.url, qtbot)
    dialog = _dialog(widget, tmp_path, qtbot)
    want = _run_files(tiny_root)
    tiny_replica.latency_ms = 150
    dialog.start_button.click()
    qtbot.waitUntil(lambda: len(_whole_files(tmp_path)) >= 3, timeout=TIMEOUT)
    dialog.close()  # closing the dialog cancels the download
    _finished(dialog, qtbot)
    assert dialog.report is None
    assert "cancelled" in dialog.message.text() and "Start again to resume" in dialog.message.text()
    got = _files(tmp_path)
    markers = [k for k in got if k.endswith(INCOMPLETE_SUFFIX)]
    assert markers  # the zarr stores begun are marked as such
    got = {k: v for k, v in got.items() if k not in markers}
    assert 3 <= len(got) < len(want)
    assert not [k for k in got if k.endswith(PART_SUFFIX)]
    assert {k: want[k] for k in got} == got  # only complete files
    assert f"{len(got)} already there" in dialog.summary.text()

    tiny_replica.latency_ms = 0
    dialog.start_button.click()
    _finished(dialog, qtbot)
    assert dialog.report is not None and dialog.report.skipped == len(got)
    assert _files(tmp_path) == want


def test_a_tomogram_alone(
    widget: ExplorerWidget,
    tiny_replica: ReplicaServer,
    tiny_root: Path,
    tmp_path: Path,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = _select_run(widget, tiny_replica.url, qtbot)
    _expand(widget, run, qtbot)
    spacing = run.child(0)
    _expand(widget, spacing, qtbot)
    alignment = spacing.child(0)
    tomogram_row = next(
        alignment.child(i)
        for i in range(alignment.childCount())
        if PortalTree.kind(alignment.child(i)) == "tomogram"
    )
    widget.tree.setCurrentItem(tomogram_row)
    tomogram = PortalTree.node_model(tomogram_row)
    assert isinstance(tomogram, Tomogram)
    opened: list[str] = []
    monkeypatch.setattr(
        QDesktopServices, "openUrl", lambda url: opened.append(bytes(url.toEncoded()).decode())
    )
    widget.handoffs.neuroglancer_action.trigger()  # this tomogram, no request needed
    assert len(opened) == 1
    state = json.loads(unquote(urlsplit(opened[0]).fragment[1:]))
    assert state["layers"][0]["source"]["url"] == f"zarr://{tomogram.https_omezarr_dir}"
    dialog = _dialog(widget, tmp_path, qtbot)
    assert not dialog.tomograms.isEnabled() and not dialog.annotations.isEnabled()
    dialog.format.setCurrentIndex(2)  # MRC only
    assert dialog.survey is None  # planned again for the new format...
    dialog.start()  # ...and started once planned
    _finished(dialog, qtbot)
    assert dialog.report is not None and not dialog.report.failed
    folder = "10000/TS_001/Reconstructions/VoxelSpacing10.000/Tomograms/100"
    got = _files(tmp_path)
    inside = {k for k in got if "/Reconstructions/" in k}
    assert inside == {f"{folder}/TS_001.mrc", f"{folder}/tomogram_metadata.json"}
    assert all(got[k] == (tiny_root / k).read_bytes() for k in got)
    dialog.open_button.click()
    assert [type(layer).__name__ for layer in widget.viewer.layers].count("Image") == 1


def test_handoffs_of_a_run(
    widget: ExplorerWidget,
    tiny_replica: ReplicaServer,
    tmp_path: Path,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dest = tmp_path / "cryo et"
    remember_download_folder(dest)
    row = _select_run(widget, tiny_replica.url, qtbot)
    run = PortalTree.node_model(row)
    assert isinstance(run, Run)
    bar = widget.handoffs
    clipboard = QApplication.clipboard()
    assert clipboard is not None

    bar.aws_action.trigger()
    assert clipboard.text() == (
        "aws s3 --no-sign-request sync s3://cryoet-data-portal-public/10000/TS_001/ "
        f"'{dest}/10000/TS_001/'"
    )
    assert widget.status.text() == "copied the AWS CLI command to the clipboard"
    bar.python_action.trigger()
    snippet = clipboard.text()
    compile(snippet, "<snippet>", "exec")
    assert (
        "Run.name == 'TS_001'" in snippet and f"run.download_everything('{dest}/10000')" in snippet
    )
    assert not bar.curl_action.isEnabled() and "single files" in bar.curl_action.toolTip()

    opened: list[str] = []
    monkeypatch.setattr(
        QDesktopServices, "openUrl", lambda url: opened.append(bytes(url.toEncoded()).decode())
    )
    bar.page_action.trigger()
    assert opened == [f"{PORTAL}/runs/{run.id}"]

    bar.neuroglancer_action.trigger()  # the run's default tomogram, asked from the portal
    qtbot.waitUntil(lambda: len(opened) == 2, timeout=TIMEOUT)
    parts = urlsplit(opened[1])
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{PORTAL}/view/runs/{run.id}"
    state = json.loads(unquote(parts.fragment[1:]))
    with PortalClient(tiny_replica.url) as client:
        contents = [client.voxel_spacing_contents(v.id) for v in run.voxel_spacings]
    shown = default_tomogram(
        next(c for c in contents if any(t.is_visualization_default for t in c.tomograms))
    )
    assert state["layers"][0]["source"]["url"] == f"zarr://{shown.https_omezarr_dir}"
    assert state["dimensions"]["x"] == [pytest.approx(shown.voxel_spacing * 1e-10), "m"]


def test_handoffs_of_an_annotation_and_a_local_folder(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, tiny_root: Path, tmp_path: Path, qtbot: Any
) -> None:
    remember_download_folder(tmp_path)
    run = _select_run(widget, tiny_replica.url, qtbot)
    _expand(widget, run, qtbot)
    spacing = run.child(0)
    _expand(widget, spacing, qtbot)
    alignment = spacing.child(0)
    row = next(
        alignment.child(i)
        for i in range(alignment.childCount())
        if PortalTree.kind(alignment.child(i)) == "annotation"
    )
    widget.tree.setCurrentItem(row)
    bar = widget.handoffs
    assert bar.curl_action.isEnabled()
    bar.curl_action.trigger()
    clipboard = QApplication.clipboard()
    assert clipboard is not None
    command = clipboard.text()
    assert command.startswith("curl ") and "--create-dirs" in command
    folder = f"{tmp_path}/10000/TS_001/Reconstructions/VoxelSpacing10.000/Annotations/100/"
    assert f"-o {folder}ribosome-1.0.json " in command

    _select_run(widget, str(tiny_root), qtbot)  # a folder of downloaded data
    for action in (bar.download_action, bar.neuroglancer_action, bar.page_action, bar.aws_action):
        assert not action.isEnabled() and action.toolTip() == handoff_buttons.LOCAL


def test_failed_files_are_named(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, tmp_path: Path, qtbot: Any
) -> None:
    _select_run(widget, tiny_replica.url, qtbot)
    dialog = _dialog(widget, tmp_path, qtbot)
    survey = dialog.survey
    assert survey is not None
    real = next(i for i in survey.items if i.path.endswith(".mrc"))
    gone = Item(real.url + ".nothing", real.path + ".nothing")
    dialog.survey = replace(survey, items=[*survey.items, gone])  # a file the server lacks
    dialog.start_button.click()
    _finished(dialog, qtbot)
    assert dialog.report is not None and [i for i, _ in dialog.report.failed] == [gone]
    assert "1 failed" in dialog.message.text() and "run again" in dialog.message.text()
    assert dialog.failures.isVisibleTo(dialog)
    assert dialog.failures.toPlainText().startswith(f"could not fetch {gone.path}: ")
    assert (tmp_path / real.path).is_file() and not (tmp_path / gone.path).exists()
