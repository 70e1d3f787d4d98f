"""Parsed results kept beside the read cache: a warm read hands out a copy of the tables parsed
before (equal to a cold read, and the caller's edits never reach the next read), and a write
through the connection forgets them with the responses."""

from __future__ import annotations

import pytest

from neuromodels import Connection, Neuron, NeuronCollection
from neuromodels.testing import serve

SWC = "1 1 0 0 0 1 -1\n2 3 10 0 0 1 1\n3 3 20 0 0 1 2\n"


@pytest.fixture(scope="module")
def server():
    with serve("catmaid") as server:
        yield server


def connect(server, **kw):
    return Connection(server.url, backend="catmaid", project=server.project, token=server.token, progress=False,
                      retries=0, **kw)


def test_a_warm_read_is_a_copy_of_the_parsed_tables(server):
    with connect(server, cache=True) as conn:
        skid = Neuron.from_swc(SWC, name="parsed once").save().id
        cold = NeuronCollection(ids=[skid]).fetch()[0]
        warm = NeuronCollection(ids=[skid]).fetch()[0]
        assert conn.transport.cache.parsed_hits == 1
        assert warm.nodes.equals(cold.nodes) and warm.nodes is not cold.nodes
        warm.nodes.loc[0, "x"] = -5.0  # the caller's edit stays the caller's
        again = NeuronCollection(ids=[skid]).fetch()[0]
        assert again.nodes["x"].tolist() == cold.nodes["x"].tolist()
        assert conn.transport.cache.parsed_hits == 2


def test_a_write_forgets_the_parsed_tables(server):
    with connect(server, cache=True) as conn:
        neuron = Neuron.from_swc(SWC, name="edited").save()
        NeuronCollection(ids=[neuron.id]).fetch()
        leaf = neuron.nodes["node_id"].max()
        neuron.nodes = neuron.nodes[neuron.nodes["node_id"] != leaf].reset_index(drop=True)
        neuron.save()
        after = NeuronCollection(ids=[neuron.id]).fetch()[0]
        assert sorted(after.nodes["node_id"]) == sorted(neuron.nodes["node_id"]) and leaf not in set(after.nodes["node_id"])
