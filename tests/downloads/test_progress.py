"""The command line's progress line: files, bytes of the total, rate and time left."""

from __future__ import annotations

from napari_cryoet_explorer.downloads.command import progress_line
from napari_cryoet_explorer.downloads.transfer import Report


def test_known_total_gives_bar_rate_and_time_left() -> None:
    report = Report(fetched=50, skipped=2, bytes=10 * 2**20, arriving=2**20 * 10, total=100)
    line = progress_line(report, elapsed=4.0, total_bytes=40 * 2**20)
    assert line.startswith("[" + "#" * 10 + "." * 10 + "] 52/100 files")
    assert "20.0 MiB of 40.0 MiB, 5.0 MiB/s, 0:04 left" in line


def test_unknown_total_is_estimated_from_the_files_so_far() -> None:
    # 10 files fetched of the 98 not already there: 1 MiB each so far, so ~98 MiB.
    report = Report(fetched=10, skipped=2, bytes=10 * 2**20, total=100)
    assert "10.0 MiB of ~98.0 MiB" in progress_line(report, elapsed=1.0)
    assert "of ~0 bytes" in progress_line(Report(total=5), elapsed=0.0)
