"""Downloads from S3: a real S3 server (moto's, on 127.0.0.1) holds the replica's files,
the replica's GraphQL names that bucket, and the endpoint comes from
``AWS_ENDPOINT_URL_S3`` as it would for a user: no code is told where S3 is."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import s3fs
from moto.server import ThreadedMotoServer

from napari_cryoet_explorer.cli import main
from napari_cryoet_explorer.downloads.plan import Choice, run_items
from napari_cryoet_explorer.downloads.transfer import PART_SUFFIX, download
from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal

BUCKET = "tiny-portal"
_names = itertools.count()


def _files(root: Path, under: str = "") -> dict[str, bytes]:
    base = root / under if under else root
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in base.rglob("*")
        if p.is_file() and p.name not in ("portal.json", "ground_truth.json")
    }


@dataclass
class S3:
    """The S3 server: its endpoint and a client with (any) credentials to fill it."""

    endpoint: str
    client: Any

    def bucket(self, name: str, root: Path, under: str = "") -> str:
        """A bucket anyone may read (as the portal's is), holding ``root``'s files
        (those under ``under`` only, if given) at their paths; returns its URL."""
        self.client.create_bucket(Bucket=name)
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": ["s3:GetObject", "s3:ListBucket"],
                    "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                }
            ],
        }
        self.client.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
        for rel, data in _files(root, under).items():
            self.put(name, rel, data)
        return f"s3://{name}"

    def put(self, bucket: str, key: str, data: bytes) -> None:
        """An object anyone may read (moto checks each object's ACL for HEAD)."""
        self.client.put_object(Bucket=bucket, Key=key, Body=data, ACL="public-read")


@pytest.fixture(scope="session")
def s3(tiny_portal: GeneratedPortal) -> Iterator[S3]:
    """moto's S3 server on a free port of 127.0.0.1, named to botocore (so to s3fs
    and boto3) by ``AWS_ENDPOINT_URL_S3``, with the tiny portal in :data:`BUCKET`."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    saved = os.environ.get("AWS_ENDPOINT_URL_S3")
    os.environ["AWS_ENDPOINT_URL_S3"] = endpoint
    s3fs.S3FileSystem.clear_instance_cache()  # none made before may keep another endpoint
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    store = S3(endpoint, client)
    store.bucket(BUCKET, tiny_portal.root)
    yield store
    s3fs.S3FileSystem.clear_instance_cache()
    if saved is None:
        os.environ.pop("AWS_ENDPOINT_URL_S3", None)
    else:
        os.environ["AWS_ENDPOINT_URL_S3"] = saved
    server.stop()


@pytest.fixture
def s3_replica(
    s3: S3, tiny_portal: GeneratedPortal, replica_factory: Callable[..., ReplicaServer]
) -> ReplicaServer:
    """The tiny portal's replica, its S3 paths in :data:`BUCKET`."""
    return replica_factory(tiny_portal.root, s3_url=f"s3://{BUCKET}")


def _one_run_bucket(
    s3: S3, tiny_root: Path, replica_factory: Callable[..., ReplicaServer]
) -> tuple[str, ReplicaServer]:
    """A fresh bucket holding run 10000/TS_001 and the dataset's metadata, and a
    replica whose S3 paths name it: for tests that change what the bucket holds."""
    name = f"run-{next(_names)}"
    url = s3.bucket(name, tiny_root, "10000/TS_001")
    metadata = (tiny_root / "10000/dataset_metadata.json").read_bytes()
    s3.put(name, "10000/dataset_metadata.json", metadata)
    return name, replica_factory(tiny_root, s3_url=url)


def _run_files(tiny_root: Path) -> dict[str, bytes]:
    want = _files(tiny_root, "10000/TS_001")
    want["10000/dataset_metadata.json"] = (tiny_root / "10000/dataset_metadata.json").read_bytes()
    return want


def test_a_run_and_a_dataset_via_s3_byte_for_byte(
    s3_replica: ReplicaServer, tiny_root: Path, tmp_path: Path
) -> None:
    argv = ["download", "--url", s3_replica.url, "--via", "s3"]
    assert main([*argv, "10000/TS_001", "--dest", str(tmp_path / "run")]) == 0
    assert _files(tmp_path / "run") == _run_files(tiny_root)
    assert main([*argv, "10001", "--dest", str(tmp_path / "dataset")]) == 0
    assert _files(tmp_path / "dataset") == (_files(tiny_root, "10001"))
    assert not list(tmp_path.rglob(f"*{PART_SUFFIX}"))
    # every byte came from the bucket: the replica answered GraphQL only
    assert s3_replica.records("file") == []


def test_zarr_folders_are_listed_not_expanded(
    s3: S3,
    tiny_portal: GeneratedPortal,
    replica_factory: Callable[..., ReplicaServer],
    tmp_path: Path,
) -> None:
    name, replica = _one_run_bucket(s3, tiny_portal.root, replica_factory)
    with PortalClient(replica.url) as client:
        over_http = run_items(client, 10000, "TS_001", Choice(annotations=False))
    zarr = next(i.path for i in over_http if i.path.endswith(".zarr/.zgroup"))[: -len(".zgroup")]
    chunk = next(i for i in over_http if i.path.startswith(zarr + "0/") and i.optional)
    # a file no metadata names (consolidated metadata), and a chunk that was never
    # written (fill value): a listing sees the first and not the second
    s3.put(name, zarr + ".zmetadata", b"{}")
    s3.client.delete_object(Bucket=name, Key=chunk.path)
    with PortalClient(replica.url) as client:
        over_s3 = run_items(client, 10000, "TS_001", Choice(annotations=False), via="s3")
    listed = {i.path: i for i in over_s3 if i.path.startswith(zarr)}
    assert zarr + ".zmetadata" in listed and chunk.path not in listed
    assert not any(i.optional for i in listed.values())
    held = tiny_portal.root
    assert all(
        i.size == (held / p).stat().st_size
        for p, i in listed.items()
        if not p.endswith("zmetadata")
    )
    assert {p for p in listed if not p.endswith("zmetadata")} == {
        i.path for i in over_http if i.path.startswith(zarr) and i.path != chunk.path
    }
    report = download(over_s3, tmp_path)
    assert not report.failed and report.missing == 0 and report.fetched == len(over_s3)
    assert (tmp_path / zarr / ".zmetadata").read_bytes() == b"{}"
    assert not (tmp_path / chunk.path).exists()


def test_resume_via_s3_fetches_only_what_is_missing(
    s3_replica: ReplicaServer, tiny_root: Path, tmp_path: Path
) -> None:
    with PortalClient(s3_replica.url) as client:
        items = run_items(client, 10000, "TS_002", Choice(voxel_spacing=20.0), via="s3")
    assert items and all(i.url.startswith(f"s3://{BUCKET}/") for i in items)
    first = download(items, tmp_path, jobs=4)
    assert not first.failed and first.fetched == len(items) - first.missing
    lost = [
        next(i for i in items if i.path.endswith(".mrc")),
        next(i for i in items if ".zarr/0/" in i.path),
    ]
    for item in lost:
        (tmp_path / item.path).unlink()
    kept = {
        i.path: (tmp_path / i.path).stat().st_mtime_ns
        for i in items
        if i not in lost and (tmp_path / i.path).is_file()
    }
    again = download(items, tmp_path, jobs=4)
    assert again.fetched == 2 and again.skipped == len(kept) and not again.failed
    assert {p: (tmp_path / p).stat().st_mtime_ns for p in kept} == kept  # not fetched again
    for item in lost:
        assert (tmp_path / item.path).read_bytes() == (tiny_root / item.path).read_bytes()


def test_a_key_missing_on_s3_is_named_and_the_rest_fetched(
    s3: S3,
    tiny_portal: GeneratedPortal,
    replica_factory: Callable[..., ReplicaServer],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    name, replica = _one_run_bucket(s3, tiny_portal.root, replica_factory)
    want = _run_files(tiny_portal.root)
    gone = next(p for p in want if p.endswith(".mrc") and "/Tomograms/" in p)
    s3.client.delete_object(Bucket=name, Key=gone)
    argv = ["download", "10000/TS_001", "--url", replica.url, "--via", "s3"]
    assert main([*argv, "--dest", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert f"could not fetch s3://{name}/{gone}: not found on the server" in captured.err
    assert "1 failed" in captured.out
    del want[gone]
    assert _files(tmp_path) == want


def test_the_official_client_writes_the_same_tree(
    s3_replica: ReplicaServer, tiny_root: Path, tmp_path: Path
) -> None:
    """The hand-off is right: the official client's ``Run.download_everything`` (the
    lines ``--print-python`` gives), run against the same replica and bucket, writes
    what ``download --via s3`` writes (plus the tilt-series metadata, which only a
    bucket listing finds)."""
    from cryoet_data_portal import Client, Run

    client = Client(url=s3_replica.url)
    run = Run.find(client, [Run.dataset_id == 10000, Run.name == "TS_001"])[0]
    run.download_everything(str(tmp_path / "official" / "10000"))
    theirs = _files(tmp_path / "official")
    assert theirs == _files(tiny_root, "10000/TS_001")  # everything in the run's folder

    argv = ["download", "10000/TS_001", "--url", s3_replica.url, "--via", "s3"]
    assert main([*argv, "--dest", str(tmp_path / "ours")]) == 0
    ours = _files(tmp_path / "ours")
    assert ours.pop("10000/dataset_metadata.json")  # a run of ours is a dataset folder too
    assert ours == (theirs)


def test_an_object_that_changed_since_the_listing_is_named(
    s3: S3,
    tiny_portal: GeneratedPortal,
    replica_factory: Callable[..., ReplicaServer],
    tmp_path: Path,
) -> None:
    name, replica = _one_run_bucket(s3, tiny_portal.root, replica_factory)
    with PortalClient(replica.url) as client:
        items = run_items(client, 10000, "TS_001", Choice(annotations=False), via="s3")
    changed = next(i for i in items if ".zarr/0/" in i.path and i.size)
    s3.put(name, changed.path, b"rewritten meanwhile")
    report = download(items, tmp_path)
    assert [i for i, _ in report.failed] == [changed]
    assert report.failed[0][1] == (
        f"{changed.url}: size mismatch, 19 bytes where the listing gave {changed.size} "
        "(it changed on the server; run again)"
    )
    assert report.fetched == len(items) - 1
    assert not (tmp_path / changed.path).exists()
    assert not list(tmp_path.rglob(f"*{PART_SUFFIX}"))


def test_dry_run_via_s3_and_filters_on_s3_paths(
    s3_replica: ReplicaServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["download", "10000/TS_001", "--url", s3_replica.url, "--dest", str(tmp_path)]
    assert main([*argv, "--dry-run"]) == 0
    over_http = capsys.readouterr().out
    assert main([*argv, "--dry-run", "--via", "s3"]) == 0
    over_s3 = capsys.readouterr().out
    # listed, the fill-value chunks are not there: fewer files, the same bytes
    http_files, http_size = over_http.split(" files, ")[0], over_http.split(", ")[1]
    s3_files, s3_size = over_s3.split(" files, ")[0], over_s3.split(", ")[1]
    assert int(s3_files) <= int(http_files) and s3_size == http_size
    assert "unknown size" not in over_s3 and not any(tmp_path.iterdir())
    # the replica's GraphQL filters on the S3 paths it serves
    with PortalClient(s3_replica.url) as client:
        found = client.transport.execute(
            "query($p: String) { runs(where: {s3Prefix: {_eq: $p}}) { name } }",
            {"p": f"s3://{BUCKET}/10000/TS_001/"},
        )
    assert found["runs"] == [{"name": "TS_001"}]


def test_a_bucket_that_is_not_there_is_named(
    s3: S3,
    tiny_root: Path,
    replica_factory: Callable[..., ReplicaServer],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    replica = replica_factory(tiny_root, s3_url="s3://no-such-bucket")
    argv = ["download", "10000/TS_001", "--url", replica.url, "--via", "s3"]
    assert main([*argv, "--dest", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "while planning" in err and "no-such-bucket" in err
    assert not any(tmp_path.iterdir())
