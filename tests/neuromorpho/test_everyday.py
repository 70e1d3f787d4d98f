"""NeuroMorpho.org in everyday use: filter values checked against the server's own lists, user
values kept inside their path segment, and analysis-ready tables (bundled server)."""

import re

import numpy as np
import pandas as pd
import pytest

from neuromodels import Connection, Neuron, NeuronCollection, NotFound
from neuromodels.backends.neuromorpho import resources
from neuromodels.testing import Fault


@pytest.fixture
def fresh(bundled):
    """A connection of its own, so that what it reads once is read in this test."""
    with Connection(bundled.url, backend="neuromorpho", retries=0, progress=False) as conn:
        yield conn


def sent(server, method, pattern, since):
    return sum(1 for m, p in list(server.log)[since:] if m == method and re.search(pattern, p))


def test_unknown_value_is_not_found_with_close_matches_before_any_select(fresh, bundled):
    before = len(bundled.log)
    with pytest.raises(NotFound, match=r"species='mose' \(did you mean 'mouse'") as info:
        NeuronCollection(species="mose").fetch()
    assert info.value.missing == ["mose"]
    with pytest.raises(NotFound, match=r"brain_region='hipocampus' \(did you mean 'hippocampus'\?\)"):
        NeuronCollection(species="rat", brain_region=["neocortex", "hipocampus"]).count()
    with pytest.raises(NotFound, match="/api/neuron/fields/cell_type"):
        NeuronCollection(cell_type="zzzz").fetch()
    assert sent(bundled, "POST", r"/select$", before) == 0


def test_values_read_once_per_field_and_connection(fresh, bundled):
    before = len(bundled.log)
    for _ in range(3):
        NeuronCollection(species="mouse").count()
        NeuronCollection(species=["rat", "human"], archive="Jones").fetch()
    assert sent(bundled, "GET", r"/fields/species$", before) == 1
    assert sent(bundled, "GET", r"/fields/archive$", before) == 1
    with Connection(bundled.url, backend="neuromorpho", progress=False):
        NeuronCollection(species="mouse").count()
    assert sent(bundled, "GET", r"/fields/species$", before) == 2


def test_wildcards_numbers_and_case_are_not_refused(fresh, bundled):
    mice = NeuronCollection(species="mouse").count()
    before = len(bundled.log)
    assert NeuronCollection(species="mou*").count() == mice
    assert sent(bundled, "GET", r"/fields/", before) == 0  # a wildcard alone asks for no value list
    assert NeuronCollection(species="Mouse").count() == mice  # the server matches case-insensitively
    assert NeuronCollection(species=np.array(["mouse", "rat"])).count() == mice + NeuronCollection(species="rat").count()
    assert NeuronCollection(soma_surface=123456.0).count() == 0  # numbers are not checked


def test_every_page_of_values_is_read_and_huge_lists_are_not_checked(fresh, bundled, monkeypatch):
    monkeypatch.setattr(resources, "PAGE", 5)  # 36 names: 8 pages of values
    last = NeuronCollection().fetch()[-1].name
    before = len(bundled.log)
    assert [n.name for n in NeuronCollection(neuron_name=last).fetch()] == [last]  # on the last page
    assert sent(bundled, "GET", r"/fields/neuron_name$", before) == 8
    with pytest.raises(NotFound, match="did you mean"):
        NeuronCollection(neuron_name=last + "9").fetch()
    with Connection(bundled.url, backend="neuromorpho", progress=False):
        monkeypatch.setattr(resources, "MAX_VALUE_PAGES", 4)  # an identifier, not a vocabulary
        assert NeuronCollection(neuron_name=last + "9").count() == 0


def test_a_server_without_value_lists_still_answers(fresh, bundled):
    bundled.add_fault(Fault("status", status=404, method="GET", path=r"/fields/species$"))
    assert NeuronCollection(species="mose").count() == 0  # unchecked, as the server answers


@pytest.mark.parametrize("name", ["cnic_000#x", "cnic_000?x=1", "cnic%5F000", "cnic_000 ", "cnic_000;x"])
def test_names_stay_in_their_path_segment(neuromorpho, bundled, name):
    assert Neuron.fetch(name="cnic_000", nodes=False).id == 1000  # the neuron all of these resemble
    before = len(bundled.log)
    with pytest.raises(NotFound, match="Requested neuron not found"):
        Neuron.fetch(name=name)
    assert list(bundled.log)[before:] == [("GET", "/api/neuron/name/" + name)]


