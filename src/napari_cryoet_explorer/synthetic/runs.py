"""One synthetic run with files: rows, the run's data tree and its ground truth.

For every voxel spacing the run gets a tomogram of the same world content and, per
object, an annotation whose files hold the object's locations in that spacing's voxels.
A second alignment adds, at the finest spacing, another tomogram and annotation set
whose content is moved by the alignment's shift.

What the rows say of how the data was made (microscope, camera, tilt scheme,
reconstruction, annotation method, ground truth, authors, depositions) varies with the
dataset and run indices (see :mod:`.imaging`, :mod:`.annotations`,
:mod:`.people` and :mod:`.depositions`), never with the seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..replica.store import Row
from . import annotations as anns
from . import datasets as datasets
from . import imaging as imaging
from . import metadata as meta
from . import paths as paths
from . import people as people
from . import tiltseries as ts
from . import tomograms as tomograms
from .annotation_files import write_annotation_files
from .depositions import Deposit, Depositions
from .files import resize_nearest, write_json, write_png
from .omezarr import Box, Shape3, write_volume
from .presets import Preset
from .rows import Rows
from .scene import Scene, SceneObject, make_scene
from .volumes import render_blobs, render_noise

# The annotation JSON names a mesh's shape as the portal's ingestion writes it; the API's
# shape type is "Mesh".
JSON_SHAPES = {"Mesh": "TriangularMesh"}
KEY_PHOTO_WIDTHS = {"snapshot": 512, "thumbnail": 134}


def intensity_scale(dtype: np.dtype) -> float:
    """Factor applied to the picture (blobs peak at 1) before storing it as ``dtype``."""
    if dtype.kind in "iu":
        return {1: 100.0, 2: 1000.0}.get(dtype.itemsize, 10000.0)
    return 1.0


@dataclass(frozen=True)
class _Placement:
    """Where a tomogram or annotation set goes: spacing, alignment and its shift."""

    vs_row: Row
    align_row: Row
    shift: np.ndarray  # zyx Angstrom
    shape: Shape3

    @property
    def spacing(self) -> float:
        return float(self.vs_row["voxelSpacing"])


@dataclass
class RunWriter:
    """Writes runs of one dataset, the ``dataset_index``-th, into ``root`` and adds their
    rows to ``rows``; ``depositions`` says which deposition each row came in."""

    root: Path
    rows: Rows
    spec: Preset
    dataset_id: int
    dataset_index: int
    depositions: Depositions
    _alignment_paths: dict[int, str] = field(default_factory=dict)

    @property
    def deposit(self) -> Deposit:
        """The dataset's deposition."""
        return self.depositions.of_dataset(self.dataset_index)

    def write(self, name: str, rng: np.random.Generator, run_index: int) -> dict[str, Any]:
        """Write run ``name``, the dataset's ``run_index``-th; returns its ground truth."""
        spec = self.spec
        vs0 = spec.voxel_spacings[0]
        shifts = [np.zeros(3)]
        if spec.second_alignment:
            shifts.append(np.array(spec.alignment_shift, float) * vs0)
        scene = make_scene(
            rng,
            spec.tomogram_shape,
            vs0,
            n_ribosomes=spec.n_ribosomes,
            n_nucleosomes=spec.n_nucleosomes,
            n_vesicles=spec.n_vesicles,
            blob_scale=spec.blob_scale,
            max_shift=np.max(np.abs(shifts), axis=0),
        )
        run_row = datasets.run(self.rows, self.dataset_id, name)
        self._json(
            paths.run_rel(self.dataset_id, name),
            "run_metadata.json",
            meta.run_metadata(name, self.deposit.id),
        )
        recon = imaging.reconstruction(self.dataset_index, run_index)
        alignments, tilt_truth = self._alignments(run_row, run_index, recon, shifts, scene, rng)
        truth: dict[str, Any] = {
            "dataset_id": self.dataset_id,
            "run": name,
            "run_id": run_row["id"],
            "voxel_spacings": list(spec.voxel_spacings),
            "box_zyx_angstrom": scene.box.tolist(),
            "alignments": {
                str(row["id"]): {
                    "folder": self._alignment_paths[row["id"]].rsplit("/", 1)[0],
                    "shift_zyx_angstrom": shift.tolist(),
                    "is_primary": a == 0,
                }
                for a, (row, shift) in enumerate(alignments)
            },
            "objects": {o.name: o.truth() for o in scene.objects},
            "intensity": {
                "dtype": np.dtype(spec.dtype).name,
                "blob_peak": intensity_scale(np.dtype(spec.dtype)),
                "noise_sigma": spec.noise * intensity_scale(np.dtype(spec.dtype)),
            },
            "tiltseries": [tilt_truth],
            "tomograms": [],
            "annotations": [],
        }
        tomo_folder = ann_folder = paths.FIRST_FOLDER_ID
        for k, spacing in enumerate(spec.voxel_spacings):
            vs_row = tomograms.voxel_spacing(self.rows, run_row, self.dataset_id, spacing)
            z, y, x = (max(1, round(n * vs0 / spacing)) for n in spec.tomogram_shape)
            for a, (align_row, shift) in enumerate(alignments):
                if a and k:
                    continue  # the second alignment exists at the finest spacing only
                place = _Placement(vs_row, align_row, shift, (z, y, x))
                tomo = self._tomogram(run_row, place, tomo_folder, scene, rng, a, recon)
                tomo_folder += 1
                truth["tomograms"].append(tomo)
                for j, obj in enumerate(scene.objects):
                    ann = self._annotation(run_row, place, ann_folder, obj, (run_index, j))
                    ann_folder += 1
                    ann["tomogram_ids"] = [tomo["id"]]
                    truth["annotations"].append(ann)
        return truth

    def _json(self, folder: str, name: str, doc: Any) -> str:
        write_json(self.root / folder / name, doc)
        return f"{folder}/{name}"

    def _alignments(
        self,
        run_row: Row,
        run_index: int,
        recon: imaging.Reconstruction,
        shifts: list[np.ndarray],
        scene: Scene,
        rng: np.random.Generator,
    ) -> tuple[list[tuple[Row, np.ndarray]], dict[str, Any]]:
        """The run's tilt series (rows, files and metadata) and alignments; returns the
        alignments with their shifts, and the tilt series' truth."""
        name = run_row["name"]
        z, y, x = self.spec.tomogram_shape
        d = self.dataset_index
        ts_row = tomograms.tiltseries(
            self.rows,
            run_row,
            self.deposit.id,
            imaging.tilt_quality(d, run_index),
            (x, y),
            imaging.imaging(d, run_index),
        )
        vs0 = self.spec.voxel_spacings[0]
        ts_folder = paths.tiltseries_rel(self.dataset_id, name, paths.FIRST_FOLDER_ID)
        angles = ts.tilt_angles(ts_row)
        stack = ts.render_projections(scene, angles, (y, x), vs0, rng)
        pixel_spacing = float(ts_row["pixelSpacing"])
        files = ts.write_tiltseries(self.root / ts_folder, name, stack, angles, pixel_spacing)
        for field_name, kind in (("MrcFile", "mrc"), ("OmezarrDir", "zarr")):
            rel = f"{ts_folder}/{files[kind]}"
            ts_row[f"https{field_name}"] = paths.files_url(rel)
            ts_row[f"s3{field_name}"] = paths.s3_url(rel)
        ts_row["fileSizeMrc"] = float(ts.folder_size(self.root / ts_folder / files["mrc"]))
        ts_row["fileSizeOmezarr"] = float(ts.folder_size(self.root / ts_folder / files["zarr"]))
        ts_row["httpsAngleList"] = paths.files_url(f"{ts_folder}/{files['angles']}")
        ts_row["s3AngleList"] = paths.s3_url(f"{ts_folder}/{files['angles']}")
        ts_path = self._json(
            ts_folder, "tiltseries_metadata.json", meta.tiltseries_metadata(name, ts_row)
        )
        tilt_truth = {
            "id": ts_row["id"],
            "path": ts_folder,
            "mrc": f"{ts_folder}/{files['mrc']}",
            "zarr": f"{ts_folder}/{files['zarr']}",
            "angle_list": f"{ts_folder}/{files['angles']}",
            "angles": angles.tolist(),
            "shape_zyx": list(stack.shape),
            "pixel_spacing": pixel_spacing,
            "dtype": stack.dtype.name,
        }
        out = []
        for a, shift in enumerate(shifts):
            folder_id = paths.FIRST_FOLDER_ID + a
            row = tomograms.alignment(
                self.rows,
                run_row,
                self.dataset_id,
                self.deposit.id,
                ts_row["id"],
                folder_id,
                (x * vs0, y * vs0, z * vs0),
                local=a > 0,
                method=recon.alignment_method,
            )
            self._alignment_paths[row["id"]] = self._json(
                paths.alignment_rel(self.dataset_id, name, folder_id),
                "alignment_metadata.json",
                meta.alignment_metadata(row, ts_path),
            )
            out.append((row, shift))
        return out, tilt_truth

    def _tomogram(
        self,
        run_row: Row,
        place: _Placement,
        folder_id: int,
        scene: Scene,
        rng: np.random.Generator,
        alignment_index: int,
        recon: imaging.Reconstruction,
    ) -> dict[str, Any]:
        """A tomogram: row, OME-Zarr, MRC, key photos and metadata; returns its truth."""
        spec = self.spec
        name, spacing, shape = run_row["name"], place.spacing, place.shape
        portal_standard = bool(place.align_row["isPortalStandard"])
        row = tomograms.tomogram(
            self.rows,
            run_row,
            place.vs_row,
            self.dataset_id,
            self.deposit.id,
            place.align_row["id"],
            folder_id,
            shape,
            processing="denoised" if alignment_index else "raw",
            default=alignment_index == 0 and spacing == spec.voxel_spacings[0],
            portal_standard=portal_standard,
            recon=recon,
            key_photos=spec.key_photos,
            dates=self.deposit.dates,
        )
        team = people.CURATORS if portal_standard else people.tomogram_team(self.dataset_index)
        authors = people.authors(self.rows, "TomogramAuthor", "tomogramId", row["id"], team)
        dtype = np.dtype(spec.dtype)
        scale = np.float32(intensity_scale(dtype))
        seed = int(rng.integers(2**31))
        limits = np.iinfo(dtype) if dtype.kind in "iu" else None

        def render(box: Box) -> np.ndarray:
            picture = render_blobs(scene.blobs, box, spacing, place.shift)
            picture += render_noise(seed, shape, box, spec.noise)
            picture *= scale
            if limits is not None:
                picture = np.clip(np.round(picture), limits.min, limits.max)
            return picture

        # Key photo: the sum of the central planes, gathered while the volume is written.
        half = max(1, shape[0] // 8)
        z_lo, z_hi = shape[0] // 2 - half, shape[0] // 2 + half
        photo = np.zeros(shape[1:], np.float64)

        def collect(box: Box, block: np.ndarray) -> None:
            lo, hi = max(z_lo, box[0].start), min(z_hi, box[0].stop)
            if hi > lo:
                photo[box[1], box[2]] += block[lo - box[0].start : hi - box[0].start].sum(axis=0)

        folder = paths.tomogram_rel(self.dataset_id, name, spacing, folder_id)
        zarr_rel, mrc_rel = f"{folder}/{name}.zarr", f"{folder}/{name}.mrc"
        write_volume(
            self.root / zarr_rel,
            self.root / mrc_rel if spec.write_mrc else None,
            shape,
            dtype,
            spacing,
            render,
            chunk_size=spec.chunk_size,
            max_block_bytes=spec.max_block_bytes,
            on_block=collect if spec.key_photos else None,
        )
        photos: dict[str, str] = {}
        if spec.key_photos:
            images = paths.key_photo_rel(self.dataset_id, name, spacing, folder_id)
            for kind, width in KEY_PHOTO_WIDTHS.items():
                photos[kind] = f"{images}/key-photo-{kind}.png"
                write_png(self.root / photos[kind], resize_nearest(photo, width))
        alignment_path = self._alignment_paths[place.align_row["id"]]
        doc = meta.tomogram_metadata(row, authors, zarr_rel, mrc_rel, photos, alignment_path)
        self._json(folder, "tomogram_metadata.json", doc)
        return {
            "id": row["id"],
            "folder_id": folder_id,
            "path": folder,
            "zarr": zarr_rel,
            "mrc": mrc_rel if spec.write_mrc else None,
            "key_photos": photos,
            "voxel_spacing": spacing,
            "alignment_id": place.align_row["id"],
            "shape_zyx": list(shape),
            "dtype": dtype.name,
            "is_visualization_default": row["isVisualizationDefault"],
        }

    def _annotation(
        self,
        run_row: Row,
        place: _Placement,
        folder_id: int,
        obj: SceneObject,
        index: tuple[int, int],
    ) -> dict[str, Any]:
        """An annotation of ``obj``, the run's ``k``-th object (``index`` is the run and
        object indices): rows, point file, mask, its mesh and metadata; returns its truth."""
        spec = self.spec
        spacing, align_id = place.spacing, place.align_row["id"]
        row, authors = self._annotation_rows(run_row, place, folder_id, obj, index)
        folder = paths.annotation_rel(self.dataset_id, run_row["name"], spacing, folder_id)
        prefix = f"{folder}/{paths.slug(obj.name)}-1.0"
        shapes: dict[str, Row] = {}
        files: list[dict[str, Any]] = []

        def add(shape_type: str, rel: str, fmt: str, default: bool) -> None:
            if shape_type not in shapes:
                shapes[shape_type] = anns.annotation_shape(self.rows, row, shape_type)
            shape_row = shapes[shape_type]
            anns.annotation_file(
                self.rows, shape_row, place.vs_row, align_id, rel, fmt, default=default
            )
            files.append(
                {
                    "format": fmt,
                    "path": rel,
                    "shape": JSON_SHAPES.get(shape_type, shape_type),
                    "is_visualization_default": default,
                }
            )

        write_annotation_files(self.root, spec, prefix, obj, spacing, place.shift, place.shape, add)

        doc = meta.annotation_metadata(row, authors, files, self._alignment_paths[align_id])
        metadata_rel = self._json(folder, f"{paths.slug(obj.name)}-1.0.json", doc)
        return {
            "id": row["id"],
            "folder_id": folder_id,
            "object": obj.name,
            "voxel_spacing": spacing,
            "alignment_id": align_id,
            "metadata": metadata_rel,
            "files": [{k: f[k] for k in ("path", "shape", "format")} for f in files],
        }

    def _annotation_rows(
        self,
        run_row: Row,
        place: _Placement,
        folder_id: int,
        obj: SceneObject,
        index: tuple[int, int],
    ) -> tuple[Row, list[Row]]:
        """The annotation row and its author rows: method, ground truth, confidence and
        deposition vary with the dataset, run and object."""
        d, (r, k) = self.dataset_index, index
        profile = anns.annotation_profile(d, r, k)
        team = people.annotation_team(d, k, profile)
        deposit = self.deposit
        if anns.annotation_only(r, k):
            deposit = self.depositions.annotation_only(d)
            team = deposit.team
        row = anns.annotation(
            self.rows,
            run_row,
            place.vs_row,
            self.dataset_id,
            deposit.id,
            folder_id,
            obj.name,
            len(obj.centres),
            method_type=profile.method_type,
            ground_truth=profile.ground_truth,
            scores=anns.confidence(d, r, k) if profile.confidence else None,
            dates=deposit.dates,
        )
        authors = people.authors(self.rows, "AnnotationAuthor", "annotationId", row["id"], team)
        return row, authors
