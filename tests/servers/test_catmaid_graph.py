"""The bundled CATMAID's graph and node-lookup answers in the shapes of the pymaid-more captures
(shared/reference/catmaid/pymaid-more 011, 017, 018, 021, 022, 067, 070, 075)."""

from __future__ import annotations

import json

import pytest
import requests

from neuromodels.testing import serve

from .test_catmaid_edits import Client, upload

CHAIN = "1 0 {x} 0 0 10 -1\n2 0 {x1} 0 0 10 1\n3 0 {x2} 0 0 10 2\n"


@pytest.fixture(scope="module")
def scene():
    """A -> B twice, B -> C once, C -> D once; an A - C gap junction; a connector without links."""
    with serve("catmaid") as server:
        c = Client(server)
        made = {}
        for k, name in enumerate("ABCD"):
            x = 10000 * (k + 1)
            skid, nodes = upload(c, CHAIN.format(x=x, x1=x + 100, x2=x + 200), f"neuron {name}")
            made[name] = (skid, [nodes[1], nodes[2], nodes[3]])

        def connector(x, *links):
            cid = c.post("/connector/create", x=x, y=0, z=0, confidence=5)["connector_id"]
            for node, relation in links:
                c.post("/link/create", from_id=node, to_id=cid, link_type=relation, state=json.dumps({"nocheck": True}))
            return cid

        n = {k: v[1] for k, v in made.items()}
        synapses = [connector(15000, (n["A"][0], "presynaptic_to"), (n["B"][0], "postsynaptic_to")),
                    connector(15100, (n["A"][1], "presynaptic_to"), (n["B"][1], "postsynaptic_to")),
                    connector(25000, (n["B"][2], "presynaptic_to"), (n["C"][0], "postsynaptic_to")),
                    connector(35000, (n["C"][2], "presynaptic_to"), (n["D"][0], "postsynaptic_to"))]
        gap = connector(20000, (n["A"][2], "gapjunction_with"), (n["C"][1], "gapjunction_with"))
        lonely = connector(50000)
        yield c, {k: v[0] for k, v in made.items()}, n, synapses, gap, lonely


def test_circles_of_hell(scene):
    c, skid, n, *_ = scene
    first = c.post("/graph/circlesofhell", n_circles=1, min_pre=1, min_post=1, **{"skeleton_ids[0]": skid["A"]})
    assert first == [[skid["B"]], {str(skid["B"]): "neuron B"}]
    second = c.post("/graph/circlesofhell", n_circles=2, min_pre=1, min_post=1, **{"skeleton_ids[0]": skid["A"]})
    assert sorted(second[0]) == sorted([skid["B"], skid["C"]]) and set(second[1]) == {str(skid["B"]), str(skid["C"])}
    # min_post counts synapses onto partners downstream: A makes 2 onto B
    assert c.post("/graph/circlesofhell", n_circles=1, min_pre=-1, min_post=3, **{"skeleton_ids[0]": skid["A"]}) == [[], {}]
    assert c.post("/graph/circlesofhell", n_circles=1, min_pre=-1, min_post=2, **{"skeleton_ids[0]": skid["A"]})[0] == [skid["B"]]
    bad = c.post("/graph/circlesofhell", status=400, n_circles=1, **{"skeleton_ids[0]": "abc"})
    assert bad["error"] == "invalid literal for int() with base 10: 'abc'" and bad["type"] == "ValueError"


