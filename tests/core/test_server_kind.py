"""A connection to the wrong kind of server, a project the server does not have and a version
the dataset does not have: errors that name what was expected, at the first request, at once."""

from __future__ import annotations

import http.server
import threading

import pytest

from neuromodels import AnnotationCollection, Connection, Neuron, NeuronCollection, NotFound, ProtocolError
from neuromodels.errors import BadRequest, WrongServer
from neuromodels.testing import connect, serve


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D102 - keep the test output clean
        pass


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """A plain web server (Python's http.server): 404 pages for GET, 501 for POST."""
    directory = str(tmp_path_factory.mktemp("www"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: _Quiet(*a, directory=directory))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def cytomine():
    with serve("cytomine") as server:
        yield server


@pytest.fixture(scope="module")
def catmaid():
    with serve("catmaid") as server:
        yield server


def test_catmaid_against_cytomine_names_both(cytomine):
    conn = Connection(cytomine.url, backend="catmaid", project=1, token="t", retries=3, backoff=1.0)
    with pytest.raises(WrongServer, match=r"is not a CATMAID server \(backend='catmaid'\): it answers as a "
                                          r"Cytomine server: use backend='cytomine'") as info:
        Neuron.fetch(1, connection=conn)
    assert isinstance(info.value, ProtocolError)
    assert (info.value.expected, info.value.found) == ("catmaid", "cytomine")
    with pytest.raises(WrongServer, match="not a CATMAID server"):
        conn.ping()


def test_catmaid_against_a_plain_web_server_at_once(plain):
    before = plain
    # retries with a long backoff would take seconds: the kind check answers before any retry
    conn = Connection(before, backend="catmaid", project=1, token="t", retries=3, backoff=2.0)
    with pytest.raises(WrongServer, match="does not answer as any server kind neuromodels knows"):
        NeuronCollection(annotation="x").fetch(connection=conn)          # GET: an HTML 404
    conn = Connection(before, backend="catmaid", project=1, token="t", retries=3, backoff=2.0)
    with pytest.raises(WrongServer, match="not a CATMAID server"):
        NeuronCollection(ids=[1, 2]).fetch(connection=conn)            # POST: a 501 page


def test_cytomine_and_clio_against_others(catmaid, plain):
    conn = Connection(catmaid.url, backend="cytomine", public_key="a", private_key="b")
    with pytest.raises(WrongServer, match="use backend='catmaid'"):
        AnnotationCollection(project=1).fetch(connection=conn)
    with pytest.raises(WrongServer, match="not a Clio server"):
        AnnotationCollection().fetch(connection=Connection(plain, backend="clio", project="VNC", token="x"))


def test_right_kind_keeps_the_servers_own_error(catmaid):
    conn = connect(catmaid)
    with pytest.raises(NotFound) as info:
        Neuron.fetch(987654, connection=conn)
    assert not isinstance(info.value, WrongServer)
    assert conn.transport.kind_confirmed in (None, True)


def test_unknown_catmaid_project_lists_the_projects(catmaid):
    conn = Connection(catmaid.url, backend="catmaid", project=99, token=catmaid.token)
    with pytest.raises(NotFound, match=r"project '99' is not on this CATMAID server.*1 \('neuromodels local project'\)"):
        NeuronCollection(annotation="PN").fetch(connection=conn)


def test_unknown_clio_version_and_dataset_list_what_there_is():
    with serve("clio") as server:
        conn = connect(server, version="v9.9")
        with pytest.raises(BadRequest, match=r"version 'v9.9' is not a version of dataset 'VNC'; its versions: "
                                             r"v0.3.31, v0.3.32, v0.3.33"):
            AnnotationCollection().fetch(connection=conn)
        wrong = Connection(server.url, backend="clio", project="NOPE", token=server.token)
        with pytest.raises(NotFound, match=r"dataset 'NOPE' is not on this Clio server; its datasets: VNC"):
            AnnotationCollection().fetch(connection=wrong)


def test_cave_against_another_kind_and_another_kind_against_cave(catmaid):
    from neuromodels import Project

    conn = Connection(catmaid.url, backend="cave", project="minnie", token="t", retries=0)
    with pytest.raises(WrongServer, match=r"is not a CAVE server \(backend='cave'\).*use backend='catmaid'"):
        Project.fetch("minnie", connection=conn)
    with serve("cave") as cave:
        wrong = Connection(cave.url, backend="catmaid", project=1, token="t", retries=0)
        with pytest.raises(WrongServer, match="it answers as a CAVE server: use backend='cave'"):
            Neuron.fetch(1, connection=wrong)


def test_a_registered_backend_is_told_apart_by_the_identity_it_declares(tmp_path):
    """The kinds are declarations (Backend.identity): a backend from an entry point or
    register_backend() is named like the shipped ones."""
    import toy  # noqa: F401 - registers the toy backend
    from neuromodels import registry
    from neuromodels.connection import register_backend
    from neuromodels.core.backend import ServerIdentity

    class Lab(toy.ToyBackend):
        name = "labkind"
        identity = ServerIdentity("Lab", "/whoami.json", lambda body: isinstance(body, dict) and body.get("kind") == "lab")

    (tmp_path / "whoami.json").write_text('{"kind": "lab"}')
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: _Quiet(*a, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    register_backend("labkind", Lab)
    try:
        conn = Connection(f"http://127.0.0.1:{server.server_address[1]}", backend="catmaid", project=1, token="t",
                          retries=0)
        with pytest.raises(WrongServer, match="it answers as a Lab server: use backend='labkind'") as info:
            Neuron.fetch(1, connection=conn)
        assert info.value.found == "labkind"
    finally:
        registry._registered.pop("labkind", None)
        server.shutdown()
        server.server_close()
