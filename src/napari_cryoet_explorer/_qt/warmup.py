"""Pay napari's one-time start-up costs in the background, not when the first layer opens.

napari builds its first Image, Labels, Points and Vectors slowly: it imports scipy and
scikit-image lazily and loads pint's unit registry (about 0.9 s on a 2-core machine).
Building throwaway layers from tiny numpy arrays in a daemon thread, once per process,
does that work while the user is still browsing. Numpy data keeps this away from
napari's dask cache, which is not safe to use from two threads.
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np

_started = threading.Event()


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


def warm_up_napari() -> None:
    """Start the warm-up once per process; returns at once."""
    if _started.is_set():
        return
    _started.set()
    threading.Thread(target=_quietly, name="napari-warm-up", daemon=True).start()


def _quietly() -> None:
    # A warm-up must never disturb the user; a real problem shows with the real layers.
    with contextlib.suppress(Exception):
        _build_layers()
