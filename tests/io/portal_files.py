"""Finding the synthetic portal's files through its ground truth (shared by reader tests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal

RUN = "10000/TS_001"


@dataclass
class PortalFiles:
    """Files of one run of a generated portal, and what the ground truth says of them."""

    portal: GeneratedPortal
    run: str = RUN
    server: ReplicaServer | None = None

    @property
    def truth(self) -> dict[str, Any]:
        return dict(self.portal.ground_truth["runs"][self.run])

    @property
    def run_dir(self) -> Path:
        return self.portal.root / self.run

    def alignment_id(self, primary: bool = True) -> int:
        for key, alignment in self.truth["alignments"].items():
            if bool(alignment["is_primary"]) == primary:
                return int(key)
        raise KeyError("no such alignment")

    def shift(self, primary: bool = True) -> np.ndarray:
        key = str(self.alignment_id(primary))
        return np.asarray(self.truth["alignments"][key]["shift_zyx_angstrom"], dtype=float)

    def tomogram(self, spacing: float = 10.0, primary: bool = True, fmt: str = "zarr") -> Path:
        wanted = self.alignment_id(primary)
        for t in self.truth["tomograms"]:
            if t["voxel_spacing"] == spacing and t["alignment_id"] == wanted:
                return self.portal.root / t[fmt]
        raise FileNotFoundError(f"tomogram {spacing} {primary}")

    def annotation(
        self, obj: str, suffix: str, spacing: float = 10.0, primary: bool = True
    ) -> Path:
        """The file of ``obj`` whose name ends with ``suffix`` (``_point.ndjson``...)."""
        wanted = self.alignment_id(primary)
        for a in self.truth["annotations"]:
            if a["object"] == obj and a["voxel_spacing"] == spacing and a["alignment_id"] == wanted:
                for f in a["files"]:
                    if f["path"].endswith(suffix):
                        return self.portal.root / f["path"]
        raise FileNotFoundError(f"{obj} {suffix} {spacing} {primary}")

    def centres(self, obj: str, primary: bool = True) -> np.ndarray:
        """Ground-truth centres (z, y, x Angstrom) in the frame of an alignment."""
        centres = np.asarray(self.truth["objects"][obj]["centres_zyx_angstrom"], dtype=float)
        return centres + self.shift(primary)

    def source(self, path: Path) -> str:
        """``path`` itself, or its URL on the replica when there is a server."""
        if self.server is None:
            return str(path)
        return f"{self.server.files_url}/{path.relative_to(self.portal.root).as_posix()}"


def matches(world: np.ndarray, truth: np.ndarray, tol: float) -> None:
    """Each point is within ``tol`` Angstrom of a ground-truth centre, one to one."""
    assert world.shape == truth.shape, (world.shape, truth.shape)
    d = np.linalg.norm(world[:, None, :] - truth[None, :, :], axis=-1)
    assert np.all(d.min(axis=1) <= tol), d.min(axis=1)
    assert len(set(d.argmin(axis=1).tolist())) == len(truth)
