"""The bundled CATMAID's read endpoints that pymaid uses answer in the shapes of the reference
captures (shared/reference/catmaid/pymaid-suite and node-edits): rows, key types, content types,
redirects and the quirks pymaid relies on."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests

from neuromodels.testing import serve

from .test_catmaid_edits import SWC_A, SWC_B, Client, upload


@pytest.fixture(scope="module")
def data():
    with serve("catmaid") as server:
        c = Client(server)
        skid, a = upload(c, SWC_A, "A")
        skid_b, b = upload(c, SWC_B, "B")
        synapses = []
        for pre, posts, xyz in ((a[7], [b[2], b[3]], (8450, 8350, 600)), (b[3], [a[3]], (8250, 8300, 600))):
            cid = c.post("/connector/create", x=xyz[0], y=xyz[1], z=xyz[2], confidence=5)["connector_id"]
            for node, relation in [(pre, "presynaptic_to")] + [(p, "postsynaptic_to") for p in posts]:
                c.post("/link/create", from_id=node, to_id=cid, link_type=relation, state=json.dumps({"nocheck": True}))
            synapses.append(cid)
        c.post(f"/label/treenode/{a[1]}/update", tags="soma", delete_existing="False")
        c.get(f"/node/{a[2]}/reviewed")
        c.post("/annotations/add", **{"entity_ids[0]": c.get(f"/skeleton/{skid}/neuronname")["neuronid"], "annotations[0]": "PN"})
        yield c, skid, a, skid_b, b, synapses, server


def test_node_reads(data):
    c, skid, a, skid_b, b, synapses, _ = data
    assert c.get(f"/treenodes/{a[1]}/info") == {"skeleton_id": skid, "skeleton_name": "A",
                                               "neuron_id": c.get(f"/skeleton/{skid}/neuronname")["neuronid"], "neuron_name": "A"}
    assert c.get(f"/skeleton/node/{a[4]}/node_count") == {"count": 9, "skeleton_id": skid}
    info = c.post("/node/user-info", **{"node_ids[0]": a[2], "node_ids[1]": a[2], "node_ids[2]": synapses[0]})
    assert sorted(info) == sorted([str(a[2]), str(synapses[0])]) and info[str(a[2])]["reviewers"] == [2]
    assert info[str(a[2])]["edition_time"].endswith("+00:00")
    assert c.post("/nodes/location", **{"node_ids[0]": synapses[0]}) == [[synapses[0], 8450.0, 8350.0, 600.0]]
    listing = c.get("/node/list", left=7900, right=8700, top=7700, bottom=8400, z1=500, z2=700, labels="true")
    assert len(listing) == 5 and listing[3] is False and listing[2] == {str(a[1]): ["soma"]}
    assert {r[0] for r in listing[0]} == set(a.values()) and isinstance(listing[0][0][8], float)
    connector = next(r for r in listing[1] if r[0] == synapses[0])
    assert len(connector[7]) == 3 and len(connector[7][0]) == 5
    rows = c.post("/treenodes/compact-detail", **{"label_names[0]": "soma", "skeleton_ids[0]": skid})
    assert [r[0] for r in rows] == [a[1]] and rows[0][7] == skid and rows[0][6] == 10.0
    assert c.post("/labels-for-nodes", treenode_ids=f"{a[1]},{a[2]}") == {str(a[1]): ["soma"]}
    stats = c.get("/labels/stats")
    assert [r[1:] for r in stats] == [["soma", skid, a[1]]]


def test_node_overview_is_json_labelled_html_and_compact_arbor_pairs_partners(data):
    c, skid, a, skid_b, b, synapses, _ = data
    r = c.session.get(f"{c.base}/skeletons/{skid}/node-overview", timeout=5)
    assert r.headers["Content-Type"].startswith("text/html")
    nodes, reviews, tags = r.json()
    assert len(nodes) == 9 and nodes[0][8] == int(nodes[0][8]) and reviews == [[a[2], 2]] and tags == [[a[1], "soma"]]
    arbor = c.get(f"/{skid}/1/1/1/compact-arbor")
    assert len(arbor[0]) == 9 and arbor[2] == {"soma": [a[1]]}
    assert sorted((row[4], row[6], row[7]) for row in arbor[1]) == sorted([(b[2], 0, 1), (b[3], 0, 1), (b[3], 1, 0)])


def test_connectivity(data):
    c, skid, a, skid_b, b, synapses, _ = data
    answer = c.post("/skeletons/connectivity", boolean_op="OR", with_nodes="False", **{"source_skeleton_ids[0]": skid})
    assert answer["outgoing"] == {str(skid_b): {"num_nodes": 4, "skids": {str(skid): [0, 0, 0, 0, 2]}}}
    assert answer["incoming"] == {str(skid_b): {"num_nodes": 4, "skids": {str(skid): [0, 0, 0, 0, 1]}}}
    assert answer["outgoing_reviewers"] == []
    pair = {"rows[0]": skid, "rows[1]": skid_b, "columns[0]": skid, "columns[1]": skid_b}
    assert c.post("/skeleton/connectivity_matrix", with_locations="False", **pair) == {str(skid): {str(skid_b): 2}, str(skid_b): {str(skid): 1}}
    located = c.post("/skeleton/connectivity_matrix", with_locations="True", **pair)
    assert located[str(skid)][str(skid_b)] == {"count": 2, "locations": {str(synapses[0]): {"pos": [8450.0, 8350.0, 600.0], "count": 2}}}
    edges = c.post("/skeletons/confidence-compartment-subgraph", confidence_threshold=0, **{"skeleton_ids[0]": skid, "skeleton_ids[1]": skid_b})
    assert edges == {"edges": [[skid, skid_b, [0, 0, 0, 0, 2]], [skid_b, skid, [0, 0, 0, 0, 1]]]}
    assert sorted(c.post("/graph/dps", n_hops=2, min_synapses=1, **{"sources[0]": skid, "targets[0]": skid_b})) == sorted([skid, skid_b])
    rows = c.post("/connector/list/many_to_many", relation="presynaptic_to", **{"skids1[0]": skid, "skids2[0]": skid_b})
    assert len(rows) == 2 and rows[0][0] == synapses[0] and rows[0][3] == skid and rows[0][8] == skid_b and len(rows[0]) == 12
    details = c.post("/connector/skeletons", **{"connector_ids[0]": synapses[0], "connector_ids[1]": 424242})
    assert details == [[synapses[0], {"presynaptic_to": skid, "postsynaptic_to": [skid_b, skid_b],
                                      "presynaptic_to_node": a[7], "postsynaptic_to_node": [b[2], b[3]]}]]


def test_spatial_and_volumes(data):
    c, skid, a, skid_b, b, synapses, server = data
    box = {"minx": 7900, "maxx": 8700, "miny": 7700, "maxy": 8400, "minz": 500, "maxz": 700}
    assert c.get("/skeletons/in-bounding-box", min_nodes=4, min_cable=1, **box) == [skid]
    assert c.get("/skeletons/in-bounding-box", min_nodes=10, **box) == []
    ids = c.post("/connectors/in-bounding-box", limit=0, **box)
    assert sorted(ids) == sorted([[s] for s in synapses])
    links = c.post("/connectors/in-bounding-box", with_locations="true", with_links="true", **box)
    assert len(links) == 5 and len(links[0]) == 11 and links[0][8].endswith("Z")
    vid = c.post("/volumes/add", type="box", title="cube", min_x=7500, min_y=7500, min_z=500, max_x=9500, max_y=9500, max_z=800)["volume_id"]
    listed = c.get("/volumes/")["data"][0]
    assert listed[9] == pytest.approx(2 * (2000 * 2000 + 2 * 2000 * 300)) and listed[10] == pytest.approx(2000 * 2000 * 300)
    assert listed[11] is True and listed[12] is True
    assert c.get(f"/volumes/{vid}/intersect", x=8000, y=8000, z=600) == {"intersects": True}
    assert c.get(f"/volumes/{vid}/intersect", x=100, y=100, z=600) == {"intersects": False}
    assert c.get("/skeletons/in-bounding-box", volume_id=vid, min_nodes=2) == [skid, skid_b]
    assert c.post("/volumes/skeleton-innervations", **{"skeleton_ids[0]": skid}) == [{"skeleton_id": skid, "volume_ids": [vid]}]
    plain = requests.get(f"{c.base}/volumes/{vid}", headers=c.session.headers, allow_redirects=False, timeout=5)
    assert plain.status_code == 301 and plain.headers["Location"].endswith(f"/volumes/{vid}/")
    gone = c.session.delete(f"{c.base}/volumes/{vid}", timeout=5)  # follows the 301 with another DELETE
    assert gone.json() == {"success": True, "volume_id": str(vid)}


def test_annotations_stats_and_logs(data):
    c, skid, a, skid_b, b, synapses, _ = data
    nid = c.get(f"/skeleton/{skid}/neuronname")["neuronid"]
    table = c.post("/annotations/table-list", neuron_id=nid)
    assert [r[0] for r in table["data"]] == ["Import", "PN"] and table["recordsTotal"] == 2
    assert table["data"][0][1].endswith("+00:00") and table["data"][0][2:4] == [1, 2]
    assert c.post("/annotations/table-list", user_id=1, iDisplayLength=500) == {"recordsTotal": 0, "recordsFiltered": 0, "data": []}
    today = dt.datetime.now(dt.timezone.utc).date()
    start = today - dt.timedelta(days=2)
    history = c.get("/stats/user-history", start_date=start.isoformat(), end_date=today.isoformat())
    assert history["days"] == [(start + dt.timedelta(days=k)).strftime("%Y%m%d") for k in range(3)]
    assert history["daysformatted"][0] == start.strftime("%a %d, %b %Y")
    assert set(history["stats_table"]) == {"1", "2"}
    assert history["stats_table"]["2"][today.strftime("%Y%m%d")]["new_import_treenodes"] > 0
    # A window that ends before days with data: the real server's KeyError (pymaid-more/051).
    failed = c.get("/stats/user-history", status=500, start_date="2010-01-01", end_date="2010-06-30")
    assert failed["type"] == "KeyError" and failed["error"] == repr(today.strftime("%Y%m%d"))
    logs = c.post("/logs/list", iDisplayStart=0, iDisplayLength=50, operation_type=-1, sSortDir_0="desc")
    assert logs["iTotalRecords"] == 2 and logs["aaData"][0][:2] == ["admin", "create_neuron"]
    stats = c.post("/skeleton/contributor_statistics_multiple", **{"skids[0]": skid, "skids[1]": skid_b})
    assert stats["n_nodes"] == 13 and stats["n_pre"] == 2 and stats["n_post"] == 3 and stats["review_contributors"] == {"2": 1}


def test_stack_info_is_indented():
    with serve("catmaid") as server:
        c = Client(server)
        text = c.session.get(f"{c.base}/stack/1/info", timeout=5).text
        assert text.startswith('{\n    "') and json.loads(text)["sid"] == 1


def test_drf_views_say_so_in_their_headers_and_names_come_sorted(data):
    c, skid, a, skid_b, b, synapses, _ = data
    drf = c.session.post(f"{c.base}/skeleton/neuronnames", data={"skids[0]": skid_b, "skids[1]": skid}, timeout=5)
    assert drf.headers["Allow"] == "POST, OPTIONS" and drf.headers["Vary"] == "Accept"
    assert list(drf.json()) == [str(skid), str(skid_b)]
    plain = c.session.get(f"{c.base}/skeleton/{skid}/neuronname", timeout=5)
    assert "Allow" not in plain.headers
    listing = c.post("/skeleton/annotationlist", metaannotations=0, neuronnames=0,
                     **{"skeleton_ids[0]": skid, "skeleton_ids[1]": skid_b})
    assert list(listing["skeletons"]) == [str(skid_b), str(skid)]
