"""Edges of copy_to a new user met: a copy onto the same server, and a query not run yet."""

import pytest

from neuromodels import Connection, Neuron, NeuronCollection
from neuromodels.testing import serve

SWC = "1 1 0 0 0 1 -1\n2 3 10 0 0 1 1\n"


def conn_to(server):
    return Connection(server.url, backend="catmaid", project=server.project, token=server.token, progress=False)


def test_a_copy_onto_the_same_server_through_another_connection_is_refused():
    with serve("catmaid") as server:
        a, b = conn_to(server), conn_to(server)
        with a:
            Neuron.from_swc(SWC, name="once", annotations=["edge"]).save()
        before = len(NeuronCollection().fetch(connection=a, nodes=False))
        with pytest.raises(ValueError, match="same server"):
            NeuronCollection(annotation="edge").copy_to(b, connection=a)
        assert len(NeuronCollection().fetch(connection=a, nodes=False)) == before


def test_an_unfetched_collection_without_filters_copies_every_object():
    with serve("catmaid") as one, serve("catmaid") as two:
        a, b = conn_to(one), conn_to(two)
        with a:
            NeuronCollection([Neuron.from_swc(SWC, name=f"all {i}") for i in range(3)]).save()
            everything = sorted(n.name for n in NeuronCollection().fetch(nodes=False))
        copies = NeuronCollection().copy_to(b, connection=a)
        assert sorted(c.name for c in copies) == everything and len(copies.copy_report.created) == len(everything)
        assert NeuronCollection().fetched is False and NeuronCollection([]).fetched is True
