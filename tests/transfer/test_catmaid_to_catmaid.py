"""CATMAID -> CATMAID: neurons with nodes, annotations, tags and the connectors between them;
volumes. Interrupted at each write step and resumed: nothing twice, nothing missing."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from neuromodels import (Connector, ConnectorCollection, Neuron, NeuronCollection, NotSupported,
                         PartialSaveError, ServerUnavailable, Volume, VolumeCollection)
from neuromodels.testing import Fault
from neuromodels.transfer import Transform

from .conftest import connect, per_neuron_markers, restart

pytestmark = pytest.mark.parametrize("pair", [("catmaid", "catmaid")], indirect=True)
OFFSET = Transform(offset=(1000.0, 0.0, 0.0))


def swc(k: int) -> str:
    return "\n".join(f"{i} 0 {k * 500 + i * 10.0} {k * 300 + i * 5.0} {i * 40.0} 2 {i - 1 if i > 1 else -1}"
                     for i in range(1, 9))


def seed(server) -> tuple[list[int], list[Connector]]:
    """Four neurons (tags, annotations), three connectors: two between copied neurons, one
    linked to a single neuron."""
    with connect(server):
        neurons = NeuronCollection([Neuron.from_swc(swc(k), name=f"PN {k}", annotations=["PN", f"side {k % 2}"])
                                    for k in range(4)]).save()
        for k, n in enumerate(neurons):
            nodes = n.nodes["node_id"].tolist()
            n.update(tags={"ends": [nodes[-1]], f"mark {k}": nodes[1:3]})
        node = lambda k, i: int(neurons[k].nodes["node_id"].iloc[i])  # noqa: E731
        connectors = ConnectorCollection([
            Connector(x=10.0, y=20.0, z=80.0, links=[(node(0, 2), "presynaptic_to"), (node(1, 3), "postsynaptic_to"),
                                                     (node(2, 3), "postsynaptic_to")]),
            Connector(x=30.0, y=20.0, z=80.0, links=[(node(2, 5), "presynaptic_to"), (node(3, 4), "postsynaptic_to")]),
            Connector(x=50.0, y=20.0, z=80.0, links=[(node(3, 6), "presynaptic_to")]),
        ]).save()
    return [n.id for n in neurons], list(connectors)


def state(server) -> tuple[list[Neuron], list[Connector]]:
    with connect(server):
        neurons = NeuronCollection(annotation="PN").fetch()
        connectors = ConnectorCollection(neuron=[n.id for n in neurons]).fetch() if neurons else []
    return list(neurons), list(connectors)


def shape(neurons: list[Neuron], connectors: list[Connector], shift: float = 0.0):
    """What must match between source and copy, independent of ids."""
    by_node = {}
    for n in neurons:
        for r in n.nodes.itertuples():
            by_node[int(r.node_id)] = (n.name, round(r.x - shift, 3), round(r.y, 3), round(r.z, 3))
    trees = sorted((n.name, tuple(sorted(a for a in n.annotations if not a.startswith(("copied from", "copy transform")))),
                    tuple(sorted((t, tuple(sorted(by_node[i] for i in ids))) for t, ids in n.tags.items())),
                    tuple(sorted((by_node[int(r.node_id)], by_node.get(int(r.parent_id))) for r in n.nodes.itertuples())))
                   for n in neurons)
    synapses = sorted((round(c.x - shift, 3), c.y, c.z, tuple(sorted((by_node[l.node_id], l.relation) for l in c.links)))
                      for c in connectors)
    return trees, synapses


def test_copy_neurons_annotations_tags_connectors(pair):
    source, target = pair
    skids, _ = seed(source)
    a, b = connect(source), connect(target)
    pns = NeuronCollection(annotation="PN").fetch(connection=a)
    copies = pns.copy_to(b, connection=a, transform=OFFSET)
    report = copies.copy_report
    assert len(report.created) == 4 and report.connectors_created == 2 and report.connectors_skipped == 1
    assert sorted(copies.id_map()) == sorted(skids)
    src_neurons, src_connectors = state(source)
    dst_neurons, dst_connectors = state(target)
    between = [c for c in src_connectors if len({l.skeleton_id for l in c.links}) > 1]
    assert shape(dst_neurons, dst_connectors, shift=1000.0) == shape(src_neurons, between)
    again = pns.copy_to(b, connection=a, transform=OFFSET)
    assert again.copy_report.created == [] and again.copy_report.connectors_existing == 2
    assert again.copy_report.connectors_created == 0
    assert shape(*state(target), shift=1000.0) == shape(src_neurons, between)


def test_any_connectors_and_none(pair):
    source, target = pair
    seed(source)
    a, b = connect(source), connect(target)
    pns = NeuronCollection(annotation="PN").fetch(connection=a)
    none = pns[:2].copy_to(b, connection=a, connectors=False)
    assert none.copy_report.connectors_created == 0 and state(target)[1] == []
    every = pns.copy_to(b, connection=a, connectors="any")
    assert every.copy_report.connectors_created == 3 and len(every.copy_report.existing) == 2


@pytest.mark.parametrize("step,path,skip", [
    ("imports", r"skeletons/import", 2),
    ("tags", r"/label/treenode/\d+/update", 4),
    ("connectors", r"/connector/create", 1),
])
def test_stopped_mid_copy_then_resumed(pair, step, path, skip):
    source, target = pair
    seed(source)
    a = connect(source)
    pns = NeuronCollection(annotation="PN").fetch(connection=a)
    target.add_fault(Fault("stop", method="POST", path=path, when="after", skip=skip))
    with pytest.raises((PartialSaveError, ServerUnavailable)):
        pns.copy_to(connect(target, max_workers=1), connection=a)
    restart(target)
    copies = NeuronCollection(annotation="PN").fetch(connection=a).copy_to(connect(target), connection=a)
    assert copies.copy_report.existing  # something had landed before the stop
    src_neurons, src_connectors = state(source)
    between = [c for c in src_connectors if len({l.skeleton_id for l in c.links}) > 1]
    dst_neurons, dst_connectors = state(target)
    markers = per_neuron_markers(target)
    assert len(markers) == 4 and set(markers.values()) == {1}
    assert not [a for n in dst_neurons for a in n.annotations if "#neuron/" in a]  # none in the annotation list
    assert shape(dst_neurons, dst_connectors) == shape(src_neurons, between)


def test_volumes(pair):
    source, target = pair
    a, b = connect(source), connect(target)
    cube = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=float)
    faces = [[0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 3]]
    VolumeCollection([Volume(name="LH", comment="lateral horn", vertices=cube * 10, faces=faces),
                      Volume(name="AL", vertices=cube * 5, faces=faces)]).save(connection=a)
    volumes = VolumeCollection().fetch(connection=a)
    plan = volumes.copy_to(b, connection=a, dry_run=True)
    assert len(plan.copy_report.created) == 2 and len(VolumeCollection().fetch(connection=b)) == 0
    copies = volumes.copy_to(b, connection=a, transform=Transform(scale=2))
    assert [v.name for v in copies] == [v.name for v in volumes] and len(copies.copy_report.created) == 2
    lh = Volume.fetch(copies.id_map()[next(v.id for v in volumes if v.name == "LH")], connection=b)
    assert lh.comment.splitlines()[0] == "lateral horn" and "#volume/" in lh.comment
    np.testing.assert_allclose(np.sort(lh.vertices, axis=0), np.sort(cube * 20, axis=0))
    again = VolumeCollection().fetch(connection=a).copy_to(b, connection=a, transform=Transform(scale=2))
    assert [v.id for v in again] == [v.id for v in copies] and again.copy_report.created == []
    assert len(VolumeCollection().fetch(connection=b)) == 2


def test_what_travels_with_neurons_is_not_copied_alone(pair):
    source, target = pair
    seed(source)
    a, b = connect(source), connect(target)
    with pytest.raises(NotSupported, match="travel with the neurons"):
        ConnectorCollection(neuron=NeuronCollection(annotation="PN").fetch(nodes=False, connection=a)[0].id).fetch(
            connection=a).copy_to(b, connection=a)
    from neuromodels import AnnotationCollection

    with pytest.raises(NotSupported, match="copy the neurons"):
        AnnotationCollection(name="PN").fetch(connection=a).copy_to(b, connection=a)


def test_a_copy_that_lost_its_tags_gets_them_back(pair):
    """What an interruption between a copy's import and its tag writes leaves behind."""
    source, target = pair
    seed(source)
    a, b = connect(source), connect(target)
    copies = NeuronCollection(annotation="PN").fetch(connection=a).copy_to(b, connection=a)
    with b:
        damaged = Neuron.fetch(copies[1].id)
        damaged.update(tags={})
    again = NeuronCollection(annotation="PN").fetch(connection=a).copy_to(b, connection=a)
    assert again.copy_report.completed == [copies[1].copied_from] and again.copy_report.created == []
    src_neurons, src_connectors = state(source)
    between = [c for c in src_connectors if len({l.skeleton_id for l in c.links}) > 1]
    assert shape(*state(target)) == shape(src_neurons, between)
