"""The portal's filters and facets against the replica, checked against the rows.

Every expectation is computed here from the synthetic portal's rows by an
independent reading of the semantics (different filters AND, repeated values OR,
conditions below the dataset in one run, conditions on one entity on one row), and
compared with what the server-side ``where`` clauses return.
"""

from __future__ import annotations

import io
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from napari_cryoet_explorer.cli import main
from napari_cryoet_explorer.portal.client import PortalClient
from napari_cryoet_explorer.portal.filters import FilterError, Filters
from napari_cryoet_explorer.portal.ls import run_ls
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.replica.store import Store

Row = dict[str, Any]
ENTITIES = (
    "Dataset",
    "DatasetAuthor",
    "Run",
    "Annotation",
    "AnnotationShape",
    "Tiltseries",
    "Tomogram",
)


@dataclass
class RunRows:
    """One run's rows, as the oracle reads them."""

    run: Row
    annotations: list[tuple[Row, set[str]]] = field(default_factory=list)  # with shapes
    tiltseries: list[Row] = field(default_factory=list)
    tomograms: list[Row] = field(default_factory=list)


class Oracle:
    """Which datasets match a :class:`Filters`, computed from the rows in Python."""

    def __init__(self, entities: dict[str, list[Row]]) -> None:
        self.datasets = {d["id"]: d for d in entities["Dataset"]}
        self.runs: dict[int, list[RunRows]] = defaultdict(list)
        by_run: dict[int, RunRows] = {}
        for run in entities["Run"]:
            by_run[run["id"]] = RunRows(run)
            self.runs[run["datasetId"]].append(by_run[run["id"]])
        shapes: dict[int, set[str]] = defaultdict(set)
        for s in entities["AnnotationShape"]:
            shapes[s["annotationId"]].add(s["shapeType"])
        for a in entities["Annotation"]:
            by_run[a["runId"]].annotations.append((a, shapes[a["id"]]))
        for t in entities["Tiltseries"]:
            by_run[t["runId"]].tiltseries.append(t)
        for t in entities["Tomogram"]:
            by_run[t["runId"]].tomograms.append(t)
        self.authors: dict[int, list[Row]] = defaultdict(list)
        for a in entities["DatasetAuthor"]:
            self.authors[a["datasetId"]].append(a)

    def matching(self, f: Filters) -> list[int]:
        return sorted(i for i in self.datasets if self._dataset(f, i))

    def _dataset(self, f: Filters, i: int) -> bool:
        d = self.datasets[i]
        if f.dataset_ids and i not in f.dataset_ids:
            return False
        if f.organisms and not _one_of(d["organismName"], f.organisms):
            return False
        if f.runs_min and len(self.runs[i]) < f.runs_min:
            return False
        entries = {e.strip().upper() for e in (d["relatedDatabaseEntries"] or "").split(",")}
        if f.empiar_ids and not entries & {e.upper() for e in f.empiar_ids}:
            return False
        if f.emdb_ids and not entries & {e.upper() for e in f.emdb_ids}:
            return False
        authors = self.authors[i]
        if f.author and not any(f.author.lower() in a["name"].lower() for a in authors):
            return False
        if f.orcid and not any(a["orcid"] == f.orcid for a in authors):
            return False
        if f.deposition_ids and not self._deposited(f, i):
            return False
        return any(self._run(f, r) for r in self.runs[i])

    def _deposited(self, f: Filters, i: int) -> bool:
        ids = {self.datasets[i]["depositionId"]}
        for r in self.runs[i]:
            ids |= {a["depositionId"] for a, _ in r.annotations}
            ids |= {t["depositionId"] for t in r.tomograms}
        return bool(ids & set(f.deposition_ids))

    def _run(self, f: Filters, r: RunRows) -> bool:
        if f.run_ids and r.run["id"] not in f.run_ids:
            return False
        if f.run_name and f.run_name.lower() not in r.run["name"].lower():
            return False
        held = {"annotations": r.annotations, "tomograms": r.tomograms, "tilt-series": r.tiltseries}
        if any(not held.get(kind) for kind in f.has):
            return False  # frames, CTF and alignments are not in this oracle's rows
        wants_annotation = f.objects or f.shapes or f.methods or f.ground_truth
        if wants_annotation and not any(self._annotation(f, a, s) for a, s in r.annotations):
            return False
        if not _any_or_unasked(r.tiltseries, self._tiltseries, f, self._asks_tiltseries(f)):
            return False
        return _any_or_unasked(r.tomograms, self._tomogram, f, self._asks_tomogram(f))

    @staticmethod
    def _annotation(f: Filters, a: Row, shapes: set[str]) -> bool:
        if f.objects:
            ids = all(":" in o for o in f.objects)
            if not _one_of(a["objectId" if ids else "objectName"], f.objects):
                return False
        if f.shapes and not shapes & set(f.shapes):
            return False
        if f.methods and a["methodType"] not in f.methods:
            return False
        return not (f.ground_truth and not a["groundTruthStatus"])

    @staticmethod
    def _asks_tiltseries(f: Filters) -> bool:
        return bool(
            f.cameras
            or f.microscopes
            or f.tilt_range_min is not None
            or f.tilt_range_max is not None
            or f.tilt_quality_min is not None
        )

    @staticmethod
    def _tiltseries(f: Filters, t: Row) -> bool:
        if f.cameras and not _one_of(t["cameraManufacturer"], f.cameras):
            return False
        if f.microscopes and t["microscopeManufacturer"] not in f.microscopes:
            return False
        if f.tilt_range_min is not None and t["tiltRange"] < f.tilt_range_min:
            return False
        if f.tilt_range_max is not None and t["tiltRange"] > f.tilt_range_max:
            return False
        return f.tilt_quality_min is None or t["tiltSeriesQuality"] >= f.tilt_quality_min

    @staticmethod
    def _asks_tomogram(f: Filters) -> bool:
        return bool(
            f.fiducial_alignment
            or f.reconstruction_methods
            or f.reconstruction_softwares
            or f.voxel_spacing_min is not None
            or f.voxel_spacing_max is not None
        )

    @staticmethod
    def _tomogram(f: Filters, t: Row) -> bool:
        if f.fiducial_alignment and t["fiducialAlignmentStatus"] != f.fiducial_alignment:
            return False
        if f.reconstruction_methods and t["reconstructionMethod"] not in f.reconstruction_methods:
            return False
        if f.reconstruction_softwares and not _one_of(
            t["reconstructionSoftware"], f.reconstruction_softwares
        ):
            return False
        if f.voxel_spacing_min is not None and t["voxelSpacing"] < f.voxel_spacing_min:
            return False
        return f.voxel_spacing_max is None or t["voxelSpacing"] <= f.voxel_spacing_max


