import numpy as np
import pandas as pd
import pytest

from neuromodels import (
    Neuron,
    NotFound,
    PartialSaveError,
    Project,
    ProjectCollection,
    Volume,
)
from neuromodels.testing import Fault


from .conftest import connect


def stored(server):
    return [r[0] for r in server._app.db.read("SELECT name FROM item ORDER BY id")]


# -- dirty tracking ----------------------------------------------------------------------------------
def test_new_model_changes_are_its_set_fields():
    assert Project(name="a").changes() == {"name": "a"}


def test_assignment_tracked():
    p = Project(id=1, name="a", description="d")
    p.mark_clean()
    assert p.changes() == {}
    p.name = "b"
    assert p.changes() == {"name": "b"}


def test_in_place_mutation_of_list_dict_dataframe_and_array_tracked():
    n = Neuron(id=1, name="n", annotations=["a"], tags={"soma": [1]},
               nodes=pd.DataFrame({"node_id": [1, 2], "parent_id": [-1, 1], "x": [0.0, 1.0]}))
    n.mark_clean()
    n.annotations.append("b")
    n.tags["soma"].append(2)
    n.nodes.loc[1, "x"] = 5.0
    assert set(n.changes()) == {"annotations", "tags", "nodes"}
    assert n.original("annotations") == ["a"]
    v = Volume(id=1, name="v", vertices=np.zeros((3, 3)), faces=[[0, 1, 2]])
    v.mark_clean()
    v.vertices[0, 0] = 1.0
    assert set(v.changes()) == {"vertices"}


def test_no_change_update_sends_nothing(server):
    with connect(server):
        p = Project(name="a").save()
        p = Project.fetch(p.id)
        before = server.requests
        assert p.update() is p
        p.name = "a"  # same value
        p.update()
        assert server.requests == before


def test_update_sends_only_changes_and_returns_model(server):
    with connect(server):
        p = Project(name="a", description="first").save()
        before = server.requests
        assert p.update(description="second") is p
        assert server.requests == before + 1
        assert Project.fetch(p.id).description == "second"


def test_unknown_field_in_update_refused(server):
    with connect(server):
        p = Project(name="a").save()
        with pytest.raises(TypeError, match="no field"):
            p.update(nmae="typo")


def test_class_and_instance_forms(server):
    with connect(server):
        created = Project(name="a").save()
        assert Project.fetch(created.id).name == "a"
        assert Project().fetch(id=created.id).name == "a"
        p = Project(id=created.id)
        assert p.fetch() is p and p.name == "a"
        Project().delete(id=created.id)
        with pytest.raises(NotFound):
            Project.fetch(created.id)


@pytest.mark.parametrize("bad", ["1", 1.5, True, None, [1]])
def test_bad_id_types_refused_before_request(server, bad):
    with connect(server):
        before = server.requests
        with pytest.raises((TypeError, ValueError)):
            Project.fetch(bad) if bad is not None else Project().fetch()
        assert server.requests == before


def test_negative_id_refused(server):
    with connect(server):
        with pytest.raises(ValueError, match="negative"):
            Project.fetch(-3)


def test_extra_fields_and_to_dict():
    p = Project(id=1, name="a", extra={"color": "red"})
    assert p.to_dict() == {"id": 1, "name": "a", "description": None, "ontology": None, "extra": {"color": "red"}}


# -- collections --------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [0, 1, 9, 10, 11, 21])
def test_paging_complete(server, n):
    with connect(server):
        if n:
            ProjectCollection(Project(name=f"item {i}") for i in range(n)).save()
        expected = sorted(f"item {i}" for i in range(n))
        fetched = ProjectCollection().fetch()
        assert sorted(p.name for p in fetched) == expected  # complete, no duplicates
        assert [p.id for p in fetched] == sorted(p.id for p in fetched)
        assert ProjectCollection().count() == n
        assert sorted(p.name for p in ProjectCollection().iterator()) == expected
        assert len(ProjectCollection().fetch(limit=5)) == min(5, n)


def test_collection_is_a_list():
    c = ProjectCollection([Project(name="a"), Project(name="b")])
    assert len(c) == 2 and c[0].name == "a" and [p.name for p in c[::-1]] == ["b", "a"]
    c.append(Project(name="c"))
    del c[0]
    assert [p.name for p in c] == ["b", "c"]
    with pytest.raises(TypeError, match="holds Project"):
        c.append(Neuron())


