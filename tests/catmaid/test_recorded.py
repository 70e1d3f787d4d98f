"""A CATMAID scenario replayed from a cassette recorded against the bundled server.

Re-record deliberately: ``pytest tests/catmaid/test_recorded.py --record-mode=rewrite``
(against the bundled server; with NEUROMODELS_TEST_CATMAID_* against a live one)."""

import pytest

from .conftest import SWC
from neuromodels import Annotation, Neuron, NeuronCollection, NotFound

pytestmark = pytest.mark.vcr


@pytest.fixture
def recorded(request, catmaid_target):
    from neuromodels import Connection

    # max_workers=1: requests in a fixed order, so a replay matches the recording exactly.
    with Connection(catmaid_target["url"], backend="catmaid", project=catmaid_target["project"],
                    token=catmaid_target["token"], max_workers=1, retries=0, progress=False) as conn:
        yield conn


def test_neuron_scenario(recorded):
    n = Neuron.from_swc(SWC, name="recorded neuron", annotations=["recorded"]).save()
    fetched = Neuron.fetch(n.id)
    assert fetched.name == "recorded neuron" and len(fetched.nodes) == 6
    assert fetched.annotations == ["recorded"]
    a = Annotation(name="recorded meta target", targets=[n.id]).save()
    assert [x.id for x in NeuronCollection(annotation="recorded meta target").fetch(nodes=False)] == [n.id]
    a.delete()
    n.delete()
    with pytest.raises(NotFound):
        Neuron.fetch(n.id)


def test_edit_and_connectivity_scenario(recorded):
    from neuromodels import Connector

    a = Neuron.from_swc(SWC, name="recorded pre").save()
    b = Neuron.from_swc(SWC, name="recorded post").save()
    pre, post = int(a.nodes.node_id.iloc[1]), int(b.nodes.node_id.iloc[1])
    c = Connector(x=5000.0, y=6000.0, z=900.0, links=[(pre, "presynaptic_to"), (post, "postsynaptic_to")]).save()
    partners = Neuron.fetch(a.id).partners()
    assert partners[["skeleton_id", "direction", "n_synapses", "name"]].values.tolist() == [
        [b.id, "downstream", 1, "recorded post"]]
    assert NeuronCollection([a, b]).adjacency().values.tolist() == [[0, 1], [0, 0]]
    edited = Neuron.fetch(a.id)
    leaf = int(edited.nodes.loc[~edited.nodes.node_id.isin(edited.nodes.parent_id), "node_id"].iloc[0])
    edited.nodes.loc[edited.nodes.node_id == pre, "x"] += 10
    edited.nodes = edited.nodes[edited.nodes.node_id != leaf]
    edited.update()
    again = Neuron.fetch(a.id)
    assert len(again.nodes) == 5 and again.nodes.loc[again.nodes.node_id == pre, "x"].item() == 5090.0
    assert edited.mark_reviewed([pre]).node_id.tolist() == [pre]
    assert again.reviews().node_id.tolist() == [pre]
    c.delete()
    a.delete()
    b.delete()
