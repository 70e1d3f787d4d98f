"""The contract written once in the core: models that refuse typos, typed class-or-instance
methods, options checked, collections as values, repeated pages and wrong answers refused."""

import inspect
import json

import pytest
from werkzeug.wrappers import Response

from neuromodels import (
    Annotation,
    Neuron,
    NeuronCollection,
    NotSupported,
    Project,
    ProjectCollection,
    ProtocolError,
)
from neuromodels.core.state import SaveState

from .conftest import connect


# -- models catch mistakes -------------------------------------------------------------------
def test_unknown_field_assignment_raises_with_close_names():
    n = Neuron(id=1, name="a")
    with pytest.raises(AttributeError, match=r"did you mean 'name'"):
        n.nmae = "x"
    assert n.name == "a"


def test_unknown_field_in_the_constructor_names_the_close_ones():
    with pytest.raises(TypeError, match=r"did you mean 'name'"):
        Neuron(nmae="x")
    with pytest.raises(TypeError, match=r"did you mean 'geometry'"):
        Annotation(geometri=None)


def test_unknown_field_in_update_raises_before_any_request():
    with pytest.raises(TypeError, match=r"did you mean 'name'"):
        Neuron(id=1, name="a").update(nmae="x")


def test_models_have_slots_and_no_instance_dict():
    assert not hasattr(Neuron(), "__dict__")


def test_converters_run_on_assignment():
    from neuromodels import Connector, Link

    c = Connector()
    c.links = [(5, "presynaptic_to")]
    assert c.links == [Link(5, "presynaptic_to")]


def test_fetch_and_delete_show_their_own_docs_and_signature():
    assert "Load this model" in (Neuron.fetch.__doc__ or "")
    params = inspect.signature(Neuron.fetch).parameters
    assert list(params)[:2] == ["id", "connection"]
    assert "Delete this model" in (Neuron().delete.__doc__ or "")
    assert "functools.partial" not in repr(Neuron.fetch)


def test_state_follows_the_model(server):
    with connect(server):
        p = Project(name="state")
        assert p.state is SaveState.NEW
        p.save()
        assert p.state is SaveState.STORED
        p.delete()
        assert p.state is SaveState.DELETED


# -- options and answers ------------------------------------------------------------------------
def test_unknown_fetch_option_is_a_type_error_naming_the_accepted(server):
    with connect(server):
        p = Project(name="opt").save()
        before = server.requests
        with pytest.raises(TypeError, match=r"unknown option 'nodes'.*accepts: connection"):
            Project.fetch(p.id, nodes=False)
        with pytest.raises(TypeError, match=r"unknown option"):
            ProjectCollection().fetch(node=False)
        # a misspelt keyword of the method itself arrives as an option: it is named too
        with pytest.raises(TypeError, match=r"unknown option 'limt' \(did you mean 'limit'\?\); it accepts: limit"):
            ProjectCollection().fetch(limt=3)
        assert server.requests == before


def test_a_fetch_answered_with_another_object_is_a_protocol_error(server):
    with connect(server):
        p = Project(name="asked").save()
        other = Project(name="other").save()
        app = server._app
        real = app.__call__

        def wrong(request):
            if request.method == "GET" and request.path == f"/items/{p.id}":
                return app.json({"id": other.id, "name": "other"})
            return real(request)

        server._app = wrong
        try:
            with pytest.raises(ProtocolError, match="answered with"):
                Project.fetch(p.id)
        finally:
            server._app = app


def test_a_page_that_repeats_ids_is_a_protocol_error(server):
    with connect(server):
        ProjectCollection([Project(name=f"p{i}") for i in range(15)]).save()
        app = server._app

        def ignoring_offset(request):
            if request.path == "/items" and request.method == "GET":
                rows = app.db.read("SELECT id, name, description FROM item ORDER BY id LIMIT 10")
                items = [dict(zip(("id", "name", "description"), r)) for r in rows]
                return Response(json.dumps({"items": items, "total": 15}), content_type="application/json")
            return app(request)

        server._app = ignoring_offset
        try:
            with pytest.raises(ProtocolError, match="twice while paging"):
                ProjectCollection().fetch()
        finally:
            server._app = app


def test_count_falls_back_to_the_pages_and_keeps_the_list_method(server):
    with connect(server):
        batch = ProjectCollection([Project(name=f"c{i}") for i in range(12)]).save()
        assert ProjectCollection().count() == 12
        assert batch.count(batch[0]) == 1  # the list method with an argument


# -- collections are values ---------------------------------------------------------------------
def test_where_returns_a_new_collection_and_leaves_the_original():
    pns = NeuronCollection(annotation="PN")
    left = pns.where(name="left")
    assert pns.modifiers == {"annotation": "PN"}
    assert left.modifiers == {"annotation": "PN", "name": "left"}
    assert type(left) is NeuronCollection


def test_unknown_attribute_on_a_collection_raises_when_a_connection_is_current(server):
    with connect(server):
        c = ProjectCollection()
        c.name = "ok"  # a declared filter
        with pytest.raises(AttributeError, match=r"did you mean 'name'"):
            c.nmae = "x"
        assert c.modifiers == {"name": "ok"}


