"""The fast compact-detail parse against orjson as the reference: every value exact (doubles bit
for bit, ids past 2**53), empty skeletons, every form that must fall back, and the fast path
really taken for the plain form. Correctness only: nothing here is timed."""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pytest

from neuromodels.backends.catmaid import compact
from neuromodels.backends.catmaid.compact import NODE_COLUMNS, neurons_from_compact_many


def body_of(skeletons: dict[str, list[Any]], dumps: Any = orjson.dumps) -> bytes:
    out = dumps({"skeletons": skeletons})
    return out if isinstance(out, bytes) else out.encode()


def reference(body: bytes) -> dict[int, dict[str, list[Any]]]:
    """Columns straight from orjson's values: None parents become -1."""
    result = {}
    for skid, detail in orjson.loads(body)["skeletons"].items():
        rows = detail[0]
        columns = {c: [r[i] for r in rows] for i, c in enumerate(NODE_COLUMNS)}
        columns["parent_id"] = [-1 if p is None else p for p in columns["parent_id"]]
        result[int(skid)] = columns
    return result


def assert_exact(body: bytes) -> dict[int, Any]:
    parsed = neurons_from_compact_many(body)
    expected = reference(body)
    assert list(parsed) == list(expected)
    for skid, columns in expected.items():
        nodes = parsed[skid].nodes
        assert list(nodes.columns) == NODE_COLUMNS
        assert list(nodes.index) == list(range(len(nodes)))
        for c in NODE_COLUMNS:
            got = nodes[c].to_numpy()
            if c in ("x", "y", "z", "radius"):
                assert got.dtype == np.float64
                # bit for bit: -0.0 and the last ulp count
                assert got.view(np.int64).tolist() == np.array(columns[c], dtype=np.float64).view(np.int64).tolist(), c
            else:
                assert got.dtype == np.int64
                assert got.tolist() == columns[c], c
    return parsed


