"""CATMAID scenarios that create what they read and clean up: they run against any writable
CATMAID (the bundled server by default)."""

import uuid

import numpy as np
import pytest

from .conftest import SWC
from neuromodels import (
    Annotation,
    AnnotationCollection,
    Connector,
    ConnectorCollection,
    ImageInstance,
    ImageInstanceCollection,
    Neuron,
    NeuronCollection,
    NotFound,
    NotSupported,
    Project,
    ProjectCollection,
    Volume,
    VolumeCollection,
)


def unique(prefix):
    return f"{prefix} {uuid.uuid4().hex[:8]}"


@pytest.fixture
def neuron(catmaid):
    n = Neuron.from_swc(SWC, name=unique("contract"), annotations=[unique("ann")]).save()
    yield n
    try:
        Neuron().delete(id=n.id)
    except NotFound:
        pass


def test_neuron_round_trip(catmaid, neuron):
    assert neuron.id is not None and neuron.neuron_id is not None
    fetched = Neuron.fetch(neuron.id)
    assert fetched.name == neuron.name
    assert fetched.annotations == neuron.annotations
    assert fetched.neuron_id == neuron.neuron_id
    ours = neuron.nodes.sort_values("node_id").reset_index(drop=True)
    theirs = fetched.nodes.sort_values("node_id").reset_index(drop=True)
    assert ours["node_id"].tolist() == theirs["node_id"].tolist()
    assert ours["parent_id"].tolist() == theirs["parent_id"].tolist()
    assert np.allclose(ours[["x", "y", "z", "radius"]], theirs[["x", "y", "z", "radius"]])
    assert (theirs["parent_id"] == -1).sum() == 1
    assert {"node_id", "parent_id", "x", "y", "z", "radius"} <= set(theirs.columns)
    assert {"node_id", "connector_id", "relation", "x", "y", "z"} <= set(fetched.connectors.columns)


def test_swc_round_trip(catmaid, neuron):
    text = Neuron.fetch(neuron.id).to_swc()
    again = Neuron.from_swc(text, name="again")
    assert len(again.nodes) == 6


def test_rename_annotate_and_tag(catmaid, neuron):
    new_name = unique("renamed")
    n = Neuron.fetch(neuron.id)
    n.update(name=new_name)
    extra = unique("extra")
    n.annotations.append(extra)
    root = int(n.nodes.loc[n.nodes.parent_id == -1, "node_id"].iloc[0])
    n.tags = {"soma": [root]}
    n.update()
    again = Neuron.fetch(neuron.id)
    assert again.name == new_name
    assert extra in again.annotations
    assert again.tags == {"soma": [root]}
    again.annotations.remove(extra)
    again.tags = {}
    again.update()
    final = Neuron.fetch(neuron.id)
    assert extra not in final.annotations and final.tags == {}


def test_delete(catmaid):
    n = Neuron.from_swc(SWC, name=unique("doomed")).save()
    n.delete()
    with pytest.raises(NotFound) as info:
        Neuron.fetch(n.id)
    assert info.value.missing == [n.id]


def test_refused_before_any_request(catmaid):
    two_roots = SWC + "7 1 0 0 0 1 -1\n"
    with pytest.raises(ValueError, match="2 roots"):
        Neuron.from_swc(two_roots, name="two").save()
    with pytest.raises(ValueError, match=r"\|"):
        Neuron.from_swc(SWC, name="bad|name").save()
    with pytest.raises(ValueError, match="255"):
        Neuron.from_swc(SWC, name="x" * 300).save()


def test_collection_by_ids_keeps_order_and_reports_missing(catmaid):
    batch = NeuronCollection(Neuron.from_swc(SWC, name=unique("batch")) for _ in range(3)).save()
    try:
        ids = [n.id for n in batch][::-1]
        fetched = NeuronCollection(ids=ids).fetch()
        assert [n.id for n in fetched] == ids
        assert all(len(n.nodes) == 6 for n in fetched)
        light = NeuronCollection(ids=ids).fetch(nodes=False)
        assert all(n.nodes is None for n in light) and [n.name for n in light] == [n.name for n in fetched]
        light.load_nodes()
        assert all(len(n.nodes) == 6 for n in light)
        missing = max(ids) + 10_000_000
        with pytest.raises(NotFound) as info:
            NeuronCollection(ids=ids + [missing]).fetch()
        assert info.value.missing == [missing]
    finally:
        batch.delete()


