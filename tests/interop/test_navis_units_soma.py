"""navis neurons keep their size (units converted, never relabelled), their soma (CATMAID's
``soma`` tag) and their connectors (as Connector models) on the way in and out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neuromodels import ConnectorCollection, Neuron
from neuromodels.testing import connect, serve

navis = pytest.importorskip("navis")


@pytest.fixture(scope="module")
def catmaid():
    with serve("catmaid") as server, connect(server, progress=False) as conn:
        yield conn


def _length(tn) -> float:
    return float(getattr(tn.cable_length, "magnitude", tn.cable_length))


def voxel_neuron():
    return navis.example_neurons(1)  # units "8 nanometer": coordinates are voxels


def test_voxel_coordinates_become_nanometres():
    tn = voxel_neuron()
    n = Neuron.from_navis(tn)
    assert n.extra["units"] == "1 nanometer"
    assert np.allclose(n.nodes.x.to_numpy(), tn.nodes.x.to_numpy() * 8)
    assert np.allclose(n.nodes.radius.to_numpy(), tn.nodes.radius.to_numpy() * 8)
    assert n.cable_length == pytest.approx(_length(tn) * 8, rel=1e-6)


def test_saved_and_fetched_back_has_the_true_size_and_units(catmaid):
    tn = voxel_neuron()
    saved = Neuron.from_navis(tn, connectors=None).save()
    try:
        back = Neuron.fetch(saved.id).to_navis()
        assert str(back.units) == "1 nanometer"
        # the same physical length both ways: 8 nm voxels times the voxel cable
        assert _length(back) == pytest.approx(_length(tn) * 8, rel=1e-3)
    finally:
        saved.delete()


def test_units_for_a_micrometre_server():
    tn = voxel_neuron()
    n = Neuron.from_navis(tn, units="1 micrometer")
    assert n.extra["units"] == "1 micrometer"
    assert np.allclose(n.nodes.x.to_numpy(), tn.nodes.x.to_numpy() * 0.008)
    assert str(n.to_navis().units) == "1 micrometer"


def test_units_that_are_not_a_length_are_refused():
    tn = voxel_neuron()
    tn.units = "2 second"
    with pytest.raises(ValueError, match="not a length"):
        Neuron.from_navis(tn)


def test_soma_becomes_the_soma_tag_and_comes_back():
    tn = voxel_neuron()
    assert tn.soma is not None
    n = Neuron.from_navis(tn)
    assert n.tags["soma"] == [int(tn.soma)]
    again = n.to_navis()
    assert int(again.soma) == int(tn.soma)


def test_soma_survives_the_server(catmaid):
    tn = voxel_neuron()
    saved = Neuron.from_navis(tn, connectors=None).save()
    try:
        fetched = Neuron.fetch(saved.id)
        assert len(fetched.tags["soma"]) == 1
        soma = fetched.tags["soma"][0]
        row = fetched.nodes.set_index("node_id").loc[soma]
        original = tn.nodes.set_index("node_id").loc[int(tn.soma)]
        assert row.x == pytest.approx(original.x * 8, abs=1)  # CATMAID stores whole nanometres
        assert int(fetched.to_navis().soma) == soma
    finally:
        saved.delete()


def test_connectors_from_the_navis_table(catmaid):
    tn = voxel_neuron()
    table = tn.connectors
    connectors = ConnectorCollection.from_navis(tn)
    assert len(connectors) == table.connector_id.nunique()
    first = connectors[0]
    row = table.loc[table.connector_id == table.connector_id.min()].iloc[0]
    assert (first.x, first.y, first.z) == (row.x * 8, row.y * 8, row.z * 8)
    assert {link.relation for c in connectors for link in c.links} <= {"presynaptic_to", "postsynaptic_to"}

    small = tn.copy()
    small.connectors = table.head(5).reset_index(drop=True)
    saved = Neuron.from_navis(small, connectors=None).save()
    try:
        stored = ConnectorCollection.from_navis(small, neuron=saved).save()
        assert len(stored) == 5 and all(c.id is not None for c in stored)
        fetched = ConnectorCollection(neuron=saved.id).fetch()
        assert sorted(c.id for c in fetched) == sorted(c.id for c in stored)
        assert {link.skeleton_id for c in fetched for link in c.links} == {saved.id}
    finally:
        for c in ConnectorCollection(neuron=saved.id).fetch():
            c.delete()
        saved.delete()


def test_connectors_refuse_a_neuron_that_is_not_the_copy():
    tn = voxel_neuron()
    other = Neuron.from_swc("1 1 0 0 0 1 -1\n", name="other", id=5)
    with pytest.raises(ValueError, match="not the saved copy"):
        ConnectorCollection.from_navis(tn, neuron=other)


def test_unitless_navis_neuron_is_taken_as_it_is():
    tn = navis.TreeNeuron(pd.DataFrame({"node_id": [1, 2], "parent_id": [-1, 1], "x": [0.0, 3.0],
                                        "y": [0.0, 4.0], "z": [0.0, 0.0], "radius": [1.0, 1.0]}))
    n = Neuron.from_navis(tn)
    assert n.nodes.x.tolist() == [0.0, 3.0] and "units" not in n.extra