@pytest.fixture
def fast_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if the body falls back to parsing everything with orjson."""
    if not compact.FAST:
        pytest.skip("pandas before 2 takes the exact orjson path, not the tokenizer")

    def refuse(body: bytes) -> Any:
        raise AssertionError("fell back to the slow path")

    monkeypatch.setattr(compact, "_slow_many", refuse)


def rows(rng: np.random.Generator, first_id: int, n: int) -> list[list[Any]]:
    xyz = rng.uniform(-1e5, 1e5, size=(n, 4))
    return [[first_id + i, None if i == 0 else first_id + int(rng.integers(0, i)), int(rng.integers(1, 500)),
             *map(float, xyz[i]), int(rng.integers(0, 6))] for i in range(n)]


def test_random_doubles_and_ids_are_exact_on_the_fast_path(fast_only: None) -> None:
    rng = np.random.default_rng(7)
    skeletons = {str(100 + s): [rows(rng, 1000 * s + 1, 50 + s), [], {}, [], []] for s in range(20)}
    parsed = assert_exact(body_of(skeletons))
    assert sum(len(n.nodes) for n in parsed.values()) == sum(50 + s for s in range(20))


def test_hard_doubles_bit_for_bit(fast_only: None) -> None:
    rng = np.random.default_rng(3)
    hard = [0.1 + 0.2, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -0.0, 1e22, 1e23, 9007199254740993.0,
            0.30000000000000004, 123456.78901234567, -1.5e-7, 2.5e-5]
    randoms = [struct.unpack("<d", rng.bytes(8))[0] for _ in range(400)]
    values = hard + [v for v in randoms if np.isfinite(v)]
    node_rows = [[i + 1, i or None, 3, v, -v, v / 3, abs(v), 5] for i, v in enumerate(values)]
    assert_exact(body_of({"9": [node_rows, [], {}, [], []]}))


def test_ids_past_2_53_stay_exact(fast_only: None) -> None:
    big = 2**53 + 1
    node_rows = [[big, None, 2, 1.0, 2.0, 3.0, -1.0, 5], [big + 2, big, 2**62 + 7, 1.5, 2.5, 3.5, 4.0, 5]]
    parsed = assert_exact(body_of({str(2**60 + 3): [node_rows, [], {}, [], []]}))
    assert parsed[2**60 + 3].nodes["parent_id"].tolist() == [-1, big]


@pytest.mark.parametrize("value", [2**63, 2**64 - 1, 2**64 + 1, 10**30])
def test_ids_past_64_bits_are_refused(value: int) -> None:
    body = b'{"skeletons":{"1":[[[%d,null,2,1.0,2.0,3.0,-1.0,5]],[],{},[],[]]}}' % value
    with pytest.raises(ValueError, match="64 bits"):
        neurons_from_compact_many(body)


def test_empty_skeletons_between_full_ones(fast_only: None) -> None:
    rng = np.random.default_rng(1)
    skeletons = {"1": [[], [], {}, [], []], "2": [rows(rng, 10, 5), [], {}, [], []], "3": [[], [], {}, [], []],
                 "4": [rows(rng, 100, 1), [], {}, [], []], "5": [[], [], {}, [], []]}
    parsed = assert_exact(body_of(skeletons))
    assert [len(parsed[s].nodes) for s in (1, 2, 3, 4, 5)] == [0, 5, 0, 1, 0]
    assert parsed[1].nodes.dtypes.tolist() == parsed[2].nodes.dtypes.tolist()


def test_only_empty_skeletons_and_no_skeletons() -> None:
    parsed = assert_exact(body_of({"1": [[], [], {}, [], []], "2": [[], [], {}, [], []]}))
    assert all(len(n.nodes) == 0 for n in parsed.values())
    assert neurons_from_compact_many(b'{"skeletons":{}}') == {}


def test_connectors_tags_and_annotations_beside_the_nodes(fast_only: None) -> None:
    node_rows = [[6, None, 2, 1300.0, 1000.0, 90.0, -1.0, 5], [7, 6, 2, 1310.5, 1000.0, 90.0, 3.0, 5]]
    body = body_of({"79": [node_rows, [[6, 5, 1, 1150.0, 1080.0, 90.0], [7, 2**53 + 5, 0, 1.0, 2.0, 3.0]],
                           {"soma": [6], "ends": [7, 6]}, [], [[1234]]]})
    neuron = assert_exact(body)[79]
    assert neuron.connectors["connector_id"].tolist() == [5, 2**53 + 5]
    assert neuron.connectors["relation"].tolist() == ["postsynaptic_to", "presynaptic_to"]
    assert neuron.tags == {"soma": [6], "ends": [7, 6]}
    assert neuron.annotations == ["1234"]


def test_spaced_separators_read_the_same(fast_only: None) -> None:
    rng = np.random.default_rng(5)
    skeletons = {"1": [rows(rng, 1, 30), [], {}, [], []], "2": [rows(rng, 100, 3), [], {}, [], []]}
    spaced = body_of(skeletons, dumps=json.dumps)
    assert b", " in spaced
    assert_exact(spaced)


@pytest.mark.parametrize("case", ["indented", "history", "null-radius", "literal-minus-one", "nan", "nine-values",
                                  "text-value"])
def test_forms_that_fall_back_give_the_reference(case: str) -> None:
    node_rows: list[list[Any]] = [[1, None, 2, 1.0, 2.0, 3.0, -1.0, 5], [2, 1, 2, 1.5, 2.5, 3.5, 4.0, 5]]
    dumps: Any = orjson.dumps
    if case == "indented":
        dumps = lambda v: json.dumps(v, indent=4)  # noqa: E731
    body = body_of({"5": [node_rows, [], {}, [], []]}, dumps)
    if case == "history":
        history = [[*r, "2026-11-29 15:54:33.391483+00:00", "2026-11-29 15:54:30.307244+00:00", 1] for r in node_rows]
        history.append([3, 1, 2, 0.0, 0.0, 0.0, 0.0, 5, "2026-11-29 15:54:30+00:00", "2026-11-29 15:54:31+00:00", 2])
        neuron = neurons_from_compact_many(body_of({"5": [history, [], {}, [], []]}))[5]
        assert neuron.nodes["node_id"].tolist() == [1, 2]  # the live rows (ordering 1) only
        assert neuron.nodes["x"].tolist() == [1.0, 1.5]
        return
    if case == "null-radius":
        body = body.replace(b"-1.0,5]", b"null,5]")
        neuron = neurons_from_compact_many(body)[5]
        assert np.isnan(neuron.nodes["radius"].iloc[0])
        assert neuron.nodes["parent_id"].tolist() == [-1, 1]
        return
    if case == "literal-minus-one":
        body = body.replace(b"[2,1,", b"[2,-1,")
        assert neurons_from_compact_many(body)[5].nodes["parent_id"].tolist() == [-1, -1]
        return
    if case == "nan":
        with pytest.raises(ValueError):
            neurons_from_compact_many(body.replace(b"1.5,", b"NaN,"))
        return
    if case == "nine-values":  # ragged rows: no table
        with pytest.raises(ValueError):
            neurons_from_compact_many(body.replace(b"4.0,5]", b"4.0,5,6]"))
        return
    if case == "text-value":
        with pytest.raises(ValueError):
            neurons_from_compact_many(body.replace(b"[2,1,", b'["two",1,'))
        return
    assert_exact(body)


def test_null_in_an_integer_column_is_refused() -> None:
    body = body_of({"5": [[[1, None, None, 1.0, 2.0, 3.0, -1.0, 5]], [], {}, [], []]})
    with pytest.raises(ValueError, match="creator id"):
        neurons_from_compact_many(body)


def test_node_tables_are_views_of_one_table_and_edits_stay_local(fast_only: None) -> None:
    rng = np.random.default_rng(2)
    parsed = neurons_from_compact_many(body_of({"1": [rows(rng, 1, 10), [], {}, [], []],
                                                "2": [rows(rng, 100, 10), [], {}, [], []]}))
    before = parsed[2].nodes.copy()
    parsed[1].nodes.loc[0, "x"] = 123.0
    parsed[1].nodes["radius"] = 1.0
    pd.testing.assert_frame_equal(parsed[2].nodes, before)
    assert parsed[1].nodes.loc[0, "x"] == 123.0


def test_large_body_crosses_read_boundaries(fast_only: None) -> None:
    """Node text longer than one tokenizer read, in skeletons of very different sizes."""
    rng = np.random.default_rng(11)
    sizes = [1, 20000, 3, 0, 7000, 1]
    skeletons = {str(i + 1): [rows(rng, 100000 * (i + 1), n) if n else [], [], {}, [], []] for i, n in enumerate(sizes)}
    body = body_of(skeletons)
    assert len(body) > 4 * compact._READ_SIZE
    parsed = assert_exact(body)
    assert [len(parsed[i + 1].nodes) for i in range(len(sizes))] == sizes


@pytest.mark.parametrize("rows_text", [
    b"[1,null,2,1.0,2.0,3.0,-1.0,5,9],[2,1,2,1.5,2.5,3.5,4.0]",  # 9 + 7 values: totals match
    b"[1,null,2,1.0],[2.0,3.0,-1.0,5],[2,1,2,1.5],[2.5,3.5,4.0,5]",  # rows of 4: totals match
    b"[1,null,2,1.0,2.0,3.0,-1.0,5,9,8,7,6,5,4,3,2]",  # one row of 16
])
def test_rows_of_other_widths_never_pass_as_8_columns(rows_text: bytes) -> None:
    body = b'{"skeletons":{"5":[[' + rows_text + b'],[],{},[],[]]}}'
    try:
        nodes = neurons_from_compact_many(body)[5].nodes
    except ValueError:
        return
    # Accepted only as orjson reads it: each row's first 8 values.
    expected = [r[:8] for r in orjson.loads(body)["skeletons"]["5"][0]]
    assert nodes["node_id"].tolist() == [r[0] for r in expected]
    assert len(nodes) == len(expected)


def test_nulls_in_doubles_are_nan_and_literal_minus_one_parents_are_roots_on_the_fast_path(fast_only: None) -> None:
    body = b'{"skeletons":{"5":[[[1,null,2,null,2.0,3.0,null,5],[2,-1,2,1.5,null,3.5,4.0,5],[3,1,2,1.0,1.0,1.0,-1.0,0]],[],{},[],[]]}}'
    nodes = neurons_from_compact_many(body)[5].nodes
    assert nodes["parent_id"].tolist() == [-1, -1, 1]
    assert np.isnan(nodes["x"].iloc[0]) and np.isnan(nodes["radius"].iloc[0]) and np.isnan(nodes["y"].iloc[1])
    reference_x = np.array([r[3] for r in orjson.loads(body)["skeletons"]["5"][0]], dtype=np.float64)
    assert np.array_equal(nodes["x"].to_numpy(), reference_x, equal_nan=True)
