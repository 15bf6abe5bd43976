"""NGFF ``coordinateTransformations``: each level's scale and translation, made safe.

A level's transforms are its own composed with the multiscale-wide ones. A file can
say anything there: a scale of zero, a negative one (napari would draw the image
mirrored), NaN, infinity, a string, or numbers so large or small that napari's
arithmetic on extents and inverse transforms overflows. Such values are corrected, with
one warning naming the file and what changed (:func:`corrected`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from .errors import ReaderError

Vector = tuple[float, ...]
# Scales outside this range, and translations beyond it, are treated as broken: the
# portal's are Angstrom (or nm, um) per voxel, and napari multiplies scales by sizes and
# inverts them, which over- or underflows for values near the float64 limits.
SCALE_RANGE = (1e-100, 1e100)


def _number(value: Any) -> float:
    """``value`` as a float; NaN for what is not a number, inf for an integer too large
    for a float (JSON allows any number of digits)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return math.nan
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _numbers(value: Any, ndim: int, what: str, where: str) -> Vector:
    """A scale or translation as floats, one per axis; a value that is not a number
    becomes NaN (corrected later with the other bad values)."""
    if not isinstance(value, list | tuple) or len(value) != ndim:
        raise ReaderError(f"{where}: {what} {value!r} does not give one number per axis ({ndim})")
    return tuple(_number(v) for v in value)


def _transforms(entries: Any, ndim: int, where: str) -> tuple[Vector, Vector | None]:
    scale: Vector = (1.0,) * ndim
    translation = None
    for t in entries if isinstance(entries, list) else []:
        if not isinstance(t, Mapping):
            continue
        if t.get("type") == "scale" and "scale" in t:
            scale = _numbers(t["scale"], ndim, "scale", where)
        elif t.get("type") == "translation" and "translation" in t:
            translation = _numbers(t["translation"], ndim, "translation", where)
    return scale, translation


def place(
    ms: Mapping[str, Any], dataset: Mapping[str, Any], ndim: int, where: str
) -> tuple[Vector, Vector | None]:
    """A level's scale and translation: its own transforms, then the multiscale-wide ones.

    Raises
    ------
    ReaderError
        A scale or translation that is not a list of one value per axis; ``where``
        names the file and level.
    """
    scale, translation = _transforms(dataset.get("coordinateTransformations"), ndim, where)
    outer_scale, outer_translation = _transforms(ms.get("coordinateTransformations"), ndim, where)
    total_scale = tuple(s * o for s, o in zip(scale, outer_scale, strict=False))
    if translation is None and outer_translation is None:
        return total_scale, None
    inner = translation or (0.0,) * ndim
    outer = outer_translation or (0.0,) * ndim
    total = tuple(t * o + u for t, o, u in zip(inner, outer_scale, outer, strict=False))
    return total_scale, total


def _good(value: float) -> bool:
    """A usable scale: positive, finite and inside :data:`SCALE_RANGE` (NaN is not)."""
    return SCALE_RANGE[0] < value < SCALE_RANGE[1]


def _good_shift(value: float) -> bool:
    return abs(value) < SCALE_RANGE[1]


def _binning(shape: tuple[int, ...], other: tuple[int, ...], axis: int) -> float:
    """How many voxels of ``shape`` one voxel of ``other`` spans along ``axis``: the
    ratio of their sizes, rounded to a whole factor (levels are binned 2x, 4x...)."""
    ratio = max(1, shape[axis]) / max(1, other[axis])
    return float(round(ratio)) if ratio >= 1 else 1.0 / round(1.0 / ratio)


def _corrected_scale(
    level: int, axis: int, scales: list[Vector], shapes: list[tuple[int, ...]]
) -> float:
    """A stand-in for a bad scale: from a level whose scale on that axis is good, by
    the ratio of the levels' sizes; else the median of the level's good axes (voxels
    of tomograms are cubes); else 1 (voxel units: a known voxel spacing then applies)."""
    for other in range(len(scales)):
        if other != level and _good(scales[other][axis]):
            return scales[other][axis] * _binning(shapes[other], shapes[level], axis)
    good = [v for v in scales[level] if _good(v)]
    return float(np.median(good)) if good else 1.0


def corrected(
    source: str,
    level_paths: list[str],
    shapes: list[tuple[int, ...]],
    scales: list[Vector],
    translations: list[Vector | None],
) -> tuple[list[Vector], list[Vector | None]]:
    """Scales and translations napari can use, with one warning naming what changed.

    A scale that is zero, negative, NaN, infinite or outside :data:`SCALE_RANGE` is
    replaced (:func:`_corrected_scale`); a translation that is NaN, infinite or beyond
    the range becomes 0.
    """
    notes = []
    # Finest first, each level corrected from the ones before it as corrected.
    fixed_scales = list(scales)
    for level, scale in enumerate(scales):
        if all(_good(v) for v in scale):
            continue
        fixed = tuple(
            v if _good(v) else _corrected_scale(level, axis, fixed_scales, shapes)
            for axis, v in enumerate(scale)
        )
        notes.append(f"level {level_paths[level]!r} scale {list(scale)} -> {list(fixed)}")
        fixed_scales[level] = fixed
    fixed_translations: list[Vector | None] = []
    for level, translation in enumerate(translations):
        if translation is None or all(_good_shift(v) for v in translation):
            fixed_translations.append(translation)
            continue
        moved = tuple(v if _good_shift(v) else 0.0 for v in translation)
        notes.append(
            f"level {level_paths[level]!r} translation {list(translation)} -> {list(moved)}"
        )
        fixed_translations.append(moved)
    if notes:
        # The caller's caller: whoever asked for the image.
        warnings.warn(
            f"{source}: scales must be positive finite numbers and translations finite; "
            f"corrected {'; '.join(notes)}",
            stacklevel=3,
        )
    return fixed_scales, fixed_translations


__all__ = ["SCALE_RANGE", "Vector", "corrected", "place"]
