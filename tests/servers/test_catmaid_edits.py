"""The bundled CATMAID answers node edits as the real server does (reference captures in
shared/reference/catmaid/node-edits): the writes, what they change, and the state each one checks."""

from __future__ import annotations

import json

import pytest
import requests

from neuromodels.testing import serve

# a1 -> a2 -> a3 -> a4, a4 -> a5 -> a6, a4 -> a7 -> a8 -> a9 (radius 10, confidence 5)
SWC_A = """1 0 8000 8000 600 10 -1
2 0 8100 8000 600 10 1
3 0 8200 8000 600 10 2
4 0 8300 8000 600 10 3
5 0 8400 7900 600 10 4
6 0 8500 7800 600 10 5
7 0 8400 8100 600 10 4
8 0 8500 8200 660 10 7
9 0 8600 8300 660 10 8
"""
SWC_B = """1 0 8000 8600 600 8 -1
2 0 8100 8600 600 8 1
3 0 8200 8600 600 8 2
4 0 8300 8600 660 8 3
"""


class Client:
    def __init__(self, server):
        self.base = f"{server.url}/{server.project}"
        self.session = requests.Session()
        self.session.headers["X-Authorization"] = f"Token {server.token}"

    def post(self, path, status=200, **form):
        r = self.session.post(self.base + path, data=form, timeout=10)
        assert r.status_code == status, r.text[:500]
        return r.json()

    def get(self, path, status=200, **query):
        r = self.session.get(self.base + path, params=query, timeout=10)
        assert r.status_code == status, r.text[:500]
        return r.json()

    def times(self, *nodes):
        info = self.post("/node/user-info", **{f"node_ids[{i}]": n for i, n in enumerate(nodes)})
        return {int(k): v["edition_time"] for k, v in info.items()}

    def et(self, node):
        return self.times(node)[node]

    def rows(self, skid):
        return {r[0]: r for r in self.get(f"/skeletons/{skid}/compact-detail")[0]}

    def neighborhood(self, node):
        rows = self.post("/treenodes/compact-detail", **{"treenode_ids[0]": node})
        parent = rows[0][1]
        children = [c[0][0] for c in self.get(f"/treenodes/{node}/children")]
        listing = self.get("/node/list", left=0, right=1, top=0, bottom=1, z1=0, z2=1, **{"treenode_ids[0]": node})
        links = []
        for connector in listing[1]:
            links += [[link[4], link[3]] for link in connector[7] if link[0] == node]
        link_times = {}
        if links:
            from datetime import datetime, timezone

            link_times = {lid: datetime.fromtimestamp(t, timezone.utc).isoformat() for lid, t in links}
        times = self.times(node, *children, *([parent] if parent else []))
        state = {"edition_time": times[node], "children": [[c, times[c]] for c in children],
                 "links": [[lid, t] for lid, t in link_times.items()]}
        if parent:
            state["parent"] = [parent, times[parent]]
        return json.dumps(state)


def upload(client, swc, name):
    r = client.session.post(client.base + "/skeletons/import", files={"file": ("x.swc", swc)}, data={"name": name}, timeout=10)
    assert r.status_code == 200, r.text
    body = r.json()
    return body["skeleton_id"], {int(k): v for k, v in body["node_id_map"].items()}


@pytest.fixture
def scene():
    with serve("catmaid") as server:
        c = Client(server)
        skid, a = upload(c, SWC_A, "A")
        skid_b, b = upload(c, SWC_B, "B")
        rel = {t["relation"]: t["relation_id"] for t in c.get("/connectors/types/")}
        for pre, post, xyz in ((a[7], b[2], (8450, 8350, 600)), (b[3], a[3], (8250, 8300, 600)), (a[8], b[4], (8550, 8400, 660))):
            cid = c.post("/connector/create", x=xyz[0], y=xyz[1], z=xyz[2], confidence=5)["connector_id"]
            for node, relation in ((pre, "presynaptic_to"), (post, "postsynaptic_to")):
                times = c.times(node, cid)
                c.post("/link/create", from_id=node, to_id=cid, link_type=relation,
                       state=json.dumps([[node, times[node]], [cid, times[cid]]]))
        yield c, skid, a, skid_b, b, rel


def error_type(client, path, **form):
    r = client.session.post(client.base + path, data=form, timeout=10)
    return r.status_code, r.json().get("type"), r.json().get("error", "")


