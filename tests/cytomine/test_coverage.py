"""Each row of the coverage table (client call -> neuromodels call) runs against the bundled
Cytomine: the table in the docs is only what this test ran."""

import pytest

import neuromodels
from neuromodels.testing import connect, serve

from .coverage_rows import FIXTURES, ROWS


@pytest.fixture(scope="module")
def scope():
    with serve("cytomine") as server, connect(server) as conn:
        names = {name: getattr(neuromodels, name) for name in neuromodels.__all__}
        names.update(conn=conn, server=server)
        exec(FIXTURES, names)  # noqa: S102 - our own fixture text
        yield names


def test_every_client_call_has_a_row():
    calls = [row["client"] for row in ROWS]
    assert len(calls) == len(set(calls)) and len(calls) >= 63


@pytest.mark.parametrize("row", ROWS, ids=[row["client"][:60] for row in ROWS])
def test_row_runs_against_bundled_server(scope, row):
    names = dict(scope)
    with scope["conn"]:
        exec(row["neuromodels"], names)  # noqa: S102 - the row's code, from this repository
