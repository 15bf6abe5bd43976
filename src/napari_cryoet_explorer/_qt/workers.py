"""Background work for the widget: the GUI thread never waits on the network.

Each job runs in a worker thread with its own portal client (the HTTP session is not
thread-safe). Jobs are tracked so that closing the widget or cancelling stops them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from superqt.utils import GeneratorWorker, WorkerBase, create_worker


class Jobs:
    """Starts workers and remembers the running ones."""

    def __init__(self) -> None:
        self._running: set[WorkerBase] = set()

    def start(
        self,
        func: Callable[..., Any],
        *args: Any,
        yielded: Callable[[Any], None] | None = None,
        returned: Callable[[Any], None] | None = None,
        errored: Callable[[BaseException], None] | None = None,
        finished: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> WorkerBase:
        """Run ``func`` (a function or a generator function) in a worker thread."""
        # With a handler, errors are ours to report; otherwise superqt re-raises them.
        worker = create_worker(
            func, *args, _start_thread=False, _ignore_errors=errored is not None, **kwargs
        )
        if yielded is not None and isinstance(worker, GeneratorWorker):
            worker.yielded.connect(yielded)
        if returned is not None:
            worker.returned.connect(returned)
        if errored is not None:
            worker.errored.connect(errored)
        if finished is not None:
            worker.finished.connect(finished)
        self._running.add(worker)
        worker.finished.connect(lambda: self._running.discard(worker))
        worker.start()
        return worker

    @property
    def busy(self) -> bool:
        """Whether any job is still running."""
        return bool(self._running)

    def cancel_all(self) -> None:
        """Ask every running job to stop (generators stop at their next yield)."""
        for worker in list(self._running):
            worker.quit()
