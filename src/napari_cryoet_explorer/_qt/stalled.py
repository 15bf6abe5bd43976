"""A stalled server shown as such: "waiting for <server> … (Cancel)".

The widget's portal calls run in worker threads; one that has waited longer than
``NAPARI_CRYOET_EXPLORER_STALL_AFTER_S`` shows this bar. Cancel stops the waiting: the
request under way is aborted and no retry follows, so the worker ends with
:class:`~..portal.errors.PortalCancelled` and the node (or listing) shows that.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlparse

from qtpy.QtCore import QTimer, Signal
from qtpy.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from ..net.limits import Call, Limits, calls_in_flight, seconds

# How often the calls in flight are looked at.
POLL_MS = 250


class StalledServer(QWidget):
    """A bar that appears while a call to the widget's server waits too long.

    Parameters
    ----------
    server : callable
        Gives the GraphQL URL the widget talks to now.
    stall_after_s : float, optional
        Seconds of waiting before the bar shows (default ``Limits.stall_after_s``).
    parent : QWidget, optional
        The parent widget.
    """

    cancelled = Signal(int)  # the number of calls stopped

    def __init__(
        self,
        server: Callable[[], str],
        stall_after_s: float | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._server = server
        self._stall_after_s = stall_after_s
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("stop waiting for the server (nothing is retried)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.cancel_button)
        self.cancel_button.clicked.connect(self.cancel)
        self.hide()
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    @property
    def stall_after_s(self) -> float:
        """Seconds of waiting before the bar shows (the environment's, unless given)."""
        return self._stall_after_s or Limits.from_env().stall_after_s

    def stalled_calls(self) -> list[Call]:
        """The calls to the server that have waited too long and are not cancelled."""
        url = self._server()
        if not url:
            return []
        after = self.stall_after_s
        return [c for c in calls_in_flight(url) if not c.cancelled and c.waited_s >= after]

    def check(self) -> None:
        """Show the bar, saying how long and on what, or hide it."""
        calls = self.stalled_calls()
        if not calls:
            self.setVisible(False)
            return
        oldest = max(calls, key=lambda c: c.waited_s)
        host = urlparse(oldest.url).netloc or oldest.url
        text = f"waiting for {host} … {seconds(oldest.waited_s)}"
        if oldest.note:
            text += f" ({oldest.note})"
        if len(calls) > 1:
            text += f"; {len(calls)} requests"
        self.label.setText(text)
        self.label.setToolTip(f"{oldest.url} has not answered yet")
        self.setVisible(True)

    def cancel(self) -> None:
        """Stop waiting for every stalled call to the server."""
        calls = self.stalled_calls()
        for call in calls:
            call.cancel()
        self.setVisible(False)
        self.cancelled.emit(len(calls))

    def stop(self) -> None:
        """Stop looking (the widget closes)."""
        self._timer.stop()


__all__ = ["StalledServer"]
