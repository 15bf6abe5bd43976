"""Portal-scale metadata: hundreds of datasets and tens of thousands of runs, no files.

The shape of the real portal: one dataset much larger than the rest, runs with one or
two voxel spacings, a tomogram per spacing and a few annotations per run, each with its
shapes and files. Paths follow the portal's layout but nothing is written to disk.
Tomogram and annotation authors are left out to keep the store small.
"""

from __future__ import annotations

import gc

import numpy as np

from . import synthetic_entities as ent
from .store import Row
from .synthetic_presets import Preset

FIRST_DATASET_ID = 10000
DATASETS_PER_DEPOSITION = 50
# Shape type -> files as (file suffix, format) pairs.
SHAPE_FILES = {
    "OrientedPoint": [("orientedpoint", "ndjson")],
    "Point": [("point", "ndjson")],
    "InstanceSegmentation": [("instancesegmentation", "ndjson")],
    "SegmentationMask": [("segmentationmask", "zarr"), ("segmentationmask", "mrc")],
    "InstanceSegmentationMask": [
        ("instancesegmentationmask", "zarr"),
        ("instancesegmentationmask", "mrc"),
    ],
    "Mesh": [("triangularmesh", "glb")],
}
SHAPE_CYCLE = [
    ["OrientedPoint"],
    ["Point", "SegmentationMask"],
    ["InstanceSegmentation", "InstanceSegmentationMask"],
    ["SegmentationMask", "Mesh"],
    ["Point"],
]
METHODS = ["manual", "automated", "hybrid"]


def split_runs(total: int, parts: int, rng: np.random.Generator) -> list[int]:
    """``parts`` positive integers summing to ``total`` (at least one each), varied."""
    if parts <= 0:
        return []
    total = max(total, parts)
    weights = rng.uniform(0.2, 1.8, parts)
    sizes = np.maximum(1, np.floor(weights / weights.sum() * total)).astype(int)
    sizes[int(np.argmax(sizes))] += total - int(sizes.sum())
    return [int(s) for s in sizes]


def portal_entities(spec: Preset, rng: np.random.Generator) -> dict[str, list[Row]]:
    """Rows of a portal-scale replica (see the ``portal`` preset).

    Parameters
    ----------
    spec : Preset
        ``n_datasets``, ``largest_dataset_runs`` (the first dataset's runs),
        ``total_runs``, ``voxel_spacings`` (cycled over datasets) and
        ``tomogram_shape`` are used.
    rng : numpy Generator
        Source of the varied run counts and quality scores.

    Returns
    -------
    dict
        Rows by GraphQL type name.
    """
    # The cyclic garbage collector would rescan the growing heap of row dicts again and
    # again (a third of the build time); rows hold no cycles.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _portal_entities(spec, rng)
    finally:
        if enabled:
            gc.enable()


def _portal_entities(spec: Preset, rng: np.random.Generator) -> dict[str, list[Row]]:
    rows = ent.Rows()
    n = max(1, spec.n_datasets)
    largest = max(1, spec.largest_dataset_runs or spec.runs_per_dataset)
    others = split_runs(max(spec.total_runs - largest, n - 1), n - 1, rng)
    if not spec.total_runs:
        others = [max(1, spec.runs_per_dataset)] * (n - 1)
    sizes = [largest, *others]
    objects = list(ent.OBJECTS)
    z, y, x = spec.tomogram_shape
    for d in range(n):
        dep_id = d // DATASETS_PER_DEPOSITION + 1
        if d % DATASETS_PER_DEPOSITION == 0:
            ent.deposition(rows, dep_id, d // DATASETS_PER_DEPOSITION)
        dataset_id = FIRST_DATASET_ID + d
        dates = (ent.iso_date(d), ent.iso_date(d + 30), ent.iso_date(d + 60))
        ent.dataset(rows, dataset_id, dep_id, d, sizes[d])
        base = spec.voxel_spacings[d % len(spec.voxel_spacings)]
        qualities = rng.integers(1, 6, sizes[d])
        for r in range(sizes[d]):
            run_row = ent.run(rows, dataset_id, f"TS_{r + 1:04d}")
            ts = ent.tiltseries(rows, run_row, dep_id, int(qualities[r]), (x, y, z))
            volume = (x * base, y * base, z * base)
            align = ent.alignment(
                rows, run_row, dataset_id, dep_id, ts["id"], ent.FIRST_FOLDER_ID, volume
            )
            spacings = [base, base * 2] if r % 4 == 0 else [base]
            folder = ent.FIRST_FOLDER_ID
            for k, spacing in enumerate(spacings):
                vs_row = ent.voxel_spacing(rows, run_row, dataset_id, spacing)
                f = 2**k
                ent.tomogram(
                    rows,
                    run_row,
                    vs_row,
                    dataset_id,
                    dep_id,
                    align["id"],
                    ent.FIRST_FOLDER_ID + k,
                    (-(-z // f), -(-y // f), -(-x // f)),
                    default=k == 0,
                    key_photos=False,
                    authors=False,
                    dates=dates,
                )
                if k:
                    continue
                for a in range(1 + r % 3):
                    obj = objects[(d + r + a) % len(objects)]
                    method = METHODS[(d + a) % len(METHODS)]
                    ann = ent.annotation(
                        rows,
                        run_row,
                        vs_row,
                        dataset_id,
                        dep_id,
                        folder,
                        obj,
                        10 + (r * 7 + a) % 90,
                        method_type=method,
                        ground_truth=method == "manual",
                        authors=False,
                        dates=dates,
                    )
                    prefix = (
                        f"{ent.annotation_rel(dataset_id, run_row['name'], spacing, folder)}"
                        f"/{ent.slug(obj)}-1.0"
                    )
                    folder += 1
                    for shape_type in SHAPE_CYCLE[(r + a) % len(SHAPE_CYCLE)]:
                        shape_row = ent.annotation_shape(rows, ann, shape_type)
                        for suffix, fmt in SHAPE_FILES[shape_type]:
                            ent.annotation_file(
                                rows,
                                shape_row,
                                vs_row,
                                align["id"],
                                f"{prefix}_{suffix}.{fmt}",
                                fmt,
                                default=fmt != "mrc",
                            )
    return rows.as_dict()
