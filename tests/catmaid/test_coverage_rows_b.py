"""Every part-B row of the pymaid coverage table runs against the bundled CATMAID and answers what
it says (``coverage/test_coverage.py`` runs all rows where it exists; this keeps part B's rows
honest on their own, in the same way)."""

import importlib.util
from pathlib import Path

import pytest

import neuromodels
from neuromodels import Connection
from neuromodels.testing import serve

FOLDER = Path(__file__).with_name("coverage")
SPEC = importlib.util.spec_from_file_location("neuromodels_coverage_rows_b", FOLDER / "rows_b.py")
ROWS_B = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(ROWS_B)

pytestmark = pytest.mark.skipif((FOLDER / "test_coverage.py").exists(), reason="coverage/test_coverage.py runs every row")


@pytest.fixture(scope="module")
def namespace():
    with serve("catmaid") as server:
        with Connection(server.url, backend="catmaid", project=server.project, token=server.token,
                        progress=False, timeout=20) as conn:
            ns = {name: getattr(neuromodels, name) for name in neuromodels.__all__}
            ns.update(conn=conn, server=server)
            ROWS_B.setup(ns)
            yield ns


def test_rows_are_complete_and_unique():
    names = [r["pymaid"] for r in ROWS_B.ROWS]
    assert len(names) == len(set(names)) == 26
    for row in ROWS_B.ROWS:
        assert {"pymaid", "call", "run"} <= set(row) <= {"pymaid", "call", "run", "note"}


@pytest.mark.parametrize("row", ROWS_B.ROWS, ids=lambda r: r["pymaid"])
def test_row_runs_against_the_bundled_server(namespace, row):
    *body, last = row["run"].strip().split("\n")
    local = dict(namespace)
    with namespace["conn"]:
        if body:
            exec(compile("\n".join(body), "<row>", "exec"), local)
        assert eval(compile(last, "<row>", "eval"), local), f"{row['pymaid']}: {row['run']!r} was not true"