def test_create_child_checks_the_parent_state_and_truncates_the_radius(scene):
    c, skid, a, *_ = scene
    old = c.et(a[6])
    made = c.post("/treenode/create", x=8600, y=7700, z=600, parent_id=a[6], radius=4.7,
                  state=json.dumps({"parent": [a[6], old]}))
    assert made["skeleton_id"] == skid and made["parent_edition_time"].endswith("Z")
    row = c.rows(skid)[made["treenode_id"]]
    assert row[1] == a[6] and row[6] == 4.0 and row[7] == 0  # radius truncated; confidence defaults to 0
    assert c.et(a[6]) == old  # creating a child leaves the parent alone
    c.post("/node/update", **{"t[0][0]": a[6], "t[0][1]": 8510, "t[0][2]": 7800, "t[0][3]": 600,
                              "state": json.dumps([[a[6], old]])})
    status, kind, error = error_type(c, "/treenode/create", x=1, y=2, z=3, parent_id=a[6], state=json.dumps({"parent": [a[6], old]}))
    assert (status, kind) == (400, "StateMatchingError") and error.startswith("The provided state differs")
    root = c.post("/treenode/create", x=1, y=2, z=3, parent_id=-1, radius=3, confidence=5)
    assert root["skeleton_id"] != skid and root["parent_edition_time"] is None


def test_insert_takes_over_the_child_and_stale_child_fails(scene):
    c, skid, a, *_ = scene
    times = c.times(a[2], a[3])
    made = c.post("/treenode/insert", x=8150, y=8000, z=600, parent_id=a[2], child_id=a[3], radius=6, confidence=4,
                  state=json.dumps({"edition_time": times[a[2]], "children": [[a[3], times[a[3]]]]}))
    rows = c.rows(skid)
    assert rows[made["treenode_id"]][1] == a[2] and rows[a[3]][1] == made["treenode_id"]
    assert made["child_edition_times"][0][0] == a[3]
    status, kind, _ = error_type(c, "/treenode/insert", x=1, y=1, z=1, parent_id=made["treenode_id"], child_id=a[3],
                                 state=json.dumps({"edition_time": c.et(made["treenode_id"]), "children": [[a[3], times[a[3]]]]}))
    assert (status, kind) == (400, "StateMatchingError")


def test_node_update_needs_every_moved_node_and_drops_their_reviews(scene):
    c, skid, a, *_ = scene
    c.get(f"/node/{a[5]}/reviewed")
    times = c.times(a[5], a[7])
    status, kind, error = error_type(c, "/node/update", **{"t[0][0]": a[5], "t[0][1]": 1, "t[0][2]": 1, "t[0][3]": 1,
                                                           "t[1][0]": a[7], "t[1][1]": 1, "t[1][2]": 1, "t[1][3]": 1,
                                                           "state": json.dumps([[a[5], times[a[5]]]])})
    assert (status, kind, error) == (400, "ValueError", f"Couldn't find state info on node(s) {a[7]}")
    answer = c.post("/node/update", **{"t[0][0]": a[5], "t[0][1]": 8410, "t[0][2]": 7890, "t[0][3]": 600,
                                       "state": json.dumps([[a[5], times[a[5]]]])})
    assert answer["updated"] == 1 and answer["old_treenodes"][0][2:] == [8400.0, 7900.0, 600.0]
    info = c.post("/node/user-info", **{"node_ids[0]": a[5]})[str(a[5])]
    assert info["reviewers"] == [] and info["edition_time"] != times[a[5]]


@pytest.mark.parametrize("option, expected", [(0, [5]), (1, [7, 8, 9]), (2, [3, 2]), (4, [9, 8, 7, 4, 3, 2, 1]),
                                              (5, [1, 2, 3, 4, 5, 6, 7, 8, 9])])
def test_radius_options_reach_the_captured_nodes(scene, option, expected):
    c, skid, a, *_ = scene
    start = {0: 5, 1: 7, 2: 3, 4: 9, 5: 1}[option]
    answer = c.post(f"/treenode/{a[start]}/radius", radius=25, option=option,
                    state=json.dumps({"edition_time": c.et(a[start])}))
    assert sorted(int(k) for k in answer["updated_nodes"]) == sorted(a[n] for n in expected)
    assert all(v["new"] == 25.0 for v in answer["updated_nodes"].values())
    assert all(c.rows(skid)[a[n]][6] == 25.0 for n in expected)


