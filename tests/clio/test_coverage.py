"""Every row of the Clio coverage table runs against the bundled store."""

import time

import pytest

import neuromodels
from neuromodels.backends import clio
from neuromodels.testing import connect, serve

from .coverage_rows import ROWS


@pytest.fixture(scope="module")
def server():
    with serve("clio") as s:
        yield s


@pytest.mark.parametrize("row", ROWS, ids=[r["peer"] for r in ROWS])
def test_row_runs(row, server, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # token files go to a home of the test's own
    monkeypatch.delenv("CLIO_TOKEN", raising=False)
    scope = {name: getattr(neuromodels, name) for name in neuromodels.__all__}
    with connect(server, progress=False) as conn:
        before = server.requests
        exec(compile(row["neuromodels"], row["peer"], "exec"),
             {**scope, "clio": clio, "conn": conn, "server": server, "time": time})
        if "(local)" not in row["peer"] and "test=True" not in row["peer"]:
            assert server.requests > before  # the row asked the server


def test_rows_are_complete():
    assert len(ROWS) == 24 and len({r["peer"] for r in ROWS}) == len(ROWS)
    assert all(set(r) == {"peer", "neuromodels", "note"} for r in ROWS)
