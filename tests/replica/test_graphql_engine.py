"""The replica's GraphQL engine on a small hand-made store."""

from __future__ import annotations

from typing import Any

import pytest

from napari_cryoet_explorer.replica.graphql_engine import Engine
from napari_cryoet_explorer.replica.store import Store

DATE = "2024-01-01T00:00:00+00:00"


def _dataset(i: int, title: str, organism: str | None, released: str) -> dict[str, Any]:
    return {
        "id": i,
        "title": title,
        "description": f"about {title}",
        "depositionId": 1,
        "organismName": organism,
        "organismTaxid": i % 3,
        "depositionDate": DATE,
        "releaseDate": released,
        "lastModifiedDate": DATE,
        "s3Prefix": "s3://b/",
        "httpsPrefix": "{files}/x/",
    }


@pytest.fixture
def engine() -> Engine:
    entities = {
        "Dataset": [
            _dataset(1, "Yeast ribosomes", "Saccharomyces cerevisiae", "2023-05-01T00:00:00+00:00"),
            _dataset(2, "Algae", "Chlamydomonas reinhardtii", "2024-02-01T00:00:00+00:00"),
            _dataset(3, "Unknown", None, "2022-01-01T00:00:00+00:00"),
        ],
        "Run": [
            {"id": 10 + i, "name": name, "datasetId": ds, "s3Prefix": "s", "httpsPrefix": "h"}
            for i, (name, ds) in enumerate(
                [("TS_01", 1), ("TS_02", 1), ("TS_03", 1), ("cell_7", 2), ("TS_01", 3)]
            )
        ],
        "Annotation": [
            {"id": 100, "runId": 10, "objectName": "ribosome", "groundTruthStatus": True},
            {"id": 101, "runId": 13, "objectName": "membrane", "groundTruthStatus": False},
        ],
    }
    return Engine(Store(entities, files_url="http://127.0.0.1:1/files"))


def _data(engine: Engine, query: str, variables: dict[str, Any] | None = None) -> Any:
    result = engine.execute(query, variables)
    assert "errors" not in result, result
    return result["data"]


def _ids(engine: Engine, where: str, root: str = "datasets") -> list[int]:
    return [d["id"] for d in _data(engine, f"{{ {root}(where: {where}) {{ id }} }}")[root]]


def test_int_string_bool_and_null_comparators(engine: Engine) -> None:
    assert _ids(engine, "{id: {_eq: 2}}") == [2]
    assert _ids(engine, "{id: {_neq: 2}}") == [1, 3]
    assert _ids(engine, "{id: {_in: [1, 3]}}") == [1, 3]
    assert _ids(engine, "{id: {_nin: [1, 3]}}") == [2]
    assert _ids(engine, "{id: {_gt: 1, _lte: 3}}") == [2, 3]
    assert _ids(engine, '{title: {_like: "Yeast%"}}') == [1]
    assert _ids(engine, '{title: {_like: "yeast%"}}') == []
    assert _ids(engine, '{title: {_ilike: "%RIBO%"}}') == [1]
    assert _ids(engine, '{title: {_nilike: "%a%"}}') == [3]
    assert _ids(engine, '{title: {_regex: "^A.g"}}') == [2]
    assert _ids(engine, '{title: {_nregex: "^A"}}') == [1, 3]
    assert _ids(engine, "{organismName: {_is_null: true}}") == [3]
    assert _ids(engine, "{organismName: {_is_null: false}}") == [1, 2]
    assert _ids(engine, "{groundTruthStatus: {_eq: true}}", root="annotations") == [100]


def test_datetime_and_like_escapes(engine: Engine) -> None:
    assert _ids(engine, '{releaseDate: {_gte: "2023-01-01T00:00:00+00:00"}}') == [1, 2]
    assert _ids(engine, '{releaseDate: {_lt: "2023-01-01T00:00:00Z"}}') == [3]
    assert _ids(engine, r'{name: {_like: "TS\\_0%"}}', root="runs") == [10, 11, 12, 14]
    assert _ids(engine, '{name: {_like: "TS_0_"}}', root="runs") == [10, 11, 12, 14]


def test_nested_to_one_and_to_many_filters(engine: Engine) -> None:
    assert _ids(engine, '{dataset: {title: {_eq: "Algae"}}}', root="runs") == [13]
    assert _ids(engine, "{run: {dataset: {id: {_eq: 1}}}}", root="annotations") == [100]
    assert _ids(engine, '{runs: {name: {_ilike: "cell%"}}}') == [2]
    assert _ids(engine, '{runs: {annotations: {objectName: {_eq: "ribosome"}}}}') == [1]
    assert _ids(engine, "{runsAggregate: {count: {predicate: {_gte: 2}}}}") == [1]


def test_order_by_and_limit_offset(engine: Engine) -> None:
    runs = _data(engine, "{ runs(orderBy: [{name: desc}, {id: asc}]) { id name } }")["runs"]
    assert [r["id"] for r in runs] == [13, 12, 11, 10, 14]
    nested = _data(engine, "{ runs(orderBy: [{dataset: {title: asc}}, {id: desc}]) { id } }")
    assert [r["id"] for r in nested["runs"]] == [13, 14, 12, 11, 10]
    nulls = _data(engine, "{ datasets(orderBy: [{organismName: asc}]) { id } }")["datasets"]
    assert [d["id"] for d in nulls] == [2, 1, 3]  # NULLS LAST for asc
    page = _data(engine, "{ datasets(limitOffset: {limit: 1, offset: 1}) { id } }")
    assert [d["id"] for d in page["datasets"]] == [2]


def test_connection_paging_round_trip(engine: Engine) -> None:
    query = """query($after: String) { datasets(where: {id: {_eq: 1}}) {
        runs(first: 2, after: $after) { pageInfo { hasNextPage endCursor }
                                         edges { cursor node { id dataset { id } } } } } }"""
    seen: list[int] = []
    after = None
    for _ in range(5):
        conn = _data(engine, query, {"after": after})["datasets"][0]["runs"]
        seen += [e["node"]["id"] for e in conn["edges"]]
        assert all(e["node"]["dataset"]["id"] == 1 for e in conn["edges"])
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert seen == [10, 11, 12]


def test_aggregates(engine: Engine) -> None:
    data = _data(
        engine,
        """{ runsAggregate(where: {datasetId: {_eq: 1}}) { aggregate { count max { id } } }
             datasets { id runsAggregate { aggregate { count } } } }""",
    )
    assert data["runsAggregate"]["aggregate"][0] == {"count": 3, "max": {"id": 12}}
    assert [d["runsAggregate"]["aggregate"][0]["count"] for d in data["datasets"]] == [3, 1, 1]
    distinct = _data(
        engine, "{ runsAggregate { aggregate { count(columns: name, distinct: true) } } }"
    )
    assert distinct["runsAggregate"]["aggregate"][0]["count"] == 4


def test_files_placeholder_and_errors(engine: Engine) -> None:
    data = _data(engine, "{ datasets(where: {id: {_eq: 1}}) { httpsPrefix _id } }")
    assert data["datasets"][0]["httpsPrefix"] == "http://127.0.0.1:1/files/x/"
    assert data["datasets"][0]["_id"]
    bad = engine.execute("{ datasets { notAField } }")
    assert bad["data"] is None
    assert "notAField" in bad["errors"][0]["message"]
