"""Layer names: one scheme whether a run is opened from the portal or from a download.

A tomogram is ``TS_001 tomogram 100 (raw)``; an annotation file
``TS_001 ribosome 103 (OrientedPoint)``, and its orientation vectors
``TS_001 ribosome 103 (OrientedPoint) axes`` (triads; ``... z axis`` for the z axis
alone). The numbers are the ``Tomograms/<n>``
and ``Annotations/<n>`` folder names: a download holds them as folders and the portal
names them in every file's URL, while the API's own ids (``Tomogram.id``,
``Annotation.id``) are in neither a download nor its metadata files. The processing
(``raw``, ``denoised``...) is the API's ``processing``, also in
``tomogram_metadata.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .download_tree import run_name_from_path
from .layers import LayerData

TOMOGRAMS = "Tomograms"
ANNOTATIONS = "Annotations"
# The ``axis`` a vectors layer's metadata names when it draws each particle's triad.
TRIAD = "xyz"


def folder_id(path: str | Path, kind: str) -> str | None:
    """The ``<n>`` of ``<kind>/<n>/`` in a path or URL (``kind``: Tomograms, Annotations).

    Examples
    --------
    >>> folder_id("https://f.org/10000/TS_1/Reconstructions/VoxelSpacing10.000/"
    ...           "Tomograms/100/TS_1.zarr", "Tomograms")
    '100'
    """
    parts = str(path).replace("\\", "/").rstrip("/").split("/")
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == kind and parts[i + 1]:
            return parts[i + 1]
    return None


def tomogram_name(run: str | None, tomogram_id: str | None, processing: str | None) -> str:
    """``TS_001 tomogram 100 (raw)``; parts not known are left out."""
    name = " ".join(w for w in (run, "tomogram", tomogram_id) if w)
    return f"{name} ({processing})" if processing else name


def annotation_name(
    run: str | None, object_name: str, shape_type: str, annotation_id: str | None = None
) -> str:
    """``TS_001 ribosome 103 (OrientedPoint)``; parts not known are left out."""
    words = " ".join(w for w in (run, object_name, annotation_id) if w)
    return f"{words} ({shape_type})"


def axis_name(name: str, axis: str) -> str:
    """The vectors layer of a points layer: ``<name> axes`` for triads (``axis`` is
    :data:`TRIAD`), ``<name> z axis`` for one axis."""
    return f"{name} axes" if axis == TRIAD else f"{name} {axis} axis"


def portal_names(
    layers: list[LayerData], *, run: str | None = None, annotation_id: str | None = None
) -> list[LayerData]:
    """The layers named by the scheme, from what their metadata and source say.

    Run, folder ids and processing are read from each layer's ``portal_url`` (else its
    ``source``) and portal metadata (``tomogram_metadata``); the keywords, when given,
    win. A tomogram found outside a download's layout keeps the name it has (its file
    name), and so do layers of other kinds without an object and shape.

    Parameters
    ----------
    layers : list of LayerData
        As the readers return them (``metadata`` holds ``source``, and for annotations
        ``object_name`` and ``shape_type``, for orientation vectors ``axis``).
    run, annotation_id : str, optional
        What the caller knows (the portal browser knows both).
    """
    return [
        (data, {**kwargs, "name": _name(kwargs, kind, run, annotation_id)}, kind)
        for data, kwargs, kind in layers
    ]


def _name(kwargs: Mapping[str, Any], kind: str, run: str | None, annotation_id: str | None) -> str:
    meta: Mapping[str, Any] = kwargs.get("metadata") or {}
    where = str(meta.get("portal_url") or meta.get("source") or "")
    run = run or run_name_from_path(where)
    object_name, shape_type = meta.get("object_name"), meta.get("shape_type")
    if object_name and shape_type:
        name = annotation_name(
            run, str(object_name), str(shape_type), annotation_id or folder_id(where, ANNOTATIONS)
        )
        axis = meta.get("axis")
        return axis_name(name, str(axis)) if axis else name
    tomogram_id = folder_id(where, TOMOGRAMS)
    if kind != "image" or not (run and tomogram_id):
        return str(kwargs.get("name") or "")
    processing = (meta.get("tomogram_metadata") or {}).get("processing")
    return tomogram_name(run, tomogram_id, str(processing) if processing else None)