def test_collection_filters(catmaid):
    tag_a, tag_b = unique("A"), unique("B")
    base = unique("filtered")
    batch = NeuronCollection([
        Neuron.from_swc(SWC, name=f"{base} one", annotations=[tag_a]),
        Neuron.from_swc(SWC, name=f"{base} two", annotations=[tag_a, tag_b]),
        Neuron.from_swc(SWC, name=f"{base} three", annotations=[tag_b]),
    ]).save()
    try:
        assert sorted(n.name for n in NeuronCollection(annotation=tag_a).fetch()) == [f"{base} one", f"{base} two"]
        assert [n.name for n in NeuronCollection(annotation=[tag_a, tag_b]).fetch()] == [f"{base} two"]
        assert len(NeuronCollection(name=base).fetch()) == 3
        assert NeuronCollection(annotation=tag_a, name="three").fetch() == []
        assert NeuronCollection(annotation=tag_b).count() == 2
        with pytest.raises(NotFound, match="no annotation"):
            NeuronCollection(annotation=unique("nobody")).fetch()
        aid = next(a.id for a in AnnotationCollection(name=tag_a).fetch())
        light = NeuronCollection(annotation=aid).fetch(nodes=False)
        assert sorted(n.annotations for n in light) == sorted([[tag_a], sorted([tag_a, tag_b])])
        frame = NeuronCollection(name=base).fetch().to_dataframe()
        assert len(frame) == 3 and {"id", "name", "n_nodes"} <= set(frame.columns)
    finally:
        batch.delete()


def test_annotation_lifecycle(catmaid, neuron):
    name, meta = unique("ann"), unique("meta")
    other = Neuron.from_swc(SWC, name=unique("other")).save()
    try:
        a = Annotation(name=name, targets=[neuron.id], meta=[meta]).save()
        fetched = Annotation.fetch(a.id)
        assert fetched.name == name and fetched.targets == [neuron.id] and fetched.meta == [meta]
        fetched.targets.append(other.id)
        fetched.update()
        assert sorted(Annotation.fetch(a.id).targets) == sorted([neuron.id, other.id])
        on_neuron = AnnotationCollection(neuron=neuron.id).fetch()
        assert name in {x.name for x in on_neuron}
        with pytest.raises(NotSupported, match="rename"):
            fetched.update(name="new name")
        fetched.name = name
        Annotation.fetch(a.id).delete()
        assert name not in Neuron.fetch(neuron.id).annotations
        assert AnnotationCollection(name=name).fetch() == []
    finally:
        other.delete()


def test_connector_lifecycle(catmaid, neuron):
    other = Neuron.from_swc(SWC, name=unique("post")).save()
    try:
        pre_node = int(neuron.nodes.node_id.iloc[-1])
        post_node = int(other.nodes.node_id.iloc[-1])
        c = Connector(x=5100.5, y=6100.25, z=900.0, links=[(pre_node, "presynaptic_to"), (post_node, "postsynaptic_to")]).save()
        fetched = Connector.fetch(c.id)
        assert (fetched.x, fetched.y, fetched.z) == (5100.5, 6100.25, 900.0)
        assert sorted((l.node_id, l.relation, l.skeleton_id) for l in fetched.links) == sorted(
            [(pre_node, "presynaptic_to", neuron.id), (post_node, "postsynaptic_to", other.id)])
        listed = ConnectorCollection(neuron=neuron.id).fetch()
        assert [x.id for x in listed] == [c.id] and len(listed[0].links) == 2  # links complete
        assert ConnectorCollection(neuron=other.id, relation="presynaptic_to").fetch() == []
        assert Neuron.fetch(neuron.id).connectors["connector_id"].tolist() == [c.id]
        c.update(x=5200.0)
        assert Connector.fetch(c.id).x == 5200.0
        c.delete()
        with pytest.raises(NotFound):
            Connector.fetch(c.id)
    finally:
        other.delete()


def test_volume_lifecycle(catmaid):
    vertices = np.array([[5000.5, 6000, 800], [5400, 6000, 800], [5000, 6400, 800], [5000, 6000, 1200.25]])
    faces = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    name = unique("tetra")
    v = Volume(name=name, comment="contract", vertices=vertices, faces=faces).save()
    try:
        fetched = Volume.fetch(v.id)
        assert fetched.name == name and fetched.comment == "contract"
        # The mesh survives (floats kept), the vertex order need not.
        ours = {tuple(sorted(map(tuple, vertices[f]))) for f in faces}
        theirs = {tuple(sorted(map(tuple, fetched.vertices[f]))) for f in fetched.faces}
        assert ours == theirs
        assert [x.id for x in VolumeCollection(name=name).fetch()] == [v.id]
        fetched.update(name=name + " renamed", comment="changed")
        again = Volume.fetch(v.id)
        assert again.name == name + " renamed" and again.comment == "changed"
    finally:
        Volume().delete(id=v.id)
    with pytest.raises(NotFound):
        Volume.fetch(v.id)


def test_projects_and_stacks_read_only(catmaid):
    projects = ProjectCollection().fetch()
    assert catmaid.project in [p.id for p in projects]
    assert Project.fetch(catmaid.project).name
    with pytest.raises(NotSupported, match="administrators"):
        Project(name="new").save()
    stacks = ImageInstanceCollection().fetch()
    assert stacks and stacks[0].width and stacks[0].resolution
    assert ImageInstance.fetch(stacks[0].id).name == stacks[0].name
    with pytest.raises(NotSupported):
        stacks[0].update(name="renamed")
    assert set(ImageInstanceCollection().filters()) == {"project"}
