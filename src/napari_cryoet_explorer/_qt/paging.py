"""Long lists page in: a batch of pages at a time, then a "load more" row.

The first page shows as soon as it arrives (one request); the rest of the batch
streams in behind it. What is left waits for the user: clicking the "load more" row,
or scrolling to it, fetches the next batch. The page iterator lives across batches,
each batch advancing it from a worker thread (never two at once).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from qtpy.QtWidgets import QTreeWidgetItem

from .tree import PortalTree
from .workers import Jobs

# Pages (of the client's 250 items) fetched per batch before "load more".
PAGES_PER_BATCH = 2


def _remaining(page: Sequence[Any]) -> int | None:
    """How many items are left after a page, when the page says (portal pages do)."""
    offset, total = getattr(page, "offset", None), getattr(page, "total", None)
    if offset is None or total is None:
        return None
    return max(int(total) - int(offset) - len(page), 0)


class PagedChildren:
    """The children of one node (or the top level), fetched batch by batch.

    Parameters
    ----------
    tree : PortalTree
        The tree to fill.
    parent : QTreeWidgetItem or None
        The node; None for the top level.
    pages : iterator
        Pages of models (a portal client's page iterator, or one list for a folder).
    make_item : callable
        Builds a row from a model.
    jobs : Jobs
        Runs the fetches.
    errored : callable
        Called with the exception when a batch fails.
    finished : callable, optional
        Called after each batch.
    """

    def __init__(
        self,
        tree: PortalTree,
        parent: QTreeWidgetItem | None,
        pages: Iterator[Sequence[Any]],
        make_item: Callable[[Any], QTreeWidgetItem],
        jobs: Jobs,
        errored: Callable[[BaseException], None],
        finished: Callable[[], None] | None = None,
    ) -> None:
        self.tree, self.parent, self._pages = tree, parent, pages
        self._make_item, self._jobs = make_item, jobs
        self._errored, self._finished = errored, finished
        self.loaded = 0
        self.remaining: int | None = None
        self.busy = False
        self._worker: Any = None
        self._pages_in_batch = 0
        tree.keep_loader(parent, self)

    def load_more(self) -> None:
        """Fetch the next batch of pages (no-op while one is under way)."""
        if self.busy:
            return
        self.busy = True
        self._pages_in_batch = 0
        PortalTree.remove_more(self.parent, self.tree)
        self._worker = self._jobs.start(
            _batch,
            self._pages,
            PAGES_PER_BATCH,
            yielded=self._page,
            errored=self._failed,
            finished=self._batch_done,
        )

    def _stale(self) -> bool:
        """The rows were cleared (a new connection or search): stop filling them."""
        if self.tree.holds_loader(self.parent, self):
            return False
        if self._worker is not None:
            self._worker.quit()
        return True

    def _page(self, page: Sequence[Any]) -> None:
        if self._stale():
            return
        PortalTree.add_children(self.parent, [self._make_item(m) for m in page], self.tree)
        self._pages_in_batch += 1
        self.loaded += len(page)
        self.remaining = _remaining(page)

    def _failed(self, exc: BaseException) -> None:
        self.remaining = None
        if not self._stale():
            self._errored(exc)

    def _batch_done(self) -> None:
        self.busy = False
        if self._stale():
            return
        if self._pages_in_batch == 0:  # the listing ended early (the portal changed)
            self.remaining = None
        if self.remaining:
            total = self.loaded + self.remaining
            PortalTree.add_more(
                self.parent, f"load more… ({self.loaded} of {total})", self, self.tree
            )
        if self._finished is not None:
            self._finished()


def _batch(pages: Iterator[Sequence[Any]], count: int) -> Iterator[Sequence[Any]]:
    """Up to ``count`` pages from ``pages`` (runs in a worker)."""
    for _ in range(count):
        page = next(pages, None)
        if page is None:
            return
        yield page


def counted(listing: PagedChildren, what: str, source: str) -> str:
    """A status line counting what ``listing`` shows of how many, from ``source``."""
    if listing.remaining:
        return f"{listing.loaded} of {listing.loaded + listing.remaining} {what} from {source}"
    return f"{listing.loaded} {what} from {source}"
