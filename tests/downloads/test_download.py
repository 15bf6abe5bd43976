"""Downloads from the replica over HTTP: the portal's layout byte for byte, resumable,
cancellable, with failures named; the result opens aligned with the reader."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from napari_cryoet_explorer._reader import get_reader
from napari_cryoet_explorer.cli import main
from napari_cryoet_explorer.downloads.local_copies import find_local
from napari_cryoet_explorer.downloads.plan import Choice, Item, run_items
from napari_cryoet_explorer.downloads.transfer import (
    INCOMPLETE_SUFFIX,
    PART_SUFFIX,
    Cancelled,
    Report,
    download,
)
from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal


def _files(root: Path, under: str = "") -> dict[str, bytes]:
    base = root / under if under else root
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in base.rglob("*")
        if p.is_file() and p.name != "portal.json" and p.name != "ground_truth.json"
    }


def test_a_run_byte_for_byte(tiny_replica: ReplicaServer, tiny_root: Path, tmp_path: Path) -> None:
    assert (
        main(["download", "10000/TS_001", "--url", tiny_replica.url, "--dest", str(tmp_path)]) == 0
    )
    got = _files(tmp_path)
    want = _files(tiny_root, "10000/TS_001")
    want["10000/dataset_metadata.json"] = (tiny_root / "10000/dataset_metadata.json").read_bytes()
    assert got == want
    assert not list(tmp_path.rglob(f"*{PART_SUFFIX}"))


def test_a_dataset_and_a_voxel_spacing(
    tiny_replica: ReplicaServer, tiny_root: Path, tmp_path: Path
) -> None:
    assert main(["download", "10001", "--url", tiny_replica.url, "--dest", str(tmp_path)]) == 0
    assert _files(tmp_path) == (_files(tiny_root, "10001"))

    spacing = tmp_path / "vs"
    code = main(["download", "10000/TS_002/20", "--url", tiny_replica.url, "--dest", str(spacing)])
    assert code == 0
    got = _files(spacing)
    assert got and all(
        "VoxelSpacing20.000" in k
        or k.endswith(("run_metadata.json", "dataset_metadata.json"))
        or "/Alignments/" in k
        for k in got
    )
    want = _files(tiny_root, "10000/TS_002/Reconstructions/VoxelSpacing20.000")
    assert {k: got[k] for k in want} == want


def test_one_annotation_and_formats(
    tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal
) -> None:
    annotation = next(a for a in tiny_portal.entities["Annotation"] if a["runId"] == 1)
    with PortalClient(tiny_replica.url) as client:
        items = run_items(client, 10000, "TS_001", Choice(annotation_ids=(annotation["id"],)))
        mrc_only = run_items(client, 10000, "TS_001", Choice(formats=("mrc",), annotations=False))
    annotation_paths = {i.path.rsplit("/", 1)[0] for i in items if "/Annotations/" in i.path}
    assert len({p.split("/Annotations/")[1].split("/")[0] for p in annotation_paths}) == 1
    assert not any("/Tomograms/" in i.path for i in items)
    assert any(i.path.endswith(".mrc") for i in mrc_only)
    assert not any(".zarr" in i.path or "/Annotations/" in i.path for i in mrc_only)


def test_resume_fetches_only_what_is_missing(tiny_replica: ReplicaServer, tmp_path: Path) -> None:
    with PortalClient(tiny_replica.url) as client:
        items = run_items(client, 10000, "TS_002", Choice(voxel_spacing=20.0))
    first = download(items, tmp_path, jobs=4)
    assert first.fetched == len(items) - first.missing and not first.failed
    lost = next(i for i in items if i.path.endswith(".mrc"))
    (tmp_path / lost.path).unlink()
    tiny_replica.clear_log()
    again = download(items, tmp_path, jobs=4)
    assert again.fetched == 1 and again.skipped == len(items) - 1 - again.missing
    fetched = {r.path for r in tiny_replica.records("file")}
    assert fetched == {f"/files/{lost.path}"}


def test_cancel_leaves_complete_files_only(tiny_replica: ReplicaServer, tmp_path: Path) -> None:
    with PortalClient(tiny_replica.url) as client:
        items = run_items(client, 10000, "TS_001")
    tiny_replica.latency_ms = 30
    cancel = threading.Event()

    def progress(report: Report) -> None:
        if report.done >= 10:
            cancel.set()

    with pytest.raises(Cancelled):
        download(items, tmp_path, jobs=4, cancel=cancel, progress=progress)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    done = [p for p in files if not p.name.endswith(INCOMPLETE_SUFFIX)]
    assert 10 <= len(done) < len(items)
    assert not [p for p in done if p.name.endswith(PART_SUFFIX)]
    # The zarr stores begun are marked, so a half-fetched store never opens as a download.
    stores = {i.path.split(".zarr/")[0] + ".zarr" for i in items if ".zarr/" in i.path}
    marked = {str(p.relative_to(tmp_path)).removesuffix(INCOMPLETE_SUFFIX) for p in files} & stores
    assert marked == stores
    assert all(find_local(f"{tiny_replica.files_url}/{s}", [tmp_path]) is None for s in stores)
    tiny_replica.latency_ms = 0
    report = download(items, tmp_path, jobs=4)  # and resume
    assert not report.failed and report.skipped == len(done)
    assert not list(tmp_path.rglob(f"*{INCOMPLETE_SUFFIX}"))
    assert all(find_local(f"{tiny_replica.files_url}/{s}", [tmp_path]) for s in stores)


def test_a_503_storm_is_retried(
    tiny_portal: GeneratedPortal, replica_factory: Callable[..., ReplicaServer], tmp_path: Path
) -> None:
    with PortalClient(replica_factory(tiny_portal.root).url) as client:
        items = run_items(client, 10000, "TS_002", Choice(voxel_spacing=20.0))
    clean = download(items, tmp_path / "clean", jobs=4)
    flaky = replica_factory(tiny_portal.root, error_rate=0.15, seed=3)
    base = items[0].url.split("/files/")[0]
    moved = [Item(i.url.replace(base, flaky.base_url), i.path, i.optional) for i in items]
    report = download(moved, tmp_path / "flaky", jobs=4)
    # a 503 is neither a failure nor a missing (fill-value) chunk: it is retried
    assert not report.failed and (report.fetched, report.missing) == (clean.fetched, clean.missing)
    assert any(r.status == 503 for r in flaky.records("file"))


def test_missing_file_is_named_and_the_rest_fetched(
    tiny_replica: ReplicaServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with PortalClient(tiny_replica.url) as client:
        items = run_items(client, 10000, "TS_002", Choice(voxel_spacing=20.0))
    gone = Item(items[1].url + ".nothing", items[1].path + ".nothing")
    report = download([*items, gone], tmp_path)
    assert [why for _, why in report.failed] == [f"{gone.url}: not found on the server"]
    assert report.fetched + report.missing == len(items)


def test_bad_targets_and_destinations(
    tiny_replica: ReplicaServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = tiny_replica.url
    assert main(["download", "99999", "--url", url, "--dest", str(tmp_path)]) == 1
    assert "no dataset 99999" in capsys.readouterr().err
    assert main(["download", "10000/TS_999", "--url", url, "--dest", str(tmp_path)]) == 1
    assert "no run 'TS_999'" in capsys.readouterr().err
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert main(["download", "10000/TS_001", "--url", url, "--dest", str(a_file)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert (
        main(["download", "10000/TS_001", "--url", url, "--dest", str(tmp_path), "--dry-run"]) == 0
    )
    out = capsys.readouterr().out
    assert "files, " in out and "for 10000/TS_001" in out and not (tmp_path / "10000").exists()


def test_the_download_opens_aligned(
    tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal, tmp_path: Path
) -> None:
    assert (
        main(["download", "10000/TS_001", "--url", tiny_replica.url, "--dest", str(tmp_path)]) == 0
    )
    reader = get_reader(str(tmp_path / "10000" / "TS_001"))
    assert reader is not None
    layers = reader(str(tmp_path / "10000" / "TS_001"))
    points = [
        (data, kw) for data, kw, kind in layers if kind == "points" and "ribosome" in kw["name"]
    ]
    assert points
    data, kw = points[0]
    truth = np.array(
        tiny_portal.ground_truth["runs"]["10000/TS_001"]["objects"]["ribosome"][
            "centres_zyx_angstrom"
        ]
    )
    assert np.allclose(np.asarray(data) * np.asarray(kw["scale"]), truth)


def test_dry_run_counts_files_and_bytes(
    tiny_replica: ReplicaServer, tiny_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "download",
            "10000/TS_001",
            "--url",
            tiny_replica.url,
            "--dest",
            str(tmp_path),
            "--dry-run",
        ]
    )
    assert code == 0
    want = _files(tiny_root, "10000/TS_001")
    total = (
        sum(len(v) for v in want.values())
        + (tiny_root / "10000/dataset_metadata.json").stat().st_size
    )
    out = capsys.readouterr().out
    assert out.startswith(f"{len(want) + 1} files, {total / 2**20:.1f} MiB")
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("target", "prefix", "folder"),
    [
        ("10000", "10000/", "10000/"),
        ("10000/TS_001", "10000/TS_001/", "10000/TS_001/"),
        ("10000/TS_001/10", "10000/TS_001/Reconstructions/VoxelSpacing10.000/", None),
    ],
)
def test_aws_and_python_hand_offs(
    target: str,
    prefix: str,
    folder: str | None,
    tiny_replica: ReplicaServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dest = "/data/cryo et"
    argv = ["download", target, "--url", tiny_replica.url, "--dest", dest]
    assert main([*argv, "--print-aws"]) == 0
    aws = capsys.readouterr().out.strip()
    assert aws == (
        f"aws s3 --no-sign-request sync s3://cryoet-data-portal-public/{prefix} '{dest}/{prefix}'"
    )
    assert main([*argv, "--print-python"]) == 0
    snippet = capsys.readouterr().out
    compile(snippet, "<snippet>", "exec")  # valid Python, never run here
    assert "from cryoet_data_portal import" in snippet
    if folder == "10000/":
        assert f"Dataset.get_by_id(client, 10000).download_everything('{dest}')" in snippet
    elif folder is not None:
        assert "Run.name == 'TS_001'" in snippet
        assert f"run.download_everything('{dest}/10000')" in snippet
    else:
        assert f"spacing.download_everything('{dest}/10000/TS_001/Reconstructions')" in snippet
    assert main(["download", "99999", "--url", tiny_replica.url, "--print-aws"]) == 1
    assert "no dataset 99999" in capsys.readouterr().err


def test_the_plan_survives_a_503_storm(
    tiny_portal: GeneratedPortal,
    replica_factory: Callable[..., ReplicaServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from napari_cryoet_explorer.downloads import plan

    monkeypatch.setattr(plan, "PLAN_BACKOFF_S", 0.01)
    with PortalClient(replica_factory(tiny_portal.root).url) as client:
        clean = run_items(client, 10000, "TS_001")
    flaky = replica_factory(tiny_portal.root, error_rate=0.2, seed=5)
    with PortalClient(flaky.url) as client:
        planned = run_items(client, 10000, "TS_001")
    assert any(r.status == 503 for r in flaky.records("file"))  # metadata reads failed
    assert [(i.path, i.optional) for i in planned] == [(i.path, i.optional) for i in clean]
