"""Coverage rows: connection, neurons, nodes, spatial queries, connectivity, edits, proofreading.

Each row: ``pymaid`` (the function as pymaid's API reference names it), ``call`` (the neuromodels
equivalent as the docs show it), ``run`` (code run against the bundled server with the names of
:func:`setup` and the public names of neuromodels; its last line is an expression that must be
true) and an optional ``note``.
"""

from __future__ import annotations

from typing import Any

SWC = "1 1 {x} 0 0 5 -1\n2 3 {x1} 0 0 5 1\n3 3 {x2} 0 0 5 2\n"


def setup(ns: dict[str, Any]) -> None:
    """Three neurons along x: A -> B twice, B -> C once, A - C gap junction; a box volume
    around the A -> B synapses and B's first node; "soma" on A's root; a connector without links."""
    import numpy as np
    import pandas as pd

    from neuromodels import Connector, Neuron, Volume, nodes

    def fresh(x: float = 0.0, name: str = "cov fresh", **fields: Any) -> Any:
        return Neuron.from_swc(SWC.format(x=x, x1=x + 100, x2=x + 200), name=name, **fields).save()

    A, B, C = (fresh(10000 * (k + 1), f"cov {n}", annotations=["cov PN"] if n != "C" else ["cov LN"])
               for k, n in enumerate("ABC"))
    node = {n.name[-1]: n.nodes.sort_values("node_id").node_id.astype(int).tolist() for n in (A, B, C)}
    A.tags = {"soma": [node["A"][0]]}
    A.update()
    syn = Connector(x=15000, y=0, z=0, links=[(node["A"][0], "presynaptic_to"), (node["B"][0], "postsynaptic_to")]).save()
    Connector(x=15100, y=0, z=0, links=[(node["A"][1], "presynaptic_to"), (node["B"][1], "postsynaptic_to")]).save()
    Connector(x=25000, y=0, z=0, links=[(node["B"][2], "presynaptic_to"), (node["C"][0], "postsynaptic_to")]).save()
    gj = Connector(x=20000, y=0, z=0, links=[(node["A"][2], "gapjunction_with"), (node["C"][1], "gapjunction_with")]).save()
    lonely = Connector(x=40000, y=0, z=0, links=[]).save()
    x0, x1, y0, y1, z0, z1 = 14000, 20050, -50, 50, -50, 50
    vertices = [[x, y, z] for x in (x0, x1) for y in (y0, y1) for z in (z0, z1)]
    faces = [[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1], [2, 3, 7], [2, 7, 6], [0, 2, 6],
             [0, 6, 4], [1, 5, 7], [1, 7, 3]]
    vol = Volume(name="cov box", vertices=vertices, faces=faces).save()
    ns.update(A=A, B=B, C=C, node=node, SYN=syn, GJ=gj, LONELY=lonely, VOL=vol, fresh=fresh, np=np, pd=pd,
              nodes=nodes, SWC=SWC)