def test_a_slice_refreshes_its_members_only(server):
    with connect(server):
        ProjectCollection([Project(name=f"s{i}") for i in range(6)]).save()
        everything = ProjectCollection().fetch()
        part = everything[1:3]
        assert isinstance(part, ProjectCollection) and len(part) == 2
        first = part[0]
        server._app.db.read("SELECT 1")
        with server._app.db.transaction() as cur:
            cur.execute("UPDATE item SET description = 'changed' WHERE id = ?", (first.id,))
        before = server.requests
        part.fetch()
        assert len(part) == 2 and part[0] is first and first.description == "changed"
        assert server.requests - before == 2  # one read per member, not the whole listing


# -- what a backend cannot store ---------------------------------------------------------------
def test_a_field_the_backend_cannot_store_is_not_supported_before_any_request():
    from neuromodels.testing import serve
    from neuromodels import Connection
    from shapely.geometry import Point

    with serve("cytomine") as srv:
        with Connection(srv.url, backend="cytomine", project=srv.project, public_key=srv.public_key,
                        private_key=srv.private_key, progress=False):
            image = 6836005
            before = srv.requests
            with pytest.raises(NotSupported, match="Annotation.name"):
                Annotation(geometry=Point(1, 1), image=image, name="a name").save()
            with pytest.raises(NotSupported, match="Annotation.targets"):
                Annotation(geometry=Point(1, 1), image=image, targets=[1]).save()
            assert srv.requests == before


def test_a_model_is_never_written_to_another_server_by_accident():
    from neuromodels import Connection, NeuronCollection
    from neuromodels.testing import serve

    SWC = "1 1 0 0 0 1 -1\n2 3 10 0 0 1 1\n"
    with serve("catmaid") as one, serve("catmaid") as two:
        c1 = Connection(one.url, backend="catmaid", project=one.project, token=one.token, progress=False)
        c2 = Connection(two.url, backend="catmaid", project=two.project, token=two.token, progress=False)
        with c1:
            mine = Neuron.from_swc(SWC, name="mine").save()
        with c2:
            theirs = Neuron.from_swc(SWC, name="theirs").save()
            assert theirs.id == mine.id  # the same skeleton id on both servers
            before = two.requests
            with pytest.raises(ValueError, match="was loaded from"):
                mine.update(name="renamed")
            with pytest.raises(ValueError, match="was loaded from"):
                NeuronCollection([mine]).delete()
            assert two.requests == before and Neuron.fetch(theirs.id).name == "theirs"
        mine.update(name="renamed", connection=c1)  # said explicitly: fine
        with c1:
            assert Neuron.fetch(mine.id).name == "renamed"
        with c1:
            listed = NeuronCollection(name="renamed").fetch(nodes=False)[0]  # listed, not fetched by id
        before = two.requests
        with c2, pytest.raises(ValueError, match="was loaded from"):
            listed.update(name="listed")
        assert two.requests == before


def test_a_table_has_the_same_columns_inside_and_after_the_with_block():
    from neuromodels import ImageInstanceCollection
    from neuromodels.testing import connect, serve

    with serve("cytomine") as server:
        with connect(server, progress=False):
            images = ImageInstanceCollection(project=server.project).fetch()
            inside = images.to_dataframe()
        after = images.to_dataframe()  # no connection current: the backend the images came from
    assert list(after.columns) == list(inside.columns) and "resolution_x" in after.columns


def test_an_html_page_is_named_by_its_title_not_pasted_into_the_error():
    from neuromodels import Connection
    from neuromodels.errors import WrongServer
    from neuromodels.testing import serve

    with serve("catmaid") as server:  # the wrong kind of server for this connection
        with Connection(server.url, backend="cytomine", public_key="a", private_key="b", retries=0):
            with pytest.raises(WrongServer) as info:
                Project.fetch(1)
    message = str(info.value)
    assert "<html" not in message.lower() and "HTML page" in message and len(message) < 500


def test_where_refuses_a_misspelt_filter_when_a_connection_is_current(server):
    with connect(server):
        with pytest.raises(ValueError, match="did you mean 'name'"):
            ProjectCollection().where(nmae="x")


def test_copy_to_names_the_close_option():
    from neuromodels import Connection

    other = Connection("http://127.0.0.1:9", backend="catmaid", project=1)
    with pytest.raises(TypeError, match="did you mean 'dry_run'"):
        ProjectCollection([Project(id=1, name="p")]).copy_to(other, dryrun=True)


def test_a_chunk_answer_that_does_not_match_its_items_leaves_them_unknown_and_keeps_the_others():
    from neuromodels.core.operations import fan_out
    from neuromodels.parallel import Outcome

    errors = fan_out([[1, 2], [3]], [Outcome([1, 2], value="garbled"), Outcome([3], value=[None])])
    assert errors[2] is None
    assert all(getattr(e, "outcome_unknown", False) for e in errors[:2])


def test_an_instance_refreshed_with_an_option_keeps_its_id():
    """``n.fetch(nodes=False)`` refreshes n (by its id); an option that names the object
    instead (NeuroMorpho's ``name=``, declared in ``lookup_options``) is looked up by it."""
    from neuromodels import NeuronCollection
    from neuromodels.testing import connect, serve

    with serve("neuromorpho") as server, connect(server, progress=False):
        n = NeuronCollection().fetch(2, nodes=False)[1]
        assert n.fetch(nodes=False) is n and n.nodes is None
        assert len(n.fetch().nodes) > 0
        assert Neuron.fetch(name=n.name, nodes=False).id == n.id
        before = server.requests
        with pytest.raises(ValueError, match="needs an id"):
            Neuron.fetch(nodes=False)
        assert server.requests == before
