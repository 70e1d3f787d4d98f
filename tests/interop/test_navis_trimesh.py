"""navis and trimesh conversions: round trips keep nodes, topology, connectors, tags, soma,
name, id and units; meshes keep their shape; the packages stay optional."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from neuromodels import Connection, Neuron, NeuronCollection, Volume
from neuromodels.interop import MissingExtra
from neuromodels.testing import serve

SWC = """1 1 0 0 0 5 -1
2 3 10 0 0 1 1
3 3 20 0 0 1 2
4 3 20 10 0 1 3
5 3 20 -10 0 1 3
6 3 30 10 5 1 4
"""


def sample() -> Neuron:
    n = Neuron.from_swc(SWC, name="demo", id=77)
    n.tags = {"ends": [5, 6], "TODO": [4]}
    n.connectors = pd.DataFrame({"node_id": [2, 4, 6], "connector_id": [100, 101, 102],
                                 "relation": ["presynaptic_to", "postsynaptic_to", "gapjunction_with"],
                                 "x": [10.0, 20.0, 30.0], "y": [0.0, 10.0, 10.0], "z": [0.0, 0.0, 5.0]})
    return n


def edges(nodes: pd.DataFrame) -> set[tuple[tuple[float, ...], tuple[float, ...]]]:
    """Parent-child pairs by position: topology independent of node ids."""
    pos = {int(r.node_id): (r.x, r.y, r.z) for r in nodes.itertuples()}
    return {(pos[int(r.node_id)], pos.get(int(r.parent_id))) for r in nodes.itertuples()}


def test_to_navis_carries_everything():
    navis = pytest.importorskip("navis")
    tn = sample().to_navis(units="1 micrometer")
    assert isinstance(tn, navis.TreeNeuron)
    assert (tn.name, tn.id, tn.n_nodes) == ("demo", 77, 6)
    assert str(tn.units) == "1 micrometer"
    assert tn.soma == 1  # the SWC soma node
    assert tn.tags == {"ends": [5, 6], "TODO": [4]}
    assert len(tn.presynapses) == 1 and len(tn.postsynapses) == 1
    assert tn.cable_length == pytest.approx(10 + 10 + 10 + 10 + np.sqrt(125))
    assert tn.nodes.loc[tn.nodes.node_id == 1, "label"].item() == 1  # SWC type kept beside navis' classes


def test_soma_tag_wins_over_swc_type():
    pytest.importorskip("navis")
    n = sample()
    n.tags = {"soma": [3]}
    assert n.to_navis().soma == 3


def test_round_trip_keeps_nodes_topology_connectors_tags():
    pytest.importorskip("navis")
    original = sample()
    back = Neuron.from_navis(original.to_navis(units="1 nanometer"))
    assert back.id is None and back.extra["navis_id"] == 77  # a new neuron, ready to save
    assert back.name == "demo" and back.extra["units"] == "1 nanometer"
    pd.testing.assert_frame_equal(back.nodes, original.nodes)
    pd.testing.assert_frame_equal(back.connectors, original.connectors)
    # the SWC soma node navis reports (type 1, the root) comes back as CATMAID's soma tag
    assert back.tags == {**original.tags, "soma": [1]}


def test_from_navis_reads_pymaid_style_connector_codes():
    navis = pytest.importorskip("navis")
    tn = navis.TreeNeuron(Neuron.from_swc(SWC).nodes.drop(columns=["type"]), name="x")
    tn.connectors = pd.DataFrame({"node_id": [2, 3], "connector_id": [5, 6], "type": [0, 1],
                                  "x": [1.0, 2.0], "y": [0.0, 0.0], "z": [0.0, 0.0]})
    back = Neuron.from_navis(tn)
    assert back.connectors["relation"].tolist() == ["presynaptic_to", "postsynaptic_to"]
    with pytest.raises(TypeError, match="TreeNeuron"):
        Neuron.from_navis("not a neuron")


def test_collection_round_trip_through_a_bundled_catmaid():
    navis = pytest.importorskip("navis")
    with serve("catmaid") as server, Connection(server.url, backend="catmaid", project=server.project,
                                                 token=server.token, progress=False):
        first = sample()
        first.id, first.connectors = None, None  # CATMAID stores connectors as models of their own
        saved = NeuronCollection([first, Neuron.from_swc(SWC, name="second")]).save()
        fetched = NeuronCollection(ids=[n.id for n in saved]).fetch(nodes=False)
        nl = fetched.to_navis()  # loads the nodes in one bulk step first
        assert isinstance(nl, navis.NeuronList) and len(nl) == 2
        assert [tn.id for tn in nl] == [n.id for n in saved]
        assert all(str(tn.units) == "1 nanometer" for tn in nl)
        assert nl[0].tags == {t: sorted(v) for t, v in saved[0].tags.items()}
        again = NeuronCollection.from_navis(nl)
        assert all(n.id is None and n.connectors is None for n in again)  # (none on the server)
        again.save()
        for a, b in zip(saved, NeuronCollection(ids=[n.id for n in again]).fetch()):
            assert edges(a.nodes) == edges(b.nodes)
            assert sorted(map(len, b.tags.values())) == sorted(map(len, (a.tags or {}).values()))


def test_volume_trimesh_round_trip_through_a_bundled_catmaid():
    trimesh = pytest.importorskip("trimesh")
    box = trimesh.creation.box(extents=(2.0, 4.0, 6.0))
    with serve("catmaid") as server, Connection(server.url, backend="catmaid", project=server.project,
                                                 token=server.token, progress=False):
        volume = Volume.from_trimesh(box, name="box", comment="a box").save()
        mesh = Volume.fetch(volume.id).to_trimesh()
    assert isinstance(mesh, trimesh.Trimesh)
    assert mesh.is_watertight and mesh.volume == pytest.approx(48.0)
    assert mesh.metadata["name"] == "box" and mesh.metadata["id"] == volume.id
    with pytest.raises(ValueError, match="no mesh"):
        Volume(name="empty").to_trimesh()
    with pytest.raises(TypeError, match="vertices and faces"):
        Volume.from_trimesh(object(), name="x")


def test_volume_to_navis():
    navis = pytest.importorskip("navis")
    trimesh = pytest.importorskip("trimesh")
    v = Volume.from_trimesh(trimesh.creation.box(), name="LH").to_navis()
    assert isinstance(v, navis.Volume) and v.name == "LH"


def test_import_neuromodels_imports_none_of_the_extras():
    code = ("import sys, neuromodels; from neuromodels import Neuron, Volume; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'navis', 'trimesh', 'dask'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("package,call", [
    ("navis", lambda: sample().to_navis()),
    ("navis", lambda: Neuron.from_navis(None)),
    ("navis", lambda: NeuronCollection([sample()]).to_navis()),
    ("trimesh", lambda: Volume(vertices=[[0, 0, 0]] * 3, faces=[[0, 1, 2]]).to_trimesh()),
])
def test_a_missing_extra_says_what_to_install(monkeypatch, package, call):
    monkeypatch.setitem(sys.modules, package, None)  # import now fails as if not installed
    with pytest.raises(MissingExtra, match=rf"pip install 'neuromodels-client\[{package}\]'") as info:
        call()
    assert isinstance(info.value, ImportError)
