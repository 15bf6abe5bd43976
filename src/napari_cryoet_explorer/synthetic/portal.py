"""Synthetic CryoET Data Portal: metadata rows, data files and ground truth.

``generate_portal(root, preset)`` writes

* ``root/portal.json``: the replica's store, rows keyed by GraphQL type name;
* the data tree exactly as ``Dataset.download_everything`` lays it out
  (``<dataset>/<run>/Reconstructions/VoxelSpacing10.000/Tomograms/100/<run>.zarr`` ...);
* ``root/ground_truth.json``: per run, the objects' centres (Angstrom, zyx, frame of
  the first alignment), particle rotations, instance ids, mask labels, alignment shifts
  and which files show what, so tests can check that every layer lands where it should.

Presets (:data:`PRESETS`): ``tiny`` (unit tests), ``demo`` (the offline demo),
``portal`` (portal-scale metadata only) and ``benchmark`` (one large tomogram).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from ..replica.store import PORTAL_JSON, Row
from . import datasets as datasets
from . import metadata as meta
from . import people as people
from .depositions import Depositions
from .files import write_json
from .omezarr import level_shape
from .presets import PRESETS, Preset
from .rows import Rows
from .runs import RunWriter
from .scale import FIRST_DATASET_ID, portal_entities

GROUND_TRUTH_JSON = "ground_truth.json"
# Bump when the generated files change, so cached portals are regenerated.
GENERATOR_VERSION = 7


@dataclass
class GeneratedPortal:
    """What :func:`generate_portal` wrote.

    Attributes
    ----------
    root : Path
        The portal folder.
    entities : dict
        Rows by GraphQL type name (the content of ``portal.json``).
    ground_truth : dict
        The content of ``ground_truth.json`` (empty for metadata-only presets).
    preset : Preset
        The sizes used, overrides applied.
    """

    root: Path
    entities: dict[str, list[Row]]
    ground_truth: dict[str, Any] = field(default_factory=dict)
    preset: Preset | None = None

    def run_dir(self, dataset_id: int, run_name: str) -> Path:
        """Folder of a run in the data tree."""
        return self.root / str(dataset_id) / run_name

    def run_truth(self, dataset_id: int, run_name: str) -> dict[str, Any]:
        """Ground truth of one run."""
        return dict(self.ground_truth["runs"][f"{dataset_id}/{run_name}"])


def make_preset(preset: str, **overrides: Any) -> Preset:
    """The named preset with ``overrides`` applied (sequences become tuples)."""
    try:
        base = PRESETS[preset]
    except KeyError:
        raise ValueError(f"unknown preset {preset!r}; choose from {sorted(PRESETS)}") from None
    known = {f.name for f in fields(Preset)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"unknown preset fields {unknown}; known: {sorted(known)}")
    fixed: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()
    }
    return replace(base, **fixed)


def generate_portal(
    root: str | Path, preset: str = "tiny", *, seed: int = 0, **overrides: Any
) -> GeneratedPortal:
    """Write a synthetic portal into ``root``.

    Parameters
    ----------
    root : str or Path
        Folder to write (created if needed). Dataset folders already there are replaced.
    preset : str
        ``"tiny"``, ``"demo"``, ``"portal"`` or ``"benchmark"``.
    seed : int
        Seed for every random draw: the same seed gives the same files.
    **overrides
        Fields of :class:`Preset` to change, e.g. ``tomogram_shape=(512, 1024, 1024)``,
        ``chunk_size=256``, ``dtype="int8"``.

    Returns
    -------
    GeneratedPortal
        The rows written to ``portal.json`` and the ground truth.
    """
    spec = make_preset(preset, **overrides)
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    if spec.write_files:
        entities, truth = _generate_with_files(root, spec, seed)
        truth.update({"preset": preset, "seed": seed, "generator_version": GENERATOR_VERSION})
        (root / GROUND_TRUTH_JSON).write_text(json.dumps(truth, indent=1))
    else:
        entities, truth = portal_entities(spec, np.random.default_rng(seed)), {}
        (root / GROUND_TRUTH_JSON).unlink(missing_ok=True)  # no pictures, nothing to check
    # orjson: portal-scale stores are tens of megabytes of JSON.
    (root / PORTAL_JSON).write_bytes(orjson.dumps({"version": 1, "entities": entities}))
    return GeneratedPortal(root, entities, truth, spec)


def _generate_with_files(
    root: Path, spec: Preset, seed: int
) -> tuple[dict[str, list[Row]], dict[str, Any]]:
    rows = Rows()
    truth: dict[str, Any] = {"version": 1, "runs": {}}
    depositions = Depositions(rows, spec.n_datasets)
    for d in range(spec.n_datasets):
        dataset_id = FIRST_DATASET_ID + d
        folder = root / str(dataset_id)
        if folder.exists():
            shutil.rmtree(folder)
        deposit = depositions.of_dataset(d)
        photos: dict[str, str] = {}
        if spec.key_photos and spec.runs_per_dataset:
            photos = {k: f"{dataset_id}/Images/{k}.png" for k in ("snapshot", "thumbnail")}
        ds_row = datasets.dataset(
            rows,
            dataset_id,
            deposit.id,
            d,
            spec.runs_per_dataset,
            key_photos=(photos["snapshot"], photos["thumbnail"]) if photos else None,
        )
        team = people.dataset_team(d)
        authors = people.authors(rows, "DatasetAuthor", "datasetId", dataset_id, team)
        funding = datasets.funding(rows, dataset_id, d)
        writer = RunWriter(root, rows, spec, dataset_id, d, depositions)
        for r in range(spec.runs_per_dataset):
            name = f"TS_{d * 100 + r + 1:03d}"
            rng = np.random.default_rng([seed, d, r])
            truth["runs"][f"{dataset_id}/{name}"] = writer.write(name, rng, r)
        # The dataset's key photos are those of its first run's default tomogram.
        for kind, rel in photos.items():
            source = _default_tomograms(truth, dataset_id)[0]["key_photos"][kind]
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / source, root / rel)
        doc = meta.dataset_metadata(ds_row, authors, funding, photos)
        write_json(folder / "dataset_metadata.json", doc)
    return rows.as_dict(), truth


def _default_tomograms(truth: dict[str, Any], dataset_id: int) -> list[dict[str, Any]]:
    """Default tomograms of a dataset's runs, in run order."""
    return [
        tomo
        for run in truth["runs"].values()
        if run["dataset_id"] == dataset_id
        for tomo in run["tomograms"]
        if tomo["is_visualization_default"]
    ]


