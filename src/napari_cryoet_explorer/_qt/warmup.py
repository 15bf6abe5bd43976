"""Pay one-time start-up costs in the background, not when the user first browses or opens.

- napari builds its first Image, Labels, Points and Vectors slowly: it imports scipy and
  scikit-image lazily and loads pint's unit registry (about 0.9 s on a 2-core machine).
  Throwaway layers built from tiny numpy arrays do that work. Numpy data keeps this away
  from napari's dask cache, which is not safe to use from two threads.
- The portal client checks its queries against the portal's GraphQL schema, built once
  per process (about 0.3 s and some 70,000 objects).
- Everything above is long-lived; one full garbage collection afterwards settles it, so
  the next full collection (which stops every thread for a few hundred milliseconds)
  is not due in the middle of the first browse and open.

All of it runs once per process in a background thread, while the user reads the first
screen, except pint's registry: pint builds it on first use, and not safely for two
threads at once (the GUI thread creating a layer would find units missing). It is built
on the calling thread first, in about 0.1 s.
"""

from __future__ import annotations

import contextlib
import gc
import threading

import numpy as np

started = threading.Event()
done = threading.Event()


def _build_layers() -> None:
    from napari.layers import Image, Labels, Points, Vectors

    volume = np.zeros((2, 4, 4), dtype=np.float32)
    Image([volume, volume[:, ::2, ::2]], multiscale=True, scale=(2.0, 2.0, 2.0))
    Labels(
        np.zeros((2, 4, 4), dtype=np.int8),
        colormap={0: "transparent", 1: "red", None: "transparent"},
    )
    Points(np.zeros((1, 3)), features={"object": ["a"]}, face_color="object")
    Vectors(np.zeros((1, 2, 3)))


def _warm_up() -> None:
    from ..portal.schema import portal_schema

    # A warm-up must never disturb the user; a real problem shows with the real work.
    with contextlib.suppress(Exception):
        _build_layers()
    with contextlib.suppress(Exception):
        portal_schema()
    gc.collect()
    done.set()


def warm_up() -> None:
    """Start the warm-up once per process (``done`` is set at the end).

    Call it from the GUI thread: it builds pint's registry there before anything else.
    """
    if started.is_set():
        return
    started.set()
    with contextlib.suppress(ImportError):  # napari's units come from pint
        import pint

        pint.get_application_registry().pixel  # noqa: B018 - the access builds the registry
    # Not a daemon: a process that quits at once waits the second it takes, rather than
    # tearing napari down under it.
    threading.Thread(target=_warm_up, name="napari-cryoet-warm-up").start()
