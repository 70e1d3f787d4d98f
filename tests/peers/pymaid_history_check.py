"""pymaid's annotation, history, provenance, statistics, sampler and landmark functions against a
bundled CATMAID server (the functions of ../shared/reference/catmaid/pymaid-more, 028-066).

    python tests/peers/pymaid_history_check.py URL PROJECT TOKEN

Prints one line per call and exits non-zero on the first mismatch. Standard library plus pymaid
only: this file never imports neuromodels. Where pymaid 2.4.3 itself fails after its requests
(newer pandas; the captures show the same), the server's answer is checked with plain requests.
"""

import datetime as dt
import sys
import tempfile

import requests


def main(url: str, project: int, token: str) -> int:
    import navis
    import pymaid

    rm = pymaid.CatmaidInstance(url, api_token=token, project_id=project, max_threads=4)
    rm.caching = False
    session = requests.Session()
    session.headers["X-Authorization"] = f"Token {token}"
    base = f"{url}/{project}"
    checks = 0

    def ok(what, condition):
        nonlocal checks
        checks += 1
        if not condition:
            raise AssertionError(what)
        print(f"ok  {what}")

    def upload(name, x, source_id):
        swc = "".join(f"{k} 3 {x + 100 * k} 0 0 5 {k - 1 if k > 1 else -1}\n" for k in range(1, 6))
        with tempfile.NamedTemporaryFile("w", suffix=".swc", delete=False) as fh:
            fh.write(swc)
        neuron = navis.read_swc(fh.name)
        neuron.name = name
        made = pymaid.upload_neuron(neuron, source_id=source_id, source_project_id=7,
                                    source_url="https://example.org/peer-source", source_type="skeleton")
        return int(made["skeleton_id"])

    a, b = upload("peer A", 0, 1000), upload("peer B", 5000, 1001)
    pymaid.add_annotations([a], ["peer left"])
    pymaid.add_annotations([b], ["peer right"])
    pymaid.add_meta_annotations(["peer left", "peer right"], "peer meta")
    pymaid.add_meta_annotations("peer meta", "peer super")

    annotated = pymaid.get_annotated("peer meta")
    ok("get_annotated lists the annotations under a meta-annotation",
       sorted(annotated.name) == ["peer left", "peer right"])
    deep = pymaid.get_annotated("peer super", include_sub_annotations=True)
    ok("get_annotated(include_sub_annotations=True) reaches the neurons",
       {"peer A", "peer B"} <= set(deep.name) and "peer meta" in set(deep.name))
    ok("get_skids_by_annotation of a meta-annotation finds no skeleton (no expansion)",
       len(pymaid.get_skids_by_annotation("peer meta", raise_not_found=False)) == 0)

    details = pymaid.get_annotation_details([a])
    ok("get_annotation_details", "peer left" in set(details.annotation) and set(details.user) == {"admin"})
    mine = pymaid.get_user_annotations("admin")
    ok("get_user_annotations", "peer meta" in set(mine.annotation))
    graph = pymaid.get_entity_graph(types=["neuron", "annotation"], annotated_with=[["peer meta"]])
    ok("get_entity_graph(annotated_with=)", sorted(d["name"] for _, d in graph.nodes(data=True)) == ["peer left", "peer right"])
    everything = pymaid.get_entity_graph()
    ok("get_entity_graph() links annotations to what they annotate",
       any(everything.nodes[u]["name"] == "peer meta" and everything.nodes[v]["name"] == "peer left"
           for u, v in everything.edges()))

    users = pymaid.get_user_list()
    ok("get_user_list", "admin" in set(users.login))

    found = pymaid.find_neurons(users="admin", annotations="peer left", intersect=True)
    ok("find_neurons(users=)", [int(s) for s in found.skeleton_id] == [a])
    ok("find_neurons(min_size=)", len(pymaid.find_neurons(annotations="peer left", min_size=50, intersect=True)) == 0)
    pymaid.set_nodes_reviewed(pymaid.get_neuron(a).nodes.node_id.values[:1])
    reviewed = pymaid.find_neurons(reviewed_by="admin", annotations="peer left", intersect=True)
    ok("find_neurons(reviewed_by=)", [int(s) for s in reviewed.skeleton_id] == [a])
    ok("find_neurons(reviewed_by=) leaves out unreviewed neurons",
       len(pymaid.find_neurons(reviewed_by="admin", annotations="peer right", intersect=True)) == 0)

    change = pymaid.get_skeleton_change([a])
    ok("get_skeleton_change", change == [[[a], 5, -1, 5]])

    today = dt.date.today()
    history = pymaid.get_history(start_date=(today - dt.timedelta(days=2)).isoformat(),
                                 end_date=(today + dt.timedelta(days=1)).isoformat())
    ok("get_history (the review of a node of A)", int(history["reviewed"].sum().sum()) == 1)
    try:
        stats_today = pymaid.get_user_stats(start_date=(today - dt.timedelta(days=1)).timetuple()[:3],
                                            end_date=(today + dt.timedelta(days=1)).timetuple()[:3])
        ok("get_user_stats (with dates)", "admin" in set(getattr(stats_today, "user", stats_today.index)))
    except AttributeError:  # pymaid 2.4.3 reads a column its own get_history no longer makes
        body = session.get(f"{base}/stats/user-history", params={"pid": project, "start_date": today.isoformat(),
                                                                  "end_date": today.isoformat()}).json()
        ok("get_user_stats: the server's answer (pymaid failed client-side)",
           body["stats_table"]["2"][today.strftime("%Y%m%d")]["new_import_treenodes"] == 10.0)
    try:
        past = pymaid.time_machine(a, dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1))
        ok("time_machine", past.n_nodes == 5)
    except (TypeError, ValueError, AttributeError, KeyError):  # pymaid 2.4.3 with newer pandas (as in the captures)
        body = session.get(f"{base}/skeletons/{a}/compact-detail",
                           params={"with_history": "True", "with_merge_history": "True", "with_tags": "True"}).json()
        ok("time_machine: the server's answer (pymaid failed client-side)",
           len(body[0]) == 5 and all(len(row) == 11 and row[10] == 1 for row in body[0]))
    logs = pymaid.get_logs(operations=["create_neuron"], entries=10, search="via import")
    ok("get_logs(operations=, search=)", len(logs) == 2 and set(logs.operation) == {"create_neuron"})
    transactions = pymaid.get_transactions(range_length=5)
    ok("get_transactions", "skeletons.import" in set(transactions.label))

    origin = pymaid.get_origin([a, b])
    ok("get_origin", {int(k): v["source_id"] for k, v in origin["origins"].items()} == {a: 1000, b: 1001})
    by_origin = pymaid.get_skids_by_origin([1000, 1001], "https://example.org/peer-source", 7)
    ok("get_skids_by_origin", {int(k): int(v) for k, v in by_origin.items()} == {1000: a, 1001: b})
    info = pymaid.get_import_info([a], with_nodes=True)
    ok("get_import_info", int(info[str(a)]["n_imported_treenodes"]) == 5)

    stats = pymaid.get_contributor_statistics([a, b])
    ok("get_contributor_statistics", int(stats.n_nodes) == 10 and stats.node_contributors == {"admin": 10})

    made = session.post(f"{base}/samplers/add", data={"skeleton_id": b, "interval_length": 2000,
                                                       "review_required": "true",
                                                       "create_interval_boundaries": "true"}).json()
    nodes = pymaid.get_neuron(b).nodes.sort_values("node_id").node_id.tolist()
    session.post(f"{base}/samplers/{made['id']}/domains/add",
                 data={"domain_type": 1, "start_node_id": nodes[0], "end_node_ids[0]": nodes[-1]}).raise_for_status()
    samplers = pymaid.get_sampler(b)
    ok("get_sampler (through the 301 of /samplers)", [int(i) for i in samplers.id] == [made["id"]])
    domains = pymaid.get_sampler_domains(made["id"])
    ok("get_sampler_domains", len(domains) == 1 and int(domains.start_node_id[0]) == nodes[0])
    counts = pymaid.get_sampler_counts([a, b])
    ok("get_sampler_counts", {int(k): int(v) for k, v in counts.items()} == {a: 0, b: 1})

    landmark = session.put(f"{base}/landmarks/", data={"name": "peer LM"}).json()
    session.put(f"{base}/landmarks/{landmark['id']}/locations/", data={"x": 1, "y": 2, "z": 3}).raise_for_status()
    try:
        landmarks, locations = pymaid.get_landmarks(with_locations=True)
        ok("get_landmarks", "peer LM" in set(landmarks.name) and len(locations) == 1)
    except (TypeError, ValueError, AttributeError):  # pymaid 2.4.3 with newer pandas (as in the captures)
        body = session.get(f"{base}/landmarks", params={"with_locations": "true"}).json()
        ok("get_landmarks: the server's answer (pymaid failed client-side)",
           [lm["locations"][0]["x"] for lm in body if lm["name"] == "peer LM"] == [1.0])
    group = session.put(f"{base}/landmarks/groups/", data={"name": "peer group"}).json()
    session.post(f"{base}/landmarks/groups/{group['id']}/", data={"members[0]": landmark["id"]}).raise_for_status()
    try:
        groups = pymaid.get_landmark_groups(with_members=True)[0]
        ok("get_landmark_groups", "peer group" in set(groups.name))
    except (TypeError, ValueError, AttributeError):
        body = session.get(f"{base}/landmarks/groups", params={"with_members": "true"}).json()
        ok("get_landmark_groups: the server's answer (pymaid failed client-side)",
           [g["members"] for g in body if g["name"] == "peer group"] == [[landmark["id"]]])

    for skid in (a, b):
        pymaid.delete_neuron(skid, no_prompt=True)
    print(f"{checks} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
