"""The same download by other means: the AWS CLI command and the official client's lines.

Both name the target by the portal's own identifiers and paths (the bucket prefix from
GraphQL), so that what they fetch is what ``download`` fetches, in the same layout.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from ..portal.client import PortalClient
from ..portal.errors import PortalNotFoundError
from ..portal.ls import split_target


@dataclass(frozen=True)
class Target:
    """A download target as the portal names it: ids, the bucket prefix, and the
    folder it takes under a destination."""

    dataset_id: int
    run_name: str | None
    voxel_spacing: float | None
    s3_prefix: str
    folder: str


def resolve_target(client: PortalClient, target: str) -> Target:
    """The bucket prefix of ``DATASET_ID[/RUN_NAME[/VOXEL_SPACING]]`` (one or two requests).

    Raises
    ------
    PortalNotFoundError
        The portal has no such dataset, run or voxel spacing, or gives no S3 prefix.
    ValueError
        A malformed target.
    """
    dataset_id, run_name, spacing = split_target(target)
    if dataset_id is None:
        raise ValueError("give a target: DATASET_ID[/RUN_NAME[/VOXEL_SPACING]]")
    if run_name is None:
        fields = client.dataset(dataset_id).fields
        folder = f"{dataset_id}"
    else:
        run = client.run(dataset_id, run_name)
        fields = run.fields
        folder = f"{dataset_id}/{run_name}"
        if spacing is not None:
            vs = client.find_voxel_spacing(run, spacing)
            fields = vs.fields
            folder += f"/Reconstructions/VoxelSpacing{vs.voxel_spacing:.3f}"
    prefix = fields.get("s3Prefix")
    if not prefix:
        raise PortalNotFoundError(f"{client.url} gives no S3 prefix for {target}", url=client.url)
    return Target(dataset_id, run_name, spacing, str(prefix).rstrip("/") + "/", folder)


def aws_command(t: Target, dest: str) -> str:
    """``aws s3 --no-sign-request sync s3://... DEST/<layout>/`` for the target."""
    where = f"{dest.rstrip('/')}/{t.folder}/"
    return f"aws s3 --no-sign-request sync {shlex.quote(t.s3_prefix)} {shlex.quote(where)}"


def python_snippet(t: Target, dest: str) -> str:
    """The official ``cryoet_data_portal`` client's lines that download the target into
    the same layout (a run's ``download_everything`` writes the run's folder alone, so
    it is given the dataset's folder; a voxel spacing's, its run's ``Reconstructions``)."""
    base = dest.rstrip("/")
    lines = ["from cryoet_data_portal import Client, Dataset, Run", "", "client = Client()"]
    if t.run_name is None:
        lines.append(f"Dataset.get_by_id(client, {t.dataset_id}).download_everything({base!r})")
        return "\n".join(lines) + "\n"
    lines.append(
        f"run = Run.find(client, [Run.dataset_id == {t.dataset_id}, Run.name == {t.run_name!r}])[0]"
    )
    if t.voxel_spacing is None:
        lines.append(f"run.download_everything({f'{base}/{t.dataset_id}'!r})")
    else:
        where = f"{base}/{t.dataset_id}/{t.run_name}/Reconstructions"
        lines += [
            "for spacing in run.tomogram_voxel_spacings:",
            f"    if abs(spacing.voxel_spacing - {t.voxel_spacing!r}) < 1e-3:",
            f"        spacing.download_everything({where!r})",
        ]
    return "\n".join(lines) + "\n"


__all__ = ["Target", "aws_command", "python_snippet", "resolve_target"]