def test_bulk_radius_and_confidence(scene):
    c, skid, a, *_ = scene
    times = c.times(a[2], a[4])
    answer = c.post("/treenodes/radius", **{"treenode_ids[0]": a[2], "treenode_ids[1]": a[4], "treenode_radii[0]": 12,
                                            "treenode_radii[1]": 14.5, "state": json.dumps([[a[2], times[a[2]]], [a[4], times[a[4]]]])})
    assert {k: v["new"] for k, v in answer["updated_nodes"].items()} == {str(a[2]): 12.0, str(a[4]): 14.5}
    answer = c.post(f"/treenodes/{a[5]}/confidence", new_confidence=2, state=json.dumps({"edition_time": c.et(a[5])}))
    assert list(answer["updated_partners"]) == [str(a[4])] and answer["updated_partners"][str(a[4])]["old_confidence"] == 5
    assert c.rows(skid)[a[5]][7] == 2
    answer = c.post(f"/treenodes/{a[7]}/confidence", new_confidence=3, to_connector="true",
                    state=json.dumps({"edition_time": c.et(a[7])}))
    assert len(answer["updated_partners"]) == 1
    r = c.session.post(f"{c.base}/treenodes/{a[8]}/confidence", data={"new_confidence": 4, "state": json.dumps({"edition_time": 1.5})})
    assert r.status_code == 500 and r.json()["type"] == "ProgrammingError"


def test_delete_checks_the_whole_neighborhood(scene):
    c, skid, a, *_ = scene
    answer = c.post("/treenode/delete", treenode_id=a[6], state=c.neighborhood(a[6]))
    assert answer["parent_id"] == a[5] and answer["children"] == [] and not answer["deleted_neuron"]
    answer = c.post("/treenode/delete", treenode_id=a[7], state=c.neighborhood(a[7]))
    assert answer["children"][0][0] == a[8] and answer["links"][0][2] > 0  # the presynaptic link went with it
    assert c.rows(skid)[a[8]][1] == a[4]
    partial = json.loads(c.neighborhood(a[4]))
    partial["children"] = partial["children"][:1]
    status, kind, _ = error_type(c, "/treenode/delete", treenode_id=a[4], state=json.dumps(partial))
    assert (status, kind) == (400, "StateMatchingError")
    status, kind, error = error_type(c, "/treenode/delete", treenode_id=a[1], state=c.neighborhood(a[1]))
    assert (status, kind) == (400, "ValueError") and "root node" in error
    lone = c.post("/treenode/create", x=9000, y=9000, z=600, radius=3, confidence=5)
    answer = c.post("/treenode/delete", treenode_id=lone["treenode_id"], state=c.neighborhood(lone["treenode_id"]))
    assert answer["deleted_neuron"] is True
    assert str(lone["skeleton_id"]) not in c.post("/skeleton/neuronnames", **{"skids[0]": lone["skeleton_id"]})


def test_parent_change_reroot_split_join(scene):
    c, skid, a, skid_b, b, _ = scene
    answer = c.post(f"/treenodes/{a[9]}/parent", parent_id=a[5], state=c.neighborhood(a[9]))
    assert answer == {"success": True, "node_id": a[9], "parent_id": a[5], "skeleton_id": skid}
    status, kind, error = error_type(c, "/skeleton/reroot", treenode_id=a[1], state="{}")
    assert (status, error) == (400, f":Node #{a[1]} is already root!")
    c.post(f"/treenodes/{a[5]}/confidence", new_confidence=2, state=json.dumps({"edition_time": c.et(a[5])}))
    assert c.post("/skeleton/reroot", treenode_id=a[6], state="{}") == {"newroot": a[6], "skeleton_id": skid}
    rows = c.rows(skid)
    assert rows[a[6]][1] is None and rows[a[6]][7] == 5 and rows[a[5]][1] == a[6] and rows[a[4]][1] == a[5]
    assert rows[a[4]][7] == 2  # the confidence moved with the reversed edge a5-a4
    c.post("/skeleton/reroot", treenode_id=a[1], state="{}")
    split = c.post("/skeleton/split", treenode_id=a[5], state="{}")
    new = split["new_skeleton_id"]
    assert sorted(c.rows(new)) == sorted([a[5], a[6], a[9]]) and c.rows(new)[a[5]][1] is None
    joined = c.post("/skeleton/join", from_id=a[4], to_id=a[6], state="[]")
    assert joined["result_skeleton_id"] == skid and joined["deleted_skeleton_id"] == new
    rows = c.rows(skid)
    assert len(rows) == 9 and rows[a[6]][1] == a[4] and rows[a[5]][1] == a[6]


