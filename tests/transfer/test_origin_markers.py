"""One marker per copied neuron without cluttering the target's annotation list: CATMAID's own
import origin carries it (``skeletons/import`` source fields, found again through
``skeletons/from-origin``); a server without origins gets marker annotations, and copies marked
that way before are still recognised."""

from __future__ import annotations

import pytest

from neuromodels import Neuron, NeuronCollection
from neuromodels.testing import Fault

from .conftest import connect, per_neuron_markers

pytestmark = pytest.mark.parametrize("pair", [("catmaid", "catmaid")], indirect=True)
SWC = "1 0 0 0 0 2 -1\n2 0 10 0 0 2 1\n"


def seed(source, n: int) -> None:
    with connect(source):
        NeuronCollection([Neuron.from_swc(SWC, name=f"n{k}", annotations=["PN"]) for k in range(n)]).save()


def annotation_names(server) -> list[str]:
    return [r[0] for r in server._app.db.read("SELECT name FROM class_instance WHERE kind = 'annotation'")]


def test_copies_add_no_annotation_per_neuron(pair):
    source, target = pair
    seed(source, 12)
    before = set(annotation_names(target))
    copies = NeuronCollection(annotation="PN").copy_to(connect(target), connection=connect(source), connectors=False)
    added = set(annotation_names(target)) - before
    assert len(copies.copy_report.created) == 12
    assert added == {"PN", f"copied from {source.url}/{source.project}"}  # not 12 markers
    markers = per_neuron_markers(target)
    assert len(markers) == 12 and set(markers.values()) == {1}
    again = NeuronCollection(annotation="PN").copy_to(connect(target), connection=connect(source), connectors=False)
    assert len(again.copy_report.existing) == 12 and [c.id for c in again] == [c.id for c in copies]


def test_a_server_without_origins_gets_marker_annotations(pair):
    source, target = pair
    seed(source, 3)
    target.add_fault(Fault("status", status=404, path=r"skeletons/from-origin", times=100))
    copies = NeuronCollection(annotation="PN").copy_to(connect(target), connection=connect(source), connectors=False)
    assert len(copies.copy_report.created) == 3
    markers = [a for a in annotation_names(target) if "#neuron/" in a]
    assert len(markers) == 3  # the fallback: one marker annotation each
    again = NeuronCollection(annotation="PN").copy_to(connect(target), connection=connect(source), connectors=False)
    assert len(again.copy_report.existing) == 3


def test_copies_marked_by_annotations_before_are_still_found(pair):
    source, target = pair
    seed(source, 2)
    target.add_fault(Fault("status", status=404, path=r"skeletons/from-origin", times=2))
    NeuronCollection(annotation="PN").copy_to(connect(target), connection=connect(source), connectors=False)
    # now the target answers from-origin (an upgraded server): the old markers still count
    again = NeuronCollection(annotation="PN").copy_to(connect(target), connection=connect(source), connectors=False)
    assert len(again.copy_report.existing) == 2 and not again.copy_report.created
