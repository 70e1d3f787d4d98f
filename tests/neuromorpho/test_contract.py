"""NeuroMorpho.org (read-only): the bundled server by default, live with NEUROMODELS_TEST_NEUROMORPHO_URL."""

import pytest

from neuromodels import Neuron, NeuronCollection, NotFound, NotSupported, Project
from neuromodels.backends.neuromorpho import resources


def a_mouse(neuromorpho):
    return NeuronCollection(species="mouse").fetch(limit=1)[0]


def test_fetch_by_id_and_name_with_typed_metadata(neuromorpho):
    some = a_mouse(neuromorpho)
    n = Neuron.fetch(some.id)
    assert n.name == some.name and len(n.nodes) > 3
    assert (n.nodes["parent_id"] == -1).sum() >= 1
    assert isinstance(n.extra["brain_region"], list)
    assert n.extra["soma_surface"] is None or isinstance(n.extra["soma_surface"], float)
    assert Neuron.fetch(name=n.name).id == n.id


def test_collection_filters_and_count(neuromorpho):
    mice = NeuronCollection(species="mouse").fetch()
    assert mice and all(m.extra["species"] == "mouse" for m in mice)
    assert all(m.nodes is None for m in mice)  # metadata only by default
    either = NeuronCollection(species=["mouse", "rat"]).count()
    assert either == NeuronCollection(species="mouse").count() + NeuronCollection(species="rat").count()
    wild = NeuronCollection(neuron_name=mice[0].name[:4] + "*").fetch()
    assert mice[0].id in [n.id for n in wild]
    with pytest.raises(ValueError, match="unknown filter 'colour'"):
        NeuronCollection(colour="blue").fetch()


def test_load_nodes_is_one_parallel_step(neuromorpho, bundled):
    mice = NeuronCollection(species="mouse").fetch()
    before = bundled.requests
    mice.load_nodes()
    assert all(len(m.nodes) > 3 for m in mice)
    assert bundled.requests - before == len(mice)  # exactly one request per SWC file


def test_paging_complete(neuromorpho, monkeypatch):
    everything = NeuronCollection().fetch()
    for page in (5, 7, len(everything), len(everything) - 1, len(everything) + 1):
        monkeypatch.setattr(resources.NeuroMorphoNeuron, "paging", resources.PageNumberPaging(size=page))
        assert [n.id for n in NeuronCollection().fetch()] == [n.id for n in everything]
    assert NeuronCollection().count() == len(everything)


def test_ids_keep_order_and_report_missing(neuromorpho):
    all_ids = [n.id for n in NeuronCollection().fetch(limit=4)]
    got = NeuronCollection(ids=all_ids[::-1]).fetch()
    assert [n.id for n in got] == all_ids[::-1]
    with pytest.raises(NotFound) as info:
        NeuronCollection(ids=[all_ids[0], 999999999]).fetch()
    assert info.value.missing == [999999999]


def test_missing_swc_html_page_is_not_found(neuromorpho, bundled):
    with pytest.raises(NotFound, match="no SWC file"):
        Neuron.fetch(1003)


def test_unknown_neuron_keeps_server_message(neuromorpho):
    with pytest.raises(NotFound, match="Requested neuron not found"):
        Neuron.fetch(999999999)


def test_morphometry(neuromorpho):
    values = a_mouse(neuromorpho).morphometry()
    assert isinstance(values["surface"], float)


def test_read_only(neuromorpho):
    n = a_mouse(neuromorpho)
    for call in (lambda: n.update(name="x"), lambda: n.delete(), lambda: Neuron(name="x").save()):
        with pytest.raises(NotSupported, match="read-only"):
            call()
    with pytest.raises(NotSupported, match="archives"):
        Project.fetch(1)


def test_polite_default_parallelism(neuromorpho):
    assert neuromorpho.max_workers == 4
