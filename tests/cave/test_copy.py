"""copy_to between CAVE datastacks (rows go to the same-named table, moved by a transform; a
second copy recognises the rows by their content and writes nothing), and rows to Dask."""

import pytest

from neuromodels import AnnotationCollection, ConnectorCollection, NotSupported
from neuromodels.testing import serve
from neuromodels.transfer import Transform

from .conftest import connect_to


def test_copy_rows_between_deployments(cave):
    with serve("cave") as other:
        target = connect_to(other)
        rows = AnnotationCollection(table="cell_types", version=1).fetch()
        copies = rows.copy_to(target, transform=Transform(offset=(0, 0, 5)))
        assert len(copies.copy_report.created) == 5 and len(copies.copy_report.existing) == 0
        with target:
            there = AnnotationCollection(table="cell_types", classification_system="local").fetch()
        moved = sorted(tuple(a.properties["pt_position"]) for a in there if a.id > 6)
        assert moved == sorted((p[0], p[1], p[2] + 5) for p in (tuple(r.properties["pt_position"]) for r in rows))
        again = rows.copy_to(target, transform=Transform(offset=(0, 0, 5)))
        assert len(again.copy_report.existing) == 5 and len(again.copy_report.created) == 0
        assert sorted(c.id for c in again) == sorted(c.id for c in copies)
        assert other.sent("POST", "/annotations$") == 1


def test_connectors_are_not_copied(cave):
    with serve("cave") as other:
        with pytest.raises(NotSupported, match="synapse tables are written by detection pipelines"):
            ConnectorCollection().fetch().copy_to(connect_to(other))


def test_rows_to_dask(cave):
    pytest.importorskip("dask.dataframe")
    frame = AnnotationCollection(table="cell_types", version=1).to_dask().compute()
    assert sorted(frame["cell_type"]) == sorted(["L2/3 IT", "L4 IT", "basket", "martinotti", "L5 ET"])
    assert list(frame.columns)[:3] == ["id", "table", "targets"]
