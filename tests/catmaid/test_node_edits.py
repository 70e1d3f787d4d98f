"""Node-table edits on CATMAID: ``n.nodes`` edited, ``n.update()`` sends the difference through
the node endpoints with the state checks the server asks for (bundled server: it checks states
as CATMAID does, and counts requests)."""

import re

import numpy as np
import pandas as pd
import pytest

from neuromodels import Conflict, Connection, Connector, Neuron

# a1 root -> a2 -> a3 (branch) -> a4 leaf;  a3 -> a5 -> a6 leaf
SWC = """1 1 0 0 0 10 -1
2 3 100 0 0 10 1
3 3 200 0 0 10 2
4 3 300 0 0 10 3
5 3 200 100 0 10 3
6 3 200 200 0 10 5
"""
WRITES = r"/(treenode/create|treenode/insert|node/update|treenodes?/.*radius|treenodes/\d+/(confidence|parent)|treenode/delete)"


@pytest.fixture
def conn(bundled):
    with Connection(bundled.url, backend="catmaid", project=bundled.project, token=bundled.token, timeout=10,
                    retries=0, progress=False) as c:
        yield c


@pytest.fixture
def neuron(conn):
    n = Neuron.from_swc(SWC, name="edited").save()
    yield Neuron.fetch(n.id)
    try:
        Neuron().delete(id=n.id)
    except Exception:  # noqa: BLE001 - already gone in some tests
        pass


def ids(n):
    """SWC ids 1..6 -> server node ids (the import keeps their order)."""
    by_x = n.nodes.sort_values("node_id")["node_id"].tolist()
    return dict(zip(range(1, 7), by_x))


def server_nodes(bundled, skid):
    rows = bundled._app.db.read(
        "SELECT id, COALESCE(parent_id, -1), x, y, z, radius, confidence "
        "FROM treenode WHERE skeleton_id = ? ORDER BY id", (skid,))
    return pd.DataFrame(rows, columns=["node_id", "parent_id", "x", "y", "z", "radius", "confidence"])


def counts(bundled, before):
    """Requests per endpoint since ``before`` (an index into the server log)."""
    result = {}
    for method, path in list(bundled.log)[before:]:
        key = path.split("/", 2)[-1]
        key = "/".join("{id}" if part.isdigit() else part for part in key.split("/"))
        result[key] = result.get(key, 0) + 1
    return result


def test_every_kind_of_edit_in_as_few_requests_as_catmaid_allows(bundled, neuron):
    i = ids(neuron)
    nodes = neuron.nodes.copy()
    nodes.loc[nodes.node_id.isin([i[2], i[4]]), "x"] += 50          # move two nodes
    nodes.loc[nodes.node_id.isin([i[2], i[3]]), "radius"] = [3.5, 7.0]  # two radii
    nodes.loc[nodes.node_id == i[4], "confidence"] = 2                # one confidence
    nodes = nodes[~nodes.node_id.isin([i[5], i[6]])]                   # remove the twig a5-a6
    branch = pd.DataFrame({"node_id": [-11, -12], "parent_id": [i[4], -11], "x": [400.0, 500.0], "y": [0.0, 0.0],
                           "z": [0.0, 0.0], "radius": [2.0, 2.5], "confidence": [5, 4]})
    neuron.nodes = pd.concat([nodes, branch], ignore_index=True)        # add a two-node branch
    before = len(bundled.log)
    neuron.update()
    sent = counts(bundled, before)
    assert sent.pop("node/list") == 1                 # one read of the state
    assert sent.pop("treenode/create") == 2           # parents first
    assert sent.pop("node/update") == 1               # every move at once
    assert sent.pop("treenodes/radius") == 1          # every radius at once (and the new 2.5)
    assert sent.pop("treenodes/{id}/confidence") == 1
    assert sent.pop("treenode/delete") == 2           # leaf first, then its parent
    assert sent.pop("skeletons/compact-detail") == 1  # the server's table replaces ours
    assert sent == {}
    stored = server_nodes(bundled, neuron.id).set_index("node_id")
    assert len(stored) == 6 and i[5] not in stored.index and i[6] not in stored.index
    assert stored.loc[i[2], "x"] == 150 and stored.loc[i[4], "x"] == 350
    assert stored.loc[i[2], "radius"] == 3.5 and stored.loc[i[3], "radius"] == 7.0
    assert stored.loc[i[4], "confidence"] == 2
    new = sorted(set(stored.index) - set(i.values()))
    assert stored.loc[new[0], "parent_id"] == i[4] and stored.loc[new[1], "parent_id"] == new[0]
    assert stored.loc[new[1], "radius"] == 2.5 and stored.loc[new[1], "confidence"] == 4  # not truncated
    # The model holds the server's ids now, and nothing is pending.
    assert sorted(neuron.nodes.node_id) == sorted(stored.index)
    assert neuron.changes() == {}
    before = len(bundled.log)
    neuron.update()
    assert len(bundled.log) == before  # nothing changed: no request


