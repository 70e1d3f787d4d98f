"""Coverage rows: annotations and meta-annotations, find_neurons filters, history and provenance,
users and statistics, samplers and landmarks.

Each row: ``pymaid`` (the function as pymaid's API reference names it), ``call`` (the neuromodels
equivalent as the docs show it), ``run`` (code run against the bundled server with the names of
:func:`setup` and the public names of neuromodels; its last line is an expression that must be
true) and an optional ``note``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

ORIGIN = "https://example.org/coverage-source"


def setup(ns: dict[str, Any]) -> None:
    """Two neurons HA ("cov left") and HB ("cov right"), both annotations under "cov meta", that
    under "cov super"; HA imported with an origin (source id 1000 on ORIGIN, project 7), a node of
    HA reviewed and moved after ``BEFORE``; a sampler on HA; a landmark LM in a group LMG."""
    from neuromodels import AnnotationCollection, Landmark, LandmarkGroup, Neuron, Sampler

    conn = ns["conn"]
    swc = "".join(f"{k} 3 {10 * k} 500 0 5 {k - 1 if k > 1 else -1}\n" for k in range(1, 7))
    made = conn.transport.request("POST", f"/{conn.project}/skeletons/import", files={"file": ("ha.swc", swc.encode())},
                                  data={"name": "cov HA", "annotations[0]": "cov left", "source_id": "1000",
                                        "source_url": ORIGIN, "source_project_id": "7"})
    ha = Neuron.fetch(int(made["skeleton_id"]))
    hb = Neuron.from_swc("1 1 0 900 0 5 -1\n2 3 10 900 0 5 1\n", name="cov HB", annotations=["cov right"]).save()
    for side in ("cov left", "cov right"):
        found = AnnotationCollection(name=side).fetch()[0]
        found.meta = ["cov meta"]
        found.update()
    meta = AnnotationCollection(name="cov meta").fetch()[0]
    meta.meta = ["cov super"]
    meta.update()
    ha.tags = {"soma": [int(ha.nodes.node_id.min())]}
    ha.update()
    ha.mark_reviewed([int(ha.nodes.node_id.min())])
    before = dt.datetime.now(dt.timezone.utc)
    tip = int(ha.nodes.node_id.max())
    ha.nodes.loc[ha.nodes.node_id == tip, "x"] = 999.0
    ha = ha.update()
    sampler = Sampler(neuron=ha.id, interval_length=2000).save()
    lm = Landmark(name="cov landmark", locations=[(1.0, 2.0, 3.0)]).save()
    lmg = LandmarkGroup(name="cov landmark group", members=[lm.id]).save()
    ns.update(HA=ha, HB=hb, HA_TIP=tip, BEFORE=before, SAMPLER=sampler, LM=lm, LMG=lmg, ORIGIN=ORIGIN, dt=dt,
              PROJECT=conn.project)


ROWS: list[dict[str, str]] = [
    # -- finding neurons ---------------------------------------------------------------------------
    {"pymaid": "pymaid.find_neurons",
     "call": "NeuronCollection(annotation=, name=, volume=, created_by=, reviewed_by=, from_date=, to_date=, "
             "min_nodes=, soma=True)",
     "run": "[n.id for n in NeuronCollection(annotation='cov left', reviewed_by='admin', min_nodes=6, soma=True)"
            ".fetch(nodes=False)] == [HA.id]",
     "note": "users -> created_by, from/to dates -> from_date/to_date (with a user, as CATMAID dates that "
             "user's nodes), min_size -> min_nodes, only_soma -> soma=True; all filters AND-ed"},
    {"pymaid": "pymaid.get_skeleton_ids",
     "call": "NeuronCollection(created_by=, reviewed_by=, from_date=, to_date=, min_nodes=).fetch(nodes=False)",
     "run": "HA.id in [n.id for n in NeuronCollection(created_by='admin', from_date=dt.date.today() - "
            "dt.timedelta(days=1), min_nodes=6).fetch(nodes=False)]",
     "note": "GET skeletons/ with created_by, reviewed_by, from, to, nodecount_gt"},
    {"pymaid": "pymaid.get_skids_by_annotation",
     "call": "NeuronCollection(annotation=..., include_sub_annotations=True)",
     "run": "sorted(n.id for n in NeuronCollection(annotation='cov super', include_sub_annotations=True)"
            ".fetch(nodes=False)) == sorted([HA.id, HB.id])",
     "note": "meta-annotations followed at any depth (sub_annotated_with); without it, as pymaid, none"},
    # -- annotations -------------------------------------------------------------------------------
    {"pymaid": "pymaid.get_annotated",
     "call": "AnnotationCollection(annotated_with=, include_sub_annotations=) / NeuronCollection(annotation=)",
     "run": "sorted(a.name for a in AnnotationCollection(annotated_with='cov meta').fetch()) == "
            "['cov left', 'cov right']"},
    {"pymaid": "pymaid.get_annotation_details", "call": "NeuronCollection.annotation_details()",
     "run": "NeuronCollection([HA]).annotation_details()[['annotation', 'user_id']].values.tolist() == "
            "[['cov left', 2]]",
     "note": "who put which annotation on which neuron, and when (UTC)"},
    {"pymaid": "pymaid.get_user_annotations", "call": "AnnotationCollection(user=id or login)",
     "run": "{a.name: a.extra['uses'] for a in AnnotationCollection(user='admin').fetch()}['cov meta'] == 2",
     "note": "Annotation.extra has uses, last_used, user_id"},
    {"pymaid": "pymaid.get_entity_graph", "call": "Project.entity_graph(types=, annotated_with=)",
     "run": "sorted(Project.fetch(PROJECT).entity_graph(annotated_with='cov meta').entity_name) == "
            "['cov left', 'cov right']",
     "note": "one edge per (entity, annotation) as a DataFrame (networkx.from_pandas_edgelist takes it)"},
    # -- history and provenance ----------------------------------------------------------------------
    {"pymaid": "pymaid.get_skeleton_change", "call": "Neuron.history() / NeuronCollection.history()",
     "run": "NeuronCollection([HA, HB]).history()[['skeleton_ids', 'changed']].values.tolist() == "
            "[[[HA.id], True], [[HB.id], False]]",
     "note": "skeletons/change-history: chains of skeleton ids per group of nodes (splits, merges)"},
    {"pymaid": "pymaid.time_machine", "call": "Neuron.at(time)",
     "run": "HA.at(BEFORE).nodes.set_index('node_id').loc[HA_TIP, 'x'] == 60.0",
     "note": "nodes, links and tags valid at that time (compact-detail with_history), an unsaved Neuron"},
    {"pymaid": "pymaid.get_history", "call": "Project.user_history(start, end)",
     "run": "Project.fetch(PROJECT).user_history(dt.date.today() - dt.timedelta(days=1)).new_import_nodes.sum() >= 6",
     "note": "asked up to today, which avoids the real server's KeyError for later days with data"},
    {"pymaid": "pymaid.get_user_stats", "call": "Project.user_history(start, end).groupby('user_id').sum()",
     "run": "2 in Project.fetch(PROJECT).user_history(dt.date.today() - dt.timedelta(days=1))"
            ".groupby('user_id').sum(numeric_only=True).index"},
    {"pymaid": "pymaid.get_logs", "call": "Project.logs(operations=, user=, search=, limit=)",
     "run": "set(Project.fetch(PROJECT).logs(operations='create_neuron', user='admin', limit=20).operation) == "
            "{'create_neuron'}",
     "note": "logs/list, newest first; one request per operation as the server filters one"},
    {"pymaid": "pymaid.get_transactions", "call": "Project.transactions(limit=)",
     "run": "'skeletons.import' in set(Project.fetch(PROJECT).transactions(limit=500).label)"},
    {"pymaid": "pymaid.get_origin", "call": "NeuronCollection.origins()",
     "run": "NeuronCollection([HA, HB]).origins()[['skeleton_id', 'source_id', 'source_url']].values.tolist() == "
            "[[HA.id, 1000, ORIGIN]]"},
    {"pymaid": "pymaid.get_skids_by_origin",
     "call": "NeuronCollection(source_ids=, source_url=, source_project=)",
     "run": "[n.id for n in NeuronCollection(source_ids=[1000, 1001], source_url=ORIGIN, source_project=7)"
            ".fetch(nodes=False)] == [HA.id]"},
    {"pymaid": "pymaid.get_import_info", "call": "NeuronCollection.import_info(nodes=)",
     "run": "NeuronCollection([HA, HB]).import_info().n_imported_nodes.tolist() == [6, 2]"},
    # -- users and statistics -------------------------------------------------------------------------
    {"pymaid": "pymaid.get_user_list", "call": "Project.members()",
     "run": "'admin' in [u.username for u in Project.fetch(PROJECT).members()]",
     "note": "User records from the server-wide user list"},
    {"pymaid": "pymaid.get_contributor_statistics", "call": "NeuronCollection.contributors(per_neuron=)",
     "run": "NeuronCollection([HA, HB]).contributors().values.tolist() == [[2, 8, 0, 0, 1]]",
     "note": "columns user_id, nodes, presynapses, postsynapses, reviews"},
    {"pymaid": "pymaid.get_user_contributions",
     "call": "NeuronCollection(created_by=user).fetch(nodes=False).contributors()",
     "run": "NeuronCollection(created_by='admin', min_nodes=6).fetch(nodes=False).contributors().nodes.sum() >= 6"},
    {"pymaid": "pymaid.get_time_invested", "call": "NeuronCollection.time_invested(interval=, minimum_actions=)",
     "run": "NeuronCollection([HA, HB]).time_invested().total.tolist()[0] >= 3",
     "note": "minutes per user from node, review and link times, binned as pymaid does"},
    {"pymaid": "pymaid.get_team_contributions",
     "call": "NeuronCollection.contributors(per_neuron=True) grouped by a user -> team mapping",
     "run": "c = NeuronCollection([HA, HB]).contributors(per_neuron=True)\n"
            "c.assign(team=c.user_id.map({2: 'team'})).groupby('team').nodes.sum().to_dict() == {'team': 8}"},
    # -- samplers and landmarks ---------------------------------------------------------------------------
    {"pymaid": "pymaid.get_sampler", "call": "SamplerCollection(neuron=) / Sampler.fetch(id)",
     "run": "[s.id for s in SamplerCollection(neuron=HA.id).fetch()] == [SAMPLER.id]",
     "note": "also Sampler(neuron=, interval_length=).save() and delete()"},
    {"pymaid": "pymaid.get_sampler_domains", "call": "Sampler.domains()",
     "run": "list(SAMPLER.domains().columns)[:3] == ['domain_id', 'type_id', 'start_node_id']"},
    {"pymaid": "pymaid.get_sampler_counts", "call": "NeuronCollection.sampler_counts()",
     "run": "NeuronCollection([HA, HB]).sampler_counts().tolist() == [1, 0]"},
    {"pymaid": "pymaid.get_landmarks", "call": "LandmarkCollection().fetch() / Landmark.fetch(id)",
     "run": "[(p.x, p.y, p.z) for p in Landmark.fetch(LM.id).locations] == [(1.0, 2.0, 3.0)]",
     "note": "also create, rename, add or remove locations, delete"},
    {"pymaid": "pymaid.get_landmark_groups", "call": "LandmarkGroupCollection().fetch() / LandmarkGroup.fetch(id)",
     "run": "LandmarkGroup.fetch(LMG.id).members == [LM.id]",
     "note": "also create, rename, change members, delete"},
]
