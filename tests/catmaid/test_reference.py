"""The client against responses recorded from a real CATMAID (cassettes built from
../shared/reference/catmaid by tests/tools/reference_cassettes.py). No server runs here."""

import pytest

from neuromodels import (
    AuthenticationError,
    BadRequest,
    Connection,
    Connector,
    ImageInstanceCollection,
    Neuron,
    NotFound,
    ProjectCollection,
    Volume,
    VolumeCollection,
)

from neuromodels.core.state import SaveState

pytestmark = pytest.mark.vcr


@pytest.fixture
def conn():
    with Connection("http://catmaid.reference", backend="catmaid", project=3, token="recorded",
                    retries=0, progress=False) as conn:
        yield conn


def test_version(conn):
    assert conn.ping() == {"SERVER_VERSION": "2021.12.21.dev305+g7d9f83618"}


def test_projects(conn):
    projects = ProjectCollection().fetch()
    assert [p.id for p in projects] == [1, 2, 3]  # the internal dummy project -1 is left out
    fib = projects[2]
    assert fib.name == "Focussed Ion Beam (FIB)" and fib.extra["stacks"][0]["dimensions"] == [2048, 1536, 460]


def test_stacks(conn):
    (stack,) = ImageInstanceCollection().fetch()
    assert (stack.id, stack.width, stack.height, stack.depth) == (2, 2048, 1536, 460)
    assert stack.resolution == (5.0, 5.0, 9.0) and stack.project == 3
    assert stack.extra["mirrors"][0]["tile_width"] == 256


def test_volume_list(conn):
    volumes = VolumeCollection().fetch()
    assert [v.id for v in volumes] == [1, 2, 3, 4, 14, 15, 16]
    assert volumes[1].name == "test_box" and volumes[1].comment == "a box"
    assert volumes[0].extra["watertight"] is True


def test_volume_detail_mesh(conn):
    v = Volume.fetch(14)
    assert v.name == "refcap tetra"
    # The server repeats every vertex per triangle (12 corners): merged back to the 4 of the tetrahedron.
    assert v.vertices.shape == (4, 3) and v.faces.shape == (4, 3)
    assert sorted(map(tuple, v.vertices.tolist())) == [(5000, 6000, 800), (5000, 6000, 1200), (5000, 6400, 800), (5400, 6000, 800)]
    assert v.extra["bbox"]["max"] == {"x": 5400.0, "y": 6400.0, "z": 1200.0}


def test_volume_missing(conn):
    with pytest.raises(NotFound, match="Not found") as info:
        Volume.fetch(15)
    assert info.value.status == 404


def test_volume_delete_missing(conn):
    with pytest.raises(BadRequest, match="Could not find volume with ID 999999") as info:
        Volume().delete(id=999999)
    assert info.value.error_type == "ValueError"


def test_connector_detail(conn):
    c = Connector.fetch(9519)
    assert (c.x, c.y, c.z, c.confidence) == (5100.0, 6100.0, 900.0, 5)
    assert [(l.node_id, l.relation, l.skeleton_id) for l in c.links] == [
        (9476, "presynaptic_to", 275), (9493, "postsynaptic_to", 279)]


def test_rename(conn):
    n = Neuron(id=275, neuron_id=276, name="refcap neuron A")
    n.mark_clean()
    assert n.update(name="refcap neuron A renamed").name == "refcap neuron A renamed"


def test_rename_missing_neuron(conn):
    n = Neuron(id=999999998, neuron_id=999999999, name="y")
    n.mark_clean()
    with pytest.raises(NotFound, match="Could not find neuron #999999999") as info:
        n.update(name="x")
    assert info.value.status == 500 and info.value.error_type == "ObjectDoesNotExist"


def test_neuron_delete(conn, vcr):
    n = Neuron(id=275, neuron_id=276)
    n.delete()
    assert n.state is SaveState.DELETED
    assert vcr.play_count == 1  # the recorded POST /3/neuron/276/delete, and nothing else


def test_bad_token(conn):
    with pytest.raises(AuthenticationError, match="Invalid token") as info:
        conn.transport.request("GET", "/3/skeletons/")
    assert info.value.status == 401


def test_unknown_project(conn):
    with pytest.raises(NotFound, match="Project matching query does not exist"):
        conn.transport.request("GET", "/999/skeletons/")