def test_a_query_that_never_ran_is_not_read_as_empty(server):
    """Forgetting fetch() is an error, never an empty answer that passes for "no matches"."""
    from neuromodels import NotFetched

    with connect(server):
        ProjectCollection([Project(name="nf")]).save()
        query = ProjectCollection(name="nf")
        before = server.requests
        for read in (len, list, bool, lambda c: c[0], lambda c: Project(name="x") in c, lambda c: c.to_dataframe()):
            with pytest.raises(NotFetched, match=r"ProjectCollection\(name='nf'\) has not run its query: call .fetch"):
                read(query)
        for work in (lambda c: c.save(), lambda c: c.delete()):  # never a silent no-op (or a guess)
            with pytest.raises(NotFetched):
                work(query)
        assert server.requests == before  # refused, not run behind the user's back
    from neuromodels import NeuronCollection

    pns = NeuronCollection(annotation="PN")  # (refused before a connection is even looked for)
    for table in (lambda c: c.cable_lengths(), lambda c: c.node_table(), lambda c: c.nodes,
                  lambda c: c.load_nodes(), lambda c: c.adjacency()):
        with pytest.raises(NotFetched):
            table(pns)
    with connect(server):
        assert "not fetched" in repr(query)
        query.append(Project(name="added"))  # adding to it is allowed; then it holds what was added
        assert [p.name for p in query] == ["added"]
        fetched = ProjectCollection(name="nf").fetch()
        assert [p.name for p in fetched] == ["nf"] and len(ProjectCollection()) == 0  # no query: a list


def test_count_answers_for_every_filter_ids_included(server):
    """``ids=`` is answered by the core (the server has no such filter): so is its count."""
    with connect(server):
        made = ProjectCollection([Project(name=f"count {i}") for i in range(3)]).save()
        ids = [p.id for p in made]
        assert ProjectCollection(ids=ids[:2]).count() == 2 == len(ProjectCollection(ids=ids[:2]).fetch())
        assert ProjectCollection(ids=ids, name="count 1").count() == 1
        assert ProjectCollection(name="count 2").count() == 1


def test_modifiers_as_keywords_or_attributes_and_unknown_refused(server):
    with connect(server):
        ProjectCollection([Project(name="a"), Project(name="b")]).save()
        by_kw = ProjectCollection(name="b").fetch()
        by_attr = ProjectCollection()
        by_attr.name = "b"
        assert [p.name for p in by_kw] == [p.name for p in by_attr.fetch()] == ["b"]
        before = server.requests
        with pytest.raises(ValueError, match="allowed: name"):
            ProjectCollection(colour="red").fetch()
        with pytest.raises(TypeError, match="takes str"):
            ProjectCollection(name=5).fetch()
        assert server.requests == before
        assert ProjectCollection().filters() == {"name": "exact name"}
        assert [p.name for p in ProjectCollection().fetch_with_filter("name", "a")] == ["a"]


def test_one_answer_to_a_misspelt_filter_everywhere(server):
    from neuromodels import UnknownFilter

    with connect(server):
        before = server.requests
        for call in (lambda: ProjectCollection(nmae="a").fetch(), lambda: ProjectCollection(nmae="a").count(),
                     lambda: list(ProjectCollection(nmae="a").iterator()), lambda: ProjectCollection().where(nmae="a"),
                     lambda: setattr(ProjectCollection(), "nmae", "a")):
            with pytest.raises(UnknownFilter, match="did you mean 'name'"):
                call()
        assert server.requests == before


def test_fetch_with_filter_fills_the_collection_it_is_called_on_as_in_the_cytomine_client(server):
    with connect(server):
        ProjectCollection([Project(name="fwf")]).save()
        base = ProjectCollection()
        assert base.fetch_with_filter("name", "fwf") is base
        assert [p.name for p in base] == ["fwf"] and base.modifiers == {"name": "fwf"}
        from neuromodels import UnknownFilter

        with pytest.raises(UnknownFilter, match="did you mean 'name'"):
            ProjectCollection().fetch_with_filter("nmae", "fwf")


def test_collections_pickle_copy_and_deepcopy_with_a_lock_of_their_own():
    import copy
    import pickle

    c = ProjectCollection([Project(id=1, name="a")], name="a")
    for twin in (pickle.loads(pickle.dumps(c)), copy.copy(c), copy.deepcopy(c)):
        assert [p.name for p in twin] == ["a"] and twin.modifiers == {"name": "a"}
        assert twin._lock is not c._lock
        with twin._lock:  # a working lock, not a shared or missing one
            twin.append(Project(name="b"))
    assert len(c) == 1


def test_last_report_says_what_a_save_did(server):
    with connect(server):
        batch = ProjectCollection([Project(name="r1"), Project(name="r2")]).save()
        assert batch.last_report is not None and batch.last_report.complete
        assert batch.last_report.done == list(batch)
