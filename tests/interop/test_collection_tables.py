"""navis users' ``neurons.nodes`` / ``neurons.connectors``: combined tables with a ``neuron``
column; ``cable_length`` says its unit."""

from __future__ import annotations

import pandas as pd
import pytest

from neuromodels import Connector, Neuron, NeuronCollection
from neuromodels.testing import connect, serve

SWC = "1 1 0 0 0 1 -1\n2 3 3 4 0 1 1\n3 3 6 8 0 1 2\n"


def test_nodes_and_connectors_like_a_neuron_list():
    with serve("catmaid") as server, connect(server, progress=False):
        a = Neuron.from_swc(SWC, name="a", annotations=["pair"]).save()
        b = Neuron.from_swc(SWC, name="b", annotations=["pair"]).save()
        Connector(x=3, y=4, z=0, links=[(int(a.nodes.node_id[1]), "presynaptic_to"),
                                         (int(b.nodes.node_id[1]), "postsynaptic_to")]).save()
        pair = NeuronCollection(annotation="pair").fetch(nodes=False)
        nodes = pair.nodes  # loads the nodes in one step, like load_nodes()
        assert list(nodes.columns[:2]) == ["neuron", "node_id"] and len(nodes) == 6
        assert sorted(nodes.groupby("neuron").size().to_dict().items()) == [(a.id, 3), (b.id, 3)]
        pd.testing.assert_frame_equal(nodes, pair.node_table())
        links = pair.connectors
        assert links.columns[0] == "neuron" and sorted(links.relation) == ["postsynaptic_to", "presynaptic_to"]
        lengths = pair.cable_lengths()
        assert lengths.name == "cable_length_nm" and lengths.attrs["unit"] == "nanometer"
        assert lengths.to_dict() == {a.id: 10.0, b.id: 10.0}
        assert pair[0].cable_length_unit == "nanometer"


def test_navis_gives_the_same_table():
    navis = pytest.importorskip("navis")
    pair = NeuronCollection([Neuron.from_swc(SWC, name=n, id=i) for i, n in ((1, "a"), (2, "b"))])
    ours = pair.nodes
    theirs = navis.NeuronList([n.to_navis(units="1 nanometer") for n in pair]).nodes
    assert "neuron" in theirs.columns and len(theirs) == len(ours)
    assert sorted(theirs["neuron"].unique().tolist()) == sorted(ours["neuron"].unique().tolist())


def test_units_without_a_server():
    n = Neuron.from_swc(SWC, name="a")
    assert n.cable_length_unit is None and n.cable_length == 10.0
    assert NeuronCollection([n]).cable_lengths().name == "cable_length"
    n.extra["units"] = "1 micrometer"
    assert n.cable_length_unit == "micrometer"
    assert NeuronCollection([n]).cable_lengths().name == "cable_length_um"