def test_removing_a_middle_node_reattaches_its_children(bundled, neuron):
    i = ids(neuron)
    nodes = neuron.nodes[neuron.nodes.node_id != i[3]].copy()
    nodes.loc[nodes.parent_id == i[3], "parent_id"] = i[2]  # what CATMAID does to the children
    neuron.nodes = nodes
    before = len(bundled.log)
    neuron.update()
    sent = counts(bundled, before)
    assert sent.get("treenode/delete") == 1 and "treenodes/{id}/parent" not in sent
    stored = server_nodes(bundled, neuron.id).set_index("node_id")
    assert stored.loc[i[4], "parent_id"] == i[2] and stored.loc[i[5], "parent_id"] == i[2]


def test_parent_changes_within_the_skeleton(bundled, neuron):
    i = ids(neuron)
    nodes = neuron.nodes.copy()
    # a6 moves under a4, and a5 (its old parent) under a2: shallowest first, never a cycle.
    nodes.loc[nodes.node_id == i[6], "parent_id"] = i[4]
    nodes.loc[nodes.node_id == i[5], "parent_id"] = i[2]
    neuron.nodes = nodes
    neuron.update()
    stored = server_nodes(bundled, neuron.id).set_index("node_id")
    assert stored.loc[i[6], "parent_id"] == i[4] and stored.loc[i[5], "parent_id"] == i[2]
    # Then the parent change is followed by a dependent one in a second update: fresh states.
    neuron.nodes.loc[neuron.nodes.node_id == i[6], "parent_id"] = i[5]
    neuron.update()
    assert server_nodes(bundled, neuron.id).set_index("node_id").loc[i[6], "parent_id"] == i[5]


def test_deleting_a_linked_node_sends_its_links(bundled, neuron):
    i = ids(neuron)
    c = Connector(x=1.0, y=2.0, z=3.0, links=[(i[6], "presynaptic_to")]).save()
    n = Neuron.fetch(neuron.id)
    assert len(n.connectors) == 1
    n.nodes = n.nodes[n.nodes.node_id != i[6]]
    n.update()
    assert i[6] not in set(server_nodes(bundled, n.id).node_id)
    assert len(n.connectors) == 0
    Connector().delete(id=c.id)


def test_stale_state_is_conflict_and_leaves_the_edit_pending(bundled, neuron):
    i = ids(neuron)
    other = Neuron.fetch(neuron.id)
    other.nodes.loc[other.nodes.node_id == i[2], "x"] += 7  # someone else moves a2
    other.update()
    neuron.nodes.loc[neuron.nodes.node_id == i[2], "y"] += 5
    neuron.nodes = neuron.nodes[neuron.nodes.node_id != i[6]]
    before = len(bundled.log)
    with pytest.raises(Conflict, match="changed on the server since"):
        neuron.update()
    assert not any(re.search(WRITES, p) for m, p in list(bundled.log)[before:])  # nothing sent
    assert set(neuron.changes()) == {"nodes"}
    stored = server_nodes(bundled, neuron.id).set_index("node_id")
    assert stored.loc[i[2], "x"] == 107 and i[6] in stored.index
    # Fetched again and redone, it goes through.
    fresh = Neuron.fetch(neuron.id)
    fresh.nodes.loc[fresh.nodes.node_id == i[2], "y"] += 5
    fresh.update()
    assert server_nodes(bundled, neuron.id).set_index("node_id").loc[i[2], "y"] == 5


