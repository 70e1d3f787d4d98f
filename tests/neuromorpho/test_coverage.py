"""Every row of the NeuroMorpho.org coverage table runs against the bundled server."""

import pytest

import neuromodels
from neuromodels import Connection
from neuromodels.backends import neuromorpho as nmo

from .coverage_rows import ROWS


@pytest.mark.parametrize("row", ROWS, ids=[r["peer"] for r in ROWS])
def test_row_runs(row, bundled):
    scope = {name: getattr(neuromodels, name) for name in neuromodels.__all__}
    with Connection(bundled.url, backend="neuromorpho", progress=False) as conn:
        before = bundled.requests
        exec(compile(row["neuromodels"], row["peer"], "exec"), {**scope, "nmo": nmo, "conn": conn})
        assert bundled.requests > before  # the row asked the server


def test_rows_are_complete():
    assert len(ROWS) == 23 and len({r["peer"] for r in ROWS}) == len(ROWS)
    assert all(set(r) == {"peer", "neuromodels", "note"} for r in ROWS)
