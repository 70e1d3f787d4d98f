"""History, provenance, statistics, meta-annotations, find_neurons filters, landmarks and samplers
on CATMAID (any writable CATMAID; the bundled server by default)."""

import datetime as dt
import uuid

import pytest
import requests

from neuromodels import (
    Annotation,
    AnnotationCollection,
    Connection,
    Landmark,
    LandmarkCollection,
    LandmarkGroup,
    Neuron,
    NeuronCollection,
    NotFound,
    NotSupported,
    Project,
    Sampler,
    SamplerCollection,
)

SWC = "1 1 {x} 0 0 5 -1\n2 3 {x1} 0 0 5 1\n3 3 {x2} 0 0 5 2\n4 3 {x3} 0 0 5 3\n"


def unique(prefix):
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def chain(name, x=0, **fields):
    return Neuron.from_swc(SWC.format(x=x, x1=x + 100, x2=x + 200, x3=x + 300), name=name, **fields).save()


@pytest.fixture
def tagged(catmaid):
    """Two neurons under 'left' and 'right', both meta-annotated 'meta', itself under 'super'."""
    tag = unique("meta")
    a = chain(f"{tag} a", annotations=[f"{tag} left"])
    b = chain(f"{tag} b", x=5000, annotations=[f"{tag} right"])
    for side in ("left", "right"):
        found = AnnotationCollection(name=f"{tag} {side}").fetch()[0]
        found.meta = [f"{tag} meta"]
        found.update()
    meta = AnnotationCollection(name=f"{tag} meta").fetch()[0]
    meta.meta = [f"{tag} super"]
    meta.update()
    yield tag, a, b
    for n in (a, b):
        Neuron().delete(id=n.id)


def test_meta_annotations_expand_only_when_asked(tagged):
    tag, a, b = tagged
    assert NeuronCollection(annotation=f"{tag} meta").count() == 0
    found = NeuronCollection(annotation=f"{tag} super", include_sub_annotations=True).fetch(nodes=False)
    assert sorted(n.id for n in found) == sorted([a.id, b.id])
    direct = AnnotationCollection(annotated_with=f"{tag} meta").fetch()
    assert sorted(x.name for x in direct) == [f"{tag} left", f"{tag} right"]
    deep = AnnotationCollection(annotated_with=f"{tag} super", include_sub_annotations=True).fetch()
    assert sorted(x.name for x in deep) == [f"{tag} left", f"{tag} meta", f"{tag} right"]
    with pytest.raises(ValueError, match="expands annotation="):
        NeuronCollection(include_sub_annotations=True).count()


def test_annotation_details_user_annotations_and_entity_graph(tagged):
    tag, a, b = tagged
    details = NeuronCollection([a, b]).annotation_details()
    assert details[["skeleton_id", "annotation", "user_id"]].values.tolist() == [
        [a.id, f"{tag} left", 2], [b.id, f"{tag} right", 2]]
    assert str(details["time"].dtype) == "datetime64[ns, UTC]"
    assert (dt.datetime.now(dt.timezone.utc) - details["time"].max()).total_seconds() < 600
    table = AnnotationCollection(user="admin").fetch().to_dataframe()
    assert list(table.columns) == ["id", "name", "targets", "meta", "uses", "last_used", "user_id"]
    assert table.set_index("name").loc[f"{tag} meta", "uses"] == 2
    used = {x.name: x.extra for x in AnnotationCollection(user="admin").fetch()}
    assert used[f"{tag} meta"]["uses"] == 2 and used[f"{tag} meta"]["user_id"] == 2
    with pytest.raises(NotFound, match="did you mean 'admin'"):
        AnnotationCollection(user="admim").fetch()
    graph = Project.fetch(1).entity_graph(annotated_with=f"{tag} meta")
    assert sorted(graph[["entity_name", "annotation"]].values.tolist()) == [
        [f"{tag} left", f"{tag} meta"], [f"{tag} right", f"{tag} meta"]]
    assert set(graph["entity_type"]) == {"annotation"} and graph["skeleton_ids"].isna().all()
    neurons = Project.fetch(1).entity_graph(types="neuron", annotated_with=f"{tag} left")
    assert neurons["skeleton_ids"].tolist() == [[a.id]]
    with pytest.raises(ValueError, match="types are"):
        Project.fetch(1).entity_graph(types="skeleton")


