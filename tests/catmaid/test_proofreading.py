"""Proofreading on CATMAID: join, split, reroot, inner-node deletion and what changes() shows
(any writable CATMAID; the bundled server by default)."""

import uuid

import pandas as pd
import pytest

from neuromodels import Connection, Neuron, NotFound, NotSupported
from neuromodels.core.model import SaveState

CHAIN = "1 1 {x} 0 0 5 -1\n2 3 {x1} 0 0 5 1\n3 3 {x2} 0 0 5 2\n4 3 {x3} 0 0 5 3\n"


def chain(x, annotations=None):
    name = f"proofread {uuid.uuid4().hex[:8]}"
    return Neuron.from_swc(CHAIN.format(x=x, x1=x + 10, x2=x + 20, x3=x + 30), name=name,
                           annotations=annotations).save()


def by_x(n):
    return n.nodes.sort_values("x")["node_id"].astype(int).tolist()


@pytest.fixture
def made(catmaid):
    kept = []
    yield kept
    for n in kept:
        if n.state is not SaveState.DELETED:
            try:
                n.delete()
            except NotFound:
                pass


def test_join_merges_the_other_neuron_at_the_nodes_named(catmaid, made):
    a, b = chain(0, ["left"]), chain(100, ["right"])
    made += [a, b]
    a_tip, b_mid = by_x(a)[-1], by_x(b)[1]
    a.join(b, at=a_tip, other_at=b_mid)
    assert len(a.nodes) == 8 and b.state is SaveState.DELETED
    parents = a.nodes.set_index("node_id")["parent_id"]
    assert parents[b_mid] == a_tip  # the merged tree was rerooted at other_at
    assert sorted(a.annotations) == ["left", "right"]
    with pytest.raises(NotFound):
        Neuron.fetch(b.id)


def test_join_defaults_to_the_nearest_node_and_checks_ownership(catmaid, made):
    a, b = chain(0), chain(1000)
    made += [a, b]
    with pytest.raises(ValueError, match="belongs to skeleton"):
        a.join(b, at=by_x(b)[0], other_at=by_x(a)[0])
    with pytest.raises(ValueError, match="itself"):
        a.join(a, at=by_x(a)[0])
    a_tip, b_root = by_x(a)[-1], by_x(b)[0]
    a.join(b, at=a_tip)
    assert a.nodes.set_index("node_id").loc[b_root, "parent_id"] == a_tip


def test_split_makes_a_new_neuron_downstream_of_the_node(catmaid, made):
    n = chain(0, ["kept"])
    made.append(n)
    ids = by_x(n)
    part = n.split(at=ids[2], name="downstream part")
    made.append(part)
    assert sorted(n.nodes.node_id) == ids[:2] and sorted(part.nodes.node_id) == ids[2:]
    assert part.name == "downstream part" and Neuron.fetch(part.id).name == "downstream part"
    assert part.annotations == ["kept"] and n.annotations == ["kept"]
    assert part.nodes.set_index("node_id").loc[ids[2], "parent_id"] == -1
    with pytest.raises(ValueError, match="root"):
        n.split(at=ids[0])


def test_reroot_at_a_leaf_reverses_the_path(catmaid, made):
    n = chain(0)
    made.append(n)
    ids = by_x(n)
    n.reroot(ids[-1])
    parents = n.nodes.set_index("node_id")["parent_id"]
    assert parents[ids[-1]] == -1 and parents[ids[0]] == ids[1] and not n.changes()
    with pytest.raises(ValueError, match="not a node"):
        n.reroot(123456789)


def test_dropping_an_inner_node_reconnects_its_children_as_catmaid(catmaid, made):
    n = chain(0)
    made.append(n)
    ids = by_x(n)
    n.nodes = n.nodes[n.nodes.node_id != ids[1]]  # the child's parent_id still names the dropped node
    edits = n.changes()["nodes"]
    assert edits[["change", "node_id", "parent_id"]].values.tolist() == [["delete", ids[1], ids[0]]]
    n.update()
    assert Neuron.fetch(n.id).nodes.set_index("node_id").loc[ids[2], "parent_id"] == ids[0]


def test_changes_lists_each_edit_update_sends(catmaid, made):
    n = chain(0)
    made.append(n)
    ids = by_x(n)
    nodes = n.nodes.copy()
    nodes.loc[nodes.node_id == ids[3], "x"] = 55.0
    nodes.loc[nodes.node_id == ids[2], "radius"] = 9.0
    nodes = pd.concat([nodes, pd.DataFrame({"node_id": [-5], "parent_id": [ids[0]], "x": [1.0], "y": [2.0],
                                            "z": [3.0], "radius": [1.0], "confidence": [5]})], ignore_index=True)
    n.nodes = nodes
    table = n.changes()["nodes"]
    assert table[["change", "node_id"]].values.tolist() == [["create", -5], ["move", ids[3]], ["radius", ids[2]]]
    assert table.loc[0, "parent_id"] == ids[0] and table.loc[1, "x"] == 55.0
    n.update()
    assert not n.changes()


def test_a_parent_that_never_existed_is_named_as_not_in_the_node_table(catmaid, made):
    n = chain(0)
    made.append(n)
    nodes = n.nodes.copy()
    nodes.loc[nodes.node_id == by_x(n)[3], "parent_id"] = 987654321
    n.nodes = nodes
    with pytest.raises(ValueError, match="not in the node table"):
        n.update()


def test_other_backends_refuse_proofreading_with_a_reason():
    with Connection("http://127.0.0.1:9", backend="neuromorpho") as conn:
        with pytest.raises(NotSupported, match="join, split or reroot"):
            Neuron(id=5, name="x").split(at=1, connection=conn)


def test_changes_of_a_table_update_refuses_is_the_table_itself(catmaid, made):
    n = chain(0)
    made.append(n)
    ids = by_x(n)
    nodes = n.nodes.copy()
    nodes.loc[nodes.node_id == ids[1], "parent_id"] = ids[3]  # a cycle through ids[1..3]
    n.nodes = nodes
    assert n.changes()["nodes"] is n.nodes
    with pytest.raises(ValueError, match="not a tree"):
        n.update()
