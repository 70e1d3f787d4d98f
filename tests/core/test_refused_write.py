"""A write the backend refuses (read-only server, read-only field) leaves the model as it was."""

import pytest

from neuromodels import Connection, Neuron, NotSupported
from neuromodels.testing import serve


def test_refused_update_restores_the_fields_it_was_given():
    with serve("neuromorpho") as server, Connection(server.url, backend="neuromorpho", progress=False):
        neuron = Neuron.fetch(1000, nodes=False)
        name = neuron.name
        with pytest.raises(NotSupported, match="read-only"):
            neuron.update(name="renamed")
        assert neuron.name == name
        assert neuron.changes() == {}
        neuron.name = "set by hand"  # a change made by the caller stays (only update's own are undone)
        with pytest.raises(NotSupported):
            neuron.update()
        assert neuron.name == "set by hand"
