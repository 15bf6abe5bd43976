"""Downloading a run: ours (via S3 and via HTTP) against the official client.

A synthetic portal of one run with larger tomograms (default 128 x 512 x 512 int8,
chunks of 128^3, the portal's layout: OME-Zarr, MRC, masks, annotations) is generated
once into a cache folder. The replica serves GraphQL and the files over HTTP; moto's
S3 server holds the same files in a public bucket, behind a small proxy on 127.0.0.1.
Every request to either pays ``--latency-ms`` (the replica's knob; the proxy's sleep).
The bucket's address reaches every S3 client through ``AWS_ENDPOINT_URL_S3``, as it
would on a user's machine. The servers run in this process; each download runs in a
fresh process, the contenders alternating, ``--repeats`` times:

* ``ours-s3``: ``run_items(..., via="s3")`` (OME-Zarr folders listed) then
  ``download(jobs=8)`` (``--jobs``);
* ``ours-https``: the same over HTTP (OME-Zarr folders expanded from their metadata);
* ``official``: ``cryoet_data_portal``'s ``Run.download_everything`` (a bucket listing
  of the run, then one boto3 ``download_file`` after the other).

Also measured, as the floor: the time the bytes take at the server's bandwidth, i.e.
the largest object streamed alone through the same path (one GET through the proxy,
and one over HTTP), its rate applied to each contender's bytes.

Usage: ``python benchmarks/download.py [--shape 128 512 512] [--dtype int8]
[--latency-ms 50] [--repeats 3] [--jobs 8] [--cache /tmp/cryoet-bench]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

BUCKET = "bench-portal"
CONTENDERS = ("ours-s3", "ours-https", "official")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


def portal(cache: Path, shape: tuple[int, int, int], dtype: str) -> Path:
    """The benchmark portal (one dataset, one run), generated once per shape and dtype."""
    from napari_cryoet_explorer.synthetic.portal import generate_portal

    root = cache / f"download-{'x'.join(map(str, shape))}-{dtype}"
    if not (root / "ground_truth.json").exists():
        print(f"generating {shape} {dtype} into {root} (once)...", file=sys.stderr)
        generate_portal(
            root,
            "benchmark",
            tomogram_shape=shape,
            dtype=dtype,
            chunk_size=128,
            voxel_spacings=(13.48,),
        )
    return root


class LatencyProxy:
    """Forwards every request to ``upstream`` after ``latency_ms``, streaming bodies
    both ways (a stand-in for a distant S3 endpoint)."""

    def __init__(self, upstream: str, latency_ms: float) -> None:
        self.upstream = upstream.rstrip("/")
        self.latency_s = latency_ms / 1000
        self.loop = asyncio.new_event_loop()
        self.port = 0
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait(30)

    def _run(self, ready: threading.Event) -> None:
        from aiohttp import ClientSession, TCPConnector, web

        asyncio.set_event_loop(self.loop)

        async def forward(request: web.Request) -> web.StreamResponse:
            await asyncio.sleep(self.latency_s)
            headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
            body = await request.read()
            async with self.session.request(
                request.method,
                self.upstream + request.path_qs,
                headers=headers,
                data=body or None,
                auto_decompress=False,
                allow_redirects=False,
            ) as upstream:
                out = web.StreamResponse(
                    status=upstream.status,
                    headers={
                        k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP
                    },
                )
                if upstream.content_length is not None:
                    out.content_length = upstream.content_length
                await out.prepare(request)
                try:
                    async for block in upstream.content.iter_chunked(1 << 18):
                        await out.write(block)
                    await out.write_eof()
                except ConnectionError:  # the client closed early (s3fs does, see below)
                    pass
                return out

        async def start() -> None:
            self.session = ClientSession(connector=TCPConnector(limit=64))
            app = web.Application(client_max_size=1 << 30)
            app.router.add_route("*", "/{tail:.*}", forward)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self.port = int(runner.addresses[0][1])

        self.loop.run_until_complete(start())
        ready.set()
        self.loop.run_forever()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def fill_bucket(endpoint: str, root: Path) -> None:
    """The portal's files in a bucket anyone may read, at their paths."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    client.create_bucket(Bucket=BUCKET)
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name not in ("portal.json", "ground_truth.json"):
            client.upload_file(
                str(path),
                BUCKET,
                str(path.relative_to(root)),
                ExtraArgs={"ACL": "public-read"},
            )


def contender(name: str, graphql: str, dest: Path, jobs: int) -> dict[str, Any]:
    """One download in this process: wall seconds, bytes and files written."""
    # imports first: the figures are the download's, not the interpreter's start-up
    from cryoet_data_portal import Client, Run

    from napari_cryoet_explorer.downloads.plan import run_items
    from napari_cryoet_explorer.downloads.transfer import download
    from napari_cryoet_explorer.portal.client import PortalClient

    start = time.perf_counter()
    planned = start
    if name == "official":
        run = Run.find(Client(url=graphql), [Run.dataset_id == 10000])[0]
        run.download_everything(str(dest / "10000"))
    else:
        with PortalClient(graphql) as client:
            name_of_run = client.transport.execute(
                "{ runs(where: {datasetId: {_eq: 10000}}) { name } }", {}
            )["runs"][0]["name"]
            items = run_items(client, 10000, name_of_run, via=name.removeprefix("ours-"))
        planned = time.perf_counter()
        report = download(items, dest, jobs=jobs)
        if report.failed:
            raise SystemExit(f"{name}: {len(report.failed)} failed: {report.failed[0][1]}")
    wall = time.perf_counter() - start
    files = [p for p in dest.rglob("*") if p.is_file()]
    nbytes = sum(p.stat().st_size for p in files)
    return {"wall": wall, "plan": planned - start, "bytes": nbytes, "files": len(files)}


