"""Synthetic CryoET Data Portal: metadata rows, data files and ground truth.

``generate_portal(root, preset)`` writes ``root/portal.json`` (the replica's store),
the data tree exactly as ``Dataset.download_everything`` lays it out, and
``root/ground_truth.json``: the blob centres (Angstrom, zyx), particle rotations,
instance ids and alignment shifts the pictures were drawn from, so tests can check that
every layer lands where it should.

Presets: ``tiny`` (unit tests), ``demo`` (the offline demo) and ``portal`` (portal-scale
metadata only, for listing tests and benchmarks).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from . import synthetic_entities as ent
from .store import Row, save_entities
from .synthetic_files import (
    level_shape,
    point_record,
    write_json,
    write_mrc,
    write_ndjson,
    write_ome_zarr,
)

GROUND_TRUTH_JSON = "ground_truth.json"
FIRST_DATASET_ID = 10000


@dataclass(frozen=True)
class Preset:
    """Sizes of a synthetic portal."""

    n_datasets: int
    runs_per_dataset: int
    tomogram_shape: tuple[int, int, int]  # z, y, x at the finest voxel spacing
    voxel_spacings: tuple[float, ...] = (10.0, 20.0)
    chunk_size: int = 256
    dtype: str = "float32"
    write_files: bool = True
    second_alignment: bool = True
    n_ribosomes: int = 5
    n_nucleosomes: int = 4
    n_vesicles: int = 3
    largest_dataset_runs: int = 0  # portal preset: runs of the first dataset
    total_runs: int = 0  # portal preset: runs in all


PRESETS: dict[str, Preset] = {
    "tiny": Preset(n_datasets=2, runs_per_dataset=2, tomogram_shape=(24, 40, 56), chunk_size=16),
    "demo": Preset(
        n_datasets=3,
        runs_per_dataset=3,
        tomogram_shape=(96, 192, 256),
        chunk_size=64,
        n_ribosomes=24,
        n_nucleosomes=16,
        n_vesicles=6,
    ),
    "portal": Preset(
        n_datasets=600,
        runs_per_dataset=0,
        tomogram_shape=(200, 630, 630),
        voxel_spacings=(13.48,),
        write_files=False,
        largest_dataset_runs=2000,
        total_runs=30000,
    ),
}


@dataclass
class GeneratedPortal:
    """What :func:`generate_portal` wrote."""

    root: Path
    entities: dict[str, list[Row]]
    ground_truth: dict[str, Any] = field(default_factory=dict)

    def run_dir(self, dataset_id: int, run_name: str) -> Path:
        """Folder of a run in the data tree."""
        return self.root / str(dataset_id) / run_name


def generate_portal(
    root: str | Path, preset: str = "tiny", *, seed: int = 0, **overrides: Any
) -> GeneratedPortal:
    """Write a synthetic portal into ``root``.

    Parameters
    ----------
    root : str or Path
        Folder to write (created if needed).
    preset : str
        ``"tiny"``, ``"demo"`` or ``"portal"``.
    seed : int
        Seed for every random draw: the same seed gives the same portal.
    **overrides
        Fields of :class:`Preset` to change, e.g. ``tomogram_shape=(512, 1024, 1024)``.

    Returns
    -------
    GeneratedPortal
        The rows written to ``portal.json`` and the ground truth.
    """
    try:
        spec = replace(PRESETS[preset], **overrides)
    except KeyError:
        raise ValueError(f"unknown preset {preset!r}; choose from {sorted(PRESETS)}") from None
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    if spec.write_files:
        portal = _generate_with_files(root, spec, rng)
    else:
        portal = GeneratedPortal(root, portal_entities(spec, rng))
    save_entities(root, portal.entities)
    if portal.ground_truth:
        (root / GROUND_TRUTH_JSON).write_text(json.dumps(portal.ground_truth, indent=1))
    return portal


# -- portal-scale metadata ------------------------------------------------------


def portal_entities(spec: Preset, rng: np.random.Generator) -> dict[str, list[Row]]:
    """Rows only, at portal scale: one large dataset, the rest sharing the other runs."""
    rows = ent.Rows()
    ent.deposition(rows, 1)
    others = max(spec.n_datasets - 1, 1)
    remaining = max(spec.total_runs - spec.largest_dataset_runs, others)
    sizes = [spec.largest_dataset_runs] + _split(remaining, others, rng)
    objects = list(ent.OBJECTS)
    shape_types = ["OrientedPoint", "Point", "SegmentationMask", "InstanceSegmentation"]
    formats = {
        "OrientedPoint": "ndjson",
        "Point": "ndjson",
        "SegmentationMask": "zarr",
        "InstanceSegmentation": "ndjson",
    }
    z, y, x = spec.tomogram_shape
    for d in range(spec.n_datasets):
        dataset_id = FIRST_DATASET_ID + d
        ent.dataset(rows, dataset_id, 1, d, sizes[d])
        for r in range(sizes[d]):
            run_row = ent.run(rows, dataset_id, f"TS_{r + 1:04d}", 1, int(rng.integers(1, 6)))
            align = ent.alignment(rows, run_row, dataset_id, 1, (x, y, z))
            spacings = list(spec.voxel_spacings)
            if r % 4 == 0:
                spacings.append(spacings[0] * 2)
            for k, spacing in enumerate(spacings):
                vs_row = ent.voxel_spacing(rows, run_row, dataset_id, spacing)
                f = round(spacing / spacings[0])
                ent.tomogram(
                    rows,
                    run_row,
                    vs_row,
                    dataset_id,
                    1,
                    align["id"],
                    (z // f, y // f, x // f),
                    default=k == 0,
                )
                if k > 0:
                    continue
                for a in range(1 + r % 2):
                    obj = objects[(d + r + a) % len(objects)]
                    shape = shape_types[(r + a) % len(shape_types)]
                    ann = ent.annotation(rows, run_row, vs_row, dataset_id, 1, obj, 10 + r % 50)
                    shape_row = ent.annotation_shape(rows, ann, shape)
                    folder = ent.annotation_files_rel(ann, run_row["name"], dataset_id, spacing)
                    suffix = shape.lower()
                    fmt = formats[shape]
                    ent.annotation_file(
                        rows,
                        shape_row,
                        vs_row,
                        align["id"],
                        f"{folder}/{obj}-1.0_{suffix}.{fmt}",
                        fmt,
                    )
    return dict(rows.entities)


def _split(total: int, parts: int, rng: np.random.Generator) -> list[int]:
    """``parts`` positive integers summing to ``total``, varied but near the mean."""
    weights = rng.uniform(0.2, 1.8, parts)
    sizes = np.maximum(1, np.floor(weights / weights.sum() * total)).astype(int)
    sizes[0] += total - int(sizes.sum())
    return [int(s) for s in sizes]


# -- portal with files ----------------------------------------------------------


@dataclass
class _Particle:
    centre: np.ndarray  # zyx, Angstrom, in the frame of alignment 1
    sigma: np.ndarray  # (3, 3) covariance in Angstrom^2, zyx
    instance: int = -1


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def _xyz_to_zyx(m: np.ndarray) -> np.ndarray:
    """Re-express a 3x3 matrix acting on xyz vectors as one acting on zyx vectors."""
    return m[::-1, ::-1]


def _place(
    rng: np.random.Generator,
    n: int,
    box: np.ndarray,
    margin: float,
    taken: list[np.ndarray],
    gap: float,
) -> list[np.ndarray]:
    """Draw ``n`` centres inside ``box`` (zyx Angstrom) at least ``gap`` apart."""
    out: list[np.ndarray] = []
    for _ in range(n):
        for _attempt in range(500):
            p = rng.uniform(margin, box - margin)
            if all(np.linalg.norm(p - q) >= gap for q in taken + out):
                out.append(p)
                break
    return out


def _render(
    particles: list[_Particle],
    shape: tuple[int, int, int],
    spacing: float,
    shift: np.ndarray,
    z0: int,
    z1: int,
    noise: np.random.Generator | None,
) -> np.ndarray:
    """Planes ``z0:z1`` of a tomogram at ``spacing``: gaussian blobs plus noise."""
    out = np.zeros((z1 - z0, shape[1], shape[2]), np.float32)
    for p in particles:
        centre = (p.centre + shift) / spacing  # voxel coordinates, zyx
        cov = p.sigma / spacing**2
        inv = np.linalg.inv(cov)
        radius = 3.0 * float(np.sqrt(np.max(np.linalg.eigvalsh(cov))))
        lo = np.maximum(np.floor(centre - radius).astype(int), [z0, 0, 0])
        hi = np.minimum(np.ceil(centre + radius).astype(int) + 1, [z1, shape[1], shape[2]])
        if np.any(hi <= lo):
            continue
        grids = np.meshgrid(*(np.arange(a, b) for a, b in zip(lo, hi, strict=True)), indexing="ij")
        d = np.stack([g - c for g, c in zip(grids, centre, strict=True)], axis=-1)
        blob = np.exp(-0.5 * np.einsum("...i,ij,...j->...", d, inv, d))
        out[lo[0] - z0 : hi[0] - z0, lo[1] : hi[1], lo[2] : hi[2]] += blob.astype(np.float32)
    if noise is not None:
        out += noise.normal(0.0, 0.04, out.shape).astype(np.float32)
    return out


def _mask(
    particles: list[_Particle],
    shape: tuple[int, int, int],
    spacing: float,
    radius: float,
    dtype: Any,
) -> np.ndarray:
    """Balls of ``radius`` Angstrom around particles: 1, or instance id + 1."""
    out = np.zeros(shape, dtype)
    zz, yy, xx = np.indices(shape, sparse=True)
    for p in particles:
        c = p.centre / spacing
        inside = (zz - c[0]) ** 2 + (yy - c[1]) ** 2 + (xx - c[2]) ** 2 <= (radius / spacing) ** 2
        out[inside] = 1 if p.instance < 0 else p.instance + 1
    return out


def _generate_with_files(root: Path, spec: Preset, rng: np.random.Generator) -> GeneratedPortal:
    rows = ent.Rows()
    ent.deposition(rows, 1)
    truth: dict[str, Any] = {"runs": {}}
    for d in range(spec.n_datasets):
        dataset_id = FIRST_DATASET_ID + d
        ds_row = ent.dataset(rows, dataset_id, 1, d, spec.runs_per_dataset)
        write_json(root / str(dataset_id) / "dataset_metadata.json", _dataset_metadata(ds_row))
        for r in range(spec.runs_per_dataset):
            name = f"TS_{d * 100 + r + 1:03d}"
            run_truth = _write_run(root, rows, spec, rng, dataset_id, name)
            truth["runs"][f"{dataset_id}/{name}"] = run_truth
    return GeneratedPortal(root, dict(rows.entities), truth)


def _dataset_metadata(row: Row) -> dict[str, Any]:
    keys = ["title", "description", "organismName", "cellName", "tissueName", "sampleType"]
    doc = {"dataset_identifier": row["id"], **ent.any_fields(row, keys)}
    doc["authors"] = [{"name": "Synthetic Data Generator", "primary_author_status": True}]
    return doc


def _write_run(
    root: Path, rows: ent.Rows, spec: Preset, rng: np.random.Generator, dataset_id: int, name: str
) -> dict[str, Any]:
    shape0 = spec.tomogram_shape
    vs0 = spec.voxel_spacings[0]
    box = np.array(shape0, float) * vs0
    margin = 3.5 * vs0
    taken: list[np.ndarray] = []
    ribo_centres = _place(rng, spec.n_ribosomes, box, margin, taken, 7 * vs0)
    taken += ribo_centres
    nucl_centres = _place(rng, spec.n_nucleosomes, box, margin, taken, 7 * vs0)
    taken += nucl_centres
    vesicle_centres = _place(rng, spec.n_vesicles, box, margin + 2 * vs0, taken, 9 * vs0)
    rotations = [_random_rotation(rng) for _ in ribo_centres]
    particles: list[_Particle] = []
    for c, rot in zip(ribo_centres, rotations, strict=True):
        # Elongated along the particle's z axis so orientation shows in the picture.
        axis_zyx = (rot @ np.array([0.0, 0.0, 1.0]))[::-1]
        cov = (1.0 * vs0) ** 2 * np.eye(3) + (1.6 * vs0) ** 2 * np.outer(axis_zyx, axis_zyx)
        particles.append(_Particle(c, cov))
    for c in nucl_centres:
        particles.append(_Particle(c, (1.2 * vs0) ** 2 * np.eye(3)))
    instance_points: list[_Particle] = []
    for i, c in enumerate(vesicle_centres):
        for offset in (np.array([0, 3.0, 0]), np.array([0, -3.0, 0]), np.array([2.5, 0, 2.5])):
            p = _Particle(c + offset * vs0, (0.9 * vs0) ** 2 * np.eye(3), instance=i)
            instance_points.append(p)
    particles += instance_points

    run_row = ent.run(rows, dataset_id, name, 1, int(rng.integers(1, 6)))
    run_dir = root / str(dataset_id) / name
    write_json(run_dir / "run_metadata.json", {"run_name": name, "dataset_id": dataset_id})
    z, y, x = shape0
    shift2 = np.array([0.0, 2.0 * vs0, -3.0 * vs0])  # alignment 2 moves content in y and x
    alignments = [(ent.alignment(rows, run_row, dataset_id, 1, (x, y, z)), np.zeros(3))]
    if spec.second_alignment:
        alignments.append((ent.alignment(rows, run_row, dataset_id, 1, (x, y, z)), shift2))
    for align_row, shift in alignments:
        rel = f"{dataset_id}/{name}/Alignments/{align_row['id']}/alignment_metadata.json"
        write_json(
            root / rel,
            {
                "alignment_type": "GLOBAL",
                "volume_offset": {"x": 0, "y": 0, "z": 0},
                "shift_zyx_angstrom": shift.tolist(),
                "is_portal_standard": align_row["isPortalStandard"],
            },
        )

    objects: dict[str, dict[str, Any]] = {
        "ribosome": {"shape": "OrientedPoint", "centres": ribo_centres, "rotations": rotations},
        "nucleosome": {"shape": "Point", "centres": nucl_centres},
        "vesicle": {
            "shape": "InstanceSegmentation",
            "centres": [p.centre for p in instance_points],
            "instance_ids": [p.instance for p in instance_points],
        },
    }
    truth: dict[str, Any] = {
        "dataset_id": dataset_id,
        "run": name,
        "voxel_spacings": list(spec.voxel_spacings),
        "alignments": {},
        "objects": {
            k: {
                "shape": v["shape"],
                "centres_zyx_angstrom": [c.tolist() for c in v["centres"]],
                **(
                    {"xyz_rotation_matrices": [m.tolist() for m in v["rotations"]]}
                    if "rotations" in v
                    else {}
                ),
                **({"instance_ids": v["instance_ids"]} if "instance_ids" in v else {}),
            }
            for k, v in objects.items()
        },
        "masks": {
            "nucleosome": {"radius_angstrom": 2.0 * vs0},
            "vesicle": {"radius_angstrom": 1.8 * vs0},
        },
        "tomograms": [],
    }
    for align_row, shift in alignments:
        truth["alignments"][str(align_row["id"])] = {"shift_zyx_angstrom": shift.tolist()}

    annotations: dict[str, Row] = {}
    for k, spacing in enumerate(spec.voxel_spacings):
        vs_row = ent.voxel_spacing(rows, run_row, dataset_id, spacing)
        factor = spacing / vs0
        shape = (int(z / factor), int(y / factor), int(x / factor))
        for a_index, (align_row, shift) in enumerate(alignments):
            if a_index > 0 and k > 0:
                continue  # the second alignment exists at the finest spacing only
            tomo = ent.tomogram(
                rows,
                run_row,
                vs_row,
                dataset_id,
                1,
                align_row["id"],
                shape,
                processing="raw" if a_index == 0 else "denoised",
                default=a_index == 0,
            )
            folder = root / ent.tomogram_rel(dataset_id, name, spacing, tomo["id"])
            _write_tomogram(folder, name, spec, particles, shape, spacing, shift, rng)
            write_json(
                folder / "tomogram_metadata.json",
                {
                    "voxel_spacing": spacing,
                    "size": {"x": shape[2], "y": shape[1], "z": shape[0]},
                    "alignment_metadata_path": f"{dataset_id}/{name}/Alignments/{align_row['id']}/alignment_metadata.json",
                    "processing": tomo["processing"],
                    "run_name": name,
                    "dataset_id": dataset_id,
                    "tomogram_id": tomo["id"],
                },
            )
            truth["tomograms"].append(
                {
                    "id": tomo["id"],
                    "voxel_spacing": spacing,
                    "alignment_id": align_row["id"],
                    "shape_zyx": list(shape),
                    "path": str(folder.relative_to(root)),
                }
            )
            for obj, spec_obj in objects.items():
                key = f"{obj}/{align_row['id']}"
                if key not in annotations:
                    annotations[key] = ent.annotation(
                        rows, run_row, vs_row, dataset_id, 1, obj, len(spec_obj["centres"])
                    )
                    annotations[key]["_shapes"] = {}
                ann = annotations[key]
                _write_annotation(
                    root,
                    rows,
                    ann,
                    run_row,
                    vs_row,
                    dataset_id,
                    align_row,
                    shift,
                    obj,
                    spec_obj,
                    particles,
                    shape,
                    spacing,
                    k == 0,
                )
    for ann in annotations.values():
        ann.pop("_shapes", None)
    return truth


def _write_tomogram(
    folder: Path,
    name: str,
    spec: Preset,
    particles: list[_Particle],
    shape: tuple[int, int, int],
    spacing: float,
    shift: np.ndarray,
    rng: np.random.Generator,
) -> None:
    seed = int(rng.integers(2**31))
    dtype = np.dtype(spec.dtype)

    def render(z0: int, z1: int) -> np.ndarray:
        noise = np.random.default_rng(seed + z0)
        planes = _render(particles, shape, spacing, shift, z0, z1, noise)
        if dtype.kind == "i":
            planes = np.clip(planes * 100, np.iinfo(dtype).min, np.iinfo(dtype).max)
        return planes.astype(dtype)

    folder.mkdir(parents=True, exist_ok=True)
    write_ome_zarr(
        folder / f"{name}.zarr",
        shape,
        dtype,
        spacing,
        render,
        chunk_size=spec.chunk_size,
        slab=spec.chunk_size,
    )
    if int(np.prod(shape)) <= 256**3:
        write_mrc(folder / f"{name}.mrc", render(0, shape[0]), spacing)


def _write_annotation(
    root: Path,
    rows: ent.Rows,
    ann: Row,
    run_row: Row,
    vs_row: Row,
    dataset_id: int,
    align_row: Row,
    shift: np.ndarray,
    obj: str,
    spec_obj: dict[str, Any],
    particles: list[_Particle],
    shape: tuple[int, int, int],
    spacing: float,
    finest: bool,
) -> None:
    folder_rel = ent.annotation_files_rel(ann, run_row["name"], dataset_id, spacing)
    folder = root / folder_rel
    folder.mkdir(parents=True, exist_ok=True)
    slug = obj.replace(" ", "_")
    shape_type = spec_obj["shape"]
    files: list[dict[str, Any]] = []

    def add_file(shape_name: str, suffix: str, fmt: str) -> str:
        shapes = ann["_shapes"]
        if shape_name not in shapes:
            shapes[shape_name] = ent.annotation_shape(rows, ann, shape_name)
        rel = f"{folder_rel}/{slug}-1.0_{suffix}.{fmt}"
        ent.annotation_file(rows, shapes[shape_name], vs_row, align_row["id"], rel, fmt)
        files.append(
            {"format": fmt, "path": rel, "shape": shape_name, "is_visualization_default": True}
        )
        return rel

    centres_vox = [(np.asarray(c) + shift) / spacing for c in spec_obj["centres"]]
    if shape_type == "OrientedPoint":
        rel = add_file("OrientedPoint", "orientedpoint", "ndjson")
        write_ndjson(
            root / rel,
            (
                point_record("orientedPoint", c[::-1], xyz_rotation_matrix=m.tolist())
                for c, m in zip(centres_vox, spec_obj["rotations"], strict=True)
            ),
        )
    elif shape_type == "Point":
        rel = add_file("Point", "point", "ndjson")
        write_ndjson(root / rel, (point_record("point", c[::-1]) for c in centres_vox))
        if finest and not shift.any():
            kind = [
                p
                for p in particles
                if any(np.array_equal(p.centre, c) for c in spec_obj["centres"])
            ]
            mask = _mask(kind, shape, spacing, 2.0 * spacing, np.int8)
            _write_mask(
                root, add_file("SegmentationMask", "segmentationmask", "zarr"), mask, spacing, None
            )
    else:
        rel = add_file("InstanceSegmentation", "instancesegmentation", "ndjson")
        write_ndjson(
            root / rel,
            (
                point_record("instancePoint", c[::-1], instance_id=int(i))
                for c, i in zip(centres_vox, spec_obj["instance_ids"], strict=True)
            ),
        )
        if finest and not shift.any():
            centres = [p for p in particles if p.instance >= 0]
            mask = _mask(centres, shape, spacing, 1.8 * spacing, np.uint16)
            label_meta = {"version": "0.4", "source": {"image": "../../Tomograms"}}
            _write_mask(
                root,
                add_file("InstanceSegmentationMask", "instancesegmentationmask", "zarr"),
                mask,
                spacing,
                label_meta,
            )
    doc = {
        "annotation_object": {"name": obj, "id": ann["objectId"], "state": None},
        "annotation_method": ann["annotationMethod"],
        "method_type": ann["methodType"],
        "ground_truth_status": ann["groundTruthStatus"],
        "object_count": len(spec_obj["centres"]),
        "version": "1.0",
        "voxel_spacing": spacing,
        "alignment_metadata_path": f"{dataset_id}/{run_row['name']}/Alignments/{align_row['id']}/alignment_metadata.json",
        "files": files,
    }
    meta = folder / f"{slug}-1.0.json"
    if meta.exists():
        doc["files"] = json.loads(meta.read_text())["files"] + files
    write_json(meta, doc)


def _write_mask(
    root: Path, rel: str, mask: np.ndarray, spacing: float, image_label: dict[str, Any] | None
) -> None:
    shape = (mask.shape[0], mask.shape[1], mask.shape[2])
    write_ome_zarr(
        root / rel,
        shape,
        mask.dtype,
        spacing,
        lambda z0, z1: mask[z0:z1],
        chunk_size=max(16, min(256, max(shape))),
        labels=True,
        image_label=image_label,
    )
    write_mrc((root / rel).with_suffix(".mrc"), mask, spacing)


def load_ground_truth(root: str | Path) -> dict[str, Any]:
    """Read ``ground_truth.json`` of a generated portal."""
    return dict(json.loads((Path(root) / GROUND_TRUTH_JSON).read_text()))


__all__ = [
    "PRESETS",
    "GeneratedPortal",
    "Preset",
    "generate_portal",
    "level_shape",
    "load_ground_truth",
    "portal_entities",
]
