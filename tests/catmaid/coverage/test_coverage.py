"""Each row of the pymaid coverage table runs against the bundled CATMAID: its call works and
answers what the row says."""

from __future__ import annotations

import pytest

import neuromodels
from neuromodels import Connection
from neuromodels.testing import serve

from . import generate

ROWS = generate.rows()


@pytest.fixture(scope="module")
def namespace():
    with serve("catmaid") as server:
        with Connection(server.url, backend="catmaid", project=server.project, token=server.token,
                        progress=False, timeout=20) as conn:
            ns = {name: getattr(neuromodels, name) for name in neuromodels.__all__}
            ns.update(conn=conn, server=server)
            for module in generate.modules():
                if hasattr(module, "setup"):
                    module.setup(ns)
            yield ns


def run(code: str, ns: dict) -> object:
    """Every line but the last as statements, the last as an expression (its value)."""
    *body, last = code.strip().split("\n")
    local = dict(ns)
    if body:
        exec(compile("\n".join(body), "<row>", "exec"), local)  # noqa: S102 - the rows are this folder's code
    return eval(compile(last, "<row>", "eval"), local)  # noqa: S307


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['pymaid']}[{r['source']}]" for r in ROWS])
def test_row_runs_against_the_bundled_server(namespace, row):
    with namespace["conn"]:
        assert run(row["run"], namespace), f"{row['pymaid']}: {row['run']!r} was not true"


def test_rows_name_pymaid_functions_once_per_file():
    seen = set()
    for row in ROWS:
        key = (row["pymaid"], row["source"])
        assert key not in seen, f"{row['pymaid']} twice in {row['source']}"
        seen.add(key)
    assert len(ROWS) >= 60


def test_the_table_lists_every_row():
    text = generate.rst()
    assert all(f"``{row['pymaid']}``" in text for row in ROWS)
    assert text.startswith(".. list-table::")


def test_every_server_facing_pymaid_function_has_a_row():
    from .pymaid_functions import SERVER_FUNCTIONS

    named = {row["pymaid"] for row in ROWS}
    missing = sorted(set(SERVER_FUNCTIONS) - named)
    if missing and not (generate.HERE / "rows_b.py").exists():
        pytest.skip(f"rows_b.py (history, users, samplers, landmarks, annotations) is not here yet; "
                    f"{len(missing)} functions wait for it")
    assert not missing, f"no row for {missing}"
