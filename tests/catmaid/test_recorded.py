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
