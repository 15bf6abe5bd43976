"""Segmentation masks (Zarr or MRC) as lazy, multiscale labels layers in Angstrom."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .colors import object_color
from .errors import NotOurs, ReaderError
from .layers import LayerData, labels_layer
from .mrc import read_mrc
from .ome_zarr import angstrom_factor, read_multiscale


def mask_layer(
    source: str,
    *,
    voxel_spacing: float | None,
    shape_type: str,
    name: str,
    object_name: str,
    metadata: Mapping[str, Any],
) -> LayerData:
    """A mask as a labels layer; nothing but metadata is read.

    A ``SegmentationMask`` (int8 0/1) is drawn in its object's colour; an
    ``InstanceSegmentationMask`` (uint16) one colour per instance.

    Parameters
    ----------
    source : str
        A ``.zarr`` (OME-Zarr) or ``.mrc``, local or a URL.
    voxel_spacing : float or None
        Angstrom per voxel, used when the file says scale 1 or its header says 0.
    shape_type : str
        ``SegmentationMask`` or ``InstanceSegmentationMask``.
    name, object_name : str
        Layer name, and the object whose colour a binary mask takes.
    metadata : mapping
        Kept on the layer.
    """
    color = object_color(object_name) if shape_type == "SegmentationMask" else None
    meta = {**metadata, "object_name": object_name, "shape_type": shape_type}
    if source.lower().endswith((".mrc", ".rec")):
        volume, header_spacing = read_mrc(source)
        s = header_spacing or voxel_spacing or 1.0
        return labels_layer(
            [volume], scale=(s,) * volume.ndim, name=name, color=color, metadata=meta
        )
    try:
        ms = read_multiscale(source)
    except NotOurs as exc:
        raise ReaderError(f"{source}: mask is not an OME-Zarr image") from exc
    factor = angstrom_factor(ms, voxel_spacing, source)
    translation = ms.translations[0]
    meta["ome_zarr"] = ms.attrs.get("multiscale")
    return labels_layer(
        ms.levels,
        scale=tuple(v * factor for v in ms.scales[0]),
        translate=None if translation is None else tuple(v * factor for v in translation),
        name=name,
        color=color,
        metadata=meta,
    )