def _one_of(value: Any, choices: tuple[str, ...]) -> bool:
    return isinstance(value, str) and value.lower() in {c.lower() for c in choices}


def _any_or_unasked(
    rows: list[Row], test: Callable[[Filters, Row], bool], f: Filters, asked: bool
) -> bool:
    return not asked or any(test(f, r) for r in rows)


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def portal_server(portal_scale_store: Store) -> Iterator[ReplicaServer]:
    """The portal-scale replica (600 datasets, 30,000 runs), shared by this module."""
    server = ReplicaServer(portal_scale_store).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def oracle(portal_scale_store: Store) -> Oracle:
    return Oracle({t: list(portal_scale_store.rows(t)) for t in ENTITIES})


def _listed(server: ReplicaServer, f: Filters) -> list[int]:
    with PortalClient(server.url) as client:
        return [d.id for page in client.iter_filtered_dataset_pages(f) for d in page.items]


# -- each filter, and their combinations ------------------------------------------------

CASES = {
    "ground truth": Filters(ground_truth=True, organisms=("Homo sapiens",)),
    "organisms OR, any case": Filters(organisms=("homo SAPIENS", "Mus musculus")),
    "runs min": Filters(runs_min=60),
    "dataset ids": Filters(dataset_ids=(10003, 10007, 10400)),
    "run ids": Filters(run_ids=(5, 2500, 29000)),
    "run name": Filters(run_name="ts_0012", organisms=("Escherichia coli",)),
    "EMPIAR": Filters(empiar_ids=("10499", "EMPIAR-10512")),
    "EMDB": Filters(emdb_ids=("EMD-50000",)),
    "author": Filters(author="author d"),
    "object by name": Filters(objects=("Nuclear Pore",), methods=("manual",)),
    "object by id": Filters(objects=("GO:0022626",)),
    "shape OR": Filters(shapes=("Mesh", "OrientedPoint"), objects=("microtubule",)),
    "method OR": Filters(methods=("hybrid", "automated"), organisms=("Mus musculus",)),
    "camera and microscope": Filters(cameras=("gatan",), microscopes=("JEOL",)),
    "tilt range": Filters(tilt_range_min=110, tilt_range_max=125, cameras=("DECTRIS",)),
    "tilt quality": Filters(tilt_quality_min=5, microscopes=("FEI",)),
    "fiducial": Filters(
        fiducial_alignment="non_fiducial", reconstruction_methods=("sirt", "fourier_space")
    ),
    "reconstruction software": Filters(reconstruction_softwares=("warp", "novactf")),
    "voxel spacing": Filters(voxel_spacing_min=14, voxel_spacing_max=16),
    "deposition": Filters(deposition_ids=(9, 119)),
    "has": Filters(has=("annotations", "tilt-series"), organisms=("Caenorhabditis elegans",)),
    "everything at once": Filters(
        ground_truth=True,
        objects=("ribosome", "nucleosome"),
        shapes=("Point", "OrientedPoint"),
        cameras=("Gatan",),
        tilt_range_min=100,
        tilt_quality_min=3,
        voxel_spacing_max=14,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_filter_matches_the_rows(
    case: str, portal_server: ReplicaServer, oracle: Oracle
) -> None:
    f = CASES[case]
    expected = oracle.matching(f)
    assert 0 < len(expected) < len(oracle.datasets), "the case must discriminate"
    assert _listed(portal_server, f) == expected


def test_orcid_matches_exactly(portal_server: ReplicaServer, oracle: Oracle) -> None:
    author = oracle.authors[10005][0]
    f = Filters(orcid=author["orcid"])
    expected = oracle.matching(f)
    assert 10005 in expected
    assert _listed(portal_server, f) == expected


def test_conditions_hold_in_one_run_and_on_one_row(
    portal_server: ReplicaServer, oracle: Oracle
) -> None:
    # Two conditions on the tilt series: the same-row reading is narrower than
    # "some tilt series has one and some tilt series has the other".
    f = Filters(cameras=("TFS",), tilt_quality_min=4, microscopes=("FEI",))
    same_row = oracle.matching(f)
    loose = [
        i
        for i in oracle.datasets
        if any(any(t["cameraManufacturer"] == "TFS" for t in r.tiltseries) for r in oracle.runs[i])
        and any(any(t["tiltSeriesQuality"] >= 4 for t in r.tiltseries) for r in oracle.runs[i])
        and any(
            any(t["microscopeManufacturer"] == "FEI" for t in r.tiltseries) for r in oracle.runs[i]
        )
    ]
    assert set(same_row) < set(loose)
    assert _listed(portal_server, f) == same_row

    # An object and a method on one annotation, not on two annotations of the run.
    f = Filters(objects=("ribosome",), methods=("hybrid",))
    one_row = oracle.matching(f)
    two_rows = [
        i
        for i in oracle.datasets
        if any(
            any(a["objectName"] == "ribosome" for a, _ in r.annotations)
            and any(a["methodType"] == "hybrid" for a, _ in r.annotations)
            for r in oracle.runs[i]
        )
    ]
    assert set(one_row) < set(two_rows)
    assert _listed(portal_server, f) == one_row

    # A tomogram condition and a tilt-series condition in the same run.
    f = Filters(reconstruction_softwares=("Warp",), cameras=("DECTRIS",))
    assert _listed(portal_server, f) == oracle.matching(f)


def test_repeated_values_or_and_different_filters_and(
    portal_server: ReplicaServer, oracle: Oracle
) -> None:
    human = set(_listed(portal_server, Filters(organisms=("Homo sapiens",))))
    mouse = set(_listed(portal_server, Filters(organisms=("Mus musculus",))))
    both = set(_listed(portal_server, Filters(organisms=("Homo sapiens", "Mus musculus"))))
    assert human and mouse and both == human | mouse
    gt = set(_listed(portal_server, Filters(ground_truth=True)))
    assert set(_listed(portal_server, Filters(ground_truth=True, organisms=("Homo sapiens",)))) == (
        gt & human
    )


def test_free_text_and_its_request_budget(portal_server: ReplicaServer) -> None:
    with PortalClient(portal_server.url) as client:
        portal_server.clear_log()
        pages = client.iter_filtered_dataset_pages(Filters(search="nuclear pore", runs_min=10))
        first = next(pages)
        assert portal_server.graphql_requests == 2  # resolve the text, then the page
        assert first.items and all(d.run_count >= 10 for d in first.items)
        portal_server.clear_log()
        first = next(
            client.iter_filtered_dataset_pages(Filters(ground_truth=True, shapes=("Mesh",)))
        )
        assert portal_server.graphql_requests == 1 and first.items


# -- facets -----------------------------------------------------------------------------


def _facet_counts(server: ReplicaServer, f: Filters) -> dict[str, dict[Any, int]]:
    with PortalClient(server.url) as client:
        server.clear_log()
        found = client.facets(f)
        assert server.graphql_requests <= 3
    return {name: {v.value: v.datasets for v in values} for name, values in found.items()}


def test_facets_at_portal_scale_fit_the_replicas_limits(portal_server: ReplicaServer) -> None:
    """The dock's facet requests (none, then the filters a user ticks) are answered by
    the replica with its default limits on hostile queries, as the portal answers them."""
    for f in (
        Filters(),
        Filters(ground_truth=True, tilt_range_min=100.0),
        Filters(ground_truth=True, objects=("ribosome",), cameras=("Gatan",), tilt_range_min=100.0),
    ):
        counts = _facet_counts(portal_server, f)
        assert counts["object"] and counts["camera"], f


def test_facets_are_disjunctive(portal_server: ReplicaServer, oracle: Oracle) -> None:
    f = Filters(organisms=("Homo sapiens",), cameras=("Gatan",), ground_truth=True)
    counts = _facet_counts(portal_server, f)
    assert set(counts) >= {
        "organism",
        "object",
        "shape",
        "method",
        "camera",
        "microscope",
        "reconstruction_method",
        "reconstruction_software",
        "tilt_quality",
        "deposition",
    }
    # A facet's counts leave out its own filter: other organisms stay visible, counted
    # with the camera and ground truth filters.
    for organism in ("Homo sapiens", "Mus musculus", "Escherichia coli"):
        with_it = Filters(organisms=(organism,), cameras=("Gatan",), ground_truth=True)
        assert counts["organism"][organism] == len(oracle.matching(with_it))
    for camera in ("Gatan", "TFS", "DECTRIS"):
        with_it = Filters(organisms=("Homo sapiens",), cameras=(camera,), ground_truth=True)
        assert counts["camera"][camera] == len(oracle.matching(with_it))
    # Other facets apply every filter, their value added on top.
    for method in ("manual", "automated", "hybrid"):
        expected = len(oracle.matching(Filters(**{**_fields(f), "methods": (method,)})))
        assert counts["method"].get(method, 0) == expected
    for quality in range(1, 6):
        expected = len(oracle.matching(Filters(**{**_fields(f), "tilt_quality_min": quality})))
        if quality == 5:  # ">= 5" is exactly 5: the count of that value alone
            assert counts["tilt_quality"].get(quality, 0) == expected


def _fields(f: Filters) -> dict[str, Any]:
    from dataclasses import fields

    return {x.name: getattr(f, x.name) for x in fields(f)}


def test_facets_json_from_the_command_line(
    portal_server: ReplicaServer, oracle: Oracle, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["ls", "--url", portal_server.url, "--facets", "--json", "--organism", "Homo sapiens"]
    )
    assert code == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows and all(r["kind"] == "facet" for r in rows)
    assert {"facet", "value", "label", "datasets", "selected"} <= set(rows[0])
    organisms = {r["value"]: r for r in rows if r["facet"] == "organism"}
    assert organisms["Homo sapiens"]["selected"] is True
    assert organisms["Mus musculus"]["datasets"] == len(
        oracle.matching(Filters(organisms=("Mus musculus",)))
    )
    cameras = {r["value"]: r["datasets"] for r in rows if r["facet"] == "camera"}
    for camera, n in cameras.items():
        assert n == len(oracle.matching(Filters(organisms=("Homo sapiens",), cameras=(camera,))))


# -- ls with filters at each level ------------------------------------------------------


def _ls_json(server: ReplicaServer, target: str | None, f: Filters) -> list[dict[str, Any]]:
    out = io.StringIO()
    assert run_ls(target, url=server.url, filters=f, as_json=True, out=out) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_ls_dataset_lists_its_matching_runs(portal_server: ReplicaServer, oracle: Oracle) -> None:
    f = Filters(cameras=("DECTRIS",), tilt_quality_min=4)
    dataset = oracle.matching(f)[0]
    expected = sorted(r.run["name"] for r in oracle.runs[dataset] if oracle._run(f, r))
    assert expected and len(expected) < len(oracle.runs[dataset])
    assert sorted(r["name"] for r in _ls_json(portal_server, str(dataset), f)) == expected


def test_ls_dataset_with_search_finds_its_runs(tiny_replica: ReplicaServer) -> None:
    rows = _ls_json(tiny_replica, "10000", Filters(search="ribosome"))
    assert [r["name"] for r in rows] == ["TS_001", "TS_002"]


def test_ls_voxel_spacing_shows_matching_rows_first(tiny_replica: ReplicaServer) -> None:
    rows = _ls_json(tiny_replica, "10000/TS_001/10", Filters(objects=("vesicle",)))
    annotations = [r for r in rows if r["kind"] == "annotation"]
    matched = [r["match"] for r in annotations]
    assert True in matched and False in matched
    # In each alignment's group the matching annotations come first.
    for alignment in {r["alignment_id"] for r in annotations}:
        group = [r["match"] for r in annotations if r["alignment_id"] == alignment]
        assert group == sorted(group, reverse=True)
    assert all(r["name"] == "vesicle" for r in annotations if r["match"])


# -- bad values and empty answers -------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--tilt-quality-min", "7"], "tilt"),
        (["--voxel-spacing-min", "-1"], "voxel spacing"),
        (["--has", "spectra"], "spectra"),
        (["--method", "magic"], "magic"),
        (["--fiducial-alignment", "maybe"], "maybe"),
        (["--empiar", "ten"], "EMPIAR"),
        (["--tilt-range-min", "120", "--tilt-range-max", "90"], "tilt range"),
    ],
)
def test_bad_values_exit_2_with_a_message(
    argv: list[str], words: str, tiny_replica: ReplicaServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ls", "--url", tiny_replica.url, *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and words.lower() in captured.err.lower()
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err


def test_bad_values_raise_filter_error() -> None:
    with pytest.raises(FilterError, match="1-5|1 to 5|between"):
        Filters(tilt_quality_min=0)
    with pytest.raises(FilterError, match="finite"):
        Filters(voxel_spacing_max=float("nan"))


def test_nothing_matches_says_so(
    tiny_replica: ReplicaServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["ls", "--url", tiny_replica.url, "--organism", "Danio rerio"])
    captured = capsys.readouterr()
    assert code == 0 and captured.out == ""
    assert "nothing matches" in captured.err and "Danio rerio" in captured.err


def test_text_and_filters_hold_in_one_run(portal_server: ReplicaServer) -> None:
    # A dataset listed for a text that names an object in some runs and filters that
    # hold in others would show no runs when opened: the text holds in the filters' run.
    f = Filters(
        search="nuclear pore", cameras=("DECTRIS",), tilt_quality_min=5, methods=("hybrid",)
    )
    with PortalClient(portal_server.url) as client:
        listed = [d.id for page in client.iter_filtered_dataset_pages(f) for d in page]
        assert listed
        for dataset_id in listed[:25]:
            runs = [r for page in client.iter_filtered_run_pages(dataset_id, f) for r in page]
            assert runs, dataset_id


def test_text_names_another_annotation_of_the_filtered_run(
    portal_server: ReplicaServer, oracle: Oracle
) -> None:
    # An object filter and a text naming another object: both in one run, on two of its
    # annotations (the text matches no dataset title or description here).
    f = Filters(search="nuclear pore", objects=("actin filament",))
    expected = sorted(
        i
        for i in oracle.datasets
        if any(
            any(a["objectName"] == "actin filament" for a, _ in r.annotations)
            and any("nuclear pore" in a["objectName"] for a, _ in r.annotations)
            for r in oracle.runs[i]
        )
    )
    assert 0 < len(expected) < len(oracle.datasets)
    assert _listed(portal_server, f) == expected
    with PortalClient(portal_server.url) as client:
        dataset = expected[0]
        runs = [r.name for page in client.iter_filtered_run_pages(dataset, f) for r in page]
    assert runs == sorted(
        r.run["name"]
        for r in oracle.runs[dataset]
        if any(a["objectName"] == "actin filament" for a, _ in r.annotations)
        and any("nuclear pore" in a["objectName"] for a, _ in r.annotations)
    )