def test_server_state_check_maps_to_conflict(bundled, neuron, monkeypatch):
    """A change between our read and our write is caught by the server's own check."""
    from neuromodels.backends.catmaid import edits

    i = ids(neuron)
    real = edits._read_state

    def read_then_someone_moves(*args, **kwargs):
        result = real(*args, **kwargs)
        monkeypatch.setattr(edits, "_read_state", real)  # the other writer reads normally
        with Connection(bundled.url, backend="catmaid", project=bundled.project, token=bundled.token):
            other = Neuron.fetch(neuron.id)
            other.nodes.loc[other.nodes.node_id == i[3], "x"] += 1
            other.update()
        return result

    monkeypatch.setattr(edits, "_read_state", read_then_someone_moves)
    neuron.nodes.loc[neuron.nodes.node_id == i[3], "x"] += 10
    with pytest.raises(Conflict, match="differs from the database state"):
        neuron.update()
    assert set(neuron.changes()) == {"nodes"}


def _set(n, node, column, value):
    n.nodes[column] = np.where(n.nodes.node_id == node, value, n.nodes[column])


@pytest.mark.parametrize("column,value,message", [
    ("parent_id", -1, "roots"),         # a second root
    ("parent_id", 4, "not a tree"),     # a2 under its own descendant a4
    ("x", np.nan, "finite"),
    ("confidence", 9, "confidence must be"),
])
def test_edits_catmaid_cannot_take_are_refused_before_any_write(bundled, neuron, column, value, message):
    i = ids(neuron)
    _set(neuron, i[2], column, i[value] if column == "parent_id" and value > 0 else value)
    before = len(bundled.log)
    with pytest.raises(ValueError, match=message):
        neuron.update()
    assert not any(re.search(WRITES, p) for m, p in list(bundled.log)[before:])


def test_tags_on_new_nodes_follow_their_server_ids(bundled, neuron):
    i = ids(neuron)
    leaf = pd.DataFrame({"node_id": [-5], "parent_id": [i[4]], "x": [999.0], "y": [0.0], "z": [0.0],
                         "radius": [1.0], "confidence": [5]})
    neuron.nodes = pd.concat([neuron.nodes, leaf], ignore_index=True)
    neuron.tags = {"ends": [-5], "soma": [i[1]]}
    neuron.update()
    new = neuron.nodes.loc[neuron.nodes.x == 999.0, "node_id"].item()
    assert new > 0 and neuron.tags == {"ends": [new], "soma": [i[1]]}
    assert Neuron.fetch(neuron.id).tags == {"ends": [new], "soma": [i[1]]}
    # A tag removed by editing the tags alone: no node request.
    neuron.tags = {"soma": [i[1]]}
    before = len(bundled.log)
    neuron.update()
    assert set(counts(bundled, before)) == {"label/treenode/{id}/update"}
    assert Neuron.fetch(neuron.id).tags == {"soma": [i[1]]}


def test_nodes_are_declared_writable():
    from neuromodels.backends.catmaid.resources import CatmaidNeuron

    assert "nodes" in CatmaidNeuron.writable and "field nodes" not in CatmaidNeuron.not_supported


def test_a_new_root_is_one_reroot_then_the_rest(bundled, neuron):
    i = ids(neuron)
    neuron.nodes.loc[neuron.nodes.node_id == i[3], "confidence"] = 2
    neuron.update()
    nodes = neuron.nodes.copy()
    # a6 becomes the root: the path a6 -> a5 -> a3 -> a2 -> a1 reverses; a1 also moves.
    flipped = {i[6]: -1, i[5]: i[6], i[3]: i[5], i[2]: i[3], i[1]: i[2]}
    nodes["parent_id"] = [flipped.get(n, p) for n, p in zip(nodes.node_id, nodes.parent_id)]
    nodes.loc[nodes.node_id == i[1], "x"] = -50.0
    neuron.nodes = nodes
    before = len(bundled.log)
    neuron.update()
    sent = counts(bundled, before)
    assert sent.pop("skeleton/reroot") == 1 and sent.pop("node/list") == 2 and sent.pop("node/update") == 1
    assert sent.pop("skeletons/compact-detail") == 1
    # CATMAID moved the confidences along the reversed path; they are put back as the table says.
    assert sent == {"treenodes/{id}/confidence": 2}
    stored = server_nodes(bundled, neuron.id).set_index("node_id")
    assert {n: stored.loc[n, "parent_id"] for n in flipped} == flipped
    assert stored.loc[i[1], "x"] == -50
    assert stored.loc[i[3], "confidence"] == 2 and (stored.drop(index=i[3])["confidence"] == 5).all()
    assert neuron.changes() == {}


