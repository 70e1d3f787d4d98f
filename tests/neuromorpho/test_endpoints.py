"""NeuroMorpho.org's endpoints beyond neurons, against the bundled server: vocabularies and
partitions, literature, morphometry of many neurons and by value, persistence vectors, original
files and PNG images. Inferred shapes (no client pins them): the partition object, pvec's keys,
the field-list keys of literature and morphometry, morphometry ranges in Solr's ``[a TO b]``."""

import numpy as np
import pytest

from neuromodels import Neuron, NeuronCollection, NotFound, NotSupported, ProtocolError
from neuromodels.backends import neuromorpho as nmo
from neuromodels.testing import Fault


def test_field_values_and_partition_agree_with_the_neurons(neuromorpho):
    species = nmo.field_values("species")
    counts = nmo.partition("species")
    assert sorted(species) == sorted(counts.index)
    for value in species:
        assert counts[value] == NeuronCollection(species=value).count()
    assert list(counts) == sorted(counts, reverse=True)
    with pytest.raises(ValueError, match="did you mean 'literature'"):
        nmo.field_values("journal", kind="literatur")
    with pytest.raises(NotSupported):
        nmo.partition("length", kind="morphometry")


def test_literature_select_article_and_vocabularies(neuromorpho):
    assert {"pmid", "journal", "brainRegion"} <= set(nmo.field_names("literature"))
    everything = nmo.literature()
    assert len(everything) == 36 and list(everything.title) == sorted(everything.title)
    rats = nmo.literature(species="rat", journal=["Neuron", "J Neurosci"])
    assert len(rats) > 0 and all("rat" in s for s in rats.species)
    one = nmo.article(rats.article_id.iloc[0])
    assert one["pmid"] == rats.pmid.iloc[0] and "_links" not in one
    journals = nmo.partition("journal", kind="literature")
    assert journals.sum() == len(everything)
    with pytest.raises(ValueError, match="did you mean 'journal'"):
        nmo.literature(jornal="Neuron")
    with pytest.raises(NotFound):
        nmo.article("ffffffffffffffffffffffff")


def test_morphometry_of_many_neurons_matches_one_by_one(neuromorpho):
    rats = NeuronCollection(species="rat").fetch()
    table = nmo.morphometry(rats)
    assert list(table.index) == [n.id for n in rats]
    first = rats[0].morphometry()
    assert table.loc[rats[0].id, "length"] == first["length"] and table["n_bifs"].dtype == float
    assert nmo.morphometry([]).empty
    with pytest.raises(TypeError, match="neuron id must be an int"):
        nmo.morphometry([1000, "x"])  # checked before any request


def test_morphometry_select_by_ranges(bundled, neuromorpho):
    assert {"n_bifs", "length", "soma_Surface"} <= set(nmo.field_names("morphometry"))
    table = nmo.morphometry_select(n_bifs=(10, 20), length=(None, 1500))
    assert len(table) > 0
    assert table["n_bifs"].between(10, 20).all() and table["length"].le(1500).all()
    again = nmo.morphometry(list(table.index))
    assert list(again.index) == list(table.index) and (again["length"] == table["length"]).all()
    assert nmo.morphometry_select(n_bifs=(10, 20), limit=2).shape[0] == 2
    with pytest.raises(ValueError, match="did you mean 'n_bifs'"):
        nmo.morphometry_select(n_bif=(1, 2))
    with pytest.raises(ValueError, match="needs at least one"):
        nmo.morphometry_select()


def test_persistence_vectors(neuromorpho):
    one = nmo.persistence_vector(1000)
    assert one.neuron_id == 1000 and len(one.coefficients) == 100 and one.distance > 0
    assert np.allclose(nmo.persistence_vector(name="cnic_000").coefficients, one.coefficients)
    table = nmo.persistence_vectors([1000, Neuron(id=1001)])
    assert table.shape == (2, 102) and table.loc[1000, "p0"] == one.coefficients[0]
    with pytest.raises(NotFound):
        nmo.persistence_vector(1003)  # no file, no vector


def test_original_file_and_png(neuromorpho, tmp_path):
    neuron = Neuron.fetch(1000, nodes=False)
    original = nmo.original_file(neuron, tmp_path / "cnic_000.asc")
    assert original.startswith(b"; cnic_000") and (tmp_path / "cnic_000.asc").read_bytes() == original
    image = nmo.png(1000, tmp_path / "cnic_000.png")
    assert image.startswith(b"\x89PNG\r\n\x1a\n") and (tmp_path / "cnic_000.png").stat().st_size == len(image)
    assert neuron.extra["png_url"].endswith("/images/imageFiles/Wearne_Hof/cnic_000.png")
    with pytest.raises(NotFound, match="no PNG image for jx_003"):
        nmo.png(1003)  # the file server answers with an HTML page


def test_a_cut_body_is_a_protocol_error(bundled, neuromorpho):
    fault = bundled.add_fault(Fault(path=r"/api/pvec/id/1001$", kind="truncate", when="after", times=10))
    try:
        with pytest.raises(ProtocolError):
            nmo.persistence_vector(1001)
    finally:
        fault.times = 0
