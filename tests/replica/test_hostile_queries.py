"""The replica refuses hostile GraphQL fast, with 400 (413 for size) and a clear error,
and keeps answering small queries meanwhile."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from graphql import get_introspection_query

from napari_cryoet_explorer.portal.queries import datasets_page, runs_page
from napari_cryoet_explorer.replica.graphql_engine import Engine
from napari_cryoet_explorer.replica.query_limits import DEFAULT_LIMITS, QueryLimits
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.replica.store import Store

Factory = Callable[..., ReplicaServer]
DATASETS, RUNS_EACH = 20, 50
SMALL = {"query": "query($id: Int) { datasets(where: {id: {_eq: $id}}) { id title } }"}
FAST = 2.0  # seconds: a refusal takes milliseconds; this leaves room for a busy machine
# Introspection's own cycle (types -> fields -> type -> fields ...), within the depth limit.
DEEP_INTROSPECTION = (
    "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
)


def _entities() -> dict[str, list[dict[str, Any]]]:
    datasets = [{"id": 10000 + i, "title": f"dataset {i}"} for i in range(DATASETS)]
    runs = [
        {"id": i, "datasetId": 10000 + i % DATASETS, "name": f"TS_{i:04d}"}
        for i in range(DATASETS * RUNS_EACH)
    ]
    return {"Dataset": datasets, "Run": runs}


@pytest.fixture(scope="module")
def store() -> Store:
    """20 datasets of 50 runs: a cycle of relationships multiplies by 50 a level."""
    return Store(_entities())


@pytest.fixture
def server(replica_factory: Factory, store: Store) -> ReplicaServer:
    return replica_factory(store)


def cyclic(levels: int, root: str = "datasets") -> str:
    """``datasets { runs { edges { node { dataset { runs ... } } } } }``, ``levels`` cycles."""
    inner = "id"
    for _ in range(levels):
        inner = f"runs {{ edges {{ node {{ dataset {{ {inner} }} }} }} }}"
    return f"{{ {root} {{ {inner} }} }}"


def where_through_runs(levels: int, ident: int) -> dict[str, Any]:
    """Datasets with a run of a dataset with a run ... (``levels`` times) of id ``ident``."""
    where: dict[str, Any] = {"id": {"_eq": ident}}
    for _ in range(levels):
        where = {"runs": {"dataset": where}}
    return where


def post(server: ReplicaServer, body: Any = None, **kwargs: Any) -> tuple[requests.Response, float]:
    start = time.perf_counter()
    if body is not None:
        kwargs["json"] = body
    answer = requests.post(server.url, timeout=30, **kwargs)
    return answer, time.perf_counter() - start


def refused(answer: requests.Response, status: int = 400) -> str:
    """The single error message of a refusal (never a 500, never a partial answer)."""
    assert answer.status_code == status, answer.text[:500]
    assert answer.headers["Content-Type"].startswith("application/json")
    body = answer.json()
    assert body["data"] is None
    assert len(body["errors"]) == 1
    message: str = body["errors"][0]["message"]
    return message


def assert_small_answered(server: ReplicaServer, ident: int = 10003) -> None:
    answer, _ = post(server, {**SMALL, "variables": {"id": ident}})
    assert answer.status_code == 200
    index = ident - 10000
    assert answer.json() == {"data": {"datasets": [{"id": ident, "title": f"dataset {index}"}]}}


def test_a_deep_cyclic_query_is_refused_by_depth(server: ReplicaServer) -> None:
    answer, took = post(server, {"query": cyclic(10)})  # 42 levels of fields
    message = refused(answer)
    assert "nests fields 42 levels deep" in message
    assert f"at most {DEFAULT_LIMITS.max_depth}" in message
    assert took < FAST
    # Depth counts through fragments too.
    spread = "{ datasets { ...A } } fragment A on Dataset { runs { edges { node { ...B } } } }"
    spread += f" fragment B on Run {{ {cyclic(4, 'dataset')[1:-1]} }}"  # B: dataset {...}
    assert "nests fields 22 levels deep" in refused(post(server, {"query": spread})[0])
    # graphql-core's MaxIntrospectionDepthRule stops introspection's cycles sooner.
    answer, took = post(server, {"query": DEEP_INTROSPECTION})
    assert refused(answer) == "Maximum introspection depth exceeded" and took < FAST
    # A chain of 2,000 fragments is refused, not followed into a RecursionError.
    chain = "{ datasets { ...F0 } } fragment F2000 on Dataset { id } "
    chain += " ".join(f"fragment F{i} on Dataset {{ ...F{i + 1} }}" for i in range(2_000))
    answer, took = post(server, {"query": chain})
    assert "validating it takes more work than this server spends" in refused(answer)
    assert took < FAST
    assert_small_answered(server)


def test_aliases_and_field_counts_are_refused(server: ReplicaServer) -> None:
    # 10,000 aliases: over graphql-core's token limit before any validation.
    many = " ".join(f"a{i}: datasets {{ id }}" for i in range(10_000))
    answer, took = post(server, {"query": f"{{ {many} }}"})
    assert "more than 20000 tokens" in refused(answer) and took < FAST
    # Within the token limit, the alias limit speaks.
    some = " ".join(f"a{i}: datasets {{ id }}" for i in range(1_000))
    answer, took = post(server, {"query": f"{{ {some} }}"})
    assert "more than 200 aliased fields" in refused(answer) and took < FAST
    # The same response name many times in one selection: graphql-core compares such
    # fields pairwise (time growing with the square of their number), so it is refused
    # before that, whether written out, aliased alike or spread from fragments.
    same = " ".join("datasets { id }" for _ in range(1_000))
    answer, took = post(server, {"query": f"{{ {same} }}"})
    assert "selects 'datasets' 1,000 times in one selection set" in refused(answer)
    assert took < FAST
    spreads = "{ datasets { " + " ".join(f"...F{i}" for i in range(300)) + " } } "
    spreads += " ".join(f"fragment F{i} on Dataset {{ title }}" for i in range(300))
    answer, took = post(server, {"query": spreads})
    assert "selects 'title' 300 times" in refused(answer) and took < FAST

    # Nested repeats within that limit multiply the comparisons: graphql-core's own
    # budget for them (set lower here) ends the check.
    def rep(text: str, times: int = 5) -> str:
        return " ".join([text] * times)

    nested = rep(
        "datasets { "
        + rep(
            "runs { edges { "
            + rep("node { dataset { " + rep("runs { edges { node { id } } }") + " } }")
            + " } }"
        )
        + " }"
    )
    answer, took = post(server, {"query": f"{{ {nested} }}"})
    assert "validating it takes more work than this server spends" in refused(answer)
    assert took < FAST
    # Fragments that each spread the next one twice: 2**30 fields from a few lines
    # (one refusal per operation: the first limit it breaks).
    bomb = ["query { datasets { ...F0 } }"]
    bomb += [f"fragment F{i} on Dataset {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30)]
    bomb.append("fragment F30 on Dataset { id title }")
    answer, took = post(server, {"query": "\n".join(bomb)})
    assert "selects more than 3,000 fields" in refused(answer) and took < FAST
    assert_small_answered(server)


def test_nesting_is_refused_with_400_never_500(server: ReplicaServer) -> None:
    # 100,000 nested JSON arrays: Python's parser gives up (RecursionError) -> 400.
    deep = b"[" * 100_000 + b"]" * 100_000
    answer, took = post(server, data=deep, headers={"Content-Type": "application/json"})
    assert "nests JSON more than 64 levels deep" in refused(answer) and took < FAST
    # Nesting the parser accepts but the limit does not, in variables sent as JSON...
    nested = where_through_runs(50, 10000)  # 102 levels
    body = {"query": "query($w: DatasetWhereClause) { datasets(where: $w) { id } }"}
    answer, took = post(server, {**body, "variables": {"w": nested}})
    assert "the request body nests JSON more than 64 levels" in refused(answer)
    # ... as a JSON string, and in a GET's query string.
    answer, _ = post(server, {**body, "variables": json.dumps({"w": nested})})
    assert "variables nests JSON more than 64 levels" in refused(answer)
    got = requests.get(
        server.url, params={**body, "variables": json.dumps({"w": nested})}, timeout=10
    )
    assert "variables nests JSON more than 64 levels" in refused(got)
    # In the document itself: literals past the value limit, then past what parses.
    literal = "{runs: {dataset: " * 20 + "{}" + "}}" * 20
    answer, _ = post(server, {"query": f"{{ datasets(where: {literal}) {{ id }} }}"})
    assert "nests lists and objects more than 32 levels deep" in refused(answer)
    literal = "[" * 5_000 + "]" * 5_000
    answer, took = post(server, {"query": f"{{ datasets(where: {{runs: {literal}}}) {{ id }} }}"})
    assert "Document is nested too deeply" in refused(answer) and took < FAST
    # Nesting within the limits is answered.
    shallow = where_through_runs(10, 10002)  # 22 levels
    answer, _ = post(server, {**body, "variables": {"w": shallow}})
    assert answer.json() == {"data": {"datasets": [{"id": 10002}]}}
    assert_small_answered(server)


def test_bodies_over_the_size_limit_are_refused_unread(server: ReplicaServer) -> None:
    limit = DEFAULT_LIMITS.max_body_bytes
    padding = " " * limit  # valid JSON whitespace: only the size is wrong
    answer, took = post(server, data=f'{{"query": "{{ datasets {{ id }} }}"}}{padding}')
    message = refused(answer, status=413)
    assert message == f"the request body is larger than {limit:,} bytes" and took < FAST

    def chunks() -> Iterator[bytes]:  # no Content-Length: aiohttp counts as it reads
        yield b'{"query": "{ datasets { id } }"}'
        for _ in range(limit // 65_536 + 2):
            yield b" " * 65_536

    answer, took = post(server, data=chunks())
    assert refused(answer, status=413) == message and took < FAST
    assert_small_answered(server)


def test_expensive_small_query_is_refused_while_small_ones_are_answered(
    replica_factory: Factory, store: Store
) -> None:
    # Three cycles (15 levels) pass validation but would answer 20 * 50**3 runs: the
    # budget of resolved fields stops it, cut here to keep the test short.
    server = replica_factory(store, limits=QueryLimits(max_resolved=30_000))
    assert server.base_url.startswith("http://127.0.0.1:")
    outcome: dict[str, Any] = {}

    def expensive() -> None:
        answer, took = post(server, {"query": cyclic(3)})
        outcome.update(answer=answer, took=took)

    worker = threading.Thread(target=expensive)
    worker.start()
    small_times: list[float] = []
    while worker.is_alive() and len(small_times) < 200:
        start = time.perf_counter()
        assert_small_answered(server, 10000 + len(small_times) % DATASETS)
        small_times.append(time.perf_counter() - start)
    worker.join(timeout=30)
    assert "would resolve more than 30,000" in refused(outcome["answer"])
    assert outcome["took"] < 3 * FAST
    # Small queries were answered while it ran, each promptly.
    assert small_times and max(small_times) < FAST
    # A flood of hostile requests at once does not hold up the small ones either.
    hostile = [
        {"query": cyclic(10)},
        {"query": "{ " + " ".join(f"a{i}: datasets {{ id }}" for i in range(1_000)) + " }"},
        {"query": DEEP_INTROSPECTION},
    ]
    with ThreadPoolExecutor(6) as pool:
        bad = [pool.submit(post, server, hostile[i % 3]) for i in range(12)]
        good = [pool.submit(assert_small_answered, server) for _ in range(12)]
        for future in good:
            future.result(timeout=30)
        for future in bad:
            answer, took = future.result(timeout=30)
            assert refused(answer).startswith(("Query refused", "Maximum introspection depth"))
            assert took < 3 * FAST


def test_engine_answers_the_clients_queries_within_the_limits(store: Store) -> None:
    engine = Engine(store)
    introspection = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    assert engine.answer(introspection).status == 200
    for query in (datasets_page(True), runs_page(True)):
        answer = engine.answer(query, {"where": {}, "limit": 500, "offset": 0})
        assert answer.status == 200, answer.result.get("errors")
    # Ordinary mistakes stay ordinary GraphQL errors (status 200), limits say 400.
    assert engine.answer("{ nope }").status == 200
    assert engine.answer("{ datasets { ").status == 200
    cycle = "{ datasets { ...A } } fragment A on Dataset { runs { edges { node { ...B } } } }"
    cycle += " fragment B on Run { dataset { ...A } }"
    answer = engine.answer(cycle)
    assert answer.status == 200 and "Cannot spread fragment" in str(answer.result["errors"])


def test_field_count_limit_counts_expanded_fragments(store: Store) -> None:
    engine = Engine(store, limits=QueryLimits(max_fields=40))
    fragment = "fragment R on Run { id name datasetId dataset { id title } }"  # 6 fields

    def query(copies: int) -> str:
        # datasets and id, then 3 + 6 fields a copy: 2 + 9 * copies in all
        spreads = " ".join(f"c{i}: runs {{ edges {{ node {{ ...R }} }} }}" for i in range(copies))
        return f"{{ datasets {{ id {spreads} }} }} {fragment}"

    assert engine.answer(query(4)).status == 200  # 38 fields
    answer = engine.answer(query(5))  # 47 fields
    assert answer.status == 400
    assert answer.result["errors"][0]["message"] == (
        "Query refused: the operation selects more than 40 fields with its fragments "
        "expanded; this server answers at most 40 (split it into several queries)."
    )


def test_value_budget_stops_execution_and_resets_per_query(store: Store) -> None:
    engine = Engine(store, limits=QueryLimits(max_values=500))
    answer = engine.answer("{ runs { id name datasetId } }")  # 3,000 values
    assert answer.status == 400
    assert answer.result["data"] is None and len(answer.result["errors"]) == 1
    assert "more than 500 values" in answer.result["errors"][0]["message"]
    small = engine.answer("{ runs(limitOffset: {limit: 100}) { id name } }")
    assert small.status == 200 and len(small.result["data"]["runs"]) == 100
