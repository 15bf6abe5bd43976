"""What downloading one node of the browser means: the files it plans, their sizes, what
is already there, and the folder that opens the copy afterwards.

A dataset, run or voxel spacing is a download target of its own; a tomogram is its
voxel spacing's files kept to the tomogram's folder (and the run's metadata); an
annotation is its voxel spacing's download of that annotation alone.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..portal.client import PortalClient
from ..portal.models import Annotation, Dataset, Run, Tomogram, VoxelSpacing
from .command import plan_target
from .handoffs import layout_path
from .plan import FORMATS, Choice, Item
from .transfer import measure

RECONSTRUCTIONS = "/Reconstructions/"


@dataclass(frozen=True)
class NodeDownload:
    """A node's download.

    Attributes
    ----------
    label : str
        What it is, for people (``run 10000/TS_001``).
    target : str
        ``DATASET_ID[/RUN_NAME[/VOXEL_SPACING]]``.
    opens : str
        The folder (layout path) that opens the copy in the viewer.
    annotation_id : int, optional
        One annotation alone.
    within : str, optional
        Only the files of this folder (a tomogram's) among the voxel spacing's, with the
        run's metadata.
    """

    label: str
    target: str
    opens: str
    annotation_id: int | None = None
    within: str | None = None

    @property
    def whole(self) -> bool:
        """Whether tomograms and annotations can be chosen (not one tomogram or annotation)."""
        return self.annotation_id is None and self.within is None

    def choice(
        self, tomograms: bool = True, annotations: bool = True, formats: Sequence[str] = FORMATS
    ) -> Choice:
        """The plan's choice for what the dialog ticks."""
        if self.annotation_id is not None:
            return Choice(annotation_ids=(self.annotation_id,))
        if self.within is not None:
            return Choice(tomograms=True, annotations=False, formats=tuple(formats))
        return Choice(tomograms=tomograms, annotations=annotations, formats=tuple(formats))

    def plan(self, client: PortalClient, choice: Choice) -> list[Item]:
        """The files to fetch (one request per run, more for OME-Zarr listings)."""
        items = plan_target(client, self.target, choice)
        if self.within is None:
            return items
        inside = self.within.rstrip("/") + "/"
        return [i for i in items if i.path.startswith(inside) or RECONSTRUCTIONS not in i.path]


def _spacing_target(dataset_id: int, run_name: str, spacing: float) -> str:
    return f"{dataset_id}/{run_name}/{spacing!r}"


def node_download(
    model: object, dataset_id: int | None, run_name: str | None
) -> NodeDownload | None:
    """The download of a browser node, or None for a node that has none (or whose
    dataset or run is not known).

    Parameters
    ----------
    model : object
        A Dataset, Run, VoxelSpacing, Tomogram or Annotation.
    dataset_id, run_name
        The node's dataset and run (a voxel spacing, tomogram or annotation does not
        name them).
    """
    if isinstance(model, Dataset):
        return NodeDownload(f"dataset {model.id}", str(model.id), str(model.id))
    if dataset_id is None:
        return None
    if isinstance(model, Run):
        where = f"{dataset_id}/{model.name}"
        return NodeDownload(f"run {where}", where, where)
    if run_name is None:
        return None
    run_dir = f"{dataset_id}/{run_name}"
    if isinstance(model, VoxelSpacing):
        return NodeDownload(
            f"voxel spacing {model.voxel_spacing:.3f} Å of {run_dir}",
            _spacing_target(dataset_id, run_name, model.voxel_spacing),
            f"{run_dir}/Reconstructions/{model.folder_name}",
        )
    if isinstance(model, Tomogram):
        anchor = model.https_mrc_file or model.https_omezarr_dir
        if not anchor:
            return None
        folder = posixpath.dirname(layout_path(anchor, dataset_id))
        return NodeDownload(
            f"tomogram {model.id} of {run_dir}",
            _spacing_target(dataset_id, run_name, model.voxel_spacing),
            folder,
            within=folder,
        )
    if isinstance(model, Annotation):
        files = [f for f in model.files if f.https_path]
        if not files:
            return None
        folder = posixpath.dirname(layout_path(files[0].https_path, dataset_id))
        spacing = folder.split("/Reconstructions/VoxelSpacing", 1)[-1].split("/", 1)[0]
        return NodeDownload(
            f"annotation {model.id} ({model.object_name}) of {run_dir}",
            _spacing_target(dataset_id, run_name, float(spacing)),
            folder,
            annotation_id=model.id,
        )
    return None


@dataclass(frozen=True)
class Survey:
    """A planned download measured before it starts.

    Attributes
    ----------
    items : list of Item
        The files.
    sizes : dict
        Each file's size by path, None where the server does not say.
    present : frozenset of str
        Paths already complete under the destination (skipped by the download).
    """

    items: list[Item]
    sizes: dict[str, int | None]
    present: frozenset[str]

    @property
    def total_bytes(self) -> int:
        """The bytes of every file whose size is known."""
        return sum(s for s in self.sizes.values() if s is not None)

    @property
    def unknown(self) -> int:
        """Files of unknown size (or optional files the server lacks)."""
        return sum(s is None for s in self.sizes.values())

    @property
    def to_fetch_bytes(self) -> int:
        """The known bytes of the files not there yet."""
        return sum(s for p, s in self.sizes.items() if s is not None and p not in self.present)

    def at(self, dest: str | Path) -> Survey:
        """The same plan, with what is present under another destination."""
        return Survey(self.items, self.sizes, present_under(self.items, dest))


def present_under(items: Sequence[Item], dest: str | Path) -> frozenset[str]:
    """The paths of ``items`` already complete under ``dest``."""
    root = Path(dest).expanduser()
    return frozenset(i.path for i in items if (root / i.path).is_file())


def survey(url: str, node: NodeDownload, choice: Choice, dest: str | Path) -> Survey:
    """Plan ``node``'s download with ``choice`` and measure it (network: call it from a
    worker thread)."""
    with PortalClient(url) as client:
        items = node.plan(client, choice)
    return Survey(items, measure(items), present_under(items, dest))


__all__ = ["NodeDownload", "Survey", "node_download", "present_under", "survey"]
