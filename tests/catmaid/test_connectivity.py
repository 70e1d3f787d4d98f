"""Connectivity, reviews, spatial queries, annotation lookups and analysis tables on CATMAID
(any writable CATMAID; the bundled server by default)."""

import uuid

import numpy as np
import pandas as pd
import pytest

from neuromodels import (
    Connector,
    ConnectorCollection,
    Neuron,
    NeuronCollection,
    NotFound,
    Volume,
)

SWC = "1 1 {x} 0 0 5 -1\n2 3 {x1} 0 0 5 1\n3 3 {x2} 0 0 5 2\n"


def unique(prefix):
    return f"{prefix} {uuid.uuid4().hex[:8]}"


@pytest.fixture
def circuit(catmaid):
    """Three neurons along x: a -> b twice, b -> a once, c unconnected; a and b annotated."""
    tag = unique("circuit")
    made = []
    for k, name in enumerate(("a", "b", "c")):
        x = 10000 * (k + 1)
        made.append(Neuron.from_swc(SWC.format(x=x, x1=x + 100, x2=x + 200), name=f"{tag} {name}",
                                    annotations=[tag] if name != "c" else [unique("other")]).save())
    a, b, c = made
    node = {n.name[-1]: n.nodes.sort_values("node_id").node_id.tolist() for n in made}
    connectors = [
        Connector(x=15000, y=0, z=0, links=[(node["a"][0], "presynaptic_to"), (node["b"][0], "postsynaptic_to")]),
        Connector(x=15100, y=0, z=0, links=[(node["a"][1], "presynaptic_to"), (node["b"][1], "postsynaptic_to")]),
        Connector(x=25000, y=0, z=0, links=[(node["b"][2], "presynaptic_to"), (node["a"][2], "postsynaptic_to")]),
    ]
    for cn in connectors:
        cn.save()
    yield {"tag": tag, "a": a, "b": b, "c": c, "connectors": connectors}
    for cn in connectors:
        Connector().delete(id=cn.id)
    for n in made:
        Neuron().delete(id=n.id)


def test_partners(circuit):
    a, b = circuit["a"], circuit["b"]
    table = Neuron.fetch(a.id).partners()
    assert list(table.columns) == ["skeleton_id", "direction", "n_synapses", "name", "n_nodes"]
    rows = sorted(map(tuple, table[["skeleton_id", "direction", "n_synapses", "name"]].values.tolist()))
    assert rows == [(b.id, "downstream", 2, b.name), (b.id, "upstream", 1, b.name)]
    assert table["n_synapses"].tolist() == [2, 1]  # most synapses first
    assert table["n_nodes"].tolist() == [3, 3]
    assert Neuron.fetch(a.id).partners(min_synapses=2)["n_synapses"].tolist() == [2]
    assert Neuron.fetch(circuit["c"].id).partners().empty
    with pytest.raises(ValueError, match="min_synapses"):
        a.partners(min_synapses=0)


def test_adjacency(circuit):
    a, b, c = circuit["a"], circuit["b"], circuit["c"]
    matrix = NeuronCollection([c, a, b]).adjacency()
    assert matrix.index.tolist() == [c.id, a.id, b.id] == matrix.columns.tolist()
    assert matrix.values.tolist() == [[0, 0, 0], [0, 0, 2], [0, 1, 0]]
    assert matrix.index.name == "pre" and matrix.columns.name == "post"
    fetched = NeuronCollection(annotation=circuit["tag"]).fetch(nodes=False)
    assert int(fetched.adjacency().values.sum()) == 3


def test_connectors_in_a_box(circuit):
    found = ConnectorCollection(bbox=(14000, -10, -10, 16000, 10, 10)).fetch()
    ids = {cn.id for cn in circuit["connectors"][:2]}
    assert ids <= {cn.id for cn in found}
    mine = [cn for cn in found if cn.id in ids]
    assert all(len(cn.links) == 2 and {l.relation for l in cn.links} == {"presynaptic_to", "postsynaptic_to"}
               for cn in mine)
    assert all(14000 <= cn.x <= 16000 for cn in found)
    # pymaid's form of the box, and the neuron and relation filters with it
    same = ConnectorCollection(bbox=[[14000, 16000], [-10, 10], [-10, 10]], neuron=circuit["a"].id).fetch()
    assert {cn.id for cn in same} == ids
    assert ConnectorCollection(bbox=(14000, -10, -10, 16000, 10, 10), relation="gapjunction_with").fetch() == []


@pytest.mark.parametrize("box", [(1, 2, 3), (5, 0, 0, 1, 1, 1), [[0, 1], [0, 1]], (0, 0, 0, float("inf"), 1, 1)])
def test_bad_boxes_refused_before_any_request(catmaid, box):
    with pytest.raises((ValueError, TypeError), match="bbox"):
        ConnectorCollection(bbox=box).fetch()


def test_neurons_in_a_volume(circuit):
    v = Volume(name=unique("box"), vertices=[[9000, -50, -50], [21000, -50, -50], [21000, 50, -50],
                                             [9000, 50, -50], [9000, -50, 50], [21000, -50, 50],
                                             [21000, 50, 50], [9000, 50, 50]],
               faces=[[0, 1, 2], [0, 2, 3], [4, 5, 6], [4, 6, 7], [0, 1, 5], [0, 5, 4]]).save()
    try:
        inside = {n.id for n in NeuronCollection(volume=v.id).fetch(nodes=False)}
        assert {circuit["a"].id, circuit["b"].id} <= inside and circuit["c"].id not in inside
        assert {n.id for n in NeuronCollection(volume=v.name).fetch()} == inside
        both = NeuronCollection(volume=v.id, annotation=circuit["tag"]).fetch(nodes=False)
        assert sorted(n.id for n in both) == sorted([circuit["a"].id, circuit["b"].id])
        assert NeuronCollection(volume=v.id, annotation=circuit["tag"]).count() == 2
        with pytest.raises(NotFound, match="did you mean"):
            NeuronCollection(volume=v.name.upper()).fetch()
    finally:
        v.delete()


