"""The replica's GraphQL engine on a small hand-made store, where every answer is known."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import build_schema

from napari_cryoet_explorer.replica.graphql_engine import Engine
from napari_cryoet_explorer.replica.schema_model import SchemaModel
from napari_cryoet_explorer.replica.store import Store, global_id

DATE = "2024-01-01T00:00:00+00:00"
FILES = "http://127.0.0.1:1/files"


def _dataset(i: int, title: str, organism: str | None, released: str, **more: Any) -> dict:
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
        "httpsPrefix": f"{{files}}/{i}/",
        **more,
    }


ENTITIES: dict[str, list[dict[str, Any]]] = {
    "Deposition": [{"id": 1, "title": "All", "depositionDate": DATE}],
    "Dataset": [
        _dataset(
            1,
            "Yeast ribosomes",
            "Saccharomyces cerevisiae",
            "2023-05-01T00:00:00+00:00",
            sampleType="organism",
            fileSize=1.5,
        ),
        _dataset(
            2, "Algae", "Chlamydomonas reinhardtii", "2024-02-01T00:00:00+00:00", sampleType="cell"
        ),
        # Same instant as 2023-01-01T00:00Z, spelled with another offset.
        _dataset(3, "Unknown", None, "2023-01-01T02:00:00+02:00", fileSize=10.0),
    ],
    "Run": [
        {"id": 10 + i, "name": name, "datasetId": ds, "s3Prefix": "s", "httpsPrefix": "h"}
        for i, (name, ds) in enumerate(
            [("TS_01", 1), ("TS_02", 1), ("TS_03", 1), ("cell_7", 2), ("TS_01", 3)]
        )
    ],
    "TomogramVoxelSpacing": [
        {"id": 20, "runId": 10, "voxelSpacing": 10.0},
        {"id": 21, "runId": 10, "voxelSpacing": 5.0},
        {"id": 22, "runId": 13, "voxelSpacing": 7.5},
    ],
    "Tomogram": [
        {
            "id": 30,
            "runId": 10,
            "tomogramVoxelSpacingId": 20,
            "reconstructionMethod": "WBP",
            "sizeX": 100,
            "httpsOmezarrDir": "{files}/1/TS_01/t30.zarr",
        },
        {"id": 31, "runId": 10, "tomogramVoxelSpacingId": 21, "reconstructionMethod": "SART"},
        {
            "id": 32,
            "runId": 13,
            "tomogramVoxelSpacingId": 22,
            "reconstructionMethod": "Unknown",
            "sizeX": 50,
        },
    ],
    "Annotation": [
        {"id": 100, "runId": 10, "objectName": "ribosome", "groundTruthStatus": True},
        {"id": 101, "runId": 13, "objectName": "membrane", "groundTruthStatus": False},
        {"id": 102, "runId": 10, "objectName": "Membrane", "objectCount": 7},
    ],
    "AnnotationShape": [
        {"id": 200, "annotationId": 100, "shapeType": "OrientedPoint"},
        {"id": 201, "annotationId": 100, "shapeType": "SegmentationMask"},
        {"id": 202, "annotationId": 101, "shapeType": "Point"},
    ],
    "AnnotationFile": [
        {"id": 300, "annotationShapeId": 200, "format": "ndjson", "tomogramVoxelSpacingId": 20},
        {"id": 301, "annotationShapeId": 201, "format": "zarr", "tomogramVoxelSpacingId": 20},
    ],
}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(Store(ENTITIES), files_url=FILES)


def _data(engine: Engine, query: str, variables: dict[str, Any] | None = None) -> Any:
    result = engine.execute(query, variables)
    assert "errors" not in result, result
    return result["data"]


def _error(engine: Engine, query: str, variables: dict[str, Any] | None = None) -> str:
    result = engine.execute(query, variables)
    assert result.get("errors"), result
    return str(result["errors"][0]["message"])


def _ids(engine: Engine, where: str, root: str = "datasets") -> list[int]:
    return [d["id"] for d in _data(engine, f"{{ {root}(where: {where}) {{ id }} }}")[root]]


# -- where: comparators --------------------------------------------------------------


def test_int_comparators(engine: Engine) -> None:
    assert _ids(engine, "{id: {_eq: 2}}") == [2]
    assert _ids(engine, "{id: {_neq: 2}}") == [1, 3]
    assert _ids(engine, "{id: {_in: [3, 1, 3]}}") == [1, 3]
    assert _ids(engine, "{id: {_nin: [1, 3]}}") == [2]
    assert _ids(engine, "{id: {_gt: 1, _lte: 3}}") == [2, 3]
    assert _ids(engine, "{id: {_gte: 2, _lt: 3}}") == [2]
    assert _ids(engine, "{organismTaxid: {_eq: 0}}") == [3]
    assert _ids(engine, "{sizeX: {_is_null: true}}", root="tomograms") == [31]
    # A comparison with null is never true, whatever the operator.
    assert _ids(engine, "{sizeX: {_neq: 100}}", root="tomograms") == [32]
    assert _ids(engine, "{sizeX: {_nin: [100]}}", root="tomograms") == [32]


def test_string_comparators(engine: Engine) -> None:
    assert _ids(engine, '{title: {_eq: "Algae"}}') == [2]
    assert _ids(engine, '{title: {_in: ["Algae", "Unknown", "nope"]}}') == [2, 3]
    assert _ids(engine, '{title: {_gt: "B"}}') == [1, 3]
    assert _ids(engine, '{title: {_like: "Yeast%"}}') == [1]
    assert _ids(engine, '{title: {_like: "yeast%"}}') == []
    assert _ids(engine, '{title: {_nlike: "%e%"}}') == [3]
    assert _ids(engine, '{title: {_ilike: "%RIBO%"}}') == [1]
    assert _ids(engine, '{title: {_nilike: "%a%"}}') == [3]
    assert _ids(engine, '{title: {_regex: "^A.g"}}') == [2]
    assert _ids(engine, '{title: {_regex: "^a.g"}}') == []
    assert _ids(engine, '{title: {_iregex: "^a.g"}}') == [2]
    assert _ids(engine, '{title: {_nregex: "^A"}}') == [1, 3]
    assert _ids(engine, '{title: {_niregex: "^(a|u)"}}') == [1]
    assert _ids(engine, "{organismName: {_is_null: true}}") == [3]
    assert _ids(engine, "{organismName: {_is_null: false}}") == [1, 2]
    # Null operands are ignored, as the portal's optional arguments.
    assert _ids(engine, "{title: {_eq: null}}") == [1, 2, 3]


def test_like_is_whole_value_with_escapes(engine: Engine) -> None:
    assert _ids(engine, '{name: {_like: "TS_0_"}}', root="runs") == [10, 11, 12, 14]
    assert _ids(engine, r'{name: {_like: "TS\\_0%"}}', root="runs") == [10, 11, 12, 14]
    assert _ids(engine, r'{name: {_like: "TS\\%"}}', root="runs") == []
    assert _ids(engine, '{name: {_like: "TS"}}', root="runs") == []
    assert _ids(engine, '{name: {_ilike: "ts_01"}}', root="runs") == [10, 14]


def test_bool_float_enum_comparators(engine: Engine) -> None:
    assert _ids(engine, "{groundTruthStatus: {_eq: true}}", root="annotations") == [100]
    assert _ids(engine, "{groundTruthStatus: {_eq: false}}", root="annotations") == [101]
    assert _ids(engine, "{groundTruthStatus: {_is_null: true}}", root="annotations") == [102]
    assert _ids(engine, "{groundTruthStatus: {_neq: true}}", root="annotations") == [101]
    spacings = "tomogramVoxelSpacings"
    assert _ids(engine, "{voxelSpacing: {_gt: 5, _lte: 10}}", root=spacings) == [20, 22]
    assert _ids(engine, "{voxelSpacing: {_in: [7.5, 5]}}", root=spacings) == [21, 22]
    assert _ids(engine, "{fileSize: {_lt: 2.0}}") == [1]
    assert _ids(engine, "{fileSize: {_is_null: true}}") == [2]
    assert _ids(engine, "{sampleType: {_eq: organism}}") == [1]
    assert _ids(engine, "{sampleType: {_in: [cell, tissue]}}") == [2]
    assert _ids(engine, "{sampleType: {_neq: cell}}") == [1]
    assert _ids(engine, "{sampleType: {_nin: [cell]}}") == [1]
    shapes = "annotationShapes"
    assert _ids(engine, "{shapeType: {_eq: OrientedPoint}}", root=shapes) == [200]


def test_datetime_comparators_compare_instants(engine: Engine) -> None:
    assert _ids(engine, '{releaseDate: {_gte: "2023-01-01T00:00:00+00:00"}}') == [1, 2, 3]
    assert _ids(engine, '{releaseDate: {_gt: "2023-01-01T00:00:00Z"}}') == [1, 2]
    assert _ids(engine, '{releaseDate: {_eq: "2023-01-01T00:00:00Z"}}') == [3]
    # A naive operand is read as UTC.
    assert _ids(engine, '{releaseDate: {_lt: "2023-05-01T00:00:00"}}') == [3]
    assert _ids(engine, '{releaseDate: {_in: ["2024-02-01T01:00:00+01:00"]}}') == [2]
    assert _ids(engine, '{releaseDate: {_neq: "2024-02-01T00:00:00Z"}}') == [1, 3]


def test_several_keys_all_hold(engine: Engine) -> None:
    assert _ids(engine, '{id: {_in: [1, 2]}, title: {_ilike: "a%"}}') == [2]
    assert _ids(engine, '{name: {_eq: "TS_01"}, datasetId: {_eq: 3}}', root="runs") == [14]


# -- where: relationships -------------------------------------------------------------


def test_nested_to_one_filters(engine: Engine) -> None:
    assert _ids(engine, '{dataset: {title: {_eq: "Algae"}}}', root="runs") == [13]
    assert _ids(engine, "{run: {dataset: {id: {_eq: 1}}}}", root="annotations") == [100, 102]
    where = "{tomogramVoxelSpacing: {run: {dataset: {id: {_in: [1, 2]}}}}}"
    assert _ids(engine, where, root="tomograms") == [30, 31, 32]
    where = '{annotationShape: {annotation: {run: {name: {_eq: "TS_01"}}}}}'
    assert _ids(engine, where, root="annotationFiles") == [300, 301]
    # Narrowed through an index on one key, checked on all of them.
    where = '{run: {dataset: {id: {_eq: 1}}}, objectName: {_ilike: "m%"}}'
    assert _ids(engine, where, root="annotations") == [102]


def test_to_many_filters_mean_any_child(engine: Engine) -> None:
    assert _ids(engine, '{runs: {name: {_ilike: "cell%"}}}') == [2]
    assert _ids(engine, '{runs: {name: {_eq: "TS_01"}}}') == [1, 3]
    assert _ids(engine, '{runs: {annotations: {objectName: {_eq: "ribosome"}}}}') == [1]
    where = "{annotations: {annotationShapes: {shapeType: {_eq: Point}}}}"
    assert _ids(engine, where, root="runs") == [13]
    assert _ids(engine, '{runs: {name: {_eq: "nope"}}}') == []


def test_aggregate_filters_count_children(engine: Engine) -> None:
    assert _ids(engine, "{runsAggregate: {count: {predicate: {_gte: 2}}}}") == [1]
    assert _ids(engine, "{runsAggregate: {count: {predicate: {_eq: 1}}}}") == [2, 3]
    where = '{runsAggregate: {count: {filter: {name: {_like: "TS%"}}, predicate: {_eq: 0}}}}'
    assert _ids(engine, where) == [2]
    distinct = "{runsAggregate: {count: {arguments: name, distinct: true, predicate: {_eq: 3}}}}"
    assert _ids(engine, distinct) == [1]


def test_to_one_field_with_where_is_null_when_it_does_not_match(engine: Engine) -> None:
    query = """{ runs(where: {id: {_in: [10, 13]}}) {
        id dataset(where: {title: {_eq: "Algae"}}) { id } } }"""
    runs = _data(engine, query)["runs"]
    assert runs == [{"id": 10, "dataset": None}, {"id": 13, "dataset": {"id": 2}}]


# -- orderBy and limitOffset ----------------------------------------------------------


def test_order_by_several_keys_and_nested(engine: Engine) -> None:
    runs = _data(engine, "{ runs(orderBy: [{name: desc}, {id: asc}]) { id name } }")["runs"]
    assert [r["id"] for r in runs] == [13, 12, 11, 10, 14]
    runs = _data(engine, "{ runs(orderBy: [{name: asc}, {id: desc}]) { id } }")["runs"]
    assert [r["id"] for r in runs] == [14, 10, 11, 12, 13]
    nested = _data(engine, "{ runs(orderBy: [{dataset: {title: asc}}, {id: desc}]) { id } }")
    assert [r["id"] for r in nested["runs"]] == [13, 14, 12, 11, 10]
    two_levels = "{ tomograms(orderBy: [{tomogramVoxelSpacing: {voxelSpacing: desc}}]) { id } }"
    assert [t["id"] for t in _data(engine, two_levels)["tomograms"]] == [30, 32, 31]


def test_order_by_nulls(engine: Engine) -> None:
    def order(direction: str) -> list[int]:
        query = f"{{ datasets(orderBy: [{{organismName: {direction}}}]) {{ id }} }}"
        return [d["id"] for d in _data(engine, query)["datasets"]]

    # PostgreSQL: NULLS LAST ascending, NULLS FIRST descending, unless told.
    assert order("asc") == [2, 1, 3]
    assert order("desc") == [3, 1, 2]
    assert order("asc_nulls_first") == [3, 2, 1]
    assert order("asc_nulls_last") == [2, 1, 3]
    assert order("desc_nulls_first") == [3, 1, 2]
    assert order("desc_nulls_last") == [1, 2, 3]


def test_order_by_enum_declaration_and_instants(engine: Engine) -> None:
    # The schema declares SART, ..., WBP, Unknown: enums sort by declaration, not by name.
    query = "{ tomograms(orderBy: [{reconstructionMethod: asc}]) { id } }"
    assert [t["id"] for t in _data(engine, query)["tomograms"]] == [31, 30, 32]
    query = "{ datasets(orderBy: [{releaseDate: asc}]) { id } }"
    assert [d["id"] for d in _data(engine, query)["datasets"]] == [3, 1, 2]


def test_limit_offset(engine: Engine) -> None:
    def page(limit: int, offset: int) -> list[int]:
        query = """query($l: Int, $o: Int) {
            runs(orderBy: [{id: desc}], limitOffset: {limit: $l, offset: $o}) { id } }"""
        return [r["id"] for r in _data(engine, query, {"l": limit, "o": offset})["runs"]]

    assert page(2, 0) == [14, 13]
    assert page(2, 2) == [12, 11]
    assert page(2, 4) == [10]
    assert page(2, 9) == []
    assert page(0, 0) == []
    assert "non-negative" in _error(engine, "{ runs(limitOffset: {offset: -1}) { id } }")


# -- connections ----------------------------------------------------------------------


CONNECTION = """query($where: RunWhereClause, $first: Int, $after: String,
                     $last: Int, $before: String) {
  datasets(where: {id: {_eq: 1}}) {
    runs(where: $where, orderBy: [{name: desc}], first: $first, after: $after,
         last: $last, before: $before) {
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id dataset { id } } }
    }
  }
}"""


def _runs(engine: Engine, **variables: Any) -> dict[str, Any]:
    conn: dict[str, Any] = _data(engine, CONNECTION, variables)["datasets"][0]["runs"]
    return conn


def test_connection_forward_paging(engine: Engine) -> None:
    seen: list[int] = []
    after = None
    for _ in range(5):
        conn = _runs(engine, first=2, after=after)
        seen += [e["node"]["id"] for e in conn["edges"]]
        assert all(e["node"]["dataset"]["id"] == 1 for e in conn["edges"])
        assert conn["pageInfo"]["hasPreviousPage"] == (after is not None)
        assert conn["pageInfo"]["endCursor"] == conn["edges"][-1]["cursor"]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert seen == [12, 11, 10]
    assert _runs(engine)["pageInfo"]["hasNextPage"] is False
    assert [e["node"]["id"] for e in _runs(engine)["edges"]] == [12, 11, 10]


def test_connection_backward_paging_and_filter(engine: Engine) -> None:
    last = _runs(engine, last=2)
    assert [e["node"]["id"] for e in last["edges"]] == [11, 10]
    assert last["pageInfo"]["hasPreviousPage"] is True
    before = _runs(engine, last=2, before=last["pageInfo"]["startCursor"])
    assert [e["node"]["id"] for e in before["edges"]] == [12]
    assert before["pageInfo"]["hasPreviousPage"] is False
    filtered = _runs(engine, where={"name": {"_neq": "TS_02"}}, first=5)
    assert [e["node"]["id"] for e in filtered["edges"]] == [12, 10]
    empty = _runs(engine, where={"name": {"_eq": "nope"}}, first=5)
    assert empty["edges"] == [] and empty["pageInfo"]["endCursor"] is None


def test_connection_errors(engine: Engine) -> None:
    assert "invalid cursor" in _error(engine, CONNECTION, {"after": "not a cursor"})
    assert "non-negative" in _error(engine, CONNECTION, {"first": -1})


# -- aggregates -----------------------------------------------------------------------


def test_count_at_root_and_on_relationships(engine: Engine) -> None:
    data = _data(
        engine,
        """{ runsAggregate(where: {datasetId: {_eq: 1}}) { aggregate { count } }
             all: runsAggregate { aggregate { count } }
             datasets { id runsAggregate { aggregate { count } }
                        ts: runsAggregate(where: {name: {_like: "TS%"}}) { aggregate { count } } }
           }""",
    )
    assert data["runsAggregate"]["aggregate"] == [{"count": 3}]
    assert data["all"]["aggregate"] == [{"count": 5}]
    counts = [d["runsAggregate"]["aggregate"][0]["count"] for d in data["datasets"]]
    assert counts == [3, 1, 1]
    assert [d["ts"]["aggregate"][0]["count"] for d in data["datasets"]] == [3, 0, 1]


def test_count_columns_and_distinct(engine: Engine) -> None:
    data = _data(
        engine,
        """{ runsAggregate { aggregate { count(columns: name, distinct: true) } }
             datasetsAggregate { aggregate { count(columns: organismName) } } }""",
    )
    assert data["runsAggregate"]["aggregate"][0]["count"] == 4
    assert data["datasetsAggregate"]["aggregate"][0]["count"] == 2  # nulls are not counted


def test_numeric_aggregates(engine: Engine) -> None:
    query = """{ tomogramVoxelSpacingsAggregate { aggregate {
        sum { voxelSpacing } avg { voxelSpacing } min { voxelSpacing } max { voxelSpacing id }
        stddev { voxelSpacing } variance { voxelSpacing } } }
      one: tomogramsAggregate(where: {id: {_eq: 30}}) { aggregate { stddev { sizeX } } }
      datasetsAggregate { aggregate { min { releaseDate title } max { releaseDate } } } }"""
    data = _data(engine, query)
    agg = data["tomogramVoxelSpacingsAggregate"]["aggregate"][0]
    assert agg["sum"] == {"voxelSpacing": 22.5}
    assert agg["avg"] == {"voxelSpacing": 7.5}
    assert agg["min"] == {"voxelSpacing": 5.0}
    assert agg["max"] == {"voxelSpacing": 10.0, "id": 22}
    assert agg["stddev"]["voxelSpacing"] == pytest.approx(2.5)
    assert agg["variance"]["voxelSpacing"] == pytest.approx(6.25)
    assert data["one"]["aggregate"][0]["stddev"] == {"sizeX": None}  # one value: null
    dates = data["datasetsAggregate"]["aggregate"][0]
    assert dates["min"] == {"releaseDate": "2023-01-01T02:00:00+02:00", "title": "Algae"}
    assert dates["max"] == {"releaseDate": "2024-02-01T00:00:00+00:00"}


def test_group_by(engine: Engine) -> None:
    query = """{ runsAggregate(where: {id: {_lt: 14}}) { aggregate {
        count groupBy { dataset { id } } } } }"""
    groups = _data(engine, query)["runsAggregate"]["aggregate"]
    assert groups == [
        {"count": 3, "groupBy": {"dataset": {"id": 1}}},
        {"count": 1, "groupBy": {"dataset": {"id": 2}}},
    ]
    query = """{ runsAggregate { aggregate { count groupBy { name } } } }"""
    by_name = {
        g["groupBy"]["name"]: g["count"] for g in _data(engine, query)["runsAggregate"]["aggregate"]
    }
    assert by_name == {"TS_01": 2, "TS_02": 1, "TS_03": 1, "cell_7": 1}
    # Grouping by a to-many relationship puts a row in each child's group (a join).
    query = """fragment G on DatasetAggregateFunctions { groupBy { runs { name } } }
      { datasetsAggregate(where: {id: {_in: [1, 3]}}) { aggregate { count ...G } } }"""
    joined = _data(engine, query)["datasetsAggregate"]["aggregate"]
    assert {g["groupBy"]["runs"]["name"]: g["count"] for g in joined} == {
        "TS_01": 2,
        "TS_02": 1,
        "TS_03": 1,
    }


# -- ids, files and errors ------------------------------------------------------------


def test_global_ids(engine: Engine) -> None:
    data = _data(engine, "{ datasets { _id } runs { _id } }")
    ids = [d["_id"] for d in data["datasets"] + data["runs"]]
    assert len(set(ids)) == len(ids)
    assert data["datasets"][0]["_id"] == global_id("Dataset", {"id": 1})
    own = Engine(Store({"Dataset": [_dataset(5, "x", None, DATE, _id="RGF0YXNldDo1")]}))
    assert _data(own, "{ datasets { _id } }")["datasets"] == [{"_id": "RGF0YXNldDo1"}]


def test_files_placeholder_is_served_and_filterable(engine: Engine) -> None:
    data = _data(engine, "{ datasets(where: {id: {_eq: 1}}) { httpsPrefix s3Prefix } }")
    assert data["datasets"][0] == {"httpsPrefix": f"{FILES}/1/", "s3Prefix": "s3://b/"}
    url = f"{FILES}/1/TS_01/t30.zarr"
    assert _ids(engine, f'{{httpsOmezarrDir: {{_eq: "{url}"}}}}', root="tomograms") == [30]
    assert _ids(engine, '{httpsOmezarrDir: {_like: "http://127.0.0.1:1/%"}}', "tomograms") == [30]
    # A store built with the base URL already holds served values.
    baked = Engine(Store(ENTITIES, files_url="http://h/files"))
    assert _data(baked, "{ datasets { httpsPrefix } }")["datasets"][0]["httpsPrefix"] == (
        "http://h/files/1/"
    )


def test_errors_are_reported_in_the_standard_shape(engine: Engine) -> None:
    bad = engine.execute("{ datasets { notAField } }")
    assert bad["data"] is None
    assert "notAField" in bad["errors"][0]["message"]
    assert "nope" in _error(engine, "{ datasets(where: {nope: {_eq: 1}}) { id } }")
    assert "Syntax Error" in _error(engine, "{ datasets { id }")
    assert "_like" in _error(engine, '{ datasets(where: {id: {_like: "1"}}) { id } }')
    assert "invalid regular expression" in _error(
        engine, '{ datasets(where: {title: {_regex: "("}}) { id } }'
    )
    # Repeated documents come from the parse cache and answer the same.
    assert engine.execute("{ datasets { id } }") == engine.execute("{ datasets { id } }")


# -- relationships read from the schema -----------------------------------------------


def test_back_keys_of_ambiguous_relationships() -> None:
    schema = build_schema(
        """
        type Query { parents: [Parent!]! children: [Child!]! }
        type Parent {
          id: Int!
          sources(first: Int): ChildConnection!
          targetChildren(first: Int): ChildConnection!
          children(first: Int): ChildConnection!
          childrenAggregate: ChildAggregate
        }
        type Child {
          id: Int!
          parent: Parent
          parentId: Int
          source: Parent
          sourceId: Int
          target: Parent
          targetId: Int
        }
        type ChildConnection { edges: [ChildEdge!]! }
        type ChildEdge { cursor: String! node: Child! }
        type ChildAggregate { aggregate: [ChildAggregateFunctions!] }
        type ChildAggregateFunctions { count: Int groupBy: Int }
        """
    )
    parent = SchemaModel(schema).entity("Parent")
    assert parent.to_many["sources"].back_key == "sourceId"
    assert parent.to_many["targetChildren"].back_key == "targetId"
    assert parent.to_many["children"].back_key == "parentId"
    assert parent.aggregates["childrenAggregate"].back_key == "parentId"
    child = SchemaModel(schema).entity("Child")
    assert child.to_one["target"].key == "targetId"


def test_bad_rows_are_reported_as_graphql_errors() -> None:
    rows = [_dataset(1, "ok", None, DATE), _dataset(2, "ok", None, DATE, organismTaxid="x")]
    del rows[0]["title"]
    broken = Engine(Store({"Dataset": rows}))
    missing = broken.execute("{ datasets(where: {id: {_eq: 1}}) { id title } }")
    assert missing["data"] is None
    assert "non-nullable field Dataset.title" in missing["errors"][0]["message"]
    assert missing["errors"][0]["path"] == ["datasets", 0, "title"]
    wrong = broken.execute("{ datasets(where: {id: {_eq: 2}}) { id organismTaxid } }")
    assert wrong["data"] == {"datasets": [{"id": 2, "organismTaxid": None}]}
    assert "Int cannot represent" in wrong["errors"][0]["message"]
    named = _data(broken, "{ datasets(where: {id: {_eq: 2}}) { __typename kind: __typename } }")
    assert named["datasets"] == [{"__typename": "Dataset", "kind": "Dataset"}]
