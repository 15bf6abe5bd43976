"""A tomogram in the portal's own Neuroglancer: the URL the portal's "View tomogram" opens.

The portal serves Neuroglancer at ``<portal>/view/runs/<run id>`` and reads its state from
the fragment, ``#!`` then the JSON state percent-encoded. A tomogram's
``neuroglancerConfig`` (a JSON string from GraphQL) is the state the portal itself
opens; without one, a minimal state is built here: the tomogram's OME-Zarr as an image
layer, and the segmentation masks that are shown by default as segmentation layers, all
in metres (Neuroglancer's unit) from the voxel spacing in Angstrom.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from ..portal.models import Annotation, AnnotationFile, Tomogram
from .handoffs import PORTAL

METRES_PER_ANGSTROM = 1e-10
MASK_SHAPES = ("SegmentationMask", "InstanceSegmentationMask")
# What JavaScript's encodeURIComponent leaves as it is (the portal encodes its states so).
_UNRESERVED = "-_.!~*'()"


def _dimensions(voxel_spacing: float) -> dict[str, list[Any]]:
    metres = voxel_spacing * METRES_PER_ANGSTROM
    return {axis: [metres, "m"] for axis in "xyz"}


def _source(url: str, voxel_spacing: float) -> dict[str, Any]:
    """A zarr source placed by the voxel spacing: older files carry scale 1 (voxel units)
    in their metadata, so the transform states the voxel size rather than trusting it."""
    dims = _dimensions(voxel_spacing)
    return {
        "url": f"zarr://{url.rstrip('/')}",
        "transform": {"outputDimensions": dims, "inputDimensions": dims},
    }


def _mask_layer(annotation: Annotation, f: AnnotationFile, voxel_spacing: float) -> dict[str, Any]:
    layer: dict[str, Any] = {
        "type": "segmentation",
        "name": f"{annotation.object_name} ({annotation.id})",
        "source": _source(f.https_path, voxel_spacing),
        "tab": "rendering",
        "visible": True,
    }
    if f.shape_type == "SegmentationMask":
        layer["segments"] = ["1"]  # a 0/1 mask: its one segment
    else:
        layer["notSelectedAlpha"] = 0.5  # instances unknown until read: show them all in 2D
    return layer


def tomogram_state(
    tomogram: Tomogram, files: Iterable[tuple[Annotation, AnnotationFile]] = ()
) -> dict[str, Any]:
    """A minimal Neuroglancer state for ``tomogram``.

    Parameters
    ----------
    tomogram : Tomogram
        Needs ``https_omezarr_dir``.
    files : iterable of (Annotation, AnnotationFile)
        Annotation files that line up with the tomogram (``files_for_tomogram``); the
        OME-Zarr segmentation masks among them that the portal shows by default become
        segmentation layers (points need the portal's precomputed files, which GraphQL
        does not name).

    Raises
    ------
    ValueError
        The tomogram has no OME-Zarr.
    """
    if not tomogram.https_omezarr_dir:
        raise ValueError(f"tomogram {tomogram.id} has no OME-Zarr to show in Neuroglancer")
    vs = tomogram.voxel_spacing
    image = {
        "type": "image",
        "name": tomogram.name or f"tomogram {tomogram.id}",
        "source": _source(tomogram.https_omezarr_dir, vs),
        "tab": "rendering",
        "visible": True,
    }
    masks = [
        _mask_layer(a, f, vs)
        for a, f in files
        if f.format == "zarr" and f.shape_type in MASK_SHAPES and f.is_visualization_default
    ]
    z, y, x = tomogram.size_zyx
    return {
        "dimensions": _dimensions(vs),
        "position": [x / 2, y / 2, z / 2],
        "crossSectionScale": max(max(x, y, z) / 400, 1.0),
        "projectionScale": max(x, y, z) * 1.1,
        "layers": [image, *masks],
        "selectedLayer": {"visible": True, "layer": image["name"]},
        "layout": "4panel",
    }


def state_url(state: str | Mapping[str, Any], run_id: int, portal: str = PORTAL) -> str:
    """``<portal>/view/runs/<run id>#!<state>``, the state percent-encoded."""
    text = state if isinstance(state, str) else json.dumps(state, separators=(",", ":"))
    return f"{portal.rstrip('/')}/view/runs/{int(run_id)}#!{quote(text, safe=_UNRESERVED)}"


def tomogram_url(
    tomogram: Tomogram,
    files: Iterable[tuple[Annotation, AnnotationFile]] = (),
    portal: str = PORTAL,
) -> str:
    """The portal's Neuroglancer on ``tomogram``: its own ``neuroglancerConfig`` when the
    API gives one, else :func:`tomogram_state`.

    Raises
    ------
    ValueError
        The tomogram's run is not known, or it has neither a state nor an OME-Zarr.
    """
    if tomogram.run_id is None:
        raise ValueError(f"tomogram {tomogram.id}'s run is not known")
    config = tomogram.fields.get("neuroglancerConfig")
    if isinstance(config, str) and config.strip():
        return state_url(config, tomogram.run_id, portal)
    return state_url(tomogram_state(tomogram, files), tomogram.run_id, portal)


__all__ = ["PORTAL", "state_url", "tomogram_state", "tomogram_url"]
