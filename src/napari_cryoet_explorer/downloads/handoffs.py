"""The same download by other means: the AWS CLI (``sync`` for a target or folder,
``cp`` for a file), curl for single files, the official client's lines, the portal page.

Each names what it fetches by the portal's own identifiers and paths (the bucket prefix
from GraphQL) and writes where ``download`` would: under the destination, at the
file's path in the bucket's layout (``<dataset_id>/<run>/Reconstructions/...``).
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlparse

from ..portal.client import PortalClient
from ..portal.depositions import Deposition
from ..portal.errors import PortalNotFoundError
from ..portal.models import Annotation, Dataset, Run, Tomogram, VoxelSpacing
from ..portal.targets import split_target

PORTAL = "https://cryoetdataportal.czscience.com"


def portal_page_url(node: object, portal: str = PORTAL) -> str | None:
    """The portal's web page of a dataset, run or deposition; a voxel spacing, tomogram
    or annotation has none of its own and gets its run's. None when not known."""
    base = portal.rstrip("/")
    if isinstance(node, Dataset):
        return f"{base}/datasets/{node.id}"
    if isinstance(node, Deposition):
        return f"{base}/depositions/{node.id}"
    if isinstance(node, Run):
        return f"{base}/runs/{node.id}"
    if isinstance(node, VoxelSpacing | Tomogram | Annotation) and node.run_id:
        return f"{base}/runs/{node.run_id}"
    return None


def layout_path(url: str, dataset_id: int) -> str:
    """The path of ``url`` (https or s3) under the folder that holds the dataset folders:
    from the dataset's own folder, named by its id, on.

    Raises
    ------
    ValueError
        No folder of the URL is named ``dataset_id``.
    """
    parts = urlparse(url).path.split("/")
    try:
        start = parts.index(str(int(dataset_id)))
    except ValueError:
        raise ValueError(f"{url} is not under a folder of dataset {dataset_id}") from None
    return "/".join(parts[start:]).rstrip("/")


def _target(dest: str, url: str, dataset_id: int) -> str:
    return f"{dest.rstrip('/')}/{layout_path(url, dataset_id)}"


def is_folder(url: str) -> bool:
    """Whether a file URL names a folder (an OME-Zarr), which curl cannot fetch."""
    return url.rstrip("/").endswith(".zarr") or url.endswith("/")


def curl_command(urls: str | Sequence[str], dest: str, dataset_id: int) -> str:
    """``curl --fail --location --create-dirs -o DEST/<layout path> URL ...``, one
    ``-o`` per file.

    Raises
    ------
    ValueError
        A URL names a folder, or is not under the dataset's folder.
    """
    wanted = [urls] if isinstance(urls, str) else list(urls)
    if not wanted:
        raise ValueError("no file to fetch")
    parts = ["curl --fail --location --create-dirs"]
    for url in wanted:
        if is_folder(url):
            raise ValueError(f"{url} is a folder: curl fetches single files")
        parts.append(f"-o {shlex.quote(_target(dest, url, dataset_id))} {shlex.quote(url)}")
    return " ".join(parts)


def aws_cp_command(s3_url: str, dest: str, dataset_id: int) -> str:
    """``aws s3 --no-sign-request cp s3://... DEST/<layout path>`` for a file; an
    OME-Zarr folder is copied with ``sync`` (cp of a prefix needs ``--recursive`` and
    would fetch again what is there)."""
    where = _target(dest, s3_url, dataset_id)
    if is_folder(s3_url):
        source = s3_url.rstrip("/") + "/"
        return f"aws s3 --no-sign-request sync {shlex.quote(source)} {shlex.quote(where + '/')}"
    return f"aws s3 --no-sign-request cp {shlex.quote(s3_url)} {shlex.quote(where)}"


def _client_lines() -> list[str]:
    return ["from cryoet_data_portal import Annotation, Client, Tomogram", "", "client = Client()"]


def tomogram_snippet(tomogram: Tomogram, dest: str, dataset_id: int, *, mrc: bool = True) -> str:
    """The official client's lines that fetch ``tomogram`` (its MRC file, or its
    OME-Zarr) into its folder of the layout.

    Raises
    ------
    ValueError
        The tomogram has no such file.
    """
    url = tomogram.https_mrc_file if mrc else tomogram.https_omezarr_dir
    if not url:
        raise ValueError(f"tomogram {tomogram.id} has no {'MRC' if mrc else 'OME-Zarr'} file")
    folder = posixpath.dirname(_target(dest, url, dataset_id))
    call = "download_mrcfile" if mrc else "download_omezarr"
    lines = [*_client_lines(), f"Tomogram.get_by_id(client, {tomogram.id}).{call}({folder!r})"]
    return "\n".join(lines) + "\n"


def annotation_snippet(annotation: Annotation, dest: str, dataset_id: int) -> str:
    """The official client's lines that fetch ``annotation``'s files and metadata into
    its folder of the layout.

    Raises
    ------
    ValueError
        The annotation has no file.
    """
    urls = [f.https_path for f in annotation.files if f.https_path]
    if not urls:
        raise ValueError(f"annotation {annotation.id} has no file")
    folder = posixpath.dirname(_target(dest, urls[0], dataset_id))
    lines = [
        *_client_lines(),
        f"Annotation.get_by_id(client, {annotation.id}).download({folder!r})",
    ]
    return "\n".join(lines) + "\n"


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


__all__ = [
    "PORTAL",
    "Target",
    "annotation_snippet",
    "aws_command",
    "aws_cp_command",
    "curl_command",
    "is_folder",
    "layout_path",
    "portal_page_url",
    "python_snippet",
    "resolve_target",
    "tomogram_snippet",
]
