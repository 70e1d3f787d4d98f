"""pymaid's connectivity, review, spatial and node-editing calls against a bundled CATMAID server.

Run with pymaid's own Python (it pulls navis, so it lives in its own virtualenv):

    python tests/peers/pymaid_graph_check.py URL PROJECT TOKEN

Builds two small neurons with synapses between them through pymaid's upload functions, then
checks what pymaid reads back. Prints one line per check and ``N passed, 0 failed`` at the end;
exits non-zero on the first mismatch. Standard library, numpy and pymaid only: this file never
imports neuromodels.
"""

import sys
import tempfile

import numpy as np

# a1 -> a2 -> a3 -> a4 -> a5, a3 -> a6 (branch); b1 -> b2 -> b3 -> b4 alongside
SWC_A = "1 0 8000 8000 600 10 -1\n2 0 8100 8000 600 10 1\n3 0 8200 8000 600 10 2\n4 0 8300 8000 600 10 3\n" \
        "5 0 8400 8000 600 10 4\n6 0 8200 8100 600 10 3\n"
SWC_B = "1 0 8000 8600 600 8 -1\n2 0 8100 8600 600 8 1\n3 0 8200 8600 600 8 2\n4 0 8300 8600 660 8 3\n"


def main(url, project, token):
    import navis
    import pymaid

    rm = pymaid.CatmaidInstance(url, api_token=token, project_id=project, max_threads=4, make_global=True)
    rm.caching = False
    checks = 0

    def ok(what, condition):
        nonlocal checks
        checks += 1
        if not condition:
            raise AssertionError(what)
        print(f"ok  {what}", flush=True)

    def upload(text, name):
        with tempfile.NamedTemporaryFile("w", suffix=".swc", delete=False) as fh:
            fh.write(text)
        neuron = navis.read_swc(fh.name)
        neuron.name = name
        answer = pymaid.upload_neuron(neuron, import_tags=False, import_annotations=False, import_connectors=False)
        mapping = {int(k): int(v) for k, v in answer["node_id_map"].items()}
        return int(answer["skeleton_id"]), mapping

    skid_a, a = upload(SWC_A, "graph check A")
    skid_b, b = upload(SWC_B, "graph check B")
    pymaid.add_annotations([skid_a, skid_b], ["graph-check"])

    # Synapses: a2 -> b2, a4 -> b3 (two downstream), b4 -> a5 (one upstream).
    pairs = [(a[2], b[2], (8100, 8300, 600)), (a[4], b[3], (8300, 8300, 600)), (b[4], a[5], (8350, 8300, 630))]
    made = pymaid.add_connector(np.array([p[2] for p in pairs], dtype=float), check_existing=False)
    cids = [int(r["connector_id"]) for r in made]
    pymaid.link_connector([(pre, cid, "presynaptic_to") for (pre, _, _), cid in zip(pairs, cids)])
    pymaid.link_connector([(post, cid, "postsynaptic_to") for (_, post, _), cid in zip(pairs, cids)])

    # -- connectivity ------------------------------------------------------------------------------
    partners = pymaid.get_partners(skid_a, threshold=1)
    rows = {(int(r.skeleton_id), r.relation): int(r.total) for r in partners.itertuples()}
    ok("get_partners: B downstream of A with 2 synapses", rows.get((skid_b, "downstream")) == 2)
    ok("get_partners: B upstream of A with 1 synapse", rows.get((skid_b, "upstream")) == 1)
    matrix = pymaid.adjacency_matrix([skid_a, skid_b])
    ok("adjacency_matrix counts A->B and B->A", int(matrix.loc[skid_a, skid_b]) == 2 and int(matrix.loc[skid_b, skid_a]) == 1)
    between = pymaid.get_connectors_between(skid_a, skid_b)
    ok("get_connectors_between gives the two A->B synapses", sorted(map(int, between.connector_id)) == sorted(cids[:2]))
    edges = pymaid.get_edges([skid_a, skid_b])
    weights = {(int(r.source), int(r.target)): int(r.weight) for r in edges.itertuples()}
    ok("get_edges", weights == {(skid_a, skid_b): 2, (skid_b, skid_a): 1})
    details = pymaid.get_connector_details(cids)
    ok("get_connector_details names both partners", set(map(int, details.presynaptic_to)) == {skid_a, skid_b})

    # -- reviews ----------------------------------------------------------------------------------
    pymaid.set_nodes_reviewed([a[1], a[2], a[3]])
    review = pymaid.get_review([skid_a, skid_b])
    by_skid = {int(r.skeleton_id): (int(r.total_node_count), int(r.nodes_reviewed)) for r in review.itertuples()}
    ok("get_review counts reviewed nodes", by_skid == {skid_a: (6, 3), skid_b: (4, 0)})
    reviewed = pymaid.get_review_details(skid_a)
    ok("get_review_details lists the reviewed nodes", {int(n) for n in reviewed.node_id} >= {a[1], a[2], a[3]})

    # -- spatial ----------------------------------------------------------------------------------
    box = [[7900, 8450], [7950, 8650], [550, 700]]
    inside = pymaid.get_neurons_in_bbox(box, min_nodes=1, min_cable=0)
    ok("get_neurons_in_bbox finds both neurons", {skid_a, skid_b} <= set(map(int, inside)))
    only_a = pymaid.get_neurons_in_bbox([[7900, 8450], [7950, 8050], [550, 700]], min_nodes=1, min_cable=0)
    ok("get_neurons_in_bbox leaves out a neuron outside the box", skid_a in set(map(int, only_a)) and skid_b not in set(map(int, only_a)))
    in_box = pymaid.get_connectors_in_bbox(box, ret="IDS")
    ok("get_connectors_in_bbox", set(cids) <= {int(r[0]) for r in in_box})
    nodes, connectors = pymaid.get_nodes_in_volume(7900, 8450, 7950, 8650, 550, 700)[:2]
    ok("get_nodes_in_volume returns the nodes in the box", {a[1], b[1]} <= set(map(int, nodes.node_id)))
    vertices = np.array([[x, y, z] for x in (7900, 8450) for y in (7950, 8650) for z in (550, 700)], dtype=float)
    faces = np.array([[0, 2, 1], [1, 2, 3], [4, 5, 6], [5, 7, 6], [0, 1, 4], [1, 5, 4],
                      [2, 6, 3], [3, 6, 7], [0, 4, 2], [2, 4, 6], [1, 3, 5], [3, 7, 5]])
    pymaid.upload_volume(navis.Volume(vertices, faces, name="graph-check-box"), "graph-check-box")
    in_volume = pymaid.get_neurons_in_volume("graph-check-box", min_nodes=1, min_cable=0)
    ok("get_neurons_in_volume", {skid_a, skid_b} <= set(map(int, in_volume)))

    # -- node edits -------------------------------------------------------------------------------
    added = pymaid.add_node((8500, 8000, 600), parent_id=a[5], radius=5, confidence=4)
    node = int(added["treenode_id"])
    n = pymaid.get_neuron(skid_a)
    row = n.nodes.set_index("node_id").loc[node]
    ok("add_node hangs the node under its parent", int(row.parent_id) == a[5] and int(n.n_nodes) == 7)
    pymaid.move_nodes(np.array([[node, 8550.0, 8010.0, 605.0]]), "TREENODE", no_prompt=True)
    pymaid.update_radii({node: 12.5, a[4]: 3.0})
    pymaid.update_node_confidence({node: 2})
    n = pymaid.get_neuron(skid_a).nodes.set_index("node_id")
    ok("move_nodes moves the node", tuple(n.loc[node, ["x", "y", "z"]]) == (8550.0, 8010.0, 605.0))
    ok("update_radii sets both radii", float(n.loc[node, "radius"]) == 12.5 and float(n.loc[a[4], "radius"]) == 3.0)
    ok("update_node_confidence", int(n.loc[node, "confidence"]) == 2)
    pymaid.add_tags([node], ["ends", "checked"], "TREENODE")
    pymaid.delete_tags([node], ["checked"], "TREENODE")
    ok("add_tags and delete_tags", pymaid.get_node_tags([node], "TREENODE").get(str(node)) == ["ends"])
    pymaid.push_new_root(a[5], no_prompt=True)
    n = pymaid.get_neuron(skid_a).nodes.set_index("node_id")
    ok("push_new_root makes the node the root", int(n.loc[a[5], "parent_id"]) == -1 and int(n.loc[a[4], "parent_id"]) == a[5])
    pymaid.delete_nodes([node], "TREENODE", no_prompt=True)
    ok("delete_nodes removes the node", node not in set(pymaid.get_neuron(skid_a).nodes.node_id))
    print(f"{checks} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
