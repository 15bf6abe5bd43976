"""The download command on bad input: each case says what is wrong and names it, the
rest is downloaded, and the exit code is not 0. (Unknown datasets and runs and a
destination that is a file are in test_download.py.)"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from thread_server import ThreadServer

from napari_cryoet_explorer.cli import main
from napari_cryoet_explorer.downloads import transfer
from napari_cryoet_explorer.downloads.plan import Item
from napari_cryoet_explorer.downloads.transfer import PART_SUFFIX, download
from napari_cryoet_explorer.replica.server import ReplicaServer


def test_malformed_targets_and_unknown_spacings(
    tiny_replica: ReplicaServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = tiny_replica.url
    assert main(["download", "abc", "--url", url, "--dest", str(tmp_path)]) == 2
    assert "dataset id must be a number, got 'abc'" in capsys.readouterr().err
    assert main(["download", "10000/TS_001/99", "--url", url, "--dest", str(tmp_path)]) == 1
    assert "no voxel spacing 99 in 10000/TS_001" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["download", "10000", "--via", "ftp", "--url", url, "--dest", str(tmp_path)])
    assert exit_.value.code == 2 and "invalid choice: 'ftp'" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_a_destination_under_a_file(
    tiny_replica: ReplicaServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("x")
    dest = a_file / "sub" / "dir"
    assert main(["download", "10000/TS_001", "--url", tiny_replica.url, "--dest", str(dest)]) == 1
    assert f"{a_file} is a file, not a folder" in capsys.readouterr().err
    assert tiny_replica.graphql_requests == 0  # said before asking the portal anything


@pytest.fixture
def unwritable(tmp_path: Path) -> Iterator[Path]:
    """A folder no file can be made in, for root as well: mode 555 for a user; for
    root, who passes mode checks, the immutable attribute (ext4, xfs, btrfs...)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root, and no chattr to make a folder immutable")
    made = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"running as root, and this filesystem has no immutable folders: {made.stderr}")
    try:
        yield folder
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_destination_without_write_permission(
    tiny_replica: ReplicaServer, unwritable: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["download", "10000/TS_001", "--url", tiny_replica.url, "--dest"]
    assert main([*argv, str(unwritable)]) == 1
    err = capsys.readouterr().err
    assert f"cannot write in {unwritable}: " in err
    assert main([*argv, str(unwritable / "new")]) == 1
    assert f"cannot write in {unwritable} (to make {unwritable / 'new'} in it)" in (
        capsys.readouterr().err
    )
    assert not any(unwritable.iterdir())
    assert tiny_replica.graphql_requests == 0


def test_a_404_is_named_and_the_rest_downloaded(
    tiny_root: Path,
    replica_factory: Callable[..., ReplicaServer],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    served = tmp_path / "served"
    shutil.copytree(tiny_root / "10000", served / "10000")
    gone = next((served / "10000/TS_001").rglob("*_point.ndjson")).relative_to(served)
    (served / gone).unlink()
    replica = replica_factory(tiny_root, files_dir=served)
    dest = tmp_path / "dest"
    assert main(["download", "10000/TS_001", "--url", replica.url, "--dest", str(dest)]) == 1
    captured = capsys.readouterr()
    assert f"could not fetch {replica.files_url}/{gone}: not found on the server" in captured.err
    assert "1 failed" in captured.out
    got = {str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file()}
    want = {str(p.relative_to(served)) for p in (served / "10000/TS_001").rglob("*") if p.is_file()}
    assert got == want | {"10000/dataset_metadata.json"}
    assert str(gone) not in got


class ChangingFileServer(ThreadServer):
    """Streams files from a folder the way a plain file server does: it announces
    the size it finds, then sends what the file holds as it reads it. ``changing.bin`` is
    being rewritten meanwhile: halfway through every transfer it loses its tail, so
    the body ends before the announced size and the server closes the connection."""

    route = "/{name}"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        super().__init__()

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        path = self.folder / request.match_info["name"]
        if not path.is_file():
            raise web.HTTPNotFound()
        size = path.stat().st_size
        response = web.StreamResponse(headers={"Content-Length": str(size)})
        await response.prepare(request)
        if request.method == "HEAD":
            return response
        with path.open("rb") as f:
            await response.write(f.read(size // 2))
            if path.name == "changing.bin":  # another writer truncates it under us
                with path.open("r+b") as w:
                    w.truncate(size * 3 // 4)
            await response.write(f.read())
        if path.stat().st_size != size:
            assert request.transport is not None
            request.transport.abort()  # nothing more to send: the body is short
            return response
        await response.write_eof()
        return response

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"


@pytest.fixture
def changing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ChangingFileServer]:
    monkeypatch.setattr(transfer, "BACKOFF_S", 0.01)
    folder = tmp_path / "served"
    folder.mkdir()
    (folder / "steady.bin").write_bytes(bytes(range(256)) * 400)
    (folder / "changing.bin").write_bytes(os.urandom(1 << 22))
    server = ChangingFileServer(folder)
    yield server
    server.stop()


def test_a_file_that_changes_size_mid_download(
    changing: ChangingFileServer, tmp_path: Path
) -> None:
    steady = Item(changing.url("steady.bin"), "10000/steady.bin")
    changing_item = Item(changing.url("changing.bin"), "10000/changing.bin")
    report = download([changing_item, steady], tmp_path / "dest")
    assert report.fetched == 1 and [i for i, _ in report.failed] == [changing_item]
    why = report.failed[0][1]
    assert why.startswith(f"{changing_item.url}: size mismatch") and "announced" in why
    assert (tmp_path / "dest" / steady.path).read_bytes() == bytes(range(256)) * 400
    assert not (tmp_path / "dest" / changing_item.path).exists()
    assert not list((tmp_path / "dest").rglob(f"*{PART_SUFFIX}"))
