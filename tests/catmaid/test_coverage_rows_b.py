"""Every part-B row of the pymaid coverage table runs against the bundled CATMAID (the table's
generator runs all rows; this keeps part B's rows honest on their own)."""

import datetime
import importlib.util
from pathlib import Path

import pytest

import neuromodels

SPEC = importlib.util.spec_from_file_location("rows_b", Path(__file__).with_name("coverage") / "rows_b.py")
ROWS_B = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(ROWS_B)


def test_rows_are_complete_and_unique():
    names = [r["pymaid"] for r in ROWS_B.ROWS]
    assert len(names) == len(set(names))
    for row in ROWS_B.ROWS:
        assert set(row) == {"pymaid", "neuromodels", "note"} and all(row.values())


@pytest.mark.parametrize("row", ROWS_B.ROWS, ids=lambda r: r["pymaid"])
def test_row_runs_against_the_bundled_server(row, catmaid):
    scope = {name: getattr(neuromodels, name) for name in neuromodels.__all__}
    scope.update(conn=catmaid, datetime=datetime)
    exec(compile(row["neuromodels"], row["pymaid"], "exec"), scope)
