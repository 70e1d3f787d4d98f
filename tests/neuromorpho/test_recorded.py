"""A NeuroMorpho.org scenario replayed from a cassette recorded against the bundled server
(re-record: ``pytest tests/neuromorpho/test_recorded.py --record-mode=rewrite``)."""

import pytest

from neuromodels import Connection, Neuron, NeuronCollection

pytestmark = pytest.mark.vcr


def test_select_and_swc(neuromorpho_target):
    with Connection(neuromorpho_target["url"], backend="neuromorpho", max_workers=1, retries=0, progress=False):
        mice = NeuronCollection(species="mouse", sort="neuron_id").fetch()
        assert [n.extra["species"] for n in mice] == ["mouse"] * len(mice)
        n = Neuron.fetch(mice[0].id)
        assert len(n.nodes) > 3 and n.nodes["parent_id"].iloc[0] == -1


def test_misspelt_value_and_table(neuromorpho_target):
    from neuromodels import NotFound

    with Connection(neuromorpho_target["url"], backend="neuromorpho", max_workers=1, retries=0, progress=False):
        with pytest.raises(NotFound, match="did you mean 'rat'"):
            NeuronCollection(species="rta").fetch()
        df = NeuronCollection(species="rat", sort="neuron_id").fetch().to_dataframe()
        assert list(df.columns[:4]) == ["id", "name", "archive", "species"] and (df["species"] == "rat").all()
