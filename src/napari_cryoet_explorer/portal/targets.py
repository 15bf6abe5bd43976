"""The targets of ``ls`` and the download commands: ``DATASET_ID[/RUN_NAME[/VOXEL_SPACING]]``
names a dataset, one of its runs, or one of a run's voxel spacings."""

from __future__ import annotations

TARGET_FORM = "DATASET_ID[/RUN_NAME[/VOXEL_SPACING]]"


class UsageError(ValueError):
    """The target does not name a node of the tree."""


def split_target(target: str | None) -> tuple[int | None, str | None, float | None]:
    """``"10000/TS_001/13.48"`` as ``(10000, "TS_001", 13.48)``; missing parts are None.

    The voxel spacing may also be given as its folder name, ``VoxelSpacing13.480``; one
    trailing slash is allowed.

    Raises
    ------
    UsageError
        A leading slash, an empty part (``10000//13.48``), more than three parts, or a
        part that is not a number where one is due.
    """
    text = (target or "").strip()
    if not text:
        return None, None, None
    if text.startswith("/"):
        raise UsageError(
            f"{target!r} starts with '/': targets are {TARGET_FORM}, e.g. 10000/TS_001"
        )
    parts = text.removesuffix("/").split("/")
    if len(parts) > 3:
        raise UsageError(f"expected {TARGET_FORM}, got {target!r}")
    for index, part in enumerate(parts):
        if not part.strip():
            what = ("dataset id", "run name", "voxel spacing")[index]
            raise UsageError(f"the {what} is empty in {target!r} (expected {TARGET_FORM})")
    try:
        dataset_id = int(parts[0])
    except ValueError:
        raise UsageError(f"dataset id must be a number, got {parts[0]!r}") from None
    if dataset_id < 0:
        raise UsageError(f"dataset id must not be negative, got {dataset_id}")
    spacing = None
    if len(parts) == 3:
        try:
            spacing = float(parts[2].removeprefix("VoxelSpacing"))
        except ValueError:
            raise UsageError(f"voxel spacing must be a number, got {parts[2]!r}") from None
        if not spacing > 0:
            raise UsageError(f"voxel spacing must be positive, got {parts[2]!r}")
    return dataset_id, parts[1] if len(parts) > 1 else None, spacing