@pytest.mark.parametrize("name", ["..", ".", "cnic_000/../..", "../id/1000", "", "a\x00b"])
def test_names_that_cannot_be_one_segment_are_refused_unsent(neuromorpho, bundled, name):
    before = bundled.requests
    with pytest.raises(ValueError):
        Neuron.fetch(name=name)
    assert bundled.requests == before


def test_table_has_typed_metadata_columns(neuromorpho):
    mice = NeuronCollection(species="mouse").fetch()
    df = mice.to_dataframe()
    assert list(df.columns[:6]) == ["id", "name", "archive", "species", "brain_region", "cell_type"]
    assert (df["species"] == "mouse").all() and list(df["id"]) == [n.id for n in mice]
    assert all(isinstance(v, list) and v for v in df["brain_region"])  # lists kept as lists
    assert df["brain_region"].explode().str.len().gt(0).all()
    for column in ("soma_surface", "surface", "volume", "min_age"):
        assert pd.api.types.is_float_dtype(df[column]), column
    assert pd.api.types.is_datetime64_any_dtype(df["upload_date"])
    assert df["upload_date"].iloc[0] == pd.Timestamp("2013-01-25")
    # No column empty on every row: CATMAID's fields and the always-blank ones are left out.
    assert not set(df.columns) & {"neuron_id", "connectors", "tags", "annotations", "extra", "note", "n_nodes",
                                  "reported_value", "_links"}
    assert not df.isna().all().any()
    assert "min_weight" not in df.columns  # "Not reported" on every row is missing, not a number


def test_table_counts_nodes_once_loaded(neuromorpho):
    mice = NeuronCollection(species="human").fetch(limit=3)
    mice.load_nodes()
    df = mice.to_dataframe()
    assert list(df["n_nodes"]) == [len(n.nodes) for n in mice] and (df["n_nodes"] > 3).all()


def test_morphometry_and_records_are_structured_by_the_converter(neuromorpho):
    from neuromodels.backends.neuromorpho import converter as cv

    page = cv.converter.structure({"page": {"totalElements": 0, "totalPages": 0}}, cv.NeuronPage)
    assert page.neurons == [] and page.total == 0
    n = cv.converter.structure({"neuron_id": 7, "neuron_name": "x", "soma_surface": "Not reported",
                                "brain_region": "CA1", "_links": {}}, Neuron)
    assert (n.id, n.name, n.extra) == (7, "x", {"soma_surface": None, "brain_region": ["CA1"]})
    assert cv.select_body({"species": [np.str_("rat")], "neuron_id": [np.int64(5)]}) == {"species": ["rat"], "neuron_id": [5]}
    assert type(cv.select_body({"neuron_id": [np.int64(5)]})["neuron_id"][0]) is int


def test_sort_field_and_direction_checked_before_any_select(fresh, bundled):
    before = len(bundled.log)
    with pytest.raises(ValueError, match=r"no field 'neuron_nam' \(did you mean 'neuron_name'"):
        NeuronCollection(species="rat", sort="neuron_nam").fetch()
    with pytest.raises(ValueError, match="'asc' or 'desc'"):
        NeuronCollection(sort="neuron_name,down").fetch()
    assert sent(bundled, "POST", r"/select$", before) == sent(bundled, "GET", r"^/api/neuron$", before) == 0
    ids = [n.id for n in NeuronCollection(sort="neuron_id,DESC").fetch(limit=3)]
    assert ids == sorted(ids, reverse=True)


def test_a_value_list_that_cannot_be_read_is_a_protocol_error_naming_it(fresh, bundled):
    from neuromodels import ProtocolError

    before = len(bundled.log)
    bundled.add_fault(Fault("truncate", method="GET", path=r"/fields/species$"))
    with pytest.raises(ProtocolError) as info:
        NeuronCollection(species="mouse").fetch()
    assert (info.value.method, info.value.path) == ("GET", "/api/neuron/fields/species")
    with pytest.raises(NotFound):  # not remembered as "unchecked": the list is read again
        NeuronCollection(species="mose").count()
    assert sent(bundled, "GET", r"/fields/species$", before) == 2