def test_reviews_and_reset_own(scene):
    c, skid, a, skid_b, b, _ = scene
    for n in (2, 3, 4):
        assert c.get(f"/node/{a[n]}/reviewed")["reviewer_id"] == 2
    assert c.post("/skeletons/review-status", **{"skeleton_ids[0]": skid, "skeleton_ids[1]": skid_b, "user_ids[0]": 2}) == \
        {str(skid): [9, 3], str(skid_b): [4, 0]}
    assert c.post("/skeletons/review-status", **{"skeleton_ids[0]": skid, "whitelist": "true"}) == {str(skid): [9, 0]}
    segments = c.post(f"/skeletons/{skid}/review", subarbor_node_id=a[4])
    assert [s["nr_nodes"] for s in segments] == [4, 3] and segments[0]["sequence"][-1]["id"] == a[4]
    assert segments[0]["status"] == "25.00" and segments[1]["status"] == "33.33"
    assert sorted(map(int, c.get(f"/skeleton/{skid}/reviewed-nodes"))) == sorted([a[2], a[3], a[4]])
    assert c.post(f"/skeleton/{skid}/review/reset-own") == {"status": "success"}
    assert c.get(f"/skeleton/{skid}/reviewed-nodes") == {}


def test_tags_replace_and_remove(scene):
    c, skid, a, *_ = scene
    assert c.post(f"/label/treenode/{a[6]}/update", tags="leaf")["new_labels"] == ["leaf"]
    answer = c.post(f"/label/treenode/{a[6]}/update", tags="x,y")
    assert answer["deleted_labels"] == ["leaf"] and answer["new_labels"] == ["x", "y"]
    status, kind, error = error_type(c, f"/label/treenode/{a[6]}/remove", tag="nope")
    assert (status, kind) == (400, "ValueError") and "does not have a label" in error
    assert "deleted_link" in c.post(f"/label/treenode/{a[6]}/remove", tag="x")
    assert c.post("/labels-for-nodes", treenode_ids=f"{a[6]},{a[5]}") == {str(a[6]): ["y"]}


def test_deleting_a_neuron_keeps_its_annotations(scene):
    c, skid, a, skid_b, b, _ = scene
    nid = c.get(f"/skeleton/{skid_b}/neuronname")["neuronid"]
    added = c.post("/annotations/add", **{"entity_ids[0]": nid, "annotations[0]": "only-on-b"})
    aid = added["annotations"][0]["id"]
    assert c.get(f"/neuron/{nid}/delete")["skeleton_ids"] == [skid_b]
    listed = {x["name"]: x for x in c.get("/annotations/")["annotations"]}
    assert listed["only-on-b"]["id"] == aid and listed["only-on-b"]["users"] == []
    again = c.post("/annotations/add", **{"entity_ids[0]": c.get(f"/skeleton/{skid}/neuronname")["neuronid"],
                                          "annotations[0]": "only-on-b"})
    assert again["new_annotations"] == [] and again["annotations"][0]["id"] == aid


def test_compact_detail_with_history_keeps_past_versions(scene):
    c, skid, a, *_ = scene
    before = c.et(a[6])
    c.post("/node/update", **{"t[0][0]": a[6], "t[0][1]": 8510, "t[0][2]": 7800, "t[0][3]": 600,
                              "state": json.dumps([[a[6], before]])})
    c.post("/treenode/delete", treenode_id=a[6], state=c.neighborhood(a[6]))
    nodes, connectors = c.get(f"/skeletons/{skid}/compact-detail", with_history="true", with_connectors="true")[:2]
    live = [r for r in nodes if r[10] == 1]
    past = [r for r in nodes if r[10] == 2 and r[0] == a[6]]
    assert len(live) == 8 and a[6] not in {r[0] for r in live}
    assert [r[3] for r in past] == [8500.0, 8510.0]  # before the move, then before the delete
    assert past[0][9] == past[1][8] and " " in past[0][8] and past[0][8].endswith("+00:00")
    assert all(len(r) == 8 for r in connectors)