def test_a_new_row_cannot_be_the_root(neuron):
    i = ids(neuron)
    extra = pd.DataFrame({"node_id": [-7], "parent_id": [-1], "x": [0.0], "y": [0.0], "z": [0.0],
                          "radius": [1.0], "confidence": [5]})
    nodes = neuron.nodes.copy()
    nodes.loc[nodes.node_id == i[1], "parent_id"] = -7
    neuron.nodes = pd.concat([nodes, extra], ignore_index=True)
    with pytest.raises(ValueError, match="new row"):
        neuron.update()


def test_a_node_put_on_an_edge_is_one_insert(bundled, neuron):
    i = ids(neuron)
    middle = pd.DataFrame({"node_id": [-20], "parent_id": [i[3]], "x": [200.0], "y": [50.0], "z": [0.0],
                           "radius": [3.0], "confidence": [4]})
    nodes = neuron.nodes.copy()
    nodes.loc[nodes.node_id == i[5], "parent_id"] = -20  # a3 -> new -> a5
    neuron.nodes = pd.concat([nodes, middle], ignore_index=True)
    before = len(bundled.log)
    neuron.update()
    sent = counts(bundled, before)
    assert sent == {"node/list": 1, "treenode/insert": 1, "skeletons/compact-detail": 1}
    stored = server_nodes(bundled, neuron.id).set_index("node_id")
    new = stored.loc[i[5], "parent_id"]
    assert new not in i.values() and stored.loc[new, "parent_id"] == i[3] and stored.loc[new, "confidence"] == 4


def test_an_existing_node_moved_under_a_new_one(bundled, neuron):
    i = ids(neuron)
    new = pd.DataFrame({"node_id": [-30], "parent_id": [i[4]], "x": [350.0], "y": [0.0], "z": [0.0],
                        "radius": [1.0], "confidence": [5]})
    nodes = neuron.nodes.copy()
    nodes.loc[nodes.node_id == i[6], "parent_id"] = -30  # a6 leaves a5 for a new child of a4
    neuron.nodes = pd.concat([nodes, new], ignore_index=True)
    before = len(bundled.log)
    neuron.update()
    sent = counts(bundled, before)
    assert sent.get("treenode/create") == 1 and sent.get("treenodes/{id}/parent") == 1
    stored = server_nodes(bundled, neuron.id).set_index("node_id")
    assert stored.loc[stored.loc[i[6], "parent_id"], "parent_id"] == i[4]


def test_tags_of_deleted_nodes_leave_with_them(bundled, neuron):
    i = ids(neuron)
    neuron.tags = {"ends": [i[6]], "soma": [i[1]]}
    neuron.update()
    neuron.nodes = neuron.nodes[neuron.nodes.node_id != i[6]]
    before = len(bundled.log)
    neuron.update()
    assert "label/treenode/{id}/update" not in counts(bundled, before)  # nothing to send for the gone tag
    assert neuron.tags == {"soma": [i[1]]} and Neuron.fetch(neuron.id).tags == {"soma": [i[1]]}
    assert neuron.changes() == {}


def test_node_edits_keep_tags_someone_else_added(bundled, neuron):
    i = ids(neuron)
    other = Neuron.fetch(neuron.id)
    other.tags = {"theirs": [i[2]]}
    other.update()
    neuron.nodes.loc[neuron.nodes.node_id == i[3], "x"] += 1  # a node edit, with a tag edit of ours
    neuron.tags = {"ours": [i[4]]}
    neuron.update()
    assert Neuron.fetch(neuron.id).tags == {"ours": [i[4]], "theirs": [i[2]]} == neuron.tags
