"""OME-Zarr multiscales (NGFF 0.4 and 0.5, zarr formats 2 and 3) as lazy dask arrays."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dask.array as da
import zarr

from .errors import NotOurs, ReaderError
from .sources import is_url, storage_options


@dataclass(frozen=True)
class Multiscale:
    """The levels of an OME-Zarr image and their placement in world space."""

    levels: list[da.Array]
    scales: list[tuple[float, ...]]
    translations: list[tuple[float, ...] | None]
    units: tuple[str | None, ...]
    attrs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def image_label(self) -> Mapping[str, Any] | None:
        """The ``image-label`` metadata of a labels image, if any."""
        meta = self.attrs.get("multiscale", {}).get("metadata") or {}
        return meta.get("image-label") or self.attrs.get("image-label")


def _multiscales(attrs: Mapping[str, Any]) -> tuple[list[Any], Mapping[str, Any]] | None:
    if "multiscales" in attrs:  # NGFF 0.4 and earlier
        return attrs["multiscales"], attrs
    ome = attrs.get("ome")
    if isinstance(ome, Mapping) and "multiscales" in ome:  # NGFF 0.5
        return ome["multiscales"], ome
    return None


def _transforms(
    entries: list[Mapping[str, Any]] | None, ndim: int
) -> tuple[tuple[float, ...], tuple[float, ...] | None]:
    scale: tuple[float, ...] = (1.0,) * ndim
    translation = None
    for t in entries or []:
        if t.get("type") == "scale":
            scale = tuple(float(v) for v in t["scale"])
        elif t.get("type") == "translation":
            translation = tuple(float(v) for v in t["translation"])
    return scale, translation


def open_group(path: str | Path) -> zarr.Group:
    """Open a zarr group read-only from a local path, http(s) URL or ``s3://``."""
    target = str(path).rstrip("/")
    try:
        if is_url(target):
            return zarr.open_group(target, mode="r", storage_options=storage_options(target))
        return zarr.open_group(target, mode="r")
    except (FileNotFoundError, zarr.errors.GroupNotFoundError, KeyError) as exc:
        raise NotOurs(f"{path} is not a zarr group") from exc
    except Exception as exc:  # network errors, bad metadata: say which URL
        raise ReaderError(f"cannot open zarr {path}: {exc}") from exc


def read_multiscale(path: str | Path) -> Multiscale:
    """Read the NGFF metadata and wrap each level with ``da.from_zarr`` (no chunk is read).

    Raises
    ------
    NotOurs
        The path is not an OME-Zarr image.
    ReaderError
        It claims to be one but its metadata is broken.
    """
    group = open_group(path)
    attrs = dict(group.attrs)
    found = _multiscales(attrs)
    if found is None:
        raise NotOurs(f"{path} is a zarr but not an OME-Zarr image (no 'multiscales')")
    multiscales, _ = found
    if not multiscales:
        raise ReaderError(f"{path}: 'multiscales' is empty")
    ms = multiscales[0]
    axes = ms.get("axes") or [{"name": a} for a in "zyx"]
    units = tuple((a.get("unit") if isinstance(a, Mapping) else None) for a in axes)
    levels, scales, translations = [], [], []
    outer_scale, outer_translation = _transforms(ms.get("coordinateTransformations"), len(axes))
    for dataset in ms.get("datasets", []):
        try:
            array = group[dataset["path"]]
        except KeyError as exc:
            raise ReaderError(f"{path}: level {dataset.get('path')!r} is missing") from exc
        if not isinstance(array, zarr.Array):
            raise ReaderError(f"{path}: level {dataset.get('path')!r} is a group, not an array")
        levels.append(da.from_zarr(array))
        scale, translation = _transforms(dataset.get("coordinateTransformations"), array.ndim)
        scales.append(tuple(s * o for s, o in zip(scale, outer_scale, strict=False)))
        if outer_translation is not None:
            translation = tuple(
                (t or 0.0) + o
                for t, o in zip(translation or (0.0,) * array.ndim, outer_translation, strict=False)
            )
        translations.append(translation)
    if not levels:
        raise ReaderError(f"{path}: 'multiscales' lists no datasets")
    return Multiscale(levels, scales, translations, units, {"multiscale": ms, **attrs})
