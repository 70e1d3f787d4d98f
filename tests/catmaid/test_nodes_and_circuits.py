"""Node lookups (neuromodels.nodes), circuit queries on collections, raw requests and the
connector-without-links answer on CATMAID (any writable CATMAID; the bundled server by default)."""

import uuid

import pytest

from neuromodels import (
    Connection,
    Connector,
    ConnectorCollection,
    Neuron,
    NeuronCollection,
    NotFound,
    NotSupported,
    Volume,
)
from neuromodels import nodes

SWC = "1 1 {x} 0 0 5 -1\n2 3 {x1} 0 0 5 1\n3 3 {x2} 0 0 5 2\n"


def box(lo, hi):
    (x0, y0, z0), (x1, y1, z1) = lo, hi
    vertices = [[x, y, z] for x in (x0, x1) for y in (y0, y1) for z in (z0, z1)]
    faces = [[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
             [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]]
    return Volume(name=f"box {uuid.uuid4().hex[:8]}", vertices=vertices, faces=faces).save()


@pytest.fixture
def circuit(catmaid):
    """a -> b twice (x 15000), b -> c once (x 25000), a - c gap junction (x 20000)."""
    tag = f"circ {uuid.uuid4().hex[:8]}"
    made = [Neuron.from_swc(SWC.format(x=10000 * (k + 1), x1=10000 * (k + 1) + 100, x2=10000 * (k + 1) + 200),
                            name=f"{tag} {name}").save() for k, name in enumerate("abc")]
    a, b, c = made
    node = {n.name[-1]: n.nodes.sort_values("node_id").node_id.astype(int).tolist() for n in made}
    connectors = [
        Connector(x=15000, y=0, z=0, links=[(node["a"][0], "presynaptic_to"), (node["b"][0], "postsynaptic_to")]),
        Connector(x=15100, y=0, z=0, links=[(node["a"][1], "presynaptic_to"), (node["b"][1], "postsynaptic_to")]),
        Connector(x=25000, y=0, z=0, links=[(node["b"][2], "presynaptic_to"), (node["c"][0], "postsynaptic_to")]),
        Connector(x=20000, y=0, z=0, links=[(node["a"][2], "gapjunction_with"), (node["c"][1], "gapjunction_with")]),
    ]
    for con in connectors:
        con.save()
    yield a, b, c, node, connectors
    for con in connectors:
        try:
            con.delete()
        except NotFound:
            pass
    for n in made:
        n.delete()


def test_partners_of_a_collection_in_one_request_with_gap_junctions(catmaid, circuit):
    a, b, c, _, _ = circuit
    table = NeuronCollection([a, b]).partners(kinds=["upstream", "downstream", "gapjunction", "attachment"])
    rows = sorted(table[["neuron", "skeleton_id", "direction", "n_synapses"]].itertuples(index=False, name=None))
    assert rows == sorted([(a.id, b.id, "downstream", 2), (a.id, c.id, "gapjunction", 1),
                           (b.id, a.id, "upstream", 2), (b.id, c.id, "downstream", 1)])
    assert set(table.name) == {b.name, c.name, a.name} and table.n_nodes.eq(3).all()
    assert len(NeuronCollection([a, b]).partners(min_synapses=2)) == 2
    with pytest.raises(ValueError, match="did you mean 'gapjunction'"):
        NeuronCollection([a]).partners(kinds=["gapjunctions"])


def test_partners_within_a_volume(catmaid, circuit):
    a, b, c, _, _ = circuit
    volume = box((14000, -50, -50), (16000, 50, 50))
    try:
        table = NeuronCollection([a, b]).partners(volume=volume.id)
        rows = sorted(table[["neuron", "skeleton_id", "direction", "n_synapses"]].itertuples(index=False, name=None))
        assert rows == sorted([(a.id, b.id, "downstream", 2), (b.id, a.id, "upstream", 2)])
    finally:
        volume.delete()


def test_nth_partners_paths_counts_and_connectors_between(catmaid, circuit):
    a, b, c, _, _ = circuit
    assert NeuronCollection([a]).nth_partners(1).skeleton_id.tolist() == [b.id]
    assert sorted(NeuronCollection([a]).nth_partners(2).skeleton_id) == sorted([b.id, c.id])
    assert NeuronCollection([a]).nth_partners(1).name.tolist() == [b.name]
    assert NeuronCollection([a]).paths_to([c], n_hops=2) == [[a.id, b.id, c.id]]
    assert NeuronCollection([a]).paths_to([c], n_hops=1) == []
    assert NeuronCollection([a]).paths_to([b], min_synapses=3) == []
    counts = NeuronCollection([a, b, c]).connectivity_counts()
    assert counts["presynaptic_to"].to_dict() == {a.id: 2, b.id: 1, c.id: 0}
    gj = NeuronCollection([a, b, c]).connectivity_counts(source_relations=["gapjunction_with"],
                                                          target_relations=["gapjunction_with"])
    assert gj["gapjunction_with"].to_dict() == {a.id: 1, b.id: 0, c.id: 1}
    between = NeuronCollection([a]).connectors_between([b])
    assert len(between) == 2 and set(between.skeleton1_id) == {a.id} and set(between.skeleton2_id) == {b.id}
    assert between.connector_x.tolist() == [15000.0, 15100.0]
    assert len(NeuronCollection([b]).connectors_between([a])) == 0
    assert len(NeuronCollection([b]).connectors_between([a], directional=False)) == 2


def test_node_lookups(catmaid, circuit):
    a, b, c, node, connectors = circuit
    skeletons = nodes.skeletons([node["a"][1], node["c"][0]])
    assert skeletons.to_dict() == {node["a"][1]: a.id, node["c"][0]: c.id}
    with pytest.raises(NotFound) as missing:
        nodes.skeletons([node["a"][0], 987654321])
    assert missing.value.missing == [987654321]
    info = nodes.info([node["b"][0]])
    assert info.loc[0, "skeleton_id"] == b.id and info.loc[0, "neuron_name"] == b.name
    where = nodes.locations([node["a"][1], connectors[0].id])
    assert where[["x", "y", "z"]].values.tolist() == [[10100.0, 0, 0], [15000.0, 0, 0]]
    with pytest.raises(NotFound):
        nodes.locations([987654321])
    tag = f"t{uuid.uuid4().hex[:6]}"
    a.tags = {tag: [node["a"][2]]}
    a.update()
    found = nodes.find(tags=tag)
    assert found.node_id.tolist() == [node["a"][2]] and found.skeleton_id.tolist() == [a.id]
    assert nodes.find(ids=[node["b"][1]]).x.tolist() == [20100.0]
    assert len(nodes.find(neurons=[c.id])) == 3
    assert nodes.tags([node["a"][2], node["a"][0]]) == {node["a"][2]: [tag]}
    labels = nodes.labels()
    assert labels[labels.tag == tag][["skeleton_id", "node_id"]].values.tolist() == [[a.id, node["a"][2]]]
    with pytest.raises(ValueError, match="needs tags"):
        nodes.find()


def test_node_details_and_tables(catmaid, circuit):
    a, b, c, node, _ = circuit
    a.mark_reviewed([node["a"][0]])
    details = nodes.details([node["a"][0], node["a"][1]])
    assert len(details.loc[0, "reviewer_ids"]) == 1 and details.loc[1, "reviewer_ids"] == []
    assert str(details.creation_time.dt.tz) == "UTC" and (details.editor_id > 0).all()
    table = nodes.table([a.id, b.id])
    assert len(table) == 6 and set(table.neuron) == {a.id, b.id}
    assert {"creation_time", "edition_time", "editor_id", "reviewer_ids", "tags"} <= set(table.columns)


def test_nodes_in_a_box_and_in_a_volume_and_neurons_inside_a_mesh(catmaid, circuit):
    a, b, c, node, _ = circuit
    found = nodes.in_box((19950, -1, -1, 20250, 1, 1))
    assert sorted(found.node_id) == sorted(node["b"]) and set(found.skeleton_id) == {b.id}
    # a tetrahedron whose bounding box holds b's three nodes but whose mesh holds only the first two
    tetra = Volume(name=f"tetra {uuid.uuid4().hex[:8]}",
                   vertices=[[19900, -100, -100], [20350, -100, -100], [19900, 300, -100], [19900, -100, 300]],
                   faces=[[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]]).save()
    try:
        inside = nodes.in_volume(tetra.id)
        assert inside.node_id.tolist() == [node["b"][0], node["b"][1]]
        assert [n.id for n in NeuronCollection(inside=tetra.name).fetch(nodes=False)] == [b.id]
    finally:
        tetra.delete()


def test_raw_requests_and_the_connector_without_links(catmaid, circuit):
    a, b, c, node, connectors = circuit
    lonely = Connector(x=40000, y=0, z=0, links=[]).save()
    try:
        pid = catmaid.project
        catmaid.post(f"/{pid}/label/connector/{connectors[0].id}/update", data={"tags": "ctag", "delete_existing": False})
        assert nodes.tags([connectors[0].id], connectors=True) == {connectors[0].id: ["ctag"]}
        rows = catmaid.post(f"/{pid}/connectors/in-bounding-box", read=True, data={
            "minx": 39000, "miny": -1, "minz": -1, "maxx": 41000, "maxy": 1, "maxz": 1,
            "with_locations": True, "with_links": True})
        assert rows == [[lonely.id, 40000.0, 0.0, 0.0] + [None] * 7]  # CATMAID's left join
        (found,) = ConnectorCollection(bbox=(39000, -1, -1, 41000, 1, 1)).fetch()
        assert found.id == lonely.id and found.links == []
        assert catmaid.get(f"/{pid}/skeleton/{a.id}/neuronname")["neuronname"] == a.name
        with pytest.raises(NotFound):
            catmaid.get(f"/{pid}/volumes/987654321/")
        with pytest.raises(ValueError, match="start at the server's root"):
            catmaid.get("http://elsewhere.example/1/skeletons/")
        with pytest.raises(TypeError, match="JSON text"):
            catmaid.post(f"/{pid}/x", data={"nested": {"a": 1}})
    finally:
        lonely.delete()


def test_other_backends_refuse_with_a_reason():
    with Connection("http://127.0.0.1:9", backend="neuromorpho") as conn:
        with pytest.raises(NotSupported, match="query the nodes of"):
            nodes.skeletons([1], connection=conn)
        with pytest.raises(NotSupported, match="query the circuits of"):
            NeuronCollection([Neuron(id=1)]).nth_partners(connection=conn)
        with pytest.raises(NotSupported, match="raw requests"):
            conn.get("/api/neuron")


def test_raw_requests_retry_reads_not_writes(bundled):
    from neuromodels import ServerError
    from neuromodels.testing import Fault

    with Connection(bundled.url, backend="catmaid", project=bundled.project, token=bundled.token, retries=2,
                    backoff=0.01, progress=False, timeout=10) as conn:
        pid = conn.project
        bundled.add_fault(Fault("status", status=502, path="annotations/", times=1))
        assert "annotations" in conn.get(f"/{pid}/annotations/", params={"simple": True})  # retried once
        bundled.add_fault(Fault("status", status=503, path="neuronnames", times=1))
        assert conn.post(f"/{pid}/skeleton/neuronnames", data={"skids": [987654]}, read=True) == {}
        before = bundled.sent("POST", "/volumes/add")
        bundled.add_fault(Fault("status", status=502, path="volumes/add", times=1))
        with pytest.raises(ServerError) as failed:
            conn.post(f"/{pid}/volumes/add", data={"title": "raw", "type": "trimesh", "mesh": "[[], []]"})
        assert bundled.sent("POST", "/volumes/add") == before + 1  # a write is sent once
        assert failed.value.status == 502 and failed.value.outcome_unknown