def test_connectivity_counts(scene):
    c, skid, *_ = scene
    form = {f"skeleton_ids[{k}]": skid[name] for k, name in enumerate("ABCD")}
    answer = c.post("/skeletons/connectivity-counts", **form, **{"source_relations[0]": "presynaptic_to",
                                                                 "target_relations[0]": "postsynaptic_to"})
    (pre_id,) = answer["relations"]
    assert answer["relations"] == {pre_id: "presynaptic_to"}
    assert answer["connectivity"] == {str(skid["A"]): {pre_id: 2}, str(skid["B"]): {pre_id: 1},
                                      str(skid["C"]): {pre_id: 1}}  # D has no presynaptic link: absent
    gap = c.post("/skeletons/connectivity-counts", **form, **{"source_relations[0]": "gapjunction_with",
                                                              "target_relations[0]": "gapjunction_with"})
    (gap_id,) = gap["relations"]
    assert gap["connectivity"] == {str(skid["A"]): {gap_id: 1}, str(skid["C"]): {gap_id: 1}}
    none = c.post("/skeletons/connectivity-counts", **{"skeleton_ids[0]": skid["D"], "source_relations[0]": "presynaptic_to",
                                                         "target_relations[0]": "postsynaptic_to"})
    assert none == {"connectivity": {}, "relations": {}}


def test_node_count_of_an_unknown_node_is_a_500(scene):
    c, skid, n, *_ = scene
    assert c.get(f"/skeleton/node/{n['B'][1]}/node_count") == {"count": 3, "skeleton_id": skid["B"]}
    error = c.get("/skeleton/node/999999999/node_count", status=500)
    assert error["error"] == "Treenode matching query does not exist."


def test_connector_tags_comma_joined(scene):
    c, skid, n, synapses, gap, _ = scene
    c.post(f"/label/connector/{synapses[0]}/update", tags="ctag")
    c.post(f"/label/connector/{gap}/update", tags="ctag,gj")
    assert c.post("/labels-for-nodes", connector_ids=f"{synapses[0]},{gap}") == {str(synapses[0]): ["ctag"],
                                                                                 str(gap): ["ctag", "gj"]}


def test_connectors_in_a_box_without_links_are_a_row_of_nulls(scene):
    c, skid, n, synapses, gap, lonely = scene
    rows = c.post("/connectors/in-bounding-box", minx=14000, miny=-1, minz=-1, maxx=51000, maxy=1, maxz=1,
                  with_locations="true", with_links="true")
    assert [lonely, 50000.0, 0.0, 0.0, None, None, None, None, None, None, None] in rows
    assert all(len(r) == 11 for r in rows) and len([r for r in rows if r[0] == synapses[0]]) == 2
    ids = c.post("/connectors/in-bounding-box", minx=49000, miny=-1, minz=-1, maxx=51000, maxy=1, maxz=1)
    assert ids == [[lonely]]


def test_accounts_login_answers_the_tokens_user(scene):
    c, *_ = scene
    base = c.base.rsplit("/", 1)[0]
    me = c.session.get(f"{base}/accounts/login", timeout=10).json()
    assert me["username"] == "admin" and me["is_authenticated"] is True and isinstance(me["userid"], int)
    anonymous = requests.get(f"{base}/accounts/login", timeout=10).json()
    assert anonymous["is_authenticated"] is False and anonymous["warning"] == " Not logged in"


def test_connectivity_answers_each_link_type_under_its_own_name(scene):
    c, skid, *_ = scene
    form = {"source_skeleton_ids[0]": skid["A"], "boolean_op": "OR", "with_nodes": "false",
            "link_types[0]": "gapjunction", "link_types[1]": "outgoing", "link_types[2]": "no such type"}
    answer = c.post("/skeletons/connectivity", **form)
    assert sorted(answer) == ["gapjunction", "gapjunction_reviewers", "outgoing", "outgoing_reviewers"]
    assert answer["gapjunction"] == {str(skid["C"]): {"num_nodes": 3, "skids": {str(skid["A"]): [0, 0, 0, 0, 1]}}}
    plain = c.post("/skeletons/connectivity", **{"source_skeleton_ids[0]": skid["A"], "boolean_op": "OR"})
    assert sorted(plain) == ["incoming", "incoming_reviewers", "outgoing", "outgoing_reviewers"]  # pymaid-more/025
