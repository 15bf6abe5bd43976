"""Transfers cut short by the server: a body shorter than announced (a killed
connection, a file that changed size) is retried, and never left under its real name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from thread_server import ThreadServer

from napari_cryoet_explorer.downloads import transfer
from napari_cryoet_explorer.downloads.plan import Item
from napari_cryoet_explorer.downloads.transfer import PART_SUFFIX, download

BODY = bytes(range(256)) * 64  # 16 KiB


class CuttingServer(ThreadServer):
    """Serves ``/cut/N``: the first N answers stop halfway through the body they
    announced, later ones are whole; ``/always`` never sends the whole body."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        super().__init__()

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if request.method == "GET":
            self.hits[name] = self.hits.get(name, 0) + 1
        cuts = 10**9 if name == "always" else int(name.split("/")[-1]) if "/" in name else 0
        response = web.StreamResponse(headers={"Content-Length": str(len(BODY))})
        await response.prepare(request)
        if request.method == "HEAD":
            return response
        if self.hits[name] <= cuts:
            await response.write(BODY[: len(BODY) // 2])
            assert request.transport is not None
            request.transport.abort()  # the connection dies mid-body
            return response
        await response.write(BODY)
        await response.write_eof()
        return response


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[CuttingServer]:
    monkeypatch.setattr(transfer, "BACKOFF_S", 0.01)
    s = CuttingServer()
    yield s
    s.stop()


def test_a_cut_transfer_is_retried_and_completes(server: CuttingServer, tmp_path: Path) -> None:
    item = Item(server.url("cut/2"), "10000/file.bin")
    report = download([item], tmp_path)
    assert not report.failed and report.fetched == 1
    assert (tmp_path / item.path).read_bytes() == BODY
    assert server.hits["cut/2"] == 3


def test_a_transfer_that_never_completes_is_named_and_not_kept(
    server: CuttingServer, tmp_path: Path
) -> None:
    good = Item(server.url("cut/0"), "10000/good.bin")
    bad = Item(server.url("always"), "10000/bad.bin")
    report = download([good, bad], tmp_path)
    assert report.fetched == 1 and [i for i, _ in report.failed] == [bad]
    assert bad.url in report.failed[0][1]
    assert (tmp_path / good.path).read_bytes() == BODY
    assert not (tmp_path / bad.path).exists()
    assert not list(tmp_path.rglob(f"*{PART_SUFFIX}"))
