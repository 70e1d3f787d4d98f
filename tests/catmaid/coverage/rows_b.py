"""pymaid functions -> neuromodels calls, part B: annotations, history and provenance, users and
statistics, samplers and landmarks, find_neurons filters.

Each row: ``pymaid`` (the function), ``neuromodels`` (code run against the bundled CATMAID with
``conn`` and the public names of ``neuromodels`` in scope; it makes the data it needs and cleans
up), ``note``.
"""

SETUP_TWO = ("a = Neuron.from_swc('1 1 0 0 0 1 -1\\n2 3 10 0 0 1 1\\n', name='cov a', annotations=['cov left']).save()\n"
             "b = Neuron.from_swc('1 1 9 0 0 1 -1\\n', name='cov b', annotations=['cov right']).save()\n")
CLEANUP_TWO = "a.delete(); b.delete()\n"

ROWS = [
    {"pymaid": "find_neurons",
     "neuromodels": SETUP_TWO + "NeuronCollection(annotation='cov left', created_by='admin', from_date='2020-01-01', "
                    "min_nodes=2).fetch(nodes=False)\nNeuronCollection(reviewed_by=2, soma=True).count()\n" + CLEANUP_TWO,
     "note": "users -> created_by, reviewed_by, from/to dates -> from_date/to_date (need a user, as on the server), "
             "min_size -> min_nodes, only_soma -> soma=True; filters AND-ed"},
    {"pymaid": "get_skeleton_ids",
     "neuromodels": "NeuronCollection(created_by='admin', min_nodes=10).fetch(nodes=False)",
     "note": "GET skeletons/ with created_by, reviewed_by, from, to, nodecount_gt"},
    {"pymaid": "get_annotated",
     "neuromodels": SETUP_TWO + "m = AnnotationCollection(name='cov left').fetch()[0]; m.meta = ['cov meta']; m.update()\n"
                    "AnnotationCollection(annotated_with='cov meta').fetch()\n"
                    "NeuronCollection(annotation='cov meta', include_sub_annotations=True).fetch(nodes=False)\n"
                    + CLEANUP_TWO,
     "note": "annotations under a meta-annotation; include_sub_annotations follows them to the neurons"},
    {"pymaid": "get_skids_by_annotation (include_sub_annotations)",
     "neuromodels": SETUP_TWO + "[n.id for n in NeuronCollection(annotation='cov left', "
                    "include_sub_annotations=True).fetch(nodes=False)]\n" + CLEANUP_TWO,
     "note": "sub_annotated_with expansion at any depth"},
    {"pymaid": "get_annotation_details",
     "neuromodels": SETUP_TWO + "NeuronCollection([a, b]).annotation_details()\n" + CLEANUP_TWO,
     "note": "who put which annotation on which neuron, and when (annotations/table-list)"},
    {"pymaid": "get_user_annotations",
     "neuromodels": SETUP_TWO + "AnnotationCollection(user='admin').fetch().to_dataframe()\n" + CLEANUP_TWO,
     "note": "Annotation.extra holds uses, last_used, user_id"},
    {"pymaid": "get_entity_graph",
     "neuromodels": SETUP_TWO + "Project.fetch(conn.project).entity_graph(annotated_with='cov left')\n" + CLEANUP_TWO,
     "note": "one edge per (entity, annotation) as a DataFrame; build a networkx graph from it if needed"},
    {"pymaid": "get_skeleton_change",
     "neuromodels": SETUP_TWO + "NeuronCollection([a, b]).history()\na.history()\n" + CLEANUP_TWO,
     "note": "skeletons/change-history: chains of skeleton ids per group of nodes (splits and merges)"},
    {"pymaid": "time_machine",
     "neuromodels": SETUP_TWO + "a.at('2001-01-01').nodes\na.at(datetime.datetime.now(datetime.timezone.utc))\n"
                    + CLEANUP_TWO,
     "note": "Neuron.at(time): nodes, links and tags valid then (compact-detail with_history)"},
    {"pymaid": "get_history",
     "neuromodels": "Project.fetch(conn.project).user_history('2024-01-01')",
     "note": "stats/user-history per user and day; asked up to today, which avoids the real server's KeyError"},
    {"pymaid": "get_user_stats",
     "neuromodels": "Project.fetch(conn.project).user_history('2024-01-01').groupby('user_id').sum(numeric_only=True)",
     "note": "totals per user over a window"},
    {"pymaid": "get_logs",
     "neuromodels": SETUP_TWO + "Project.fetch(conn.project).logs(operations=['create_neuron'], user='admin', "
                    "search='cov', limit=20)\n" + CLEANUP_TWO,
     "note": "logs/list, newest first; one request per operation as on the server"},
    {"pymaid": "get_transactions",
     "neuromodels": SETUP_TWO + "Project.fetch(conn.project).transactions(limit=15)\n" + CLEANUP_TWO,
     "note": "transactions/ paged by range_start/range_length"},
    {"pymaid": "get_origin",
     "neuromodels": SETUP_TWO + "NeuronCollection([a, b]).origins()\n" + CLEANUP_TWO,
     "note": "skeletons/origin: source id, URL and project of imported skeletons"},
    {"pymaid": "get_skids_by_origin",
     "neuromodels": "NeuronCollection(source_ids=[1000, 1001], source_url='https://example.org/src', "
                    "source_project=7).fetch(nodes=False)",
     "note": "skeletons/from-origin as three filters that go together"},
    {"pymaid": "get_import_info",
     "neuromodels": SETUP_TWO + "NeuronCollection([a, b]).import_info(nodes=True)\n" + CLEANUP_TWO,
     "note": "skeletons/import-info: imported node counts (and ids)"},
    {"pymaid": "get_user_list",
     "neuromodels": "Project.fetch(conn.project).members()",
     "note": "User records from GET /user-list (server-wide)"},
    {"pymaid": "get_contributor_statistics",
     "neuromodels": SETUP_TWO + "NeuronCollection([a, b]).contributors()\n"
                    "NeuronCollection([a, b]).contributors(per_neuron=True)\n" + CLEANUP_TWO,
     "note": "nodes, presynapses, postsynapses, reviews per user (contributor_statistics_multiple)"},
    {"pymaid": "get_user_contributions",
     "neuromodels": SETUP_TWO + "NeuronCollection(created_by='admin').fetch(nodes=False).contributors()\n"
                    + CLEANUP_TWO,
     "note": "per-user totals over the neurons a user worked on"},
    {"pymaid": "get_time_invested",
     "neuromodels": SETUP_TWO + "NeuronCollection([a, b]).time_invested(interval=3, minimum_actions=1)\n"
                    + CLEANUP_TWO,
     "note": "minutes per user from node, review and link times, binned as pymaid does"},
    {"pymaid": "get_team_contributions",
     "neuromodels": SETUP_TWO + "c = NeuronCollection([a, b]).contributors(per_neuron=True)\n"
                    "c.assign(team=c.user_id.map({2: 'team A'})).groupby(['skeleton_id', 'team']).sum(numeric_only=True)\n"
                    + CLEANUP_TWO,
     "note": "group the per-neuron contributors by your own user -> team mapping"},
    {"pymaid": "get_sampler",
     "neuromodels": SETUP_TWO + "s = Sampler(neuron=a.id, interval_length=2000).save()\n"
                    "SamplerCollection(neuron=a.id).fetch().to_dataframe()\nSamplerCollection().fetch()\ns.delete()\n"
                    + CLEANUP_TWO,
     "note": "samplers/ (the slash-less URL pymaid asks redirects); Sampler save/delete too"},
    {"pymaid": "get_sampler_domains",
     "neuromodels": SETUP_TWO + "s = Sampler(neuron=a.id, interval_length=2000).save()\ns.domains()\ns.delete()\n"
                    + CLEANUP_TWO,
     "note": "samplers/{id}/domains/"},
    {"pymaid": "get_sampler_counts",
     "neuromodels": SETUP_TWO + "NeuronCollection([a, b]).sampler_counts()\n" + CLEANUP_TWO,
     "note": "skeletons/sampler-count in one request"},
    {"pymaid": "get_landmarks",
     "neuromodels": "lm = Landmark(name='cov landmark', locations=[(1.0, 2.0, 3.0)]).save()\n"
                    "LandmarkCollection().fetch()\nLandmark.fetch(lm.id).locations\nlm.delete()\n",
     "note": "landmarks/?with_locations=true; create, rename, add/remove locations, delete"},
    {"pymaid": "get_landmark_groups",
     "neuromodels": "lm = Landmark(name='cov member').save()\ng = LandmarkGroup(name='cov group', members=[lm.id]).save()\n"
                    "LandmarkGroupCollection().fetch()\ng.delete(); lm.delete()\n",
     "note": "landmarks/groups/?with_members=true&with_locations=true; create, members, delete"},
]