def test_find_neurons_filters(catmaid):
    tag = unique("find")
    small = chain(f"{tag} small", annotations=[tag])
    big = Neuron.from_swc("".join(f"{k} 3 {k * 10} 0 0 1 {k - 1 if k > 1 else -1}\n" for k in range(1, 9)),
                          name=f"{tag} big", annotations=[tag]).save()
    big.tags = {"soma": [int(big.nodes.node_id.min())]}
    big.update()
    try:
        assert [n.id for n in NeuronCollection(annotation=tag, min_nodes=5).fetch(nodes=False)] == [big.id]
        assert [n.id for n in NeuronCollection(annotation=tag, soma=True).fetch(nodes=False)] == [big.id]
        mine = NeuronCollection(annotation=tag, created_by="admin").fetch(nodes=False)
        assert sorted(n.id for n in mine) == sorted([small.id, big.id])
        today = dt.datetime.now(dt.timezone.utc).date()
        assert NeuronCollection(annotation=tag, created_by=2, from_date=today - dt.timedelta(days=1)).count() == 2
        assert NeuronCollection(annotation=tag, created_by=2, to_date="2001-01-01").count() == 0
        assert NeuronCollection(annotation=tag, reviewed_by="admin").count() == 0
        small.mark_reviewed([int(small.nodes.node_id.min())])
        assert [n.id for n in NeuronCollection(annotation=tag, reviewed_by="admin").fetch(nodes=False)] == [small.id]
        with pytest.raises(ValueError, match="from_date needs created_by"):
            NeuronCollection(from_date="2024-01-01").count()
        with pytest.raises(ValueError, match="soma= takes True"):
            NeuronCollection(soma=False).count()
        with pytest.raises(ValueError, match="did you mean"):
            NeuronCollection(min_node=3).count()
    finally:
        small.delete()
        big.delete()


def test_history_and_time_machine_follow_edits_splits_and_joins(catmaid_target, catmaid):
    n = chain(unique("history"))
    other = chain(unique("fragment"), x=9000)
    assert n.history()[["skeleton_ids", "n_nodes", "changed", "n_live"]].values.tolist() == [[[n.id], 4, False, 4]]
    before = dt.datetime.now(dt.timezone.utc)
    tip = int(n.nodes.node_id.max())
    n.nodes.loc[n.nodes.node_id == tip, "x"] = 777.0
    n = n.update()
    past = n.at(before)
    assert past.nodes.set_index("node_id").loc[tip, "x"] == 300.0 and past.id == n.id
    assert n.at(dt.datetime.now(dt.timezone.utc)).nodes.set_index("node_id").loc[tip, "x"] == 777.0
    assert n.at("2001-01-01").nodes.empty
    # split off the tip and join the fragment, by the raw endpoints (proofreading is another module's)
    s = requests.Session()
    s.headers["X-Authorization"] = f"Token {catmaid_target['token']}"
    base = f"{catmaid_target['url']}/{catmaid_target['project']}"
    split = s.post(f"{base}/skeleton/split", data={"treenode_id": tip, "state": '{"nocheck": true}'}).json()
    s.post(f"{base}/skeleton/join", data={"from_id": int(n.nodes.node_id.min()), "to_id": int(other.nodes.node_id.min()),
                                          "state": '{"nocheck": true}'}).raise_for_status()
    new = split["new_skeleton_id"]
    rows = {tuple(r[0]): r[1:] for r in NeuronCollection([n, Neuron(id=new)]).history().values.tolist()}
    assert rows[(n.id, new)] == [1, True, 1]       # the tip went from n to the new skeleton
    assert rows[(n.id, other.id)] == [4, True, 4]  # the fragment's nodes, seen from n: n first
    assert rows[(n.id,)][0] == 3
    for skid in (n.id, new):
        Neuron().delete(id=skid)


def test_provenance_origin_and_import_info(catmaid_target, catmaid):
    s = requests.Session()
    s.headers["X-Authorization"] = f"Token {catmaid_target['token']}"
    source = f"https://example.org/{uuid.uuid4().hex[:8]}"
    made = s.post(f"{catmaid_target['url']}/{catmaid_target['project']}/skeletons/import",
                  files={"file": ("n.swc", b"1 1 0 0 0 1 -1\n2 3 10 0 0 1 1\n")},
                  data={"name": unique("imported"), "source_id": "1000", "source_url": source + "/",
                        "source_project_id": "7", "source_type": "skeleton"}).json()
    skid = made["skeleton_id"]
    plain = chain(unique("traced"))
    try:
        origins = NeuronCollection([Neuron(id=skid), plain]).origins()
        assert origins.to_dict("records") == [{"skeleton_id": skid, "source_id": 1000, "source_url": source,
                                               "source_project": 7, "source_name": None}]
        found = NeuronCollection(source_ids=[1000, 1001], source_url=source, source_project=7).fetch(nodes=False)
        assert [n.id for n in found] == [skid]
        with pytest.raises(ValueError, match="missing: source_project"):
            NeuronCollection(source_ids=[1000], source_url=source).count()
        info = NeuronCollection([Neuron(id=skid), plain]).import_info(nodes=True)
        assert info.n_imported_nodes.tolist() == [2, 4]
        assert sorted(info.imported_nodes[0].tolist()) == sorted(int(v) for v in made["node_id_map"].values())
    finally:
        Neuron().delete(id=skid)
        plain.delete()


