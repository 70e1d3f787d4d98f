"""pymaid's node lookups, graph queries and proofreading calls against a bundled CATMAID server
(the functions of shared/reference/catmaid/pymaid-more and node-edits).

Run with pymaid's own Python (it pulls navis, so it lives in its own virtualenv):

    python tests/peers/pymaid_more_check.py URL PROJECT TOKEN

Builds three small neurons (A -> B twice, B -> C once, an A - C gap junction, a tag "soma" on A's
root, a tagged connector, a connector without links) with pymaid's own upload functions, then
checks what pymaid reads back. Prints one line per check and ``N passed, M failed`` at the end;
exits non-zero when a check failed. Standard library, numpy and pymaid only: this file never
imports neuromodels.
"""

import sys
import tempfile
import traceback

import numpy as np

SWC = "1 0 {x} 0 0 10 -1\n2 0 {x1} 0 0 10 1\n3 0 {x2} 0 0 10 2\n"


def main(url, project, token):
    import navis
    import pymaid

    rm = pymaid.CatmaidInstance(url, api_token=token, project_id=project, max_threads=4, make_global=True)
    rm.caching = False
    passed, failed = [], []

    def check(what, test):
        try:
            result = test()
        except Exception:  # noqa: BLE001 - reported per check
            failed.append(what)
            print(f"FAIL {what}\n{traceback.format_exc(limit=-4)}", flush=True)
            return
        if result:
            passed.append(what)
            print(f"ok   {what}", flush=True)
        else:
            failed.append(what)
            print(f"FAIL {what}: not true", flush=True)

    def upload(x, name):
        with tempfile.NamedTemporaryFile("w", suffix=".swc", delete=False) as fh:
            fh.write(SWC.format(x=x, x1=x + 100, x2=x + 200))
        neuron = navis.read_swc(fh.name)
        neuron.name = name
        answer = pymaid.upload_neuron(neuron, import_tags=False, import_annotations=False, import_connectors=False)
        mapping = {int(k): int(v) for k, v in answer["node_id_map"].items()}
        return int(answer["skeleton_id"]), [mapping[i] for i in (1, 2, 3)]

    (a, na), (b, nb), (c, nc) = upload(10000, "more A"), upload(20000, "more B"), upload(30000, "more C")
    where = np.array([[15000, 0, 0], [15100, 0, 0], [25000, 0, 0], [20000, 0, 0], [40000, 0, 0]], dtype=float)
    cids = [int(r["connector_id"]) for r in pymaid.add_connector(where, check_existing=False)]
    pymaid.link_connector([(na[0], cids[0], "presynaptic_to"), (nb[0], cids[0], "postsynaptic_to"),
                           (na[1], cids[1], "presynaptic_to"), (nb[1], cids[1], "postsynaptic_to"),
                           (nb[2], cids[2], "presynaptic_to"), (nc[0], cids[2], "postsynaptic_to"),
                           (na[2], cids[3], "gapjunction_with"), (nc[1], cids[3], "gapjunction_with")])
    pymaid.add_tags([na[0]], ["soma"], "TREENODE")
    pymaid.add_tags([cids[0]], ["ctag"], "CONNECTOR")

    # -- node lookups ------------------------------------------------------------------------------
    check("get_skid_from_node", lambda: {int(k): int(v) for k, v in pymaid.get_skid_from_node([na[1], nc[0]]).items()}
          == {na[1]: a, nc[0]: c})
    check("get_node_info", lambda: list(pymaid.get_node_info([nb[0]]).neuron_name) == ["more B"])
    check("get_node_location (treenode and connector)", lambda: sorted(
        map(float, pymaid.get_node_location([na[1], cids[0]]).x)) == [10100.0, 15000.0])
    check("find_nodes by tag", lambda: list(map(int, pymaid.find_nodes(tags="soma").node_id)) == [na[0]])
    check("get_node_details", lambda: set(map(int, pymaid.get_node_details([na[0], na[1]]).node_id)) == {na[0], na[1]})
    check("get_node_table", lambda: len(pymaid.get_node_table(a)) == 3)
    check("get_label_list", lambda: [na[0]] == [int(n) for t, n in zip(pymaid.get_label_list().tag,
                                                                         pymaid.get_label_list().node_id) if t == "soma"])
    check("get_node_tags of connectors", lambda: pymaid.get_node_tags([cids[0]], "CONNECTOR") == {str(cids[0]): ["ctag"]})

    # -- graph queries -----------------------------------------------------------------------------
    check("get_nth_partners 1", lambda: list(map(int, pymaid.get_nth_partners([a], n_circles=1, min_pre=1,
                                                                              min_post=1).skeleton_id)) == [b])
    check("get_nth_partners 2", lambda: sorted(map(int, pymaid.get_nth_partners([a], n_circles=2, min_pre=1,
                                                                                 min_post=1).skeleton_id)) == sorted([b, c]))
    check("get_paths", lambda: [list(map(int, p)) for p in pymaid.get_paths([a], [c], n_hops=2)] == [[a, b, c]])
    check("get_connectivity_counts", lambda: _counts(pymaid.get_connectivity_counts([a, b, c])) == {a: 2, b: 1})
    check("get_connectors_between (both directions)", lambda: len(pymaid.get_connectors_between(b, a, directional=False)) == 2)
    # pymaid sends no link_types, so CATMAID answers synapses only (pymaid-more/025): the same here
    check("get_partners (directions with gap junctions)", lambda: _relations(pymaid.get_partners([a])) == {
        (b, "downstream")})
    check("get_connectors by relation", lambda: list(map(int, pymaid.get_connectors(a, relation_type="gapjunction_with")
                                                         .connector_id)) == [cids[3]])
    check("get_connectors_in_bbox with a connector without links",
          lambda: [int(r[0]) for r in pymaid.get_connectors_in_bbox([[39000, 41000], [-1, 1], [-1, 1]], ret="IDS")]
          == [cids[4]])
    check("get_connectors_in_bbox links of a connector without links",
          lambda: cids[4] in set(map(int, pymaid.get_connectors_in_bbox([[39000, 41000], [-1, 1], [-1, 1]],
                                                                       ret="LINKS").connector_id)))
    check("CatmaidInstance.fetch", lambda: rm.fetch(rm.make_url(project, "skeleton", a, "neuronname"))["neuronname"]
          == "more A")

    # -- proofreading ------------------------------------------------------------------------------
    # pymaid asks skeletons/sampler-count before a join (the samplers' endpoint)
    samplers = rm._session.post(rm.make_url(project, "skeletons", "sampler-count"), data={"skeleton_ids[0]": a})
    if samplers.status_code == 404:
        print("skip join_nodes: this server has no skeletons/sampler-count yet", flush=True)
    else:
        (d, nd), (e, ne) = upload(50000, "more D"), upload(50500, "more E")
        check("join_nodes", lambda: _joined(pymaid, d, e, nd, ne))
        # join_skeletons stitches with navis on the client first; with the navis this pymaid pulls that step
        # fails before any request, so only join_nodes (the same skeleton/join) is checked here.

    print(f"{len(passed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def _counts(answer):
    """skeleton id -> presynaptic link count, from pymaid's get_connectivity_counts answer."""
    if hasattr(answer, "to_dict"):
        answer = answer.to_dict()
    table = answer.get("connectivity", answer)
    return {int(k): sum(int(v) for v in row.values()) for k, row in table.items()}


def _relations(table):
    return {(int(r.skeleton_id), str(r.relation)) for r in table.itertuples()}


def _joined(pymaid, winner, loser, n_winner, n_loser):
    pymaid.join_nodes(n_winner[2], n_loser[0], no_prompt=True, tag_nodes=False)
    return len(pymaid.get_neuron(winner).nodes) == 6


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