def test_reviews(circuit):
    a = Neuron.fetch(circuit["a"].id)
    assert a.reviews().empty and list(a.reviews().columns) == ["node_id", "reviewer_id", "review_time"]
    nodes = a.nodes.node_id.tolist()[:2]
    marked = a.mark_reviewed(nodes)
    assert sorted(marked.node_id) == sorted(nodes)
    table = a.reviews()
    assert sorted(table.node_id) == sorted(nodes) and table.reviewer_id.nunique() == 1
    assert str(table.review_time.dtype).startswith("datetime64") and table.review_time.dt.tz is not None
    # Moving a node deletes its reviews (CATMAID's rule), through a node edit.
    a.nodes.loc[a.nodes.node_id == nodes[0], "y"] += 10
    a.update()
    assert a.reviews().node_id.tolist() == [nodes[1]]


def test_unknown_annotations_raise_with_close_matches(circuit):
    tag = circuit["tag"]
    with pytest.raises(NotFound, match=f"did you mean '{tag}'") as info:
        NeuronCollection(annotation=tag.upper()).fetch()
    assert info.value.missing == [tag.upper()]
    with pytest.raises(NotFound, match="no annotation 'nonexistent annotation xyz'"):
        NeuronCollection(annotation="nonexistent annotation xyz").fetch()
    with pytest.raises(NotFound, match="no annotation with id 987654321"):
        NeuronCollection(annotation=987654321).fetch()
    with pytest.raises(NotFound):
        NeuronCollection(annotation=tag.upper()).count()


def test_regex_and_case_insensitive_annotation_forms(circuit):
    tag = circuit["tag"]
    words, suffix = tag.split(" ")
    ids = {circuit["a"].id, circuit["b"].id}
    assert {n.id for n in NeuronCollection(annotation=f"/^{words} {suffix}$").fetch(nodes=False)} == ids
    assert {n.id for n in NeuronCollection(annotation=f"/(?i)^{tag.upper()}$").fetch(nodes=False)} == ids
    assert NeuronCollection(annotation=f"/{suffix}").count() == 2
    with pytest.raises(NotFound, match="regular expression"):
        NeuronCollection(annotation="/^no such annotation at all$").fetch()
    with pytest.raises(ValueError, match="not a valid regular expression"):
        NeuronCollection(annotation="/(").fetch()


def test_rows_tables_and_cable_lengths(circuit):
    tag = circuit["tag"]
    pns = NeuronCollection(annotation=tag).fetch()
    frame = pns.to_dataframe()
    assert {"id", "neuron_id", "name", "annotations", "n_nodes", "n_connectors", "cable_length", "soma"} <= set(frame)
    assert frame["cable_length"].tolist() == [200.0, 200.0]
    assert frame["n_connectors"].tolist() == [3, 3]
    assert all(a == [tag] for a in frame["annotations"])
    light = NeuronCollection(annotation=tag).fetch(nodes=False).to_dataframe()
    assert "cable_length" not in light and "n_nodes" not in light  # never an always-empty column
    nodes = NeuronCollection(annotation=tag).fetch(nodes=False).node_table()  # loads the nodes
    assert len(nodes) == 6 and nodes.columns[0] == "neuron"
    assert sorted(nodes.groupby("neuron").size().to_dict().items()) == sorted(
        [(circuit["a"].id, 3), (circuit["b"].id, 3)])
    links = pns.connector_table()
    assert len(links) == 6 and set(links.relation) == {"presynaptic_to", "postsynaptic_to"}
    lengths = pns.cable_lengths()
    assert lengths.to_dict() == {circuit["a"].id: 200.0, circuit["b"].id: 200.0}


def test_soma_tag_exported_as_swc_type(circuit):
    a = Neuron.fetch(circuit["a"].id)
    middle = int(a.nodes.sort_values("node_id").node_id.iloc[1])
    a.tags = {"soma": [middle]}
    a.update()
    types = {int(line.split()[0]): line.split()[1] for line in Neuron.fetch(a.id).to_swc().splitlines()
             if not line.startswith("#")}
    assert types[middle] == "1" and sorted(types.values()) == ["0", "0", "1"]
    assert pd.Series(types).nunique() == 2 and np.isfinite(a.cable_length)


def test_other_backends_refuse_connectivity_and_reviews_plainly():
    from neuromodels import Connection, NotSupported
    from neuromodels.testing import serve

    with serve("neuromorpho") as server, Connection(server.url, backend="neuromorpho", progress=False):
        n = NeuronCollection().fetch(limit=1)[0]
        for call, what in ((n.partners, "connectivity"), (n.reviews, "reviews"),
                           (NeuronCollection([n]).adjacency, "connectivity")):
            with pytest.raises(NotSupported, match=f"neuromorpho cannot .*{what}"):
                call()


def test_unsaved_neurons_are_refused_before_any_request(catmaid):
    with pytest.raises(ValueError, match="save"):
        Neuron(name="new").partners()
    with pytest.raises(ValueError, match="save"):
        NeuronCollection([Neuron(name="new")]).adjacency()