def test_logs_transactions_user_history_and_members(catmaid):
    n = chain(unique("activity"))
    n.update(name=unique("renamed"))
    project = Project.fetch(1)
    logs = project.logs(operations=["rename_neuron", "create_neuron"], limit=5)
    assert list(logs.columns) == ["user", "operation", "time", "x", "y", "z", "text"]
    assert logs.operation.tolist()[:2] == ["rename_neuron", "create_neuron"] and logs.user[0] == "admin"
    assert logs.time.is_monotonic_decreasing
    assert len(project.logs(search=n.name.split()[-1])) == 1
    assert project.logs(user="admin", limit=1).user.tolist() == ["admin"]
    transactions = project.transactions(limit=2)
    assert transactions.label.tolist() == ["neurons.rename", "skeletons.import"]
    today = dt.datetime.now(dt.timezone.utc).date()
    history = project.user_history(today - dt.timedelta(days=3), today)
    mine = history[(history.user_id == 2) & (history.date == today)]
    assert mine.new_import_nodes.iloc[0] >= 4
    assert project.user_history("2010-01-01", "2010-06-30").empty  # asked up to today: no server error
    with pytest.raises(ValueError, match="before start"):
        project.user_history(today, today - dt.timedelta(days=1))
    assert "admin" in [u.username for u in project.members()]
    with pytest.raises(NotSupported, match="managers"):
        project.members(managers=True)
    n.delete()


def test_contributors_and_time_invested(catmaid):
    a = chain(unique("credit"))
    a.mark_reviewed(a.nodes.node_id[:2])
    b = chain(unique("credit"), x=4000)
    both = NeuronCollection([a, b])
    assert both.contributors().values.tolist() == [[2, 8, 0, 0, 2]]
    per = both.contributors(per_neuron=True)
    assert per[["skeleton_id", "nodes", "reviews"]].values.tolist() == [[a.id, 4, 2], [b.id, 4, 0]]
    spent = both.time_invested()
    assert spent[["user_id", "total", "creation", "review"]].values.tolist()[0][:2] == [2, 3]
    assert spent.review[0] == 3 and spent.creation[0] in (3, 6)
    with pytest.raises(ValueError, match="interval"):
        both.time_invested(interval=0)
    with pytest.raises(ValueError, match="stored neurons"):
        NeuronCollection([Neuron(name="unsaved")]).contributors()
    empty = NeuronCollection([])
    assert empty.contributors().empty and empty.time_invested().empty and empty.history().empty
    assert empty.origins().empty and empty.import_info().empty and empty.sampler_counts().empty
    a.delete()
    b.delete()


def test_landmarks_groups_and_samplers(catmaid):
    name = unique("landmark")
    lm = Landmark(name=name, locations=[(1.0, 2.0, 3.0), (4.0, 5.0, 6.0)]).save()
    assert len({p.id for p in lm.locations}) == 2
    lm.locations = lm.locations[1:]
    lm.name = name + " moved"
    lm.update()
    again = Landmark.fetch(lm.id)
    assert again.name == name + " moved" and [(p.x, p.y, p.z) for p in again.locations] == [(4.0, 5.0, 6.0)]
    assert isinstance(again.extra["creation_time"], dt.datetime)
    group = LandmarkGroup(name=unique("group"), members=[lm.id]).save()
    assert LandmarkGroup.fetch(group.id).members == [lm.id]
    group.members = []
    group.update()
    assert LandmarkGroup.fetch(group.id).members == []
    with pytest.raises(NotSupported, match="locations"):
        group.locations = [(1.0, 1.0, 1.0)]
        group.update()
    group.delete()
    lm.delete()
    assert lm.id not in [x.id for x in LandmarkCollection().fetch()]

    n = chain(unique("sampled"))
    sampler = Sampler(neuron=n.id, interval_length=1500, interval_error=100.0).save()
    assert (sampler.sampler_state, sampler.leaf_segment_handling, sampler.review_required) == (1, "ignore", True)
    assert [s.id for s in SamplerCollection(neuron=n.id).fetch()] == [sampler.id]
    assert Sampler.fetch(sampler.id).interval_error == 100.0
    assert list(sampler.domains().columns)[:3] == ["domain_id", "type_id", "start_node_id"]
    assert NeuronCollection([n]).sampler_counts().to_dict() == {n.id: 1}
    with pytest.raises(ValueError, match="leaf_segment_handling"):
        Sampler(neuron=n.id, interval_length=10, leaf_segment_handling="cut").save()
    with pytest.raises(NotSupported, match="not edited"):
        sampler.interval_length = 10
        sampler.update()
    sampler.delete()
    assert SamplerCollection(neuron=n.id).fetch().to_dataframe().empty
    n.delete()


def test_other_backends_refuse_with_a_reason():
    from neuromodels.testing import serve

    with serve("neuromorpho") as server:
        with Connection(server.url, backend="neuromorpho", progress=False):
            with pytest.raises(NotSupported, match="NeuroMorpho.org"):
                Landmark.fetch(1)
            with pytest.raises(NotSupported, match="neuromorpho cannot read the history of Neuron"):
                Neuron(id=1).history()
            with pytest.raises(NotSupported, match="neuromorpho cannot read the contributions to Neuron"):
                NeuronCollection([Neuron(id=1)]).contributors()