def load_ground_truth(root: str | Path) -> dict[str, Any]:
    """Read ``ground_truth.json`` of a generated portal."""
    return dict(json.loads((Path(root) / GROUND_TRUTH_JSON).read_text()))


def object_centres(
    run_truth: dict[str, Any], object_name: str, alignment_id: int | str | None = None
) -> np.ndarray:
    """Centres (n, 3) of an object, zyx Angstrom, as tomograms of an alignment show them.

    Parameters
    ----------
    run_truth : dict
        One run of the ground truth (``truth["runs"]["10000/TS_001"]``).
    object_name : str
        ``ribosome``, ``nucleosome`` or ``vesicle``.
    alignment_id : int or str, optional
        Alignment row id; the run's first alignment by default.
    """
    centres = np.asarray(run_truth["objects"][object_name]["centres_zyx_angstrom"], float)
    if alignment_id is None:
        return centres.reshape(-1, 3)
    shift = run_truth["alignments"][str(alignment_id)]["shift_zyx_angstrom"]
    return centres.reshape(-1, 3) + np.asarray(shift, float)


def object_locations(
    run_truth: dict[str, Any],
    object_name: str,
    voxel_spacing: float,
    alignment_id: int | str | None = None,
) -> np.ndarray:
    """Locations (n, 3) of an object in voxels of ``voxel_spacing``, zyx, as files hold them."""
    return object_centres(run_truth, object_name, alignment_id) / voxel_spacing


__all__ = [
    "GENERATOR_VERSION",
    "GROUND_TRUTH_JSON",
    "PRESETS",
    "GeneratedPortal",
    "Preset",
    "generate_portal",
    "level_shape",
    "load_ground_truth",
    "make_preset",
    "object_centres",
    "object_locations",
    "portal_entities",
]