ROWS: list[dict[str, str]] = [
    # -- connection --------------------------------------------------------------------------
    {"pymaid": "pymaid.CatmaidInstance", "call": "Connection(url, backend='catmaid', project=, token=)",
     "run": "isinstance(conn, Connection) and conn.project == server.project"},
    {"pymaid": "pymaid.CatmaidInstance.fetch", "call": "conn.get(path, params=) / conn.post(path, data=, read=)",
     "run": "conn.get(f'/{conn.project}/skeleton/{A.id}/neuronname')['neuronname'] == 'cov A'",
     "note": "the connection's auth, retries, deadlines and typed errors; lists sent as key[i]"},
    {"pymaid": "pymaid.connect_catmaid", "call": "Connection.from_env() / Connection.from_profile(name)",
     "run": "Connection.from_env(url=server.url, backend='catmaid', project=server.project, token=server.token).project == server.project"},
    {"pymaid": "CatmaidInstance.available_projects", "call": "ProjectCollection().fetch()",
     "run": "conn.project in [p.id for p in ProjectCollection().fetch()]"},
    {"pymaid": "CatmaidInstance.catmaid_version", "call": "conn.ping()", "run": "'SERVER_VERSION' in conn.ping()"},
    {"pymaid": "CatmaidInstance.image_stacks", "call": "ImageInstanceCollection().fetch()",
     "run": "len(ImageInstanceCollection().fetch()) >= 1"},
    # -- neurons ---------------------------------------------------------------------------------
    {"pymaid": "pymaid.get_neuron", "call": "Neuron.fetch(skid) / NeuronCollection(ids=[...]).fetch()",
     "run": "len(Neuron.fetch(A.id).nodes) == 3 and Neuron.fetch(A.id).tags == {'soma': [node['A'][0]]}"},
    {"pymaid": "pymaid.CatmaidNeuron", "call": "Neuron.fetch(skid) (to_navis() with the navis extra)",
     "run": "Neuron.fetch(B.id).name == 'cov B'"},
    {"pymaid": "pymaid.CatmaidNeuronList", "call": "NeuronCollection(ids=[...]).fetch()",
     "run": "[n.name for n in NeuronCollection(ids=[A.id, B.id]).fetch()] == ['cov A', 'cov B']"},
    {"pymaid": "pymaid.CatmaidNeuron.reload", "call": "Neuron.fetch(n.id) / n.fetch()",
     "run": "A.fetch().id == A.id"},
    {"pymaid": "pymaid.get_arbor", "call": "Neuron.fetch(skid) (nodes, connectors) + ConnectorCollection(neuron=skid)",
     "run": "len(Neuron.fetch(A.id).connectors) == 3 and len(ConnectorCollection(neuron=A.id).fetch()) == 3"},
    {"pymaid": "pymaid.get_names", "call": "NeuronCollection(ids=[...]).fetch(nodes=False) -> .name",
     "run": "[n.name for n in NeuronCollection(ids=[C.id]).fetch(nodes=False)] == ['cov C']"},
    {"pymaid": "pymaid.get_neuron_id", "call": "Neuron.neuron_id", "run": "Neuron.fetch(A.id).neuron_id == A.neuron_id"},
    {"pymaid": "pymaid.get_skids_by_name", "call": "NeuronCollection(name='...')",
     "run": "[n.id for n in NeuronCollection(name='cov A').fetch(nodes=False)] == [A.id]"},
    {"pymaid": "pymaid.get_neurons_in_volume", "call": "NeuronCollection(inside=volume) (mesh) / NeuronCollection(volume=volume) (bounding box)",
     "run": "[n.id for n in NeuronCollection(inside=VOL.id).fetch(nodes=False)] == [B.id] == "
            "[n.id for n in NeuronCollection(volume=VOL.id).fetch(nodes=False)]",
     "note": "inside= tests the nodes against the mesh; volume= is CATMAID's bounding-box query"},
    {"pymaid": "pymaid.has_soma", "call": "NeuronCollection(...).to_dataframe()['soma'] / Neuron.tags['soma']",
     "run": "NeuronCollection(ids=[A.id, B.id]).fetch().to_dataframe()['soma'].tolist()[0] == node['A'][0]"},
    {"pymaid": "pymaid.get_cable_lengths", "call": "NeuronCollection(...).cable_lengths()",
     "run": "NeuronCollection(ids=[A.id]).fetch().cable_lengths().tolist() == [200.0]"},
    {"pymaid": "pymaid.get_annotations", "call": "Neuron.annotations / AnnotationCollection(neuron=skid)",
     "run": "[a.name for a in AnnotationCollection(neuron=A.id).fetch()] == ['cov PN']"},
    {"pymaid": "pymaid.get_annotation_id", "call": "AnnotationCollection(name='X').fetch()[0].id",
     "run": "AnnotationCollection(name='cov PN').fetch()[0].id > 0"},
    {"pymaid": "pymaid.get_volume", "call": "Volume.fetch(id) / VolumeCollection(name=...)",
     "run": "Volume.fetch(VOL.id).faces.shape == (12, 3)"},
    # -- nodes -----------------------------------------------------------------------------------
    {"pymaid": "pymaid.get_skid_from_node", "call": "nodes.skeletons(node_ids)",
     "run": "nodes.skeletons([node['B'][1]]).tolist() == [B.id]"},
    {"pymaid": "pymaid.get_node_info", "call": "nodes.info(node_ids)",
     "run": "nodes.info([node['C'][0]]).neuron_name.tolist() == ['cov C']"},
    {"pymaid": "pymaid.get_node_location", "call": "nodes.locations(node_ids)",
     "run": "nodes.locations([SYN.id]).x.tolist() == [15000.0]"},
    {"pymaid": "pymaid.find_nodes", "call": "nodes.find(tags=, neurons=, ids=)",
     "run": "nodes.find(tags='soma', neurons=[A.id]).node_id.tolist() == [node['A'][0]]"},
    {"pymaid": "pymaid.get_node_details", "call": "nodes.details(node_ids)",
     "run": "list(nodes.details([node['A'][1]]).columns[:3]) == ['node_id', 'creator_id', 'editor_id']"},
    {"pymaid": "pymaid.get_node_table", "call": "nodes.table(skids) (with details) / NeuronCollection.node_table()",
     "run": "len(nodes.table([A.id])) == 3 and 'reviewer_ids' in nodes.table([A.id])"},
    {"pymaid": "pymaid.get_node_tags", "call": "nodes.tags(node_ids, connectors=False)",
     "run": "nodes.tags(node['A']) == {node['A'][0]: ['soma']}"},
    {"pymaid": "pymaid.get_connector_tags", "call": "nodes.tags(connector_ids, connectors=True)",
     "run": "conn.post(f'/{conn.project}/label/connector/{GJ.id}/update', data={'tags': 'gj'})\n"
            "nodes.tags([GJ.id], connectors=True) == {GJ.id: ['gj']}"},
    {"pymaid": "pymaid.get_label_list", "call": "nodes.labels()",
     "run": "node['A'][0] in nodes.labels().query('tag == \"soma\"').node_id.tolist()"},
    {"pymaid": "pymaid.get_nodes_in_volume", "call": "nodes.in_box(bbox) / nodes.in_volume(volume)",
     "run": "sorted(nodes.in_box((19950, -1, -1, 20250, 1, 1)).node_id) == node['B'] and "
            "nodes.in_volume(VOL.id).node_id.tolist() == [node['B'][0]]"},
    # -- connectors ------------------------------------------------------------------------------
    {"pymaid": "pymaid.get_connectors_in_bbox", "call": "ConnectorCollection(bbox=(minx, miny, minz, maxx, maxy, maxz))",
     "run": "[(c.id, c.links) for c in ConnectorCollection(bbox=(39000, -1, -1, 41000, 1, 1)).fetch()] == [(LONELY.id, [])]",
     "note": "a connector without links reads as one (CATMAID answers it as a row of nulls)"},
    {"pymaid": "pymaid.get_connectors", "call": "ConnectorCollection(neuron=, relation=)",
     "run": "len(ConnectorCollection(neuron=A.id, relation='presynaptic_to').fetch()) == 2"},
    {"pymaid": "pymaid.get_connector_details", "call": "Connector.fetch(id) (links with node, relation, skeleton, confidence)",
     "run": "sorted(l.relation for l in Connector.fetch(SYN.id).links) == ['postsynaptic_to', 'presynaptic_to']"},
    {"pymaid": "pymaid.get_connector_links", "call": "NeuronCollection.connector_table() / ConnectorCollection(neuron=).links",
     "run": "len(NeuronCollection(ids=[A.id]).fetch().connector_table()) == 3"},
    # -- connectivity ----------------------------------------------------------------------------
    {"pymaid": "pymaid.get_partners", "call": "NeuronCollection.partners(kinds=, min_synapses=) / Neuron.partners()",
     "run": "sorted(NeuronCollection([A]).partners(kinds=['downstream', 'gapjunction']).skeleton_id) == sorted([B.id, C.id])",
     "note": "one request for all members; gap junctions, attachments, abutting ... as kinds"},
    {"pymaid": "pymaid.get_partners_in_volume", "call": "NeuronCollection.partners(volume=)",
     "run": "NeuronCollection([A]).partners(volume=VOL.id).n_synapses.tolist() == [2]"},
    {"pymaid": "pymaid.get_nth_partners", "call": "NeuronCollection.nth_partners(n)",
     "run": "sorted(NeuronCollection([A]).nth_partners(2).skeleton_id) == sorted([B.id, C.id])"},
    {"pymaid": "pymaid.get_paths", "call": "NeuronCollection.paths_to(targets, n_hops=)",
     "run": "NeuronCollection([A]).paths_to([C], n_hops=2) == [[A.id, B.id, C.id]]"},
    {"pymaid": "pymaid.get_connectivity_counts", "call": "NeuronCollection.connectivity_counts()",
     "run": "NeuronCollection([A, B]).connectivity_counts()['presynaptic_to'].tolist() == [2, 1]"},
    {"pymaid": "pymaid.get_connectors_between", "call": "NeuronCollection.connectors_between(others, directional=)",
     "run": "len(NeuronCollection([A]).connectors_between([B])) == 2"},
    {"pymaid": "pymaid.adjacency_matrix", "call": "NeuronCollection.adjacency()",
     "run": "NeuronCollection([A, B]).adjacency().values.tolist() == [[0, 2], [0, 0]]"},
    {"pymaid": "pymaid.get_edges", "call": "NeuronCollection.adjacency() (melted)",
     "run": "int(NeuronCollection([A, B, C]).adjacency().stack().sum()) == 3"},
    # -- reviews ---------------------------------------------------------------------------------
    {"pymaid": "pymaid.set_nodes_reviewed", "call": "Neuron.mark_reviewed(node_ids)",
     "run": "B.mark_reviewed([node['B'][0]]).node_id.tolist() == [node['B'][0]]"},
    {"pymaid": "pymaid.get_review_details", "call": "Neuron.reviews()",
     "run": "C.mark_reviewed([node['C'][0]]) is not None and C.reviews().node_id.tolist() == [node['C'][0]]"},
    {"pymaid": "pymaid.get_review", "call": "Neuron.reviews() (share reviewed: its node ids over n.nodes)",
     "run": "n = fresh(60000)\nn.mark_reviewed(n.nodes.node_id[:1]) is not None\n"
            "len(set(n.reviews().node_id)) / len(n.nodes) == 1 / 3"},
    # -- writes ----------------------------------------------------------------------------------
    {"pymaid": "pymaid.upload_neuron", "call": "Neuron.from_swc(...).save() / NeuronCollection.save()",
     "run": "fresh(70000).id > 0"},
    {"pymaid": "pymaid.delete_neuron", "call": "Neuron.delete() / NeuronCollection.delete()",
     "run": "n = fresh(71000)\nn.delete()\nn.state.value == 'deleted'"},
    {"pymaid": "pymaid.rename_neurons", "call": "n.update(name=...) (bulk for collections)",
     "run": "n = fresh(72000)\nNeuron.fetch(n.update(name='cov renamed').id).name == 'cov renamed'"},
    {"pymaid": "pymaid.transfer_neuron", "call": "Neuron.copy_to(other_connection) / NeuronCollection.copy_to(...)",
     "run": "s2 = __import__('neuromodels.testing', fromlist=['serve']).serve('catmaid').start()\n"
            "other = Connection(s2.url, backend='catmaid', project=s2.project, token=s2.token, progress=False)\n"
            "ok = len(NeuronCollection(ids=[A.id]).fetch().copy_to(other)) == 1\n"
            "s2.stop()\n"
            "ok"},
    {"pymaid": "pymaid.differential_upload", "call": "edit n.nodes; n.update() (the difference; n.changes() shows it)",
     "run": "n = fresh(73000)\nn.nodes.loc[n.nodes.node_id == n.nodes.node_id.max(), 'x'] = 73500.0\n"
            "n.changes()['nodes'].change.tolist() == ['move'] and n.update().nodes.x.max() == 73500.0"},
    {"pymaid": "pymaid.add_node", "call": "a new row in n.nodes; n.update()",
     "run": "n = fresh(74000)\nn.nodes = pd.concat([n.nodes, pd.DataFrame({'node_id': [-1], 'parent_id': [int(n.nodes.node_id.max())], "
            "'x': [74300.0], 'y': [2.0], 'z': [3.0]})], ignore_index=True)\nlen(n.update().nodes) == 4"},
    {"pymaid": "pymaid.delete_nodes", "call": "drop rows from n.nodes; n.update() (children move to the parent)",
     "run": "n = fresh(75000)\nlow, middle, tip = sorted(n.nodes.node_id)\nn.nodes = n.nodes[n.nodes.node_id != middle]\n"
            "n.update().nodes.set_index('node_id').parent_id[tip] == low"},
    {"pymaid": "pymaid.move_nodes", "call": "edit x/y/z in n.nodes (or Connector x/y/z); update()",
     "run": "n = fresh(76000)\nn.nodes['y'] = 5.0\n(n.update().nodes.y == 5.0).all()"},
    {"pymaid": "pymaid.update_radii", "call": "edit n.nodes.radius; update()",
     "run": "n = fresh(77000)\nn.nodes['radius'] = 7.5\n(n.update().nodes.radius == 7.5).all()"},
    {"pymaid": "pymaid.update_node_confidence", "call": "edit n.nodes.confidence; update()",
     "run": "n = Neuron.fetch(fresh(78000).id)\nn.nodes.loc[n.nodes.parent_id != -1, 'confidence'] = 2\n"
            "sorted(n.update().nodes.confidence.tolist()) == [2, 2, 5]"},
    {"pymaid": "pymaid.push_new_root", "call": "Neuron.reroot(node_id)",
     "run": "n = fresh(79000)\ntip = int(n.nodes.node_id.max())\nn.reroot(tip).nodes.set_index('node_id').parent_id[tip] == -1"},
    {"pymaid": "pymaid.join_skeletons", "call": "Neuron.join(other, at=node_id, other_at=)",
     "run": "a, b = fresh(80000), fresh(80500)\nlen(a.join(b, at=int(a.nodes.node_id.max())).nodes) == 6"},
    {"pymaid": "pymaid.join_nodes", "call": "Neuron.join(other, at=node_id, other_at=node_id)",
     "run": "a, b = fresh(81000), fresh(81500)\nlen(a.join(b, at=int(a.nodes.node_id.min()), other_at=int(b.nodes.node_id.max())).nodes) == 6"},
    {"pymaid": "pymaid.replace_skeleton", "call": "Neuron.replace(new_nodes) (keeps the neuron and its root node)",
     "run": "n = fresh(82000)\nnew = Neuron.from_swc(SWC.format(x=0, x1=5, x2=9) + '4 3 12 0 0 5 3\\n').nodes\n"
            "sorted(n.replace(new).nodes.x.tolist()) == [0.0, 5.0, 9.0, 12.0]"},
    {"pymaid": "pymaid.add_annotations", "call": "Annotation(name=, targets=[skids]).save() / n.update(annotations=...)",
     "run": "n = fresh(83000)\nAnnotation(name='cov added', targets=[n.id]).save().id > 0 and Neuron.fetch(n.id, nodes=False).annotations.count('cov added') == 1"},
    {"pymaid": "pymaid.remove_annotations", "call": "n.update(annotations=...) / Annotation.delete()",
     "run": "n = fresh(84000, annotations=['cov x'])\nn.update(annotations=[])\nNeuron.fetch(n.id, nodes=False).annotations == []"},
    {"pymaid": "pymaid.add_meta_annotations", "call": "Annotation(name=, meta=[...]) / update meta",
     "run": "a = AnnotationCollection(name='cov PN').fetch()[0]\na.update(meta=['cov meta A']).meta == ['cov meta A']"},
    {"pymaid": "pymaid.remove_meta_annotations", "call": "update Annotation.meta",
     "run": "a = AnnotationCollection(name='cov LN').fetch()[0]\na.update(meta=['cov m2'])\na.update(meta=[]).meta == []"},
    {"pymaid": "pymaid.add_tags", "call": "n.tags = {...}; n.update()",
     "run": "n = fresh(85000)\nn.tags = {'ends': [int(n.nodes.node_id.max())]}\nNeuron.fetch(n.update().id).tags == n.tags"},
    {"pymaid": "pymaid.delete_tags", "call": "remove entries from n.tags; n.update()",
     "run": "n = fresh(86000)\nn.update(tags={'x': [int(n.nodes.node_id.max())]})\nNeuron.fetch(n.update(tags={}).id).tags == {}"},
    {"pymaid": "pymaid.add_connector", "call": "Connector(x=, y=, z=, links=[...]).save()",
     "run": "Connector(x=1, y=2, z=3, links=[(node['C'][2], 'presynaptic_to')]).save().id > 0"},
    {"pymaid": "pymaid.link_connector", "call": "edit Connector.links; update()",
     "run": "c = Connector(x=5, y=5, z=5, links=[]).save()\nc.update(links=[(node['B'][2], 'postsynaptic_to')])\n"
            "[l.node_id for l in Connector.fetch(c.id).links] == [node['B'][2]]"},
    {"pymaid": "pymaid.upload_volume", "call": "Volume(name=, vertices=, faces=).save()",
     "run": "Volume(name='cov tetra', vertices=[[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], "
            "faces=[[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]]).save().id > 0"},
    # -- images ----------------------------------------------------------------------------------
    {"pymaid": "pymaid.tiles.TileLoader", "call": "ImageInstance.fetch(id).read_region(x, y, w, h, z=, scale=)",
     "run": "ImageInstanceCollection().fetch()[0].read_region(0, 0, 64, 32, z=0).shape[:2] == (32, 64)"},
    {"pymaid": "pymaid.tiles.crop_neuron", "call": "read_region around nodes.locations(...) (by hand)",
     "run": "w = nodes.locations([node['A'][0]])\nImageInstanceCollection().fetch()[0].read_region(0, 0, 16, 16, z=0).size > 0",
     "note": "no helper: the region around the nodes is read with read_region"},
    {"pymaid": "CatmaidInstance.user_permissions", "call": "conn.get('/permissions') (raw request)",
     "run": "str(conn.project) in conn.get('/permissions')[0]['can_annotate']",
     "note": "CATMAID's permissions: [{permission: {project: true}}, [groups]]"},
]
