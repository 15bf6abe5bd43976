"""OME-Zarr reading: zarr formats 2 and 3, NGFF 0.4 and 0.5, scales, translations, units."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import pytest
import zarr
from ome_zarr.format import FormatV04, FormatV05
from ome_zarr.writer import write_multiscale

from napari_cryoet_explorer.io import NotOurs, ReaderError, read_annotation_file, read_tomogram
from napari_cryoet_explorer.io.ome_zarr import read_multiscale

# The writer deprecates explicit transforms; tests need them (translations).
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
AXES = [{"name": a, "type": "space", "unit": "angstrom"} for a in "zyx"]


def _pyramid(
    shape: tuple[int, int, int] = (8, 12, 16), dtype: Any = np.float32
) -> list[np.ndarray]:
    base = np.arange(np.prod(shape), dtype=np.float64).reshape(shape).astype(dtype)
    return [base, base[::2, ::2, ::2].copy()]


def _write(
    path: Path,
    fmt: Any,
    *,
    scale: float = 13.48,
    translation: list[float] | None = None,
    axes: Any = None,
    pyramid: list[np.ndarray] | None = None,
) -> Path:
    levels = pyramid or _pyramid()
    transforms = []
    for k in range(len(levels)):
        entry: list[dict[str, Any]] = [{"type": "scale", "scale": [scale * 2**k] * 3}]
        if translation is not None:
            entry.append({"type": "translation", "translation": translation})
        transforms.append(entry)
    group = zarr.open_group(str(path), mode="w", zarr_format=fmt.zarr_format)
    write_multiscale(
        levels,
        group,
        fmt=fmt,
        axes=axes or AXES,
        coordinate_transformations=transforms,
        storage_options={"chunks": (4, 4, 4)},
    )
    return path


@pytest.mark.parametrize("fmt", [FormatV04(), FormatV05()], ids=["ngff0.4-zarr2", "ngff0.5-zarr3"])
def test_formats(tmp_path: Path, fmt: Any) -> None:
    path = _write(tmp_path / "t.zarr", fmt)
    assert (path / ("zarr.json" if fmt.zarr_format == 3 else ".zattrs")).exists()
    data, kwargs, kind = read_tomogram(path)
    assert kind == "image" and kwargs["multiscale"]
    assert kwargs["scale"] == pytest.approx((13.48,) * 3) and "translate" not in kwargs
    assert all(isinstance(level, da.Array) for level in data)
    assert [level.shape for level in data] == [(8, 12, 16), (4, 6, 8)]
    assert np.array_equal(np.asarray(data[1]), _pyramid()[1])
    assert kwargs["name"] == "t.zarr" and kwargs["metadata"]["ome_zarr"]["datasets"]


def test_translation_and_single_level(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.zarr", FormatV04(), scale=10.0, translation=[100.0, 0.0, -50.0])
    _, kwargs, _ = read_tomogram(path)
    assert kwargs["translate"] == (100.0, 0.0, -50.0)
    data, kwargs, _ = read_tomogram(path, multiscale=False, level=1)
    assert not kwargs["multiscale"] and data.shape == (4, 6, 8)
    assert kwargs["scale"] == (20.0, 20.0, 20.0)
    with pytest.raises(ReaderError, match="2 levels"):
        read_tomogram(path, multiscale=False, level=5)


def test_multiscale_wide_transforms_compose(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.zarr", FormatV04(), scale=1.0, translation=[1.0, 2.0, 3.0])
    attrs = zarr.open_group(str(path), mode="r+").attrs
    multiscales = attrs["multiscales"]
    multiscales[0]["coordinateTransformations"] = [
        {"type": "scale", "scale": [10.0, 10.0, 10.0]},
        {"type": "translation", "translation": [5.0, 5.0, 5.0]},
    ]
    attrs["multiscales"] = multiscales
    ms = read_multiscale(path)
    assert ms.scales == [(10.0,) * 3, (20.0,) * 3]
    assert ms.translations[0] == (15.0, 25.0, 35.0)  # (dataset translation) * 10 + 5


def test_scale_one_takes_the_voxel_spacing(tmp_path: Path) -> None:
    """Older portal data wrote scale 1: a known voxel spacing wins, pyramid kept."""
    path = _write(tmp_path / "old.zarr", FormatV04(), scale=1.0)
    _, kwargs, _ = read_tomogram(path, voxel_spacing=7.84)
    assert kwargs["scale"] == pytest.approx((7.84,) * 3)
    with pytest.warns(UserWarning, match="voxel units"):
        _, kwargs, _ = read_tomogram(path)
    assert kwargs["scale"] == (1.0, 1.0, 1.0)
    # Inside a download, the VoxelSpacing folder says it.
    nested = tmp_path / "VoxelSpacing7.840" / "Tomograms" / "1"
    nested.mkdir(parents=True)
    moved = _write(nested / "TS_1.zarr", FormatV04(), scale=1.0)
    _, kwargs, _ = read_tomogram(moved)
    assert kwargs["scale"] == pytest.approx((7.84,) * 3)


def test_nanometres_become_angstrom(tmp_path: Path) -> None:
    axes = [{"name": a, "type": "space", "unit": "nanometer"} for a in "zyx"]
    path = _write(tmp_path / "nm.zarr", FormatV04(), scale=1.348, axes=axes)
    _, kwargs, _ = read_tomogram(path)
    assert kwargs["scale"] == pytest.approx((13.48,) * 3)


def test_plain_zarr_and_other_ome_zarrs_are_not_ours(tmp_path: Path) -> None:
    plain = zarr.open_group(str(tmp_path / "plain.zarr"), mode="w", zarr_format=2)
    plain.create_array("0", shape=(4, 4, 4), dtype="u1")
    with pytest.raises(NotOurs, match="not an OME-Zarr"):
        read_tomogram(tmp_path / "plain.zarr")
    with pytest.raises(NotOurs):
        read_tomogram(tmp_path / "missing.zarr")
    # A 4D (c, z, y, x) light-microscopy image is left to other readers.
    axes = [{"name": "c", "type": "channel"}, *AXES]
    image = np.zeros((2, 4, 4, 4), dtype=np.uint8)
    group = zarr.open_group(str(tmp_path / "cells.zarr"), mode="w", zarr_format=2)
    write_multiscale([image], group, fmt=FormatV04(), axes=axes)
    with pytest.raises(NotOurs, match="axes"):
        read_tomogram(tmp_path / "cells.zarr")


def test_label_image_is_a_mask_not_a_tomogram(tmp_path: Path) -> None:
    labels = [np.zeros((8, 8, 8), dtype=np.uint16)]
    labels[0][2:4, 2:4, 2:4] = 7
    path = _write(tmp_path / "cells-1.0_instancesegmentationmask.zarr", FormatV04(), pyramid=labels)
    attrs = zarr.open_group(str(path), mode="r+").attrs
    multiscales = attrs["multiscales"]
    multiscales[0]["metadata"] = {"image-label": {"version": "0.4"}}
    attrs["multiscales"] = multiscales
    with pytest.raises(NotOurs, match="label image"):
        read_tomogram(path)
    ((data, kwargs, kind),) = read_annotation_file(path)
    assert kind == "labels" and np.asarray(data).max() == 7
    assert kwargs["name"] == "cells (InstanceSegmentationMask)" and "colormap" not in kwargs


def test_broken_metadata_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.zarr", FormatV04())
    attrs = zarr.open_group(str(path), mode="r+").attrs
    multiscales = attrs["multiscales"]
    multiscales[0]["datasets"].append({"path": "9"})
    attrs["multiscales"] = multiscales
    with pytest.raises(ReaderError, match=r"t\.zarr: level '9' is missing"):
        read_tomogram(path)
    attrs["multiscales"] = []
    with pytest.raises(ReaderError, match="empty"):
        read_tomogram(path)
