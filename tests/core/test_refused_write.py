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


def test_an_update_of_a_deleted_model_is_refused_and_leaves_it_as_it_was():
    from neuromodels.core.state import SaveState
    from neuromodels.testing import connect

    with serve("catmaid") as server, connect(server, progress=False):
        neuron = Neuron.from_swc("1 1 0 0 0 1 -1\n", name="gone").save()
        neuron.delete()
        before = server.requests
        with pytest.raises(ValueError, match="was deleted"):
            neuron.update(name="renamed")
        assert neuron.name == "gone" and neuron.state is SaveState.DELETED and server.requests == before


def test_a_refused_resend_of_a_lost_update_leaves_the_model_unknown():
    """A refusal before sending changes no state (the resend of a lost update included)."""
    from neuromodels.core.state import SaveState
    from neuromodels.testing import connect

    with serve("catmaid") as server, connect(server, progress=False):
        neuron = Neuron.from_swc("1 1 0 0 0 1 -1\n", name="kept").save()
        neuron.set_state(SaveState.UNKNOWN)  # as after an update whose reply was lost
        before = server.requests
        with pytest.raises(TypeError):
            neuron.update(name=5)
        assert neuron.state is SaveState.UNKNOWN and neuron.name == "kept" and server.requests == before
