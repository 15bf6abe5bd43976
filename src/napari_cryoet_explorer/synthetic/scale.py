"""Portal-scale metadata: hundreds of datasets and tens of thousands of runs, no files.

The shape of the real portal: one dataset much larger than the rest, runs with one or
two voxel spacings, a tomogram per spacing (and on some runs a second, portal-standard
alignment with its own tomogram) and a few annotations per run, each with its shapes and
files. Imaging, processing, annotation methods, depositions and authors vary as in the
file-writing presets (:mod:`.imaging`, :mod:`.annotations`,
:mod:`.people`, :mod:`.depositions`). Paths follow the portal's
layout but nothing is written to disk. Tomogram and annotation authors are left out to
keep the store small.
"""

from __future__ import annotations

import gc

import numpy as np

from ..replica.store import Row
from . import annotations as anns
from . import datasets as datasets
from . import imaging as imaging
from . import paths as paths
from . import people as people
from . import tomograms as tomograms
from .depositions import Depositions
from .presets import Preset
from .rows import Rows

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
OBJECT_NAMES = list(anns.OBJECTS)


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
    rows = Rows()
    n = max(1, spec.n_datasets)
    largest = max(1, spec.largest_dataset_runs or spec.runs_per_dataset)
    others = split_runs(max(spec.total_runs - largest, n - 1), n - 1, rng)
    if not spec.total_runs:
        others = [max(1, spec.runs_per_dataset)] * (n - 1)
    sizes = [largest, *others]
    depositions = Depositions(rows, n)
    for d in range(n):
        deposit = depositions.of_dataset(d)
        dataset_id = FIRST_DATASET_ID + d
        datasets.dataset(rows, dataset_id, deposit.id, d, sizes[d])
        people.authors(rows, "DatasetAuthor", "datasetId", dataset_id, people.dataset_team(d))
        datasets.funding(rows, dataset_id, d)
        qualities = rng.integers(1, 6, sizes[d])
        for r in range(sizes[d]):
            _run(rows, spec, depositions, d, r, int(qualities[r]))
    return rows.as_dict()


def _run(rows: Rows, spec: Preset, depositions: Depositions, d: int, r: int, quality: int) -> None:
    """Rows of the ``r``-th run of the ``d``-th dataset."""
    z, y, x = spec.tomogram_shape
    dataset_id = FIRST_DATASET_ID + d
    deposit = depositions.of_dataset(d)
    dep_id, dates = deposit.id, deposit.dates
    run_row = datasets.run(rows, dataset_id, f"TS_{r + 1:04d}")
    ts = tomograms.tiltseries(rows, run_row, dep_id, quality, (x, y), imaging.imaging(d, r))
    base = spec.voxel_spacings[d % len(spec.voxel_spacings)]
    volume = (x * base, y * base, z * base)
    recon = imaging.reconstruction(d, r)
    align = tomograms.alignment(
        rows,
        run_row,
        dataset_id,
        dep_id,
        ts["id"],
        paths.FIRST_FOLDER_ID,
        volume,
        method=recon.alignment_method,
    )
    spacings = [base, base * 2] if r % 4 == 0 else [base]
    vs_rows = [tomograms.voxel_spacing(rows, run_row, dataset_id, s) for s in spacings]
    for k, vs_row in enumerate(vs_rows):
        f = 2**k
        tomograms.tomogram(
            rows,
            run_row,
            vs_row,
            dataset_id,
            dep_id,
            align["id"],
            paths.FIRST_FOLDER_ID + k,
            (-(-z // f), -(-y // f), -(-x // f)),
            default=k == 0,
            recon=recon,
            key_photos=False,
            dates=dates,
        )
    if two_alignments(r):
        _portal_standard(rows, run_row, vs_rows[0], d, dep_id, ts["id"], volume, spec, dates)
    _annotations(rows, run_row, vs_rows[0], depositions, d, r, align["id"])


def two_alignments(run_index: int) -> bool:
    """Whether a run also has the portal's own (portal-standard) alignment and tomogram."""
    return run_index % 5 == 2


def _portal_standard(
    rows: Rows,
    run_row: Row,
    vs_row: Row,
    d: int,
    dep_id: int,
    tiltseries_id: int,
    volume: tuple[float, float, float],
    spec: Preset,
    dates: tuple[str, str, str],
) -> None:
    """A second, portal-standard alignment with its tomogram at the finest spacing."""
    dataset_id = FIRST_DATASET_ID + d
    align = tomograms.alignment(
        rows,
        run_row,
        dataset_id,
        dep_id,
        tiltseries_id,
        paths.FIRST_FOLDER_ID + 1,
        volume,
        local=True,
    )
    tomograms.tomogram(
        rows,
        run_row,
        vs_row,
        dataset_id,
        dep_id,
        align["id"],
        paths.FIRST_FOLDER_ID + 2,
        spec.tomogram_shape,
        processing="denoised",
        default=False,
        portal_standard=True,
        key_photos=False,
        dates=dates,
    )


def _annotations(
    rows: Rows,
    run_row: Row,
    vs_row: Row,
    depositions: Depositions,
    d: int,
    r: int,
    alignment_id: int,
) -> None:
    """One to three annotations of a run, each with its shapes and files."""
    dataset_id = FIRST_DATASET_ID + d
    spacing = float(vs_row["voxelSpacing"])
    folder = paths.FIRST_FOLDER_ID
    for a in range(1 + r % 3):
        obj = OBJECT_NAMES[(d + r + a) % len(OBJECT_NAMES)]
        profile = anns.annotation_profile(d, r, a)
        only = anns.annotation_only(r, a)
        deposit = depositions.annotation_only(d) if only else depositions.of_dataset(d)
        ann = anns.annotation(
            rows,
            run_row,
            vs_row,
            dataset_id,
            deposit.id,
            folder,
            obj,
            10 + (r * 7 + a) % 90,
            method_type=profile.method_type,
            ground_truth=profile.ground_truth,
            scores=anns.confidence(d, r, a) if profile.confidence else None,
            dates=deposit.dates,
        )
        prefix = f"{paths.annotation_rel(dataset_id, run_row['name'], spacing, folder)}/{paths.slug(obj)}-1.0"
        folder += 1
        for shape_type in SHAPE_CYCLE[(r + a) % len(SHAPE_CYCLE)]:
            shape_row = anns.annotation_shape(rows, ann, shape_type)
            for suffix, fmt in SHAPE_FILES[shape_type]:
                anns.annotation_file(
                    rows,
                    shape_row,
                    vs_row,
                    alignment_id,
                    f"{prefix}_{suffix}.{fmt}",
                    fmt,
                    default=fmt != "mrc",
                )
