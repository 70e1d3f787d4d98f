"""One input rule per kind of value, the same at every entry point: names are non-empty
strings; ids on servers with numeric ids are ints (a numeric string is refused at once, with the
fix in the message, because a string id means a name elsewhere: Clio's dataset "1"); errors
name the id the user holds."""

from __future__ import annotations

import pytest

from neuromodels import AnnotationCollection, Connection, Neuron, NeuronCollection, NotFound
from neuromodels.testing import connect, serve

SWC = "1 1 0 0 0 1 -1\n2 3 10 0 0 1 1\n"


@pytest.mark.parametrize("name", [5, 5.0, b"x", ["a"], ""])
def test_from_swc_refuses_a_name_that_is_not_a_name(name):
    with pytest.raises((TypeError, ValueError), match="name must"):
        Neuron.from_swc(SWC, name=name)


def test_from_navis_follows_the_same_rule():
    pytest.importorskip("navis")
    tn = Neuron.from_swc(SWC, name="a").to_navis(units="1 nanometer")
    with pytest.raises(TypeError, match="name must be a str, not int"):
        Neuron.from_navis(tn, name=5)


@pytest.mark.parametrize("backend", ["catmaid", "cytomine"])
def test_a_numeric_string_project_is_refused_when_the_connection_is_made(backend):
    with pytest.raises(TypeError, match=r"project= of a \w+ connection must be an int, not str \('1'\): "
                                        r"write 1 without quotes"):
        Connection("http://127.0.0.1:9", backend=backend, project="1", token="t")
    assert Connection("http://127.0.0.1:9", backend=backend, project=1, token="t").project == 1


def test_clio_datasets_are_names():
    assert Connection("http://127.0.0.1:9", backend="clio", project="1").project == "1"
    with pytest.raises(TypeError, match="must be a str"):
        Connection("http://127.0.0.1:9", backend="clio", project=1)


def test_the_same_rule_for_ids_and_filters():
    conn = Connection("http://127.0.0.1:9", backend="catmaid", project=1)
    with pytest.raises(TypeError, match="write 16 without quotes"):
        Neuron.fetch("16", connection=conn)
    with pytest.raises(TypeError, match="write 16 without quotes"):
        NeuronCollection(ids=["16"]).fetch(connection=conn)
    cyto = Connection("http://127.0.0.1:9", backend="cytomine", public_key="a", private_key="b")
    with pytest.raises(TypeError, match="write 1 without quotes"):
        AnnotationCollection(project="1").fetch(connection=cyto)


def test_deleting_twice_names_the_skeleton_id():
    with serve("catmaid") as server, connect(server, progress=False) as conn:
        n = Neuron.from_swc(SWC, name="twice").save()
        held = Neuron.fetch(n.id)
        n.delete()
        with pytest.raises(NotFound, match=rf"no neuron with skeleton id {n.id} on the server \(deleted already") as info:
            held.delete()
        assert f"#{held.neuron_id}" in str(info.value)  # CATMAID's own words are kept after ours
        held.mark_clean()
        with pytest.raises(NotFound, match=rf"skeleton id {n.id}"):
            held.update(name="again")
        assert conn.project == 1