def stream_rate(url: str) -> tuple[int, float]:
    """(bytes, seconds) of one object streamed alone, in a fresh process."""
    code = (
        "import sys, time\n"
        "from napari_cryoet_explorer.net.sources import filesystem\n"
        "fs, inner = filesystem(sys.argv[1])\n"
        "t = time.perf_counter()\n"
        "n = len(fs.cat_file(inner))  # one GET, its body read as it comes\n"
        "print(n, time.perf_counter() - t)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, url], capture_output=True, text=True, check=True
    ).stdout.split()
    return int(out[0]), float(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=int, nargs=3, default=(128, 512, 512))
    parser.add_argument("--dtype", default="int8")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=8, help="our files at once (as --jobs)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "cryoet-bench")
    parser.add_argument("--contender", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--graphql", help=argparse.SUPPRESS)
    parser.add_argument("--dest", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.contender:  # a child process: one download, its figures as JSON
        print(json.dumps(contender(args.contender, args.graphql, args.dest, args.jobs)))
        return

    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log

    from napari_cryoet_explorer.replica.server import ReplicaServer

    root = portal(args.cache, tuple(args.shape), args.dtype)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    print("filling the bucket...", file=sys.stderr)
    fill_bucket(f"http://{host}:{port}", root)
    proxy = LatencyProxy(f"http://{host}:{port}", args.latency_ms)
    replica = ReplicaServer(root, latency_ms=args.latency_ms, s3_url=f"s3://{BUCKET}").start()
    env = dict(os.environ, AWS_ENDPOINT_URL_S3=proxy.url, TQDM_DISABLE="1")
    os.environ["AWS_ENDPOINT_URL_S3"] = proxy.url

    largest = max(
        (p for p in root.rglob("*") if p.is_file() and p.name != "portal.json"),
        key=lambda p: p.stat().st_size,
    )
    rel = str(largest.relative_to(root))
    floor_urls = {"s3": f"s3://{BUCKET}/{rel}", "https": f"{replica.files_url}/{rel}"}
    floors: dict[str, list[tuple[int, float]]] = {via: [] for via in floor_urls}
    results: dict[str, list[dict[str, Any]]] = {c: [] for c in CONTENDERS}
    work = Path(tempfile.mkdtemp(prefix="download-bench-"))
    try:
        for repeat in range(args.repeats):
            order = CONTENDERS[repeat % 3 :] + CONTENDERS[: repeat % 3]
            for via, url in floor_urls.items():
                floors[via].append(stream_rate(url))
            for name in order:
                dest = work / f"{name}-{repeat}"
                out = subprocess.run(
                    [sys.executable, __file__, "--contender", name]
                    + ["--graphql", replica.url, "--dest", str(dest), "--jobs", str(args.jobs)],
                    capture_output=True,
                    text=True,
                    env=env,
                )
                if out.returncode != 0:
                    raise SystemExit(f"{name} failed:\n{out.stderr[-3000:]}")
                results[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
                shutil.rmtree(dest)
                print(name, results[name][-1], file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        replica.stop()
        moto.stop()

    size = floors["s3"][0][0]
    rate = {via: size / statistics.median(t for _, t in runs) for via, runs in floors.items()}
    print(
        f"\nlargest object {rel}: {size / 2**20:.1f} MiB streamed alone in "
        f"{size / rate['s3']:.2f} s through the S3 proxy, {size / rate['https']:.2f} s over "
        f"HTTP (medians)"
    )
    official = statistics.median(r["wall"] for r in results["official"])
    print(
        f"latency {args.latency_ms:g} ms per request, {args.jobs} jobs, "
        f"median [min-max] of {args.repeats}"
    )
    print("| contender | wall s | plan s | MiB | files | vs official | bandwidth time s | ratio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in CONTENDERS:
        runs = results[name]
        walls = [r["wall"] for r in runs]
        wall = statistics.median(walls)
        plan = statistics.median(r["plan"] for r in runs)
        nbytes = runs[0]["bytes"]
        floor = nbytes / rate["https" if name == "ours-https" else "s3"]
        print(
            f"| {name} | {wall:.2f} [{min(walls):.2f}-{max(walls):.2f}] | {plan:.2f} | "
            f"{nbytes / 2**20:.1f} | {runs[0]['files']} | {official / wall:.1f}x | "
            f"{floor:.2f} | {wall / floor:.2f} |"
        )


if __name__ == "__main__":
    main()
